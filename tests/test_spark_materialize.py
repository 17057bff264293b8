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


@pytest.fixture
def engine(spark_session: Any) -> Iterator[SparkEngine]:
    engine = SparkEngine(session=spark_session, schema="mf_materialize")
    for name in ("src", "tgt"):
        engine.execute(f"drop table if exists {name}")
    _source(engine, "(1, 'a', 1), (2, 'b', 1), (3, 'c', 2)")
    yield engine
    for name in ("src", "tgt"):
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
