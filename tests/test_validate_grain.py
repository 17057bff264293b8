"""MF407: an aggregate query groups by exactly the target's key, compared by lineage."""

from __future__ import annotations

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Rule, RuleKind, Target
from mapforge.validate.findings import Finding
from mapforge.validate.static import validate_sql


def _table(name: str, *columns: str, key: tuple[str, ...] = ()) -> Table:
    return Table(
        name=name, columns=[Column(name=c, type="VARCHAR") for c in columns], primary_key=list(key)
    )


ORDERS = _table("orders", "order_id", "customer_id", "status", "amount", "region")
CUSTOMERS = ("customers", "customer_id", "name")


def _catalog(customers_key: tuple[str, ...] = ()) -> Catalog:
    return Catalog.of([ORDERS, _table(*CUSTOMERS, key=customers_key)])


def _col(
    name: str, table: str = "orders", rule: str | None = None, key: bool = False
) -> ColumnMapping:
    parsed = (
        Rule(kind=RuleKind.SQL, text=f"sql: {rule}", args=(rule,))
        if rule
        else Rule(kind=RuleKind.DIRECT)
    )
    return ColumnMapping(name=name, type="VARCHAR", source_table=table, rule=parsed, key=key)


TARGET = Target(
    name="ltv", columns=[_col("customer_id", key=True), _col("revenue", rule="sum(amount)")]
)


def found(sql: str, target: Target = TARGET, catalog: Catalog | None = None) -> list[Finding]:
    findings = validate_sql(sql, target, catalog or _catalog())
    return [f for f in findings if f.code == "MF407"]


def test_grouping_by_the_key_in_any_spelling_is_clean() -> None:
    assert (
        found("SELECT customer_id, sum(amount) AS revenue FROM orders GROUP BY customer_id") == []
    )
    assert found("SELECT customer_id, sum(amount) AS revenue FROM orders GROUP BY 1") == []
    cast = "CAST(customer_id AS INT)"
    sql = f"SELECT {cast} AS customer_id, sum(amount) AS revenue FROM orders GROUP BY {cast}"
    assert found(sql) == []


def test_an_extra_grouping_splits_the_grain() -> None:
    sql = "SELECT customer_id, sum(amount) AS revenue FROM orders GROUP BY customer_id, status"
    [finding] = found(sql)
    assert "status" in finding.message and finding.column is None


def test_a_key_that_is_not_grouped_is_missing() -> None:
    sql = (
        "SELECT max(customer_id) AS customer_id, sum(amount) AS revenue FROM orders GROUP BY region"
    )
    findings = found(sql)
    assert [f.column for f in findings] == ["customer_id", None]


def test_queries_without_aggregates_are_not_checked() -> None:
    assert found("SELECT customer_id, amount AS revenue FROM orders") == []


def test_an_aggregating_cte_is_not_the_result_grain() -> None:
    sql = (
        "WITH per AS (SELECT customer_id, status, sum(amount) AS s FROM orders GROUP BY 1, 2)"
        " SELECT customer_id, sum(s) AS revenue FROM per GROUP BY customer_id"
    )
    assert found(sql) == []


def _with_name() -> Target:
    columns = [_col("customer_id", "customers", key=True), _col("name", "customers")]
    return Target(name="ltv", columns=[*columns, _col("revenue", rule="sum(orders.amount)")])


JOINED = (
    "SELECT customers.customer_id, customers.name, sum(orders.amount) AS revenue FROM customers"
    " LEFT JOIN orders ON orders.customer_id = customers.customer_id GROUP BY {}"
)


def test_an_attribute_of_the_keyed_table_may_be_grouped() -> None:
    # the name has to be grouped for the SQL to be valid, and nothing says it varies
    assert found(JOINED.format("1, 2"), _with_name()) == []
    # with a primary key in the catalog, it is determined by the grouped key
    assert found(JOINED.format("1, 2"), _with_name(), _catalog(("customer_id",))) == []


def test_an_attribute_of_a_table_whose_key_is_not_grouped_is_extra() -> None:
    sql = (
        "SELECT customers.customer_id, orders.status AS name, sum(orders.amount) AS revenue"
        " FROM customers LEFT JOIN orders ON orders.customer_id = customers.customer_id"
        " GROUP BY 1, 2"
    )
    [finding] = found(sql, _with_name())
    assert "orders.status" in finding.message
