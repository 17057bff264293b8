"""Materializations on a real DuckDB: incremental (merge, delete+insert), scd2, keys, atomicity."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from mapforge.engines.duckdb import DuckDBEngine
from mapforge.errors import EngineError, PipelineError
from mapforge.mapping.spec import ColumnMapping, Load, Target
from mapforge.pipeline.materialize import Build, Options, materialize
from mapforge.pipeline.materialize.keys import StageKeys, check_keys
from mapforge.pipeline.materialize.sql import literal, selected_columns, source
from mapforge.pipeline.proof import fingerprint
from mapforge.pipeline.tests import run_target_tests, target_checks

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


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("(1, 1), (1, 2), (2, null)", r"pairs: key \(a, b\), e.g. \(a=2, b=None\) has a null"),
        (
            "(1, 1), (1, 2), (1, 2)",
            r"pairs: key \(a, b\), e.g. \(a=1, b=2\) appears more than once",
        ),
    ],
)
def test_a_composite_stage_key_is_checked_in_one_scan_and_named_when_bad(
    engine: DuckDBEngine, values: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine.execute(f"create temp table stage as select * from (values {values}) v(a, b)")
    with (
        caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"),
        pytest.raises(PipelineError, match=message),
    ):
        check_keys(engine, "pairs", ("a", "b"), "stage")
    # the one-scan summary first, then the exact queries that find the sample
    assert len(caplog.records) >= 2


def test_a_sound_stage_key_costs_one_statement_and_gives_the_stage_fingerprint(
    engine: DuckDBEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine.execute(
        "create temp table stage as select range % 7 as a, range // 7 as b from range(50)"
    )
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        staged = check_keys(engine, "pairs", ("a", "b"), "stage")
    assert len(caplog.records) == 1
    assert staged == StageKeys(50, fingerprint(engine, "stage", ("a", "b")))


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


def test_columns_the_run_knows_spare_the_increment_its_catalog_queries(
    engine: DuckDBEngine, caplog: pytest.LogCaptureFixture
) -> None:
    b = build("incremental", watermark="updated_at")
    materialize(engine, b)
    engine.execute("update src set name = 'C', updated_at = 3 where id = 3")
    known = replace(b, stored_columns=("id", "name", "updated_at"))
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        assert materialize(engine, known) == 1
    ran = statements(caplog)
    assert not [s for s in ran if "duckdb_tables()" in s or s == 'SELECT * FROM "tgt" LIMIT 0']
    assert rows(engine) == [(1, "a", 1), (2, "b", 1), (3, "C", 3)]
    stale = replace(b, stored_columns=("id", "name"))  # the SELECT's columns still rule
    with pytest.raises(PipelineError, match="--full-refresh"):
        materialize(engine, stale)


def test_a_locked_select_that_does_not_parse_fails_the_target_not_the_run(
    engine: DuckDBEngine,
) -> None:
    materialize(engine, build("incremental"))
    broken = replace(build("incremental"), sql="select id, from src where (")
    with pytest.raises(PipelineError, match="the locked SQL does not parse as duckdb"):
        materialize(engine, broken)


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


# -- what the statements look like ------------------------------------------------------------


def statements(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The SQL the DuckDB engine ran while caplog listened, from its DEBUG timing records."""
    return [r.args[1] for r in caplog.records if r.name == "mapforge.engines.duckdb"]  # type: ignore[index]


@pytest.mark.parametrize(("strategy", "verb"), [("", "DELETE FROM"), ("merge", "MERGE INTO")])
def test_duckdb_applies_with_delete_insert_unless_merge_is_asked_for(
    engine: DuckDBEngine, caplog: pytest.LogCaptureFixture, strategy: str, verb: str
) -> None:
    b = build("incremental", watermark="updated_at", strategy=strategy)
    materialize(engine, b)
    engine.execute("update src set name = 'C', updated_at = 3 where id = 3")
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        assert materialize(engine, b) == 1  # id 3, at and past the mark (2)
    verbs = [" ".join(s.split()[:2]) for s in statements(caplog)]
    assert verb in verbs and ({"MERGE INTO", "DELETE FROM"} - {verb}).isdisjoint(verbs)
    assert rows(engine) == [(1, "a", 1), (2, "b", 1), (3, "C", 3)]


def test_watermark_is_read_once_and_inlined(
    engine: DuckDBEngine, caplog: pytest.LogCaptureFixture
) -> None:
    b = build("incremental", watermark="updated_at")
    materialize(engine, b)
    engine.execute("insert into src values (4, 'd', 2)")
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        assert materialize(engine, b) == 2  # 3 and 4 sit at or past the mark (2)
    # the stage is created empty, typed like the table, then filled by the increment
    [stage] = [s for s in statements(caplog) if s.startswith('INSERT INTO "__mapforge_stage_')]
    assert '"updated_at" >= 2' in stage and "MAX(" not in stage
    # once on the table; the stage's own max is the next run's hint (materialize/watermark.py)
    assert sum("MAX(" in s and s.endswith('FROM "tgt"') for s in statements(caplog)) == 1


@pytest.mark.parametrize(
    "value",
    [7, -2.5, Decimal("12.30"), datetime(2024, 1, 2, 3, 4, 5, 6), date(2024, 1, 2), "it's"],
)
def test_watermark_literals_read_back_as_the_same_value(
    engine: DuckDBEngine, value: object
) -> None:
    spelled = literal(value)
    assert spelled is not None
    assert engine.query(f"select {spelled.sql(dialect='duckdb')}").rows == [(value,)]


def test_a_watermark_without_an_exact_literal_stays_a_subquery() -> None:
    assert literal(True) is None and literal(float("nan")) is None


# -- key tests ----------------------------------------------------------------------------------


def keyed(load: Load = Load.TABLE, tests: tuple[str, ...] = ()) -> Target:
    return Target(
        name="tgt",
        load=load,
        columns=[
            ColumnMapping(name="id", type="INTEGER", key=True, tests=list(tests)),
            ColumnMapping(name="name", type="TEXT"),
        ],
    )


def outcomes(engine: DuckDBEngine, target: Target) -> dict[str, tuple[str, int]]:
    result = run_target_tests(engine, target)
    return {t["name"]: (t["status"], t["failures"]) for t in result.tests}  # type: ignore[misc]


def test_a_passing_key_costs_one_query(
    engine: DuckDBEngine, caplog: pytest.LogCaptureFixture
) -> None:
    materialize(engine, build("table"))
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        got = outcomes(engine, keyed())
    assert got == {"not_null_tgt_id": ("pass", 0), "unique_tgt_id": ("pass", 0)}
    checks = [s for s in statements(caplog) if "tgt" in s and "count(*)" in s.lower()]
    assert len(checks) == 2  # the row count of the result, and the one probe for both checks


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (
            "insert into tgt values (1, 'again', 1), (1, 'thrice', 1)",
            {"unique_tgt_id": ("fail", 1)},
        ),
        ("insert into tgt values (null, 'x', 1), (null, 'y', 1)", {"not_null_tgt_id": ("fail", 2)}),
    ],
)
def test_a_failing_key_is_counted_and_sampled_exactly(
    engine: DuckDBEngine, bad: str, expected: dict[str, tuple[str, int]]
) -> None:
    materialize(engine, build("table"))
    engine.execute(bad)
    passing = {"not_null_tgt_id": ("pass", 0), "unique_tgt_id": ("pass", 0)}
    assert outcomes(engine, keyed()) == passing | expected
    failed = [t for t in run_target_tests(engine, keyed()).tests if t["status"] == "fail"]
    assert failed and failed[0]["sample"]


def test_a_composite_key_probe_finds_a_duplicate(engine: DuckDBEngine) -> None:
    engine.execute(
        "create table pairs as select * from (values (1, 1), (1, 2), (1, 2), (2, null)) v(a, b)"
    )
    target = Target(
        name="pairs",
        columns=[ColumnMapping(name=c, type="INTEGER", key=True) for c in ("a", "b")],
    )
    assert outcomes(engine, target) == {
        "not_null_pairs_a": ("pass", 0),
        "not_null_pairs_b": ("fail", 1),
        "unique_pairs_a_b": ("fail", 1),
    }


def test_an_scd2_key_is_unique_per_version_in_mapforge_test_too(engine: DuckDBEngine) -> None:
    materialize(engine, build("scd2"))
    engine.execute("update src set name = 'B' where id = 2")
    materialize(engine, build("scd2", as_of=T2))  # id 2 now has two versions
    target = keyed(Load.SCD2, tests=("unique",))  # a declared unique on the bare key, too
    names = [c.name for c in target_checks(target)]
    assert names == ["not_null_tgt_id", "unique_tgt_id_valid_from"]
    assert outcomes(engine, target) == {
        "not_null_tgt_id": ("pass", 0),
        "unique_tgt_id_valid_from": ("pass", 0),
    }
    engine.execute("insert into tgt select * from tgt where id = 1")  # the same version twice
    assert outcomes(engine, target)["unique_tgt_id_valid_from"] == ("fail", 1)


@pytest.mark.parametrize(
    ("sql", "names", "statements"),
    [
        (
            "select id, upper(name) as Name, src.updated_at from src",
            ["id", "Name", "updated_at"],
            0,
        ),
        ("select *, 1 as one from src", ["id", "name", "updated_at", "one"], 1),
        ("select id + 1 from src", ["(id + 1)"], 1),
    ],
)
def test_the_selected_columns_are_read_off_a_named_select_and_queried_otherwise(
    engine: DuckDBEngine,
    sql: str,
    names: list[str],
    statements: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        assert selected_columns(engine, source(sql, engine)) == names
    assert len(caplog.records) == statements


@pytest.mark.parametrize(("sql", "narrowed"), [(SELECT, True), (f"{SELECT} limit 100", False)])
def test_the_source_rows_past_the_mark_are_read_first_only_when_that_is_exact(
    engine: DuckDBEngine, caplog: pytest.LogCaptureFixture, sql: str, narrowed: bool
) -> None:
    b = Build(
        "tgt", sql, "incremental", as_of=T1, key=("id",), options=Options(watermark="updated_at")
    )
    materialize(engine, b)
    engine.execute("insert into src values (4, 'd', 2)")
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        assert materialize(engine, b) == 2  # rows 3 and 4, at and past the mark
    source = [s for s in statements(caplog) if "__mapforge_source_tgt" in s]
    if narrowed:  # a CTE of the stage's INSERT: nothing to create or drop
        assert [s.split()[:2] for s in source] == [["INSERT", "INTO"]]
        assert 'WITH "__mapforge_source_tgt" AS MATERIALIZED (SELECT src.' in source[0]
    else:
        assert source == []
    assert rows(engine) == [(1, "a", 1), (2, "b", 1), (3, "c", 2), (4, "d", 2)]
