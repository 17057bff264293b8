"""A mapping row's source column may name its own table: `trip_stops.arrived_at`."""

from __future__ import annotations

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Join, Rule, RuleKind, Target
from mapforge.validate.declared import Declared
from mapforge.validate.lineage import Col
from mapforge.validate.static import validate_sql

CATALOG = Catalog.of(
    [
        Table(
            name="trips", columns=[Column(name=c, type="INTEGER") for c in ("trip_id", "driver_id")]
        ),
        Table(
            name="trip_stops",
            columns=[Column(name=c, type="VARCHAR") for c in ("trip_id", "stop_no", "arrived_at")],
        ),
    ]
)
ARRIVED = ColumnMapping(
    name="arrived",
    type="TIMESTAMP",
    source_table="trips",
    source_column="ts.arrived_at, driver_id",
    rule=Rule(kind=RuleKind.FREE_TEXT, text="when the trip's stop arrived"),
)
TARGET = Target(
    name="fct_stop",
    columns=[
        ColumnMapping(
            name="trip_id", type="INTEGER", source_table="trips", source_column="trip_id", key=True
        ),
        ARRIVED,
    ],
    joins=[Join(table="trip_stops", alias="ts", on="ts.trip_id = trips.trip_id", text="")],
)


def test_a_qualified_source_column_belongs_to_the_table_it_names() -> None:
    row = Declared.of(TARGET, "duckdb").row(ARRIVED, CATALOG)
    assert row.required == {Col("trip_stops", "arrived_at"), Col("trips", "driver_id")}


def _codes(sql: str) -> list[str]:
    return [
        f.code for f in validate_sql(sql, TARGET, CATALOG) if f.code in ("MF401", "MF402", "MF403")
    ]


def test_reading_a_qualified_source_column_is_clean() -> None:
    sql = """SELECT trips.trip_id, ts.arrived_at || trips.driver_id AS arrived
             FROM trips JOIN trip_stops AS ts ON ts.trip_id = trips.trip_id"""
    assert _codes(sql) == []


def test_not_reading_a_qualified_source_column_is_mf402() -> None:
    sql = """SELECT trips.trip_id, ts.stop_no || trips.driver_id AS arrived
             FROM trips JOIN trip_stops AS ts ON ts.trip_id = trips.trip_id"""
    assert _codes(sql) == ["MF401", "MF402"]
