"""A partitioned table's swap interrupted at each point: the next build loses no data.

build_table swaps a partitioned staging table in with two renames, each followed by
RECOVER PARTITIONS (a rename moves the directory but leaves the catalog's partition
locations at the previous path). Each test replays the swap's own statements up to a crash
point, then runs the next build and checks that the target holds exactly the expected
rows, every one read from the target's own directory, and that no `__mapforge_` table or
directory is left behind. The crash is replayed with plain SQL, not the engine's internals.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from mapforge.engines.spark import SparkEngine
from mapforge.errors import EngineError
from mapforge.pipeline.materialize import Build, Options, materialize

_DATABASES = itertools.count()
OLD, TMP = "__mapforge_old_t", "__mapforge_tmp_t"

# (id, ts, region): region is the partition column, which Spark lists last anyway
PREVIOUS = [(1, 1, "eu"), (2, 1, "us"), (3, 1, "apac")]  # the target before the crashed build
CRASHED = [(1, 2, "eu"), (2, 2, "us"), (4, 2, "latam")]  # what the crashed build wrote
NEXT = [(1, 3, "eu"), (5, 3, "us"), (6, 3, "emea")]  # the source of the next build


def _values(rows: list[tuple[int, int, str]]) -> str:
    body = ", ".join(f"({i}, {ts}, '{region}')" for i, ts, region in rows)
    return f"select * from values {body} as v(id, ts, region)"


def _create(engine: SparkEngine, name: str, rows: list[tuple[int, int, str]]) -> None:
    engine.execute(f"create table {name} using parquet partitioned by (region) as {_values(rows)}")


# The statements of SparkEngine._swap_in for a partitioned target, in order.
RENAME_OLD = f"alter table t rename to {OLD}"
RECOVER_OLD = f"alter table {OLD} recover partitions"
RENAME_NEW = f"alter table {TMP} rename to t"
RECOVER_NEW = "alter table t recover partitions"

# crash point -> (statements run before the crash, the rows the target holds once settled:
# where the crash left no target, the table it had set aside, which settle() renames back)
CRASHES: dict[str, tuple[list[str], list[tuple[int, int, str]]]] = {
    "after_rename_old": ([RENAME_OLD], PREVIOUS),
    "after_recover_old": ([RENAME_OLD, RECOVER_OLD], PREVIOUS),
    "after_rename_new": ([RENAME_OLD, RECOVER_OLD, RENAME_NEW], CRASHED),
    "after_recover_new": ([RENAME_OLD, RECOVER_OLD, RENAME_NEW, RECOVER_NEW], CRASHED),
    # the first build of the table: nothing to set aside
    "first_build_after_rename_new": (["drop table t", RENAME_NEW], CRASHED),
    # the second rename failed and the previous table was renamed back, then the crash
    "rollback_after_rename_back": (
        [RENAME_OLD, RECOVER_OLD, f"alter table {OLD} rename to t"],
        PREVIOUS,
    ),
    # a crash after the second rename, then the next (unrepaired) build crashes after its
    # first: the leftover's partitions point into the new staging table's directories
    "twice": (
        [RENAME_OLD, RECOVER_OLD, RENAME_NEW, f"drop table {OLD}", "@staging", RENAME_OLD],
        CRASHED,
    ),
}


@pytest.fixture
def engine(spark_session: Any) -> Iterator[SparkEngine]:
    eng = SparkEngine(session=spark_session, schema=f"swap{next(_DATABASES)}")
    yield eng
    spark_session.catalog.setCurrentDatabase("default")
    spark_session.sql(f"drop database {eng.schema} cascade")
    eng.close()


def crash(engine: SparkEngine, point: str) -> list[tuple[int, int, str]]:
    """The previous target, a staging table of the crashed build, then its swap up to `point`."""
    statements, committed = CRASHES[point]
    _create(engine, "t", PREVIOUS)
    _create(engine, TMP, CRASHED)
    for sql in statements:
        if sql == "@staging":
            _create(engine, TMP, CRASHED)
        else:
            engine.execute(sql)
    _create(engine, "src", NEXT)
    return committed


def _location(engine: SparkEngine, what: str) -> str:
    rows = engine.query(
        f"describe {what} extended {engine.schema}"
        if what == "database"
        else f"describe table extended {what}"
    ).rows
    return next(str(r[1]) for r in rows if r[0] == "Location")


def _path(uri: str) -> str:
    return urlsplit(uri).path


def assert_clean(engine: SparkEngine, expected: list[tuple[int, int, str]], table: bool) -> None:
    """`t` holds exactly `expected` from its own directory; no __mapforge_ object is left."""
    assert sorted(engine.query("select id, ts, region from t").rows) == sorted(expected)
    if table:  # every row is read from a file under the table's own directory
        own = _path(_location(engine, "t")).rstrip("/") + "/"
        files = {_path(str(r[0])) for r in engine.query("select input_file_name() from t").rows}
        assert files and all(f.startswith(own) for f in files), (own, files)
    assert engine.query("show tables like '__mapforge*'").rows == []
    database = _path(_location(engine, "database"))
    assert [n for n in os.listdir(database) if n.startswith("__mapforge_")] == []


def merged(committed: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """An incremental apply of NEXT over `committed`, keyed by id."""
    fresh = {row[0] for row in NEXT}
    return [row for row in committed if row[0] not in fresh] + NEXT


def incremental(engine: SparkEngine) -> int:
    options = Options.from_config({"partition_by": "region", "watermark": "ts"})
    build = Build(
        "t",
        "select id, ts, region from src",
        "incremental",
        as_of=datetime(2024, 1, 1),
        key=("id",),
        options=options,
    )
    return materialize(engine, build)


@pytest.mark.parametrize("point", list(CRASHES))
def test_build_table_after_a_crash_builds_the_new_rows(engine: SparkEngine, point: str) -> None:
    crash(engine, point)
    assert engine.build_table("t", "select * from src", partition_by="region") == len(NEXT)
    assert engine.partition_columns("t") == ["region"]
    assert_clean(engine, NEXT, table=True)
    # and the build after that is an ordinary one
    assert engine.build_table("t", _values(CRASHED), partition_by="region") == len(CRASHED)
    assert_clean(engine, CRASHED, table=True)


@pytest.mark.parametrize("point", list(CRASHES))
def test_incremental_apply_after_a_crash_keeps_the_committed_rows(
    engine: SparkEngine, point: str
) -> None:
    committed = crash(engine, point)
    incremental(engine)
    # materialize settles first: a table the crash set aside is back, history and all
    assert_clean(engine, merged(committed), table=True)


@pytest.mark.parametrize("point", list(CRASHES))
def test_build_view_after_a_crash_replaces_the_table(engine: SparkEngine, point: str) -> None:
    crash(engine, point)
    engine.build_view("t", "select * from src")
    assert engine.query("show views like 't'").rows
    assert_clean(engine, NEXT, table=False)


def _move_partition(engine: SparkEngine, table: str, into: str) -> None:
    """Point `table`'s eu partition at `into`'s eu directory and delete its own (by hand)."""
    target = next(
        str(r[1])
        for r in engine.query(f"describe table extended {into} partition (region = 'eu')").rows
        if r[0] == "Location"
    )
    own = next(
        str(r[1])
        for r in engine.query(f"describe table extended {table} partition (region = 'eu')").rows
        if r[0] == "Location"
    )
    engine.execute(f"alter table {table} partition (region = 'eu') set location '{target}'")
    shutil.rmtree(_path(own))


def test_a_leftover_with_a_partition_in_another_table_is_refused(engine: SparkEngine) -> None:
    """No repair brings that partition home: the build stops, names it, deletes nothing."""
    _create(engine, "t", PREVIOUS)
    _create(engine, "other", PREVIOUS)  # any live table
    _create(engine, OLD, CRASHED)
    _move_partition(engine, OLD, "other")
    _create(engine, "src", NEXT)
    with pytest.raises(EngineError, match=rf"{OLD}: 1 partition\(s\) stored outside .*region"):
        engine.build_table("t", "select * from src", partition_by="region")
    assert sorted(engine.query("select id, ts, region from t").rows) == sorted(PREVIOUS)
    assert sorted(engine.query("select id, ts, region from other").rows) == sorted(PREVIOUS)
    assert engine.table_exists(OLD)
    # as the error says: point the partition inside the leftover's directory, build again
    own = _location(engine, OLD)
    engine.execute(f"alter table {OLD} partition (region = 'eu') set location '{own}/x'")
    assert engine.build_table("t", "select * from src", partition_by="region") == len(NEXT)
    assert_clean(engine, NEXT, table=True)
    assert sorted(engine.query("select id, ts, region from other").rows) == sorted(PREVIOUS)


def test_a_normal_rebuild_only_recovers_after_its_renames(
    engine: SparkEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No leftovers, nothing out of place: no repair statement beyond the two renames'."""
    _create(engine, "t", PREVIOUS)
    _create(engine, "src", NEXT)
    statements: list[str] = []
    run: Callable[..., Any] = engine._run

    def recording(sql: str, shown: str | None = None) -> Any:
        statements.append(sql.lower())
        return run(sql, shown)

    monkeypatch.setattr(engine, "_run", recording)
    engine.build_table("t", "select * from src", partition_by="region")
    repairs = [s for s in statements if "partitions" in s]
    assert len(repairs) == 2 and all("recover partitions" in s for s in repairs), repairs
    # the locations come from the session catalog, not from a DESCRIBE per partition
    assert not [s for s in statements if s.startswith(("describe", "show"))]
    assert_clean(engine, NEXT, table=True)


# -- the partition locations, from the session catalog or (Spark Connect) from SQL --------


def _sorted(located: tuple[str, list[tuple[str, str]]]) -> tuple[str, list[tuple[str, str]]]:
    return located[0], sorted(located[1])


def test_sql_partition_listing_matches_the_session_catalog(engine: SparkEngine) -> None:
    """Null, escaped and integer partition values read the same both ways."""
    engine.execute(
        "create table odd using parquet partitioned by (p, r) as select * from values "
        "(1, 1, 'eu'), (2, cast(null as int), 'us'), (3, 2, cast(null as string)), "
        r"(4, 3, 'a=b/c, d]'), (5, 4, 'it\'s\\x %é') as v(id, p, r)"
    )
    assert engine._jvm_catalog() is not None
    directory, partitions = engine._partition_locations("odd")
    assert len(partitions) == 5 and "[p=__HIVE_DEFAULT_PARTITION__, r=us]" in dict(partitions)
    assert _sorted(engine._sql_partition_locations("odd")) == _sorted((directory, partitions))
    assert engine._strays("odd") == []
    # a value that prints like a Location line: each partition is then asked on its own
    engine.execute("insert into odd values (6, 5, 'x\\n\\tLocation: file:/elsewhere')")
    directory, partitions = engine._partition_locations("odd")
    assert len(partitions) == 6 and engine._strays("odd") == []
    assert _sorted(engine._sql_partition_locations("odd")) == _sorted((directory, partitions))


def test_over_spark_connect_the_sql_listing_settles_a_crash(
    engine: SparkEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst crash point, with the locations read the way a Connect session reads them."""
    monkeypatch.setattr(engine, "_jvm_catalog", lambda: None)
    crash(engine, "twice")
    assert engine.build_table("t", "select * from src", partition_by="region") == len(NEXT)
    assert_clean(engine, NEXT, table=True)
