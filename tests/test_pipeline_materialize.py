"""Materializations on a real DuckDB: incremental (merge, delete+insert), scd2, keys, atomicity."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from mapforge.engines.duckdb import DuckDBEngine
from mapforge.errors import EngineError, PipelineError
from mapforge.pipeline.materialize import Build, Options, materialize

T1 = datetime(2024, 1, 1)
T2 = datetime(2024, 2, 1)
SELECT = "select id, name, updated_at from src"


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine() as db:
        db.execute(
            "create table src as select * from (values (1, 'a', 1), (2, 'b', 1), (3, 'c', 2)) v(id, name, updated_at)"
        )
        yield db


def build(load: str, as_of: datetime = T1, **options: str) -> Build:
    return Build(
        "tgt", SELECT, load, as_of=as_of, key=("id",), options=Options.from_config(options)
    )


def rows(
    engine: DuckDBEngine, sql: str = "select * from tgt order by all"
) -> list[tuple[object, ...]]:
    return engine.query(sql).rows


# -- incremental ------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["merge", "delete+insert"])
@pytest.mark.parametrize("watermark", ["updated_at", ""])
def test_incremental_applies_new_and_changed_rows(
    engine: DuckDBEngine, strategy: str, watermark: str
) -> None:
    b = build("incremental", strategy=strategy, watermark=watermark)
    assert materialize(engine, b) == 3  # first run builds the table
    engine.execute(
        "update src set name = 'C', updated_at = 3 where id = 3; insert into src values (4, 'd', 3)"
    )
    engine.execute("update src set name = 'stale' where id = 1")  # below the watermark
    applied = materialize(engine, b)
    expected_first = "stale" if not watermark else "a"
    assert rows(engine) == [(1, expected_first, 1), (2, "b", 1), (3, "C", 3), (4, "d", 3)]
    assert applied == (2 if watermark else 3)


@pytest.mark.parametrize("load", ["incremental", "scd2"])
def test_applying_the_same_source_twice_changes_nothing(engine: DuckDBEngine, load: str) -> None:
    b = build(load, watermark="updated_at") if load == "incremental" else build(load)
    materialize(engine, b)
    engine.execute("update src set name = 'B', updated_at = 5 where id = 2")
    materialize(engine, b)
    before = engine.checksum("tgt")
    later = Build(
        b.name, b.sql, b.load, as_of=T2, key=b.key, options=b.options
    )  # even at a later as-of
    materialize(engine, later)
    assert engine.checksum("tgt") == before


def test_full_refresh_rebuilds(engine: DuckDBEngine) -> None:
    materialize(engine, build("incremental"))
    engine.execute("delete from src where id = 1")
    materialize(engine, build("incremental"))
    assert len(rows(engine)) == 3  # incremental never deletes
    refresh = Build("tgt", SELECT, "incremental", as_of=T1, key=("id",), full_refresh=True)
    assert materialize(engine, refresh) == 2
    assert [r[0] for r in rows(engine)] == [2, 3]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("insert into src values (null, 'x', 9)", r"tgt: key \(id\), e.g. \(id=None\) has a null"),
        (
            "insert into src values (7, 'x', 9), (7, 'y', 9)",
            r"tgt: key \(id\), e.g. \(id=7\) appears more than once",
        ),
    ],
)
def test_bad_keys_are_caught_before_the_merge(
    engine: DuckDBEngine, change: str, message: str
) -> None:
    materialize(engine, build("incremental", watermark="updated_at"))
    before = engine.checksum("tgt")
    engine.execute(change)
    with pytest.raises(PipelineError, match=message):
        materialize(engine, build("incremental", watermark="updated_at"))
    assert engine.checksum("tgt") == before


def test_failed_apply_leaves_the_old_table(engine: DuckDBEngine) -> None:
    materialize(engine, build("incremental"))
    before = engine.checksum("tgt")
    engine.execute("insert into src values (9, 'z', 9)")
    engine.execute("create macro boom(x) as error('boom')")
    bad = Build(
        "tgt",
        "select id, case when id = 9 then boom(1) else name end as name, updated_at from src",
        "incremental",
        as_of=T1,
        key=("id",),
    )
    with pytest.raises(EngineError, match="boom"):
        materialize(engine, bad)
    assert engine.checksum("tgt") == before
    assert not engine.query(
        "select * from duckdb_tables() where table_name like '__mapforge%'"
    ).rows


def test_changed_columns_ask_for_a_full_refresh(engine: DuckDBEngine) -> None:
    materialize(engine, build("incremental"))
    wider = Build(
        "tgt",
        "select id, name, updated_at, 1 as extra from src",
        "incremental",
        as_of=T1,
        key=("id",),
    )
    with pytest.raises(PipelineError, match="--full-refresh"):
        materialize(engine, wider)


# -- scd2 -------------------------------------------------------------------------------------


def test_scd2_versions_changes_and_closes_deletes(engine: DuckDBEngine) -> None:
    assert materialize(engine, build("scd2", hard_deletes="close")) == 3
    engine.execute(
        "update src set name = 'B' where id = 2; delete from src where id = 3; insert into src values (4, 'd', 1)"
    )
    assert (
        materialize(engine, build("scd2", as_of=T2, hard_deletes="close")) == 3
    )  # B and d opened, 3 closed
    assert rows(engine) == [
        (1, "a", 1, T1, None, True),
        (2, "B", 1, T2, None, True),
        (2, "b", 1, T1, T2, False),
        (3, "c", 2, T1, T2, False),
        (4, "d", 1, T2, None, True),
    ]


def test_scd2_tracks_only_chosen_columns(engine: DuckDBEngine) -> None:
    materialize(engine, build("scd2", track="name"))
    engine.execute("update src set updated_at = 9")
    assert materialize(engine, build("scd2", as_of=T2, track="name")) == 0
    engine.execute("update src set name = 'A' where id = 1")
    assert materialize(engine, build("scd2", as_of=T2, track="name")) == 1


def test_scd2_valid_from_a_column(engine: DuckDBEngine) -> None:
    engine.execute(
        "create or replace table src as select 1 as id, 'a' as name, timestamp '2024-03-01' as updated_at"
    )
    b = build("scd2", valid_from="updated_at")
    materialize(engine, b)
    engine.execute("update src set name = 'b', updated_at = timestamp '2024-04-01'")
    materialize(engine, b)
    got = rows(engine, "select name, valid_from, valid_to, is_current from tgt order by valid_from")
    assert got == [
        ("a", datetime(2024, 3, 1), datetime(2024, 4, 1), False),
        ("b", datetime(2024, 4, 1), None, True),
    ]


def test_scd2_ignores_deletes_by_default(engine: DuckDBEngine) -> None:
    materialize(engine, build("scd2"))
    engine.execute("delete from src where id = 3")
    assert materialize(engine, build("scd2", as_of=T2)) == 0
    assert rows(engine, "select count(*) from tgt where is_current") == [(3,)]


def test_scd2_checks_keys(engine: DuckDBEngine) -> None:
    engine.execute("insert into src values (1, 'dup', 1)")
    with pytest.raises(
        PipelineError, match=r"tgt: key \(id\), e.g. \(id=1\) appears more than once"
    ):
        materialize(engine, build("scd2"))
    assert not engine.table_exists("tgt")
