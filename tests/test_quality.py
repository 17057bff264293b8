"""Quality checks: each fires on bad data, passes on good data, and parses from test text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mapforge.engines.duckdb import DuckDBEngine
from mapforge.quality.builders import key_checks
from mapforge.quality.checks import (
    Check,
    CheckSpecError,
    CheckStatus,
    accepted_values,
    expression,
    not_null,
    parse_test,
    relationships,
    run_check,
    unique,
)

# Awkward names on purpose: a reserved word and a space must be quoted to work at all.
DATA = """
create table customers (id integer, "order" varchar);
insert into customers values (1, 'a'), (2, 'b'), (3, null);
create table "Sales Orders" (id integer, customer_id integer, status varchar, amount integer,
                             region varchar, "Unit Price" integer);
insert into "Sales Orders" values
  (10, 1, 'open', 5, 'eu', 1), (11, 2, 'shipped', 7, 'eu', 1), (12, null, null, null, 'us', 2);
"""


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine() as eng:
        eng.execute(DATA)
        yield eng


def _spoil(engine: DuckDBEngine, values: str) -> None:
    engine.execute(f'insert into "Sales Orders" values {values}')


def _run(engine: DuckDBEngine, check: Check) -> CheckStatus:
    return run_check(engine, check).status


# -- each builder: passes on good data, fires on bad -----------------------------------------


def test_not_null(engine: DuckDBEngine) -> None:
    assert _run(engine, not_null("Sales Orders", "region")) == CheckStatus.PASS
    failed = run_check(engine, not_null("customers", "order"))
    assert (failed.status, failed.failures) == (CheckStatus.FAIL, 1)
    assert failed.sample == [{"id": 3, "order": None}]


def test_unique_single_and_composite(engine: DuckDBEngine) -> None:
    assert _run(engine, unique("Sales Orders", ["id"])) == CheckStatus.PASS
    assert _run(engine, unique("Sales Orders", ["region", "id"])) == CheckStatus.PASS
    _spoil(engine, "(10, 1, 'open', 5, 'eu', 3)")
    result = run_check(engine, unique("Sales Orders", ["id", "region"]))
    assert result.status == CheckStatus.FAIL
    assert result.sample == [{"id": 10, "region": "eu", "n_records": 2}]


def test_unique_ignores_nulls(engine: DuckDBEngine) -> None:
    _spoil(engine, "(null, 1, 'open', 1, 'eu', 1), (null, 1, 'open', 1, 'eu', 1)")
    assert _run(engine, unique("Sales Orders", ["id"])) == CheckStatus.PASS


def test_unique_counts_each_duplicated_key_once(engine: DuckDBEngine) -> None:
    result = run_check(engine, unique("Sales Orders", ["Unit Price"]))
    assert result.failures == 1  # one key value (1) occurring twice
    assert result.sample == [{"Unit Price": 1, "n_records": 2}]


def test_accepted_values(engine: DuckDBEngine) -> None:
    check = accepted_values("Sales Orders", "status", ["open", "shipped", "it's"])
    assert _run(engine, check) == CheckStatus.PASS  # the NULL status is not a failure
    _spoil(engine, "(13, 1, 'lost', 1, 'eu', 1)")
    result = run_check(engine, check)
    assert (result.status, result.failures, result.sample[0]["status"]) == (
        CheckStatus.FAIL,
        1,
        "lost",
    )


def test_accepted_values_on_a_number_column(engine: DuckDBEngine) -> None:
    assert _run(engine, accepted_values("Sales Orders", "Unit Price", ["1", "2"])) == "pass"
    assert _run(engine, accepted_values("Sales Orders", "Unit Price", [1])) == "fail"


def test_relationships(engine: DuckDBEngine) -> None:
    check = relationships("Sales Orders", "customer_id", "customers", "id")
    assert _run(engine, check) == CheckStatus.PASS  # the NULL customer_id is not an orphan
    _spoil(engine, "(13, 99, 'open', 1, 'eu', 1)")
    result = run_check(engine, check)
    assert (result.failures, result.sample[0]["customer_id"]) == (1, 99)
    assert len(result.sample[0]) == 6  # only the child's columns


def test_expression(engine: DuckDBEngine) -> None:
    check = expression("Sales Orders", '"Unit Price" > 0 and amount >= 0')
    assert _run(engine, check) == CheckStatus.PASS  # NULL amount: not a failure, as in dbt
    _spoil(engine, "(13, 1, 'open', -1, 'eu', 1)")
    assert run_check(engine, check).failures == 1


def test_sample_is_limited(engine: DuckDBEngine) -> None:
    result = run_check(engine, expression("Sales Orders", "id < 0"), sample_limit=2)
    assert (result.failures, len(result.sample)) == (3, 2)
    assert result.message == "3 failing row(s)"


def test_warn_severity_gives_warn(engine: DuckDBEngine) -> None:
    check = not_null("customers", "order", severity="warn")
    assert _run(engine, check) == CheckStatus.WARN


def test_broken_check_reports_error(engine: DuckDBEngine) -> None:
    result = run_check(engine, not_null("Sales Orders", "no_such_column"))
    assert result.status == CheckStatus.ERROR
    assert "no_such_column" in result.message
    assert result.failures == 0


def test_identifiers_are_quoted_in_the_dialect() -> None:
    sql = not_null("main.Sales Orders", "Unit Price", dialect="postgres").sql
    assert sql == 'SELECT * FROM "main"."Sales Orders" WHERE "Unit Price" IS NULL'


def test_identifiers_cannot_inject() -> None:
    sql = not_null("t", 'x" is null or 1=1 --').sql
    assert sql == 'SELECT * FROM "t" WHERE "x"" is null or 1=1 --" IS NULL'


# -- parse_test ------------------------------------------------------------------------------


def test_parse_not_null() -> None:
    check = parse_test("not_null", "orders", "id")
    assert (check.kind, check.column, check.severity) == ("not_null", "id", "error")
    assert check.sql == not_null("orders", "id").sql
    assert check.name == "not_null_orders_id"


def test_parse_unique_column_and_table_level() -> None:
    assert parse_test("unique", "orders", "id").sql == unique("orders", ["id"]).sql
    check = parse_test("unique(order_id, line_no)", "lines", None)
    assert check.sql == unique("lines", ["order_id", "line_no"]).sql
    assert check.column is None


def test_parse_accepted_values_mixed_forms() -> None:
    check = parse_test("accepted_values(a, b, 'c d', \"E\", 3, 'it''s')", "t", "s")
    assert check.sql == accepted_values("t", "s", ["a", "b", "c d", "E", "3", "it's"]).sql


@pytest.mark.parametrize("text", ["relationships(customers.id)", "relationships(customers, id)"])
def test_parse_relationships_both_forms(text: str) -> None:
    check = parse_test(text, "orders", "customer_id")
    assert check.sql == relationships("orders", "customer_id", "customers", "id").sql


def test_parse_relationships_to_a_qualified_table() -> None:
    check = parse_test("relationships(main.customers.id)", "orders", "customer_id")
    assert '"main"."customers"' in check.sql


def test_parse_expression_keeps_nested_parentheses() -> None:
    check = parse_test("expression(coalesce(amount, 0) >= (0))", "orders", None)
    assert check.sql == expression("orders", "coalesce(amount, 0) >= (0)").sql
    assert check.kind == "expression"


def test_parse_warn_prefix() -> None:
    check = parse_test("  WARN: accepted_values(x)", "t", "c")
    assert (check.kind, check.severity) == ("accepted_values", "warn")


@pytest.mark.parametrize("text", ["not_nul", "between(1, 5)", "unique(", ""])
def test_unknown_test_lists_the_known_ones(text: str) -> None:
    with pytest.raises(CheckSpecError) as info:
        parse_test(text, "t", "c")
    assert isinstance(info.value, ValueError)
    assert "unknown test" in info.value.message
    assert "accepted_values" in info.value.hint and "relationships" in info.value.hint


@pytest.mark.parametrize(
    ("text", "column", "needle"),
    [
        ("not_null", None, "no column"),
        ("relationships(customers)", "c", "table and a column"),
        ("accepted_values()", "c", "at least one value"),
        ("accepted_values(in progress)", "c", "cannot read the values"),
        ("expression()", None, "needs a condition"),
        ("expression(a >)", None, "not valid SQL"),
    ],
)
def test_malformed_arguments_are_explained(text: str, column: str | None, needle: str) -> None:
    with pytest.raises(CheckSpecError, match=needle):
        parse_test(text, "t", column)


def test_parsed_check_runs(engine: DuckDBEngine) -> None:
    check = parse_test("warn: relationships(customers.id)", "Sales Orders", "customer_id")
    _spoil(engine, "(13, 99, 'open', 1, 'eu', 1)")
    assert _run(engine, check) == CheckStatus.WARN


def test_key_checks_share_one_probe_unless_they_are_only_named() -> None:
    run = key_checks("t", ["a", "b"])
    named = key_checks("t", ["a", "b"], probe=False)
    assert [c.name for c in run] == ["not_null_t_a", "not_null_t_b", "unique_t_a_b"]
    assert len({c.probe for c in run}) == 1 and run[0].probe
    assert [(c.name, c.sql, c.probe) for c in named] == [(c.name, c.sql, None) for c in run]
