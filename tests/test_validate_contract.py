"""MF201-MF206: the query returns exactly the target's columns, named, in order, castable."""

from __future__ import annotations

import pytest

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Target
from mapforge.validate.findings import Finding
from mapforge.validate.static import validate_sql

CATALOG = Catalog.of(
    [
        Table(
            name="orders",
            columns=[
                Column(name="id", type="INTEGER"),
                Column(name="status", type="VARCHAR"),
                Column(name="amount", type="DECIMAL(10,2)"),
                Column(name="ordered_at", type="TIMESTAMP"),
                Column(name="paid", type="BOOLEAN"),
            ],
        )
    ]
)
TARGET = Target(
    name="fact_orders",
    columns=[
        ColumnMapping(name="order_id", type="BIGINT"),
        ColumnMapping(name="status", type="VARCHAR"),
        ColumnMapping(name="order_date", type="DATE"),
    ],
)


def found(sql: str, code: str, dialect: str = "duckdb") -> list[Finding]:
    return [f for f in validate_sql(sql, TARGET, CATALOG, dialect) if f.code == code]


GOOD = "SELECT id AS order_id, status, CAST(ordered_at AS DATE) AS order_date FROM orders"


def test_exact_contract_has_no_findings() -> None:
    assert validate_sql(GOOD, TARGET, CATALOG) == []


def test_names_compare_case_insensitively() -> None:
    sql = 'SELECT id AS ORDER_ID, STATUS, CAST(ordered_at AS DATE) AS "Order_Date" FROM orders'
    assert validate_sql(sql, TARGET, CATALOG) == []


# -- MF201 / MF202 / MF203 ------------------------------------------------------------


def test_missing_output_column() -> None:
    [finding] = found("SELECT id AS order_id, status FROM orders", "MF201")
    assert finding.column == "order_date" and "AS order_date" in (finding.hint or "")


def test_extra_output_column_with_did_you_mean() -> None:
    sql = GOOD.replace(" FROM", ", amount AS amountt FROM")
    [finding] = found(sql, "MF202")
    assert finding.column == "amountt"
    sql = "SELECT id AS order_id, status, ordered_at::DATE AS order_dat FROM orders"
    [finding] = found(sql, "MF202")
    assert finding.hint == "rename it: did you mean 'order_date'?"


def test_repeated_output_column_is_extra() -> None:
    sql = GOOD.replace(" FROM", ", status FROM")
    [finding] = found(sql, "MF202")
    assert "2 times" in finding.message


def test_wrong_order() -> None:
    sql = "SELECT status, id AS order_id, CAST(ordered_at AS DATE) AS order_date FROM orders"
    [finding] = validate_sql(sql, TARGET, CATALOG)
    assert (finding.code, finding.column) == ("MF203", "order_id")


def test_no_order_finding_when_names_are_missing() -> None:
    assert found("SELECT status, id AS order_id FROM orders", "MF203") == []


def test_union_is_named_by_its_first_branch() -> None:
    sql = f"{GOOD} UNION ALL SELECT 0, 'none', DATE '2020-01-01' FROM orders"
    assert validate_sql(sql, TARGET, CATALOG) == []


# -- MF205 unnamed-output-column ------------------------------------------------------


def test_expression_without_alias_is_unnamed() -> None:
    sql = "SELECT id AS order_id, upper(status), CAST(ordered_at AS DATE) AS order_date FROM orders"
    [finding] = found(sql, "MF205")
    assert finding.column == "status" and finding.hint == "add an alias, e.g. AS status"


def test_duckdb_names_a_bare_cast_after_its_text_postgres_after_its_column() -> None:
    sql = (
        "SELECT id AS order_id, status::VARCHAR, CAST(ordered_at AS DATE) AS order_date FROM orders"
    )
    assert len(found(sql, "MF205")) == 1
    assert found(sql, "MF205", dialect="postgres") == []


# -- MF206 select-star ----------------------------------------------------------------


@pytest.mark.parametrize("sql", ["SELECT * FROM orders", "SELECT o.* FROM orders o"])
def test_top_level_star(sql: str) -> None:
    [finding] = validate_sql(sql, TARGET, CATALOG)
    assert finding.code == "MF206" and "order_id, status, order_date" in (finding.hint or "")


def test_star_inside_a_cte_is_fine() -> None:
    sql = f"WITH o AS (SELECT * FROM orders) {GOOD.replace('FROM orders', 'FROM o')}"
    assert validate_sql(sql, TARGET, CATALOG) == []


def test_count_star_is_not_select_star() -> None:
    sql = (
        "SELECT COUNT(*) AS order_id, status, MAX(ordered_at)::DATE AS order_date "
        "FROM orders GROUP BY status"
    )
    assert found(sql, "MF206") == []


# -- MF204 uncastable-output-type -----------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "got"),
    [
        ("ordered_at", "TIMESTAMP"),
        ("INTERVAL 1 DAY", "INTERVAL"),
        ("CAST(ordered_at AS DATE)", "DATE"),
    ],
)
def test_uncastable_output_type(expression: str, got: str) -> None:
    sql = f"SELECT {expression} AS order_id, status, ordered_at::DATE AS order_date FROM orders"
    [finding] = found(sql, "MF204")
    assert finding.column == "order_id" and got in finding.message


def test_uncastable_type_in_a_later_union_branch() -> None:
    sql = f"{GOOD} UNION ALL SELECT id, status, amount FROM orders"
    [finding] = found(sql, "MF204")
    assert finding.column == "order_date"


@pytest.mark.parametrize(
    "expression",
    ["status", "amount", "paid", "NULL", "id + 1", "try_cast(status AS BIGINT)", "unknown_fn(id)"],
)
def test_castable_or_unknown_types_pass(expression: str) -> None:
    # VARCHAR -> BIGINT may fail on some values at run time: that is the dynamic check's job
    sql = f"SELECT {expression} AS order_id, status, ordered_at AS order_date FROM orders"
    assert found(sql, "MF204") == []


def test_boolean_output_into_a_date_column() -> None:
    sql = "SELECT id AS order_id, status, paid AS order_date FROM orders"
    [finding] = found(sql, "MF204")
    assert finding.column == "order_date" and "BOOLEAN" in finding.message
