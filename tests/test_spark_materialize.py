"""Incremental and scd2 loads on Spark, where no DML is atomic: the table is rebuilt and swapped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from mapforge.engines.spark import SparkEngine
from mapforge.errors import PipelineError
from mapforge.pipeline.materialize import Build, Options, materialize

T1 = datetime(2024, 1, 1)
T2 = datetime(2024, 2, 1)
SELECT = "select id, name, updated_at from src"
TABLES = ("src", "tgt", "psrc")


@pytest.fixture
def engine(spark_session: Any) -> Iterator[SparkEngine]:
    engine = SparkEngine(session=spark_session, schema="mf_materialize")
    for name in TABLES:
        engine.execute(f"drop table if exists {name}")
    _source(engine, "(1, 'a', 1), (2, 'b', 1), (3, 'c', 2)")
    yield engine
    for name in TABLES:
        engine.execute(f"drop table if exists {name}")
    engine.close()


def _source(engine: SparkEngine, values: str) -> None:
    # parquet tables cannot be updated in place: each change writes the source anew
    engine.execute("drop table if exists src")
    engine.execute(
        "create table src using parquet as select * from values "
        f"{values} as v(id, name, updated_at)"
    )


def build(load: str, as_of: datetime = T1, **options: str) -> Build:
    return Build(
        "tgt", SELECT, load, as_of=as_of, key=("id",), options=Options.from_config(options)
    )


def rows(engine: SparkEngine, sql: str = "select * from tgt") -> list[tuple[Any, ...]]:
    return sorted(engine.query(sql).rows, key=repr)


@pytest.mark.parametrize("watermark", ["updated_at", ""])
def test_incremental_applies_new_and_changed_rows(engine: SparkEngine, watermark: str) -> None:
    b = build("incremental", watermark=watermark)
    assert materialize(engine, b) == 3
    _source(engine, "(1, 'stale', 1), (2, 'b', 1), (3, 'C', 3), (4, 'd', 3)")
    applied = materialize(engine, b)
    first = "a" if watermark else "stale"  # below the watermark the change is not read
    assert rows(engine) == sorted([(1, first, 1), (2, "b", 1), (3, "C", 3), (4, "d", 3)], key=repr)
    assert applied == (2 if watermark else 3)
    assert materialize(engine, b) == (2 if watermark else 0)  # >= watermark re-reads the top rows
    assert len(rows(engine)) == 4  # ... and re-applying them changes nothing


def test_duplicate_keys_in_the_increment_leave_the_table(engine: SparkEngine) -> None:
    materialize(engine, build("incremental"))
    _source(engine, "(1, 'a', 1), (2, 'b', 1), (3, 'c', 2), (4, 'x', 5), (4, 'y', 5)")
    with pytest.raises(PipelineError, match=r"key \(id\), e.g. \(id=4\) appears more than once"):
        materialize(engine, build("incremental"))
    assert rows(engine) == sorted([(1, "a", 1), (2, "b", 1), (3, "c", 2)], key=repr)
    assert not engine.query("show views like '__mapforge*'").rows  # temp views dropped


def test_scd2_versions_changes_and_closes_deletes(engine: SparkEngine) -> None:
    assert materialize(engine, build("scd2", hard_deletes="close")) == 3
    _source(engine, "(1, 'a', 1), (2, 'B', 1), (4, 'd', 1)")
    assert materialize(engine, build("scd2", as_of=T2, hard_deletes="close")) == 3
    assert rows(engine) == sorted(
        [
            (1, "a", 1, T1, None, True),
            (2, "B", 1, T2, None, True),
            (2, "b", 1, T1, T2, False),
            (3, "c", 2, T1, T2, False),
            (4, "d", 1, T2, None, True),
        ],
        key=repr,
    )
    assert materialize(engine, build("scd2", as_of=T2, hard_deletes="close")) == 0  # idempotent


# -- partition_by: only the partitions an increment touches are rewritten -------------------

PSELECT = "select id, region, name, updated_at from psrc"


def _psource(engine: SparkEngine, values: str) -> None:
    engine.execute("drop table if exists psrc")
    engine.execute(
        "create table psrc using parquet as select * from values "
        f"{values} as v(id, region, name, updated_at)"
    )


def pbuild(**options: str) -> Build:
    config = {"partition_by": "region", **options}
    return Build(
        "tgt", PSELECT, "incremental", as_of=T1, key=("id",), options=Options.from_config(config)
    )


def files(engine: SparkEngine) -> dict[str, set[str]]:
    """The parquet files each partition's rows are read from."""
    found: dict[str, set[str]] = {}
    for region, path in engine.query("select region, input_file_name() from tgt").rows:
        found.setdefault(region, set()).add(path)
    return found


@pytest.mark.parametrize("watermark", ["updated_at", ""])
def test_partitioned_incremental_rewrites_only_touched_partitions(
    engine: SparkEngine, watermark: str
) -> None:
    _psource(engine, "(1, 'eu', 'a', 1), (2, 'eu', 'b', 1), (3, 'us', 'c', 1), (4, 'apac', 'd', 0)")
    b = pbuild(watermark=watermark)
    assert materialize(engine, b) == 4
    assert engine.partition_columns("tgt") == ["region"]
    assert engine.query("select * from tgt limit 0").columns == [
        "id",
        "name",
        "updated_at",
        "region",
    ]
    before = files(engine)
    # 3 changes in us, 5 is new in latam, 2 moves from eu to us, apac (below the mark) stays
    _psource(
        engine,
        "(1, 'eu', 'a', 1), (2, 'us', 'b', 2), (3, 'us', 'C', 2), (4, 'apac', 'd', 0), "
        "(5, 'latam', 'e', 2)",
    )
    assert materialize(engine, b) == (4 if watermark else 3)  # >= the mark re-reads key 1
    expected = [
        (1, "a", 1, "eu"),
        (2, "b", 2, "us"),
        (3, "C", 2, "us"),
        (4, "d", 0, "apac"),
        (5, "e", 2, "latam"),
    ]
    assert rows(engine) == sorted(expected, key=repr)  # key 2 left its old partition
    after = files(engine)
    assert after["apac"] == before["apac"]  # not rewritten
    assert after["eu"].isdisjoint(before["eu"]) and after["us"].isdisjoint(before["us"])
    # re-applying changes nothing (with a watermark it re-reads, and rewrites, the top rows)
    assert materialize(engine, b) == (3 if watermark else 0)
    assert rows(engine) == sorted(expected, key=repr)
    assert files(engine)["apac"] == before["apac"] and files(engine)["eu"] == after["eu"]
    assert engine.session.conf.get("spark.sql.sources.partitionOverwriteMode", None) is None
    # the only key of apac moves to us: apac is emptied, not left holding the old copy
    _psource(
        engine,
        "(1, 'eu', 'a', 1), (2, 'us', 'b', 2), (3, 'us', 'C', 2), (4, 'us', 'd', 3), "
        "(5, 'latam', 'e', 2)",
    )
    materialize(engine, b)
    assert rows(engine) == sorted([*expected[:3], (4, "d", 3, "us"), expected[4]], key=repr)
    assert "apac" not in files(engine)
    assert not engine.query("show tables like '__mapforge*'").rows  # staging dropped


def test_partition_by_on_an_unpartitioned_table_asks_for_a_full_refresh(
    engine: SparkEngine,
) -> None:
    _psource(engine, "(1, 'eu', 'a', 1)")
    plain = Build("tgt", PSELECT, "incremental", as_of=T1, key=("id",))
    materialize(engine, plain)
    with pytest.raises(PipelineError, match="partitioned by nothing, not partition_by=region"):
        materialize(engine, pbuild())
    full = Build(
        "tgt",
        PSELECT,
        "incremental",
        as_of=T1,
        key=("id",),
        options=pbuild().options,
        full_refresh=True,
    )
    assert materialize(engine, full) == 1 and engine.partition_columns("tgt") == ["region"]
    # rebuilding a partitioned table keeps every partition (the rename re-points them)
    _psource(engine, "(1, 'eu', 'a', 1), (2, 'us', 'b', 1)")
    assert materialize(engine, full) == 2
    assert rows(engine) == [(1, "a", 1, "eu"), (2, "b", 1, "us")]
