"""MF401-MF403: each output reads what its mapping row declares, from the declared table."""

from __future__ import annotations

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Join, JoinKind, Rule, RuleKind, Target
from mapforge.validate.findings import Finding
from mapforge.validate.static import validate_sql


def _table(name: str, *columns: str) -> Table:
    return Table(name=name, columns=[Column(name=c, type="VARCHAR") for c in columns])


CATALOG = Catalog.of(
    [
        _table(
            "customers", "customer_id", "first_name", "last_name", "email", "phone", "country_code"
        ),
        _table("orders", "order_id", "customer_id", "status", "amount"),
        _table("countries", "country_code", "country_name"),
    ]
)


def _col(
    name: str,
    table: str | None = "customers",
    source: str | None = None,
    rule: Rule | None = None,
    key: bool = False,
) -> ColumnMapping:
    return ColumnMapping(
        name=name,
        type="VARCHAR",
        source_table=table,
        source_column=source,
        rule=rule or Rule(kind=RuleKind.DIRECT),
        key=key,
    )


def _free(text: str) -> Rule:
    return Rule(kind=RuleKind.FREE_TEXT, text=text)


def _sql(expr: str) -> Rule:
    return Rule(kind=RuleKind.SQL, text=f"sql: {expr}", args=(expr,))


def _target(*columns: ColumnMapping, joins: list[Join] | None = None) -> Target:
    return Target(name="dim_customer", columns=list(columns), joins=joins or [])


def found(sql: str, target: Target, *codes: str) -> list[Finding]:
    wanted = codes or ("MF401", "MF402", "MF403")
    return [f for f in validate_sql(sql, target, CATALOG) if f.code in wanted]


ID = _col("customer_id", source="customer_id", key=True)


# -- MF401 undeclared-source-column ---------------------------------------------------------


def test_reading_an_undeclared_column_is_mf401() -> None:
    target = _target(ID, _col("email", source="email"))
    sql = "SELECT customer_id, phone AS email FROM customers"
    [finding] = found(sql, target, "MF401")
    assert finding.column == "email" and "customers.phone" in finding.message
    assert finding.hint == "build 'email' from customers.email"


def test_reading_the_declared_column_through_a_cte_is_clean() -> None:
    target = _target(ID, _col("email", source="email"))
    sql = "WITH c AS (SELECT * FROM customers) SELECT c.customer_id, lower(c.email) AS email FROM c"
    assert found(sql, target) == []


def test_join_keys_and_key_columns_may_be_read_by_any_output() -> None:
    join = Join(kind=JoinKind.LEFT, table="orders", on="orders.customer_id = customers.customer_id")
    target = _target(ID, _col("n", "orders", rule=_sql("count(orders.order_id)")), joins=[join])
    sql = (
        "SELECT customers.customer_id, count(orders.order_id) FILTER"
        " (WHERE orders.customer_id IS NOT NULL) AS n FROM customers"
        " LEFT JOIN orders ON orders.customer_id = customers.customer_id GROUP BY 1"
    )
    assert found(sql, target) == []


def test_a_constant_row_reading_a_column_is_mf401() -> None:
    rule = Rule(kind=RuleKind.DEFAULT, text="default('crm')", args=("'crm'",))
    target = _target(ID, _col("source", table=None, rule=rule))
    [finding] = found("SELECT customer_id, email AS source FROM customers", target)
    assert (finding.code, finding.column) == ("MF401", "source")
    assert found("SELECT customer_id, 'crm' AS source FROM customers", target) == []


def test_free_text_may_read_columns_its_text_names() -> None:
    rule = _free("first name, or the email address when there is no first name")
    target = _target(ID, _col("label", source="first_name", rule=rule))
    sql = "SELECT customer_id, coalesce(first_name, email) AS label FROM customers"
    assert found(sql, target) == []
    sql = "SELECT customer_id, coalesce(first_name, phone) AS label FROM customers"
    assert [f.code for f in found(sql, target)] == ["MF401"]


def test_free_text_without_source_column_may_read_its_tables_only() -> None:
    join = Join(kind=JoinKind.LEFT, table="orders", on="orders.customer_id = customers.customer_id")
    target = _target(ID, _col("label", source=None, rule=_free("a nice label")), joins=[join])
    base = "FROM customers LEFT JOIN orders ON orders.customer_id = customers.customer_id"
    assert found(f"SELECT customers.customer_id, orders.status AS label {base}", target) == []
    sql = f"SELECT customers.customer_id, (SELECT max(country_name) FROM countries) AS label {base}"
    [finding] = found(sql, target)
    assert finding.code == "MF401" and "countries.country_name" in finding.message


# -- MF402 unused-source-column -------------------------------------------------------------


def test_a_dropped_operand_is_mf402() -> None:
    rule = _free("first name, a space, last name")
    target = _target(ID, _col("full_name", source="first_name, last_name", rule=rule))
    [finding] = found("SELECT customer_id, first_name AS full_name FROM customers", target)
    assert (finding.code, finding.column) == ("MF402", "full_name")
    assert "customers.last_name" in finding.message
    sql = "SELECT customer_id, first_name || ' ' || last_name AS full_name FROM customers"
    assert found(sql, target) == []


def test_sql_rules_require_their_operands_not_the_source_cell() -> None:
    # the compiler never reads the source_column of a sql: row, so neither is it required
    target = _target(ID, _col("domain", source="phone", rule=_sql("split_part(email, '@', 2)")))
    assert (
        found("SELECT customer_id, split_part(email, '@', 2) AS domain FROM customers", target)
        == []
    )
    [finding] = found("SELECT customer_id, 'x' AS domain FROM customers", target)
    assert finding.code == "MF402" and "customers.email" in finding.message


def test_a_lookup_reads_its_key_in_the_join_not_in_the_output() -> None:
    rule = Rule(
        kind=RuleKind.LOOKUP,
        text="lookup(countries.country_name on country_code)",
        lookup_table="countries",
        lookup_column="country_name",
        lookup_on="country_code",
    )
    target = _target(ID, _col("country", source="country_code", rule=rule))
    sql = (
        "SELECT customers.customer_id, lk.country_name AS country FROM customers"
        " LEFT JOIN countries AS lk ON lk.country_code = customers.country_code"
    )
    assert found(sql, target) == []
    [finding] = found(sql.replace("lk.country_name AS", "customers.country_code AS"), target)
    assert finding.code == "MF402" and "countries.country_name" in finding.message


def test_unknowable_lineage_is_never_reported_as_unused() -> None:
    target = _target(ID, _col("email", source="email"))
    sql = "SELECT c.customer_id, x.email AS email FROM customers c, read_csv('x.csv') x"
    assert found(sql, target, "MF402") == []


# -- MF403 wrong-source-table ---------------------------------------------------------------


def _orders_with_owner(kind: JoinKind) -> Target:
    on = "customers.customer_id = orders.customer_id"
    return Target(
        name="fct_order",
        columns=[
            _col("order_id", "orders", "order_id", key=True),
            _col("owner", "customers", "customer_id"),
        ],
        joins=[Join(kind=kind, table="customers", on=on)],
    )


def test_the_right_name_from_the_wrong_table_is_mf403() -> None:
    # orders.customer_id is a join key, which any output may read; MF403 still names the
    # mix-up, because after a LEFT JOIN the two differ on orders without a customer
    target = _orders_with_owner(JoinKind.LEFT)
    base = "FROM orders LEFT JOIN customers ON customers.customer_id = orders.customer_id"
    [finding] = found(f"SELECT orders.order_id, orders.customer_id AS owner {base}", target)
    assert (finding.code, finding.column) == ("MF403", "owner")
    assert "orders.customer_id" in finding.message and "customers.customer_id" in finding.message
    assert found(f"SELECT orders.order_id, customers.customer_id AS owner {base}", target) == []


def test_an_inner_join_key_equals_its_partner_so_either_side_is_fine() -> None:
    target = _orders_with_owner(JoinKind.INNER)
    base = "FROM orders JOIN customers ON customers.customer_id = orders.customer_id"
    assert found(f"SELECT orders.order_id, orders.customer_id AS owner {base}", target) == []


def test_a_target_declaring_no_tables_is_not_checked() -> None:
    target = Target(name="t", columns=[ColumnMapping(name="email", type="VARCHAR")])
    assert found("SELECT phone AS email FROM customers", target) == []
