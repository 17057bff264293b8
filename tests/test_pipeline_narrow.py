"""An increment reads its watermarked source's new rows first (narrow.py), and stays exact."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlglot
from sqlglot import exp

from mapforge.engines.duckdb import DuckDBEngine
from mapforge.pipeline.materialize import Build, Options, materialize
from mapforge.pipeline.materialize.incremental import increment
from mapforge.pipeline.materialize.narrow import narrow
from mapforge.pipeline.materialize.sql import columns_of, create_temp, render, source

MARK = exp.Literal.number(5)


def narrowed(sql: str, watermark: str = "updated_at") -> tuple[str, str] | None:
    found = narrow(sqlglot.parse_one(sql, read="duckdb"), watermark, MARK, "tmp")
    return (found.picked.sql("duckdb"), found.query.sql("duckdb")) if found else None


def test_the_watermarked_table_is_read_past_the_mark_with_only_its_columns() -> None:
    found = narrowed(
        "select cast(i.updated_at as timestamp) as updated_at, o.customer_id, i.qty * i.price as net"
        " from items as i join orders as o on o.id = i.order_id where i.qty > 0"
    )
    assert found == (
        "SELECT i.updated_at, i.qty, i.price, i.order_id"
        " FROM items AS i WHERE CAST(i.updated_at AS TIMESTAMP) >= 5",
        "SELECT CAST(i.updated_at AS TIMESTAMP) AS updated_at, o.customer_id,"
        ' i.qty * i.price AS net FROM "tmp" AS i JOIN orders AS o ON o.id = i.order_id'
        " WHERE i.qty > 0",
    )


def test_a_table_without_an_alias_keeps_its_name_for_the_select() -> None:
    assert narrowed("select id, updated_at from src") == (
        "SELECT src.id, src.updated_at FROM src WHERE updated_at >= 5",
        'SELECT id, updated_at FROM "tmp" AS src',
    )


@pytest.mark.parametrize(
    "sql",
    [
        "select a.updated_at, b.x from a join b using (id)",  # USING names no Column node
        "select a.updated_at, x from a join b on a.id = b.id",  # x may be a's
        "select a.updated_at from a where a.id in (select id from c)",  # subqueries
        "select id, qty * 2 as q2, updated_at from a order by q2",  # q2 is the output's
    ],
)
def test_copies_every_column_when_the_used_ones_cannot_be_told(sql: str) -> None:
    found = narrowed(sql)
    assert found is not None and found[0].startswith("SELECT * FROM ")


@pytest.mark.parametrize(
    "sql",
    [
        "select id, max(updated_at) as updated_at from src group by id",
        "select distinct id, updated_at from src",
        "select id, updated_at from src limit 10",
        "select id, updated_at, row_number() over (order by id) as n from src",
        "select id, updated_at from a union all select id, updated_at from b",
        "select id, updated_at + 1 as updated_at from src",  # not a column or a cast of one
        "select a.id, updated_at from a join b on a.id = b.id",  # whose updated_at?
        "with s as (select * from src) select id, updated_at from s",  # a CTE, not a table
        "select x.id, x.updated_at from (select * from src) as x",  # a subquery
        "select a.updated_at from a join a on true",  # one name, two tables
        "select * from src",  # the watermark is not spelled out
        "select s.id, s.updated_at from main.src as s",  # a schema: left as written
        "select src.updated_at, main.src.id from src",  # db.table.column
        "select id, updated_at from src using sample 10 rows",  # a sample mixes rows too
        # the nearest or the n-th row: dropping source rows changes which one matches
        "select t.id, p.updated_at from prices p asof join trades t on t.ts >= p.ts",
        "select t.id, p.updated_at from prices p positional join trades t",
    ],
)
def test_leaves_selects_that_mix_or_hide_rows_alone(sql: str) -> None:
    assert narrowed(sql) is None


# -- the increment is the same rows, narrowed or not ------------------------------------------

SHAPES = {
    "inner join": "select i.id, o.region, i.qty, i.updated_at from items i"
    " join orders o on o.id = i.order_id",
    "the new rows on the outer side": "select o.id as order_id, i.id, i.qty,"
    " i.updated_at from orders o left join items i on i.order_id = o.id",
    "cast and filter": "select id, qty, cast(updated_at as bigint) as updated_at from items"
    " where qty > 1",
    "self join": "select i.id, p.qty as prev_qty, i.updated_at from items i"
    " left join items p on p.id = i.id - 1",
}


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine() as db:
        db.execute(
            "create table orders as select range as id, 'r' || (range % 3) as region from range(20);"
            "create table items as select range as id, range % 20 as order_id, range % 7 as qty,"
            " range as updated_at from range(100)"
        )
        yield db


def build(sql: str) -> Build:
    key = ("order_id", "id") if "order_id" in sql.split("from")[0] else ("id",)
    options = Options.from_config({"watermark": "updated_at"})
    return Build("tgt", sql, "incremental", as_of=datetime(2024, 1, 1), key=key, options=options)


def change(engine: DuckDBEngine) -> None:
    engine.execute(
        "update items set qty = qty + 10, updated_at = 200 + id where id % 9 = 1;"
        "insert into items select 100 + range, range % 20, 3, 300 + range from range(5);"
        "update items set qty = -1 where id = 2"  # below the mark: an increment skips it
    )


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_narrowed_increment_has_the_rows_of_the_filtered_select(
    engine: DuckDBEngine, shape: str
) -> None:
    b = build(SHAPES[shape])
    materialize(engine, b)
    change(engine)
    columns = columns_of(engine, "tgt")
    with engine.transaction():
        query = source(b.sql, engine)
        plain = increment(engine, b, columns, query).rows
        engine.execute(render(create_temp("plain", plain), engine))
        narrowed = increment(engine, b, columns, query, "__mapforge_source_tgt").rows
        [cte] = narrowed.ctes
        assert cte.alias == "__mapforge_source_tgt" and cte.args["materialized"]
        engine.execute(render(create_temp("picked", cte.this.copy()), engine))
        assert engine.row_count("picked") < engine.row_count("items")
        engine.execute(render(create_temp("narrowed", narrowed), engine))
        assert engine.row_count("plain") > 5
        assert engine.checksum("plain") == engine.checksum("narrowed")


def test_an_apply_reads_only_new_source_rows_and_matches_a_rebuild(
    engine: DuckDBEngine, caplog: pytest.LogCaptureFixture
) -> None:
    sql = SHAPES["inner join"]
    materialize(engine, build(sql))
    engine.execute(
        "update items set qty = qty + 10, updated_at = 200 + id where id % 9 = 1;"
        "insert into items select 100 + range, range % 20, 3, 300 + range from range(5)"
    )
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        assert (
            materialize(engine, build(sql)) == 11 + 5 + 1
        )  # ids 1, 10, ..., 91, 5 new and 99 at the mark
    [staged] = [str(r.args[1]) for r in caplog.records if "__mapforge_source_tgt" in str(r.args)]
    assert staged.startswith(
        'INSERT INTO "__mapforge_stage_tgt" WITH "__mapforge_source_tgt" AS MATERIALIZED (SELECT i.'
    )
    applied = engine.checksum("tgt")
    engine.execute(f"create table rebuilt as {sql}")
    assert applied == engine.checksum("rebuilt")
    assert engine.query("select count(*) from duckdb_tables() where temporary").rows == [(0,)]
