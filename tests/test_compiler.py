"""The deterministic compiler: golden SQL per case and dialect, plus the edges around it."""

from __future__ import annotations

import pytest
import sqlglot
from golden import Case, cases
from sqlglot import exp

from mapforge.errors import GenerationError
from mapforge.generate.compiler import compile_target
from mapforge.mapping.spec import ColumnMapping, Join, JoinKind, Rule, RuleKind, Target

CASES = cases("compiler")
RUNS = [(case, dialect) for case in CASES for dialect in case.data.get("dialects", ["duckdb"])]


def _suffix(dialect: str) -> str:
    return ".sql" if dialect == "duckdb" else f".{dialect}.sql"


def _golden_target(case: Case) -> Target:
    return Target.model_validate(case.data["target"])


@pytest.mark.parametrize(("case", "dialect"), RUNS, ids=[f"{c.name}-{d}" for c, d in RUNS])
def test_compiles_to_golden_sql(case: Case, dialect: str) -> None:
    case.check(compile_target(_golden_target(case), dialect), _suffix(dialect))


@pytest.mark.parametrize(("case", "dialect"), RUNS, ids=[f"{c.name}-{d}" for c, d in RUNS])
def test_output_is_one_select_with_the_target_columns_in_order(case: Case, dialect: str) -> None:
    target = _golden_target(case)
    tree = sqlglot.parse_one(compile_target(target, dialect), read=dialect)
    assert isinstance(tree, exp.Select)
    assert tree.named_selects == [c.name for c in target.columns]


def test_the_golden_cases_cover_every_structured_rule_kind() -> None:
    kinds = {
        Rule.model_validate(col.get("rule", {"kind": "direct"})).kind
        for case in CASES
        for col in case.data["target"]["columns"]
    }
    assert kinds == {k for k in RuleKind if k is not RuleKind.FREE_TEXT}


def _col(
    name: str,
    rule: Rule | None = None,
    *,
    type: str = "INTEGER",
    source_table: str | None = "s",
    source_column: str | None = None,
) -> ColumnMapping:
    rule = rule or Rule(kind=RuleKind.DIRECT)
    return ColumnMapping(
        name=name, type=type, rule=rule, source_table=source_table, source_column=source_column
    )


def _target(*columns: ColumnMapping, joins: list[Join] | None = None) -> Target:
    return Target(name="t", columns=list(columns), joins=joins or [])


def _sql(expression: str) -> Rule:
    return Rule(kind=RuleKind.SQL, text=f"sql: {expression}", args=(expression,))


def test_a_free_text_rule_is_refused_naming_the_column() -> None:
    target = _target(_col("id"), _col("tier", Rule(kind=RuleKind.FREE_TEXT, text="gold if big")))
    with pytest.raises(GenerationError, match=r"t\.tier"):
        compile_target(target)


def test_a_join_without_on_is_refused() -> None:
    target = _target(_col("id"), joins=[Join(kind=JoinKind.LEFT, table="u")])
    with pytest.raises(GenerationError, match="join to u has no ON"):
        compile_target(target)


@pytest.mark.parametrize("operand", ["amount +", "1; DROP TABLE s", "DROP TABLE s", "a b"])
def test_a_bad_sql_operand_is_refused_naming_the_column(operand: str) -> None:
    target = _target(_col("x", _sql(operand)))
    with pytest.raises(GenerationError, match=r"t\.x"):
        compile_target(target)


def test_a_lookup_without_a_key_is_refused() -> None:
    rule = Rule(kind=RuleKind.LOOKUP, lookup_table="countries", lookup_column="name")
    target = _target(_col("country", rule))
    with pytest.raises(GenerationError, match="lookup needs"):
        compile_target(target)


def test_a_cast_to_another_precision_is_not_swallowed() -> None:
    # sqlglot's exp.cast() would consider DECIMAL(5, 0) already DECIMAL(12, 2) and skip it
    rule = _sql("CAST(amount AS DECIMAL(5, 0))")
    target = _target(_col("x", rule, type="DECIMAL(12, 2)"))
    assert "CAST(CAST(s.amount AS DECIMAL(5, 0)) AS DECIMAL(12, 2)) AS x" in compile_target(target)


def test_a_window_function_is_not_an_aggregate() -> None:
    rule = _sql("sum(amount) OVER (PARTITION BY customer_id)")
    target = _target(_col("id"), _col("running", rule))
    assert "GROUP BY" not in compile_target(target)


def test_an_aggregate_in_a_scalar_subquery_does_not_group_the_outer_query() -> None:
    rule = _sql("(SELECT max(amount) FROM s)")
    target = _target(_col("id"), _col("top", rule))
    assert "GROUP BY" not in compile_target(target)


def test_a_self_lookup_is_aliased() -> None:
    rule = Rule(
        kind=RuleKind.LOOKUP, lookup_table="employees", lookup_column="name", lookup_on="manager_id"
    )
    manager = _col("manager", rule, type="TEXT", source_table="employees")
    target = _target(_col("id", source_table="employees"), manager)
    sql = compile_target(target)
    assert "LEFT JOIN employees AS lk_1" in sql
    assert "CAST(lk_1.name AS TEXT) AS manager" in sql


def test_unsafe_names_are_quoted_not_pasted() -> None:
    odd = _col("Full Name", type="TEXT", source_table="people", source_column="name; --")
    target = _target(odd)
    sql = compile_target(target)
    assert 'CAST(people."name; --" AS TEXT) AS "Full Name"' in sql


def test_concat_keeps_null_skipping_semantics_in_a_dialect_whose_concat_propagates_null() -> None:
    rule = Rule(kind=RuleKind.CONCAT, args=("a", "b"))
    target = _target(_col("ab", rule, type="STRING"))
    assert "CONCAT(COALESCE(s.a, ''), COALESCE(s.b, ''))" in compile_target(target, "spark")


def test_a_type_sqlglot_does_not_know_is_passed_through() -> None:
    target = _target(_col("tag", type="my_domain"))
    assert "CAST(s.tag AS my_domain) AS tag" in compile_target(target)
