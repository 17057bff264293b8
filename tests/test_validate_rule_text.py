"""MF410-MF414: a free-text column's SQL honours the literals, numbers, aggregates,
comparisons, negations and precision its rule text states; and stays silent when it does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mapforge.catalog.compose import planning_catalog
from mapforge.catalog.model import Catalog, Column, Table
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.mapping.load import load_spec
from mapforge.mapping.spec import ColumnMapping, Rule, RuleKind, Spec, Target
from mapforge.validate.rule_terms import read_terms
from mapforge.validate.static import validate_sql

RULE_CODES = ("MF410", "MF411", "MF412", "MF413", "MF414")


def _table(name: str, comment: str | None = None, **columns: str) -> Table:
    return Table(
        name=name, comment=comment, columns=[Column(name=n, type=t) for n, t in columns.items()]
    )


CATALOG = Catalog.of(
    [
        _table(
            "lines",
            customer_id="INTEGER",
            net_amount="DECIMAL(12, 2)",
            status="VARCHAR",
            price="DECIMAL(12, 2)",
            tax="DECIMAL(12, 2)",
        ),
        _table(
            "kept_lines",
            "order lines; returned lines are left out",
            customer_id="INTEGER",
            net_amount="DECIMAL(12, 2)",
        ),
        _table(
            "stops",
            shipment_id="INTEGER",
            arrived_at="TIMESTAMP",
            delivered="BOOLEAN",
            distance_km="DECIMAL(8, 1)",
        ),
    ]
)


def _free(
    name: str, text: str, table: str, source: str, type_: str = "DECIMAL(14, 2)"
) -> ColumnMapping:
    rule = Rule(kind=RuleKind.FREE_TEXT, text=text)
    return ColumnMapping(name=name, type=type_, source_table=table, source_column=source, rule=rule)


def _key(table: str, name: str) -> ColumnMapping:
    return ColumnMapping(
        name=name, type="INTEGER", source_table=table, source_column=name, key=True
    )


LTV = _free(
    "lifetime_value",
    "sum of net amount over all non-returned order lines",
    "lines",
    "net_amount, status",
)
SEGMENT = _free(
    "segment",
    "'high' when lifetime value is at least 1000, 'medium' from 250, else 'low'",
    "lines",
    "net_amount, status",
    "VARCHAR",
)
CUSTOMERS = Target(name="ltv", columns=[_key("lines", "customer_id"), LTV, SEGMENT])
KEPT = "sum(net_amount) FILTER (WHERE status <> 'returned')"
GOOD_LTV = f"""
SELECT customer_id, coalesce({KEPT}, 0) AS lifetime_value,
  CASE WHEN coalesce({KEPT}, 0) >= 1000 THEN 'high'
       WHEN coalesce({KEPT}, 0) >= 250 THEN 'medium' ELSE 'low' END AS segment
FROM lines GROUP BY customer_id
"""


def _codes(sql: str, target: Target, catalog: Catalog = CATALOG) -> list[str]:
    return sorted(f.code for f in validate_sql(sql, target, catalog) if f.code in RULE_CODES)


def test_sql_that_honours_its_rules_has_no_findings() -> None:
    assert _codes(GOOD_LTV, CUSTOMERS) == []


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        (">= 1000", ">= 1001", "MF410"),  # off by one
        ("'medium'", "'mid'", "MF410"),  # a literal of the rule is missing
        ("coalesce(sum", "coalesce(avg", "MF411"),  # the first SUM (lifetime_value) as AVG
        ("status <> 'returned'", "status = 'returned'", "MF413"),  # the negation inverted
        (" FILTER (WHERE status <> 'returned')", "", "MF413"),  # the negation dropped
    ],
)
def test_sql_against_its_rule_text_is_caught(old: str, new: str, code: str) -> None:
    assert old in GOOD_LTV
    assert code in _codes(GOOD_LTV.replace(old, new, 1), CUSTOMERS)


def test_a_column_named_in_the_rule_lends_its_aggregate_and_negation() -> None:
    # segment's rule says nothing of sums, but it names lifetime value: one of its three
    # sums turned into an average, or losing its filter, is caught
    last = GOOD_LTV.rindex(KEPT)
    averaged = GOOD_LTV[:last] + KEPT.replace("sum", "avg") + GOOD_LTV[last + len(KEPT) :]
    unfiltered = GOOD_LTV[:last] + "sum(net_amount)" + GOOD_LTV[last + len(KEPT) :]
    assert _codes(averaged, CUSTOMERS) == ["MF411"]
    assert _codes(unfiltered, CUSTOMERS) == ["MF413"]


def test_a_case_written_the_other_way_round_is_clean() -> None:
    sql = f"""
    SELECT customer_id, {KEPT} AS lifetime_value,
      CASE WHEN {KEPT} < 250 THEN 'low' WHEN {KEPT} < 1000 THEN 'medium' ELSE 'high' END AS segment
    FROM lines GROUP BY customer_id"""
    assert _codes(sql, CUSTOMERS) == []


def test_an_upstream_table_documented_as_excluding_the_term_is_clean() -> None:
    target = Target(
        name="ltv",
        columns=[
            _key("kept_lines", "customer_id"),
            LTV.model_copy(update={"source_table": "kept_lines", "source_column": "net_amount"}),
        ],
    )
    sql = "SELECT customer_id, sum(net_amount) AS lifetime_value FROM kept_lines GROUP BY 1"
    assert _codes(sql, target) == []


# -- comparisons, flags, precision, percentages ---------------------------------------------

LONG = _free(
    "long_trips",
    "number of the delivered stops longer than 100 km",
    "stops",
    "distance_km, delivered",
    "BIGINT",
)
FIRST = _free(
    "first_arrival",
    "earliest arrival among the delivered stops",
    "stops",
    "arrived_at, delivered",
    "TIMESTAMP",
)
STOPS = Target(name="per_shipment", columns=[_key("stops", "shipment_id"), LONG, FIRST])
GOOD_STOPS = """
SELECT shipment_id,
  count(*) FILTER (WHERE delivered AND distance_km > 100) AS long_trips,
  min(arrived_at) FILTER (WHERE delivered) AS first_arrival
FROM stops GROUP BY shipment_id
"""


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("distance_km > 100", "NOT distance_km > 100", "MF412"),
        ("distance_km > 100", "distance_km <= 100", "MF412"),
        ("min(arrived_at)", "max(arrived_at)", "MF411"),
        ("WHERE delivered)", "WHERE NOT delivered)", "MF413"),
    ],
)
def test_comparisons_aggregates_and_flags_are_caught(old: str, new: str, code: str) -> None:
    assert _codes(GOOD_STOPS, STOPS) == []
    assert _codes(GOOD_STOPS.replace(old, new), STOPS) == [code]


PAY = _free("pay", "price plus 10% tax, rounded to 2 decimals", "lines", "price")
TAXED = Target(name="pay", columns=[_key("lines", "customer_id"), PAY])


@pytest.mark.parametrize(
    ("expression", "codes"),
    [
        ("CAST(round(price * 1.1, 2) AS DECIMAL(12, 2))", []),
        ("CAST(price * 1.1 AS DECIMAL(12, 2))", []),  # the cast rounds: no round() needed
        ("round(price + price * 0.1, 2)", []),
        ("round(price * 2.1, 2)", ["MF410"]),
        ("round(price * 1.1, 3)", ["MF414"]),
        ("CAST(round(price * 1.1, 2) AS INTEGER)", ["MF414"]),
    ],
)
def test_percentages_and_precision(expression: str, codes: list[str]) -> None:
    assert _codes(f"SELECT customer_id, {expression} AS pay FROM lines", TAXED) == codes


def test_prose_that_is_not_a_fact_is_not_read() -> None:
    terms = read_terms(
        "true when it arrived within 24 hours; hired before 2019; first name + ' ' + last name;"
        " total price = price + tax; the shipper's number of days between",
        names=["first_name", "last_name"],
    )
    assert terms.numbers == () and terms.literals == {" "}
    assert terms.aggregates == {"SUM"}  # `total`: MF411 still needs an aggregating SQL
    total = _free("gross", "total price = price + tax", "lines", "price, tax")
    target = Target(name="gross", columns=[_key("lines", "customer_id"), total])
    assert _codes("SELECT customer_id, price + tax AS gross FROM lines", target) == []


# -- the bench's logistics project: its correct SQL is clean ---------------------------------

LOGISTICS = Path(__file__).resolve().parents[1] / "bench" / "projects" / "logistics"


@pytest.fixture(scope="module")
def logistics(tmp_path_factory: pytest.TempPathFactory) -> tuple[Spec, Catalog]:
    sys.path.insert(0, str(LOGISTICS))
    try:
        from generate import build_sources
    finally:
        sys.path.remove(str(LOGISTICS))
    spec = load_spec([LOGISTICS / "mappings"])
    path = tmp_path_factory.mktemp("logistics") / "warehouse.duckdb"
    build_sources(path, scale=0.05)
    with DuckDBEngine(path, read_only=True) as engine:
        return spec, planning_catalog(engine.catalog(), spec)


@pytest.mark.parametrize("sql", sorted((LOGISTICS / "sql").glob("*.sql")), ids=lambda p: p.stem)
def test_the_logistics_reference_sql_has_no_findings(
    sql: Path, logistics: tuple[Spec, Catalog]
) -> None:
    spec, catalog = logistics
    target = spec.target(sql.stem)
    assert target is not None
    assert [str(f) for f in validate_sql(sql.read_text(), target, catalog)] == []
