"""MF404-MF406: joins use the mapping's tables, keys and join types."""

from __future__ import annotations

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Join, JoinKind, Rule, RuleKind, Target
from mapforge.validate.findings import Finding
from mapforge.validate.static import validate_sql


def _table(name: str, *columns: str) -> Table:
    return Table(name=name, columns=[Column(name=c, type="VARCHAR") for c in columns])


CATALOG = Catalog.of(
    [
        _table("customers", "customer_id", "name", "country_code"),
        _table("orders", "order_id", "customer_id", "status"),
        _table("countries", "country_code", "country_name"),
        _table("payments", "payment_id", "order_id"),
        _table("calendar", "day"),
    ]
)
LOOKUP = Rule(
    kind=RuleKind.LOOKUP,
    text="lookup(countries.country_name on country_code)",
    lookup_table="countries",
    lookup_column="country_name",
    lookup_on="country_code",
)


def _target(kind: JoinKind = JoinKind.LEFT, on: str | None = None) -> Target:
    on = on if on is not None else "orders.customer_id = customers.customer_id"
    return Target(
        name="fct",
        columns=[
            ColumnMapping(name="customer_id", type="INT", source_table="customers", key=True),
            ColumnMapping(name="status", type="VARCHAR", source_table="orders"),
            ColumnMapping(name="country", type="VARCHAR", source_table="customers", rule=LOOKUP),
        ],
        joins=[Join(kind=kind, table="orders", on=on if kind is not JoinKind.CROSS else None)],
    )


SELECT = "SELECT customers.customer_id, orders.status, countries.country_name AS country"
LOOKUP_JOIN = "LEFT JOIN countries ON countries.country_code = customers.country_code"


def found(sql: str, target: Target) -> list[Finding]:
    return [f for f in validate_sql(sql, target, CATALOG) if f.code in ("MF404", "MF405", "MF406")]


def _sql(orders_join: str, lookup_join: str = LOOKUP_JOIN) -> str:
    return f"{SELECT} FROM customers {orders_join} {lookup_join}"


GOOD_JOIN = "LEFT JOIN orders ON orders.customer_id = customers.customer_id"


def test_the_declared_joins_are_clean_in_either_key_order_and_through_aliases() -> None:
    assert found(_sql(GOOD_JOIN), _target()) == []
    swapped = "LEFT JOIN orders AS o ON customers.customer_id = o.customer_id"
    assert found(_sql(swapped).replace("orders.status", "o.status"), _target()) == []


# -- MF404 join-mismatch --------------------------------------------------------------------


def test_an_inner_join_where_the_mapping_says_left_is_mf404() -> None:
    [finding] = found(_sql(GOOD_JOIN.replace("LEFT JOIN", "JOIN")), _target())
    assert finding.code == "MF404" and finding.message.startswith("INNER JOIN orders")
    assert "LEFT" in (finding.hint or "").upper()


def test_a_join_on_other_keys_is_mf404() -> None:
    wrong = "LEFT JOIN orders ON orders.order_id = customers.customer_id"
    [finding] = found(_sql(wrong), _target())
    assert finding.code == "MF404" and "orders.order_id" in finding.message


def test_an_extra_key_pair_is_mf404() -> None:
    extra = GOOD_JOIN + " AND orders.status = customers.name"
    assert [f.code for f in found(_sql(extra), _target())] == ["MF404"]


def test_a_lookup_must_be_a_left_join_on_its_key() -> None:
    inner = LOOKUP_JOIN.replace("LEFT JOIN", "JOIN")
    [finding] = found(_sql(GOOD_JOIN, inner), _target())
    assert finding.code == "MF404" and "lookup" in (finding.hint or "")
    # the compiler's alias for a second lookup of the same table is just an alias
    aliased = "LEFT JOIN countries AS lk_2 ON customers.country_code = lk_2.country_code"
    assert (
        found(
            _sql(GOOD_JOIN, aliased).replace("countries.country_name", "lk_2.country_name"),
            _target(),
        )
        == []
    )


# -- MF405 join-without-condition -----------------------------------------------------------


def test_an_undeclared_cross_join_is_mf405() -> None:
    [finding] = found(_sql("CROSS JOIN orders"), _target())
    assert finding.code == "MF405" and "orders" in finding.message
    assert found(_sql("CROSS JOIN orders"), _target(JoinKind.CROSS)) == []


def test_a_comma_join_without_a_linking_predicate_is_mf405() -> None:
    target = _target(JoinKind.INNER)
    sql = f"{SELECT} FROM customers, orders {LOOKUP_JOIN}"
    [finding] = found(sql, target)
    assert finding.code == "MF405" and "comma join" in finding.message
    linked = sql + " WHERE orders.customer_id = customers.customer_id"
    assert found(linked, target) == []


def test_a_constant_condition_is_no_condition() -> None:
    [finding] = found(_sql("LEFT JOIN orders ON TRUE"), _target())
    assert finding.code == "MF405"


def test_crossing_a_one_row_aggregate_is_deliberate() -> None:
    totals = "CROSS JOIN (SELECT count(*) AS n FROM orders) AS totals"
    assert found(_sql(GOOD_JOIN + " " + totals), _target()) == []


# -- MF406 undeclared-join ------------------------------------------------------------------


def test_joining_a_table_the_mapping_does_not_name_is_mf406() -> None:
    extra = GOOD_JOIN + " LEFT JOIN payments ON payments.order_id = orders.order_id"
    [finding] = found(_sql(extra), _target())
    assert finding.code == "MF406" and "payments" in finding.message
    assert "customers" in (finding.hint or "")


def test_joining_a_declared_source_table_without_a_declared_join_is_accepted() -> None:
    # the mapping names orders as a row's table but not how to join it: any key will do
    target = _target()
    target.joins.clear()
    other = "JOIN orders ON orders.customer_id = customers.customer_id"
    assert found(_sql(other), target) == []
