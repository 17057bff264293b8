"""MF301-MF305: the mapping document against the catalog, before any model is called."""

from __future__ import annotations

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Join, Origin, Rule, RuleKind, Spec, Target
from mapforge.validate.findings import Finding
from mapforge.validate.mapping_check import check_mapping


def table(table_name: str, /, **columns: str) -> Table:
    return Table(name=table_name, columns=[Column(name=c, type=t) for c, t in columns.items()])


CATALOG = Catalog.of(
    [
        table(
            "customers",
            id="INTEGER",
            name="VARCHAR",
            country_code="VARCHAR",
            signup_date="DATE",
            active="BOOLEAN",
        ),
        table("countries", code="VARCHAR", country_name="VARCHAR"),
        table("orders", id="INTEGER", customer_id="INTEGER", amount="DECIMAL(10,2)"),
    ]
)


def row(
    name: str,
    type_: str = "VARCHAR",
    table_: str | None = "customers",
    column: str | None = None,
    rule: Rule | None = None,
    n: int = 2,
) -> ColumnMapping:
    return ColumnMapping(
        name=name,
        type=type_,
        source_table=table_,
        source_column=column,
        rule=rule or Rule(kind=RuleKind.DIRECT),
        origin=Origin(file="mappings/crm.xlsx", sheet="Mapping", row=n),
    )


def lookup(column: str, on: str, table_: str = "countries") -> Rule:
    return Rule(kind=RuleKind.LOOKUP, lookup_table=table_, lookup_column=column, lookup_on=on)


def check(*columns: ColumnMapping, **target: object) -> list[Finding]:
    spec = Spec(targets=[Target(name="dim_customer", columns=list(columns), **target)])
    return check_mapping(spec, CATALOG)


def codes(*columns: ColumnMapping, **target: object) -> list[str]:
    return [f.code for f in check(*columns, **target)]


def test_a_correct_mapping_has_no_findings() -> None:
    assert (
        check(
            row("customer_id", "BIGINT", column="id"),
            row("customer_name", column="name"),
            row(
                "signup",
                "TIMESTAMP",
                column="signup_date",
                rule=Rule(kind=RuleKind.CAST, args=("TIMESTAMP",)),
            ),
            row(
                "country",
                column="country_code",
                rule=lookup("country_name", "countries.code = customers.country_code"),
            ),
            row(
                "full",
                rule=Rule(kind=RuleKind.CONCAT, args=("name", "country_code")),
                column="name, country_code",
            ),
            row("spend", "DECIMAL(12,2)", table_="orders", column="amount"),
            joins=[Join(table="orders", on="orders.customer_id = customers.id")],
        )
        == []
    )


# -- MF301 ----------------------------------------------------------------------------


def test_unknown_source_table_names_the_cell_and_suggests() -> None:
    [finding] = check(row("customer_id", table_="customer", column="id", n=7))
    assert finding.code == "MF301" and finding.column == "customer_id"
    assert finding.message.startswith("mappings/crm.xlsx, sheet Mapping, row 7: ")
    assert finding.hint == "did you mean 'customers'?"


def test_unknown_join_and_lookup_tables() -> None:
    found = check(
        row("country", column="country_code", rule=lookup("country_name", "code", "country")),
        joins=[Join(table="ordrs")],
    )
    assert sorted(f.message.split("'")[1] for f in found if f.code == "MF301") == [
        "country",
        "ordrs",
    ]


def test_a_target_is_a_known_source_table() -> None:
    staging = Target(name="stg_customers", columns=[ColumnMapping(name="cid", type="INTEGER")])
    reader = Target(name="dim", columns=[row("id", "BIGINT", table_="stg_customers", column="cid")])
    assert check_mapping(Spec(targets=[staging, reader]), CATALOG) == []
    wrong = Target(name="dim", columns=[row("id", "BIGINT", table_="stg_customers", column="id")])
    [finding] = check_mapping(Spec(targets=[staging, wrong]), CATALOG)
    assert finding.code == "MF302" and finding.hint == "did you mean 'cid'?"


# -- MF302 ----------------------------------------------------------------------------


def test_unknown_source_column_suggests() -> None:
    [finding] = check(row("customer_name", column="nmae"))
    assert finding.code == "MF302" and finding.hint == "did you mean 'name'?"


def test_blank_source_column_or_blank_table_using_the_driving_table() -> None:
    assert codes(row("id", "BIGINT", column="id"), row("note", table_=None, column=None)) == []
    assert codes(row("id", "BIGINT", column="id"), row("x", table_=None, column="nope")) == [
        "MF302"
    ]


def test_free_text_cells_only_check_plain_names() -> None:
    free = Rule(kind=RuleKind.FREE_TEXT, text="first name plus last")
    assert codes(row("full", rule=free, column="name, country_code")) == []
    assert codes(row("full", rule=free, column="name, countrycode")) == ["MF302"]
    assert codes(row("full", rule=free, column="upper(name)")) == []


# -- MF303 ----------------------------------------------------------------------------


def test_uncastable_direct_and_cast_rows() -> None:
    assert codes(row("signup", "INTEGER", column="signup_date")) == ["MF303"]
    cast = Rule(kind=RuleKind.CAST, args=("DATE",))
    assert codes(row("flag", "DATE", column="active", rule=cast)) == ["MF303"]


def test_castable_rows_and_other_rules_are_not_type_checked() -> None:
    assert codes(row("code_as_int", "INTEGER", column="country_code")) == []  # run-time castable
    sql = Rule(kind=RuleKind.SQL, args=("year(signup_date)",))
    assert codes(row("signup_year", "INTEGER", column="signup_date", rule=sql)) == []


# -- MF304 ----------------------------------------------------------------------------


def test_lookup_column_missing() -> None:
    [finding] = check(
        row(
            "country",
            column="country_code",
            rule=lookup("countryname", "countries.code = customers.country_code"),
        )
    )
    assert finding.code == "MF304" and finding.hint == "did you mean 'country_name'?"


def test_shared_lookup_key_must_be_in_both_tables() -> None:
    # `code` is in countries but not in customers, the driving table
    [finding] = check(row("country", column="country_code", rule=lookup("country_name", "code")))
    assert finding.code == "MF304" and "customers" in finding.message


def test_lookup_condition_columns_are_checked_per_table() -> None:
    bad = lookup("country_name", "countries.code = customers.country")
    good = lookup("country_name", "countries.code = customers.country_code")
    assert codes(row("country", column="country_code", rule=bad)) == ["MF304"]
    assert codes(row("country", column="country_code", rule=good)) == []


# -- MF305 ----------------------------------------------------------------------------


def test_unknown_dependency() -> None:
    found = check(row("id", "BIGINT", column="id"), depends_on=["stg_custmers", "orders"])
    assert [f.code for f in found] == ["MF305"] and "stg_custmers" in found[0].message


def test_dependency_on_another_target_is_known() -> None:
    staging = Target(name="stg_x", columns=[ColumnMapping(name="a", type="INTEGER")])
    reader = Target(name="dim", columns=[row("id", "BIGINT", column="id")], depends_on=["STG_X"])
    assert check_mapping(Spec(targets=[staging, reader]), CATALOG) == []
