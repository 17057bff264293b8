"""MF101-MF103: every table and column the SQL names exists, and no bare name is ambiguous."""

from __future__ import annotations

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Target
from mapforge.validate.findings import Finding
from mapforge.validate.static import validate_sql


def table(table_name: str, /, **columns: str) -> Table:
    return Table(name=table_name, columns=[Column(name=c, type=t) for c, t in columns.items()])


CATALOG = Catalog.of(
    [
        table(
            "customers",
            id="INTEGER",
            first_name="VARCHAR",
            last_name="VARCHAR",
            region="VARCHAR",
            signup_date="DATE",
            tags="VARCHAR[]",
        ),
        table(
            "orders",
            id="INTEGER",
            customer_id="INTEGER",
            amount="DECIMAL(10,2)",
            status="VARCHAR",
            ordered_at="TIMESTAMP",
        ),
        table("regions", code="VARCHAR", name="VARCHAR"),
    ]
)
ONE = Target(name="one", columns=[ColumnMapping(name="x", type="VARCHAR")])


def found(sql: str, code: str, target: Target = ONE) -> list[Finding]:
    return [f for f in validate_sql(sql, target, CATALOG) if f.code == code]


# -- a realistic clean query ----------------------------------------------------------

SUMMARY = Target(
    name="customer_summary",
    columns=[
        ColumnMapping(name=n, type=t)
        for n, t in [
            ("customer_id", "BIGINT"),
            ("full_name", "VARCHAR"),
            ("region_name", "VARCHAR"),
            ("order_count", "BIGINT"),
            ("total_amount", "DECIMAL(12,2)"),
            ("tier", "VARCHAR"),
            ("first_order", "DATE"),
            ("rank_in_region", "INTEGER"),
        ]
    ],
)

CLEAN = """
WITH paid AS (
    SELECT o.customer_id, COUNT(*) AS order_count, SUM(o.amount) AS total,
           MIN(o.ordered_at) AS first_at
    FROM orders AS o
    WHERE o.status = 'paid'
    GROUP BY o.customer_id
)
SELECT
    CAST(c.id AS BIGINT) AS customer_id,
    c.first_name || ' ' || c.last_name AS full_name,
    COALESCE(r.name, 'unknown') AS region_name,
    COALESCE(p.order_count, 0) AS order_count,
    CAST(COALESCE(p.total, 0) AS DECIMAL(12, 2)) AS total_amount,
    CASE WHEN p.total >= 1000 THEN 'gold' WHEN p.total >= 100 THEN 'silver' ELSE 'bronze' END
        AS tier,
    CAST(p.first_at AS DATE) AS first_order,
    RANK() OVER (PARTITION BY c.region ORDER BY p.total DESC NULLS LAST) AS rank_in_region
FROM customers AS c
LEFT JOIN paid AS p ON p.customer_id = c.id
LEFT JOIN regions r ON r.code = c.region
WHERE c.signup_date >= DATE '2020-01-01' AND concat(first_name, last_name) <> ''
  AND EXISTS (SELECT 1 FROM orders o2 WHERE o2.customer_id = c.id)
ORDER BY rank_in_region
"""


def test_realistic_clean_query_has_no_findings() -> None:
    assert validate_sql(CLEAN, SUMMARY, CATALOG) == []


def test_a_typo_in_the_clean_query_is_caught() -> None:
    sql = CLEAN.replace("r.name", "r.nam")
    [finding] = validate_sql(sql, SUMMARY, CATALOG)
    assert (finding.code, finding.column) == ("MF101", "region_name")


# -- MF102 unknown-table --------------------------------------------------------------


def test_unknown_table_with_did_you_mean() -> None:
    [finding] = found("SELECT x FROM custmers", "MF102")
    assert "custmers" in finding.message and finding.hint == "did you mean 'customers'?"


def test_unknown_table_in_a_join_and_a_subquery() -> None:
    sql = (
        "SELECT c.id AS x FROM customers c JOIN ordrs o ON o.id = c.id "
        "WHERE c.id IN (SELECT id FROM refunds)"
    )
    assert sorted(f.message.split("'")[1] for f in found(sql, "MF102")) == ["ordrs", "refunds"]


def test_cte_names_and_derived_aliases_are_not_tables() -> None:
    sql = (
        "WITH recent AS (SELECT id FROM orders) "
        "SELECT d.id AS x FROM recent JOIN (SELECT id FROM customers) AS d ON d.id = recent.id"
    )
    assert found(sql, "MF102") == []


def test_schema_qualified_and_table_function_sources_are_known() -> None:
    assert found("SELECT o.id AS x FROM main.orders o, range(3) t(n)", "MF102") == []


def test_unknown_qualifier_is_an_unknown_table() -> None:
    [finding] = found("SELECT c.id AS x FROM customers AS cu", "MF102")
    assert "no table or alias 'c'" in finding.message and finding.hint == "did you mean 'cu'?"


# -- MF101 unknown-column -------------------------------------------------------------


def test_unknown_qualified_column_with_did_you_mean() -> None:
    [finding] = found("SELECT c.frist_name AS x FROM customers c", "MF101")
    assert finding.column == "x" and finding.hint == "did you mean 'first_name'?"


def test_unknown_bare_column() -> None:
    [finding] = found("SELECT region AS x FROM orders", "MF101")
    assert "region" in finding.message


def test_unknown_column_inside_a_cte_and_a_correlated_subquery() -> None:
    sql = (
        "WITH t AS (SELECT amount_usd FROM orders) "
        "SELECT (SELECT MAX(amount) FROM orders o WHERE o.customer_idd = c.id) AS x "
        "FROM customers c"
    )
    assert {f.message.split("'")[1] for f in found(sql, "MF101")} == {
        "amount_usd",
        "o.customer_idd",
    }


def test_column_not_exposed_by_a_cte_is_unknown() -> None:
    sql = "WITH t AS (SELECT id FROM orders) SELECT t.amount AS x FROM t"
    assert len(found(sql, "MF101")) == 1


def test_names_that_resolve_are_not_unknown() -> None:
    sql = (
        "WITH t(a, b) AS (SELECT id, status FROM orders), s AS (SELECT * FROM customers) "
        "SELECT t.a || s.first_name || region AS x, list_transform(s.tags, z -> z || b) AS y, "
        "x || 'z' AS z "
        "FROM t JOIN s ON s.id = t.a "
        "WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = s.id AND a > 0) "
        "ORDER BY z"
    )
    assert found(sql, "MF101") == []


def test_union_order_by_and_recursive_cte_resolve() -> None:
    union = "SELECT id AS x FROM orders UNION ALL SELECT id FROM customers ORDER BY x"
    recursive = (
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT n AS x FROM r"
    )
    assert found(union, "MF101") == [] and found(recursive, "MF101") == []


def test_columns_of_an_unknown_table_are_not_guessed_at() -> None:
    assert found("SELECT anything AS x FROM nowhere", "MF101") == []


# -- MF103 ambiguous-column -----------------------------------------------------------


def test_bare_column_in_two_joined_tables_is_ambiguous() -> None:
    [finding] = found(
        "SELECT id AS x FROM customers c JOIN orders o ON o.customer_id = c.id", "MF103"
    )
    assert "c, o" in finding.message and finding.hint == "qualify it, e.g. c.id"


def test_qualified_or_using_merged_column_is_not_ambiguous() -> None:
    qualified = "SELECT c.id AS x FROM customers c JOIN orders o ON o.customer_id = c.id"
    using = "SELECT id AS x FROM customers JOIN orders USING (id)"
    assert found(qualified, "MF103") == [] and found(using, "MF103") == []
