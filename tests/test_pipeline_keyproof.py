"""An incremental run proves its key by construction, and scans the table whenever it cannot.

The proof (pipeline/proof.py) needs the table's key to have been verified at a known key
fingerprint; a failed key check, a write outside mapforge and a full refresh each take it
away, and the full key check then runs (and reports what is wrong).
"""

from __future__ import annotations

import logging
import sqlite3
import textwrap
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from mapforge import api
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.pipeline.materialize.incremental import delete_insert
from mapforge.pipeline.proof import counted_delete, fingerprint, proved_message, shifted
from mapforge.pipeline.results import RunResult, TargetResult
from mapforge.pipeline.state import MarkColumn, RunState
from mapforge.project import open_project

T1, T2, T3, T4 = (datetime(2024, 1, d) for d in (1, 2, 3, 4))
MARK = MarkColumn("duckdb", "updated_at", "INTEGER")  # fct.updated_at
UNIQUE = "unique_fct_order_id"

MAPPING = """
targets:
  - name: fct
    load: incremental
    config: {watermark: updated_at}
    columns:
      - {name: order_id, type: INTEGER, key: true, source_table: orders, source_column: order_id,
         tests: [not_null]}
      - {name: amount, type: INTEGER, source_table: orders, source_column: amount,
         tests: ["expression(amount >= 0)"]}
      - {name: updated_at, type: INTEGER, source_table: orders, source_column: updated_at}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """100 orders; only 0..9 sit at the high-water mark, so an increment leaves 10..99 alone."""
    root = tmp_path / "p"
    (root / "mappings").mkdir(parents=True)
    (root / "mapforge.yml").write_text(
        "mappings:\n  - mappings/*.yaml\nengine:\n  type: duckdb\n  path: warehouse.duckdb\n"
    )
    (root / "mappings" / "fct.yaml").write_text(textwrap.dedent(MAPPING))
    sql(
        root,
        "create table orders as select range::int as order_id, range::int as amount,"
        " (range < 10)::int as updated_at from range(100)",
    )
    with open_project(root) as project:
        assert api.plan(project).ok
    return root


def sql(root: Path, statement: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        return con.execute(statement).fetchall()


def run(root: Path, as_of: datetime, **options: object) -> RunResult:
    with open_project(root) as project:
        return api.run(project, as_of=as_of, **options)  # type: ignore[arg-type]


def fct(result: RunResult) -> TargetResult:
    [target] = [r for r in result.results if r.name == "fct"]
    return target


def outcomes(result: RunResult) -> dict[str, dict[str, object]]:
    return {t["name"]: t for t in fct(result).tests}


def change(root: Path, mark: int) -> None:
    """A later day: orders 0..4 change and one new order arrives, all past the mark."""
    sql(root, f"update orders set amount = amount + 1, updated_at = {mark} where order_id < 5")
    sql(root, f"insert into orders values ({1000 + mark}, 1, {mark})")


def proof_run(root: Path) -> str | None:
    with RunState(root / ".mapforge") as state:
        proof = state.key_proof("fct")
    return proof.run_id if proof else None


def scans(caplog: pytest.LogCaptureFixture) -> int:
    """Key probes the DuckDB engine ran on a table: statements that count distinct keys.

    The key check of an increment's stage counts them too; it reads `__mapforge_stage_...`.
    """
    return sum(
        "COUNT(DISTINCT" in r.args[1] and "__mapforge_" not in r.args[1]  # type: ignore[index]
        for r in caplog.records
        if r.name == "mapforge.engines.duckdb"
    )


def test_second_incremental_run_proves_the_key_and_still_runs_declared_tests(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        first = run(root, T1)
    assert first.ok and outcomes(first)[UNIQUE]["message"] == "no failing rows"
    assert fct(first).message == "100 rows built"  # a first incremental run builds the table
    assert scans(caplog) == 1 and proof_run(root) == first.invocation_id
    caplog.clear()

    change(root, 2)
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        second = run(root, T2)
    assert second.ok and fct(second).rows == 11  # orders 0..9 (at or past the mark) and the new
    assert fct(second).message == "11 rows applied"
    by_name = outcomes(second)
    assert by_name[UNIQUE]["status"] == "pass"
    assert by_name[UNIQUE]["message"] == proved_message(first.invocation_id, first.invocation_id)
    assert str(by_name[UNIQUE]["message"]).startswith(
        "proved by construction (increment keys unique, previous table verified at run "
    )
    # the declared tests ran on the table, the declared twin of the key's not_null included
    assert by_name["not_null_fct_order_id"]["message"] == "no failing rows"
    assert any(name.startswith("expression_fct_") for name in by_name)
    assert scans(caplog) == 0
    assert sql(root, "select count(*), count(distinct order_id), sum(amount) from fct") == [
        (101, 101, sum(range(100)) + 5 + 1)
    ]
    assert proof_run(root) == second.invocation_id

    change(root, 3)
    third = run(root, T3)
    assert outcomes(third)[UNIQUE]["message"] == proved_message(
        second.invocation_id, first.invocation_id
    )
    assert f"full key check at run {first.invocation_id}" in str(outcomes(third)[UNIQUE]["message"])


def test_no_proof_after_a_failed_key_check(root: Path) -> None:
    sql(root, "insert into orders values (50, 50, 0)")  # a duplicate below the high-water mark
    first = run(root, T1)
    assert outcomes(first)[UNIQUE]["status"] == "fail"
    assert proof_run(root) is None

    change(root, 2)  # the increment itself is clean, and is applied
    second = run(root, T2)
    assert fct(second).rows == 11
    unique = outcomes(second)[UNIQUE]
    assert (unique["status"], unique["failures"]) == ("fail", 1)
    assert unique["sample"] == [{"order_id": 50, "n_records": 2}]
    assert proof_run(root) is None


@pytest.mark.parametrize(
    "outside_write",
    [
        "insert into fct select * from fct where order_id = 50",
        "update fct set order_id = 51 where order_id = 50",  # same row count, same table size
    ],
)
def test_a_write_outside_mapforge_is_caught_and_the_full_check_reports_it(
    root: Path, outside_write: str
) -> None:
    first = run(root, T1)
    assert first.ok and proof_run(root) == first.invocation_id
    sql(root, outside_write)
    change(root, 2)
    second = run(root, T2)
    unique = outcomes(second)[UNIQUE]
    assert (unique["status"], unique["failures"]) == ("fail", 1)
    assert not str(unique["message"]).startswith("proved")
    assert [row["n_records"] for row in unique["sample"]] == [2]  # type: ignore[attr-defined]
    assert proof_run(root) is None

    change(root, 3)  # and it keeps scanning (and failing) until the table is fixed
    assert outcomes(run(root, T3))[UNIQUE]["status"] == "fail"


def test_full_refresh_runs_the_full_check_and_the_next_run_proves_from_it(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run(root, T1)
    change(root, 2)
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        refreshed = run(root, T2, full_refresh=True)
    assert refreshed.ok and outcomes(refreshed)[UNIQUE]["message"] == "no failing rows"
    assert scans(caplog) == 1
    assert proof_run(root) == refreshed.invocation_id

    change(root, 3)
    after = run(root, T3)
    assert outcomes(after)[UNIQUE]["message"] == proved_message(
        refreshed.invocation_id, refreshed.invocation_id
    )


def test_a_duplicate_in_the_increment_still_fails_before_the_apply(root: Path) -> None:
    first = run(root, T1)
    before = sql(root, "select * from fct order by all")
    sql(root, "insert into orders values (700, 1, 5), (700, 2, 5)")
    failed = run(root, T2)
    assert str(fct(failed).status) == "error"
    assert "appears more than once in the increment" in fct(failed).message
    assert sql(root, "select * from fct order by all") == before
    assert proof_run(root) == first.invocation_id  # the table is unchanged: still verified

    sql(root, "delete from orders where order_id = 700 and amount = 2")
    fixed = run(root, T3)
    assert fixed.ok and outcomes(fixed)[UNIQUE]["message"] == proved_message(
        first.invocation_id, first.invocation_id
    )


def test_state_is_in_wal_mode(root: Path) -> None:
    run(root, T1)
    with sqlite3.connect(root / ".mapforge" / "state.sqlite") as db:
        assert db.execute("pragma journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize("strategy", ["delete+insert", "merge"])
def test_the_fingerprint_after_an_apply_equals_a_scan_of_the_table(
    root: Path, strategy: str, caplog: pytest.LogCaptureFixture
) -> None:
    """delete+insert adds up what the DELETE returned and the stage held; merge scans."""
    if strategy == "merge":
        mapping = root / "mappings" / "fct.yaml"
        mapping.write_text(
            mapping.read_text().replace(
                "{watermark: updated_at}", "{watermark: updated_at, strategy: merge}"
            )
        )
        with open_project(root) as project:
            assert api.plan(project).ok
    run(root, T1)
    for mark, when in ((2, T2), (3, T3)):
        change(root, mark)  # updates and an insert: the DELETE removes some stage keys, not all
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
            assert outcomes(run(root, when))[UNIQUE]["message"].startswith("proved")  # type: ignore[union-attr]
        with RunState(root / ".mapforge") as state:
            proof = state.key_proof("fct")
        with DuckDBEngine(root / "warehouse.duckdb") as engine:
            assert proof is not None and proof.fingerprint == fingerprint(
                engine, "fct", ["order_id"]
            )
        table_scans = [
            r
            for r in caplog.records
            if str(r.args[1]).startswith("SELECT COUNT(*), COALESCE(BIT_XOR(HASH(")  # type: ignore[index]
            and str(r.args[1]).endswith('FROM "fct"')  # type: ignore[index]
        ]
        assert len(table_scans) == (1 if strategy == "delete+insert" else 2)  # before (and after)


def test_a_composite_key_fingerprint_tells_duplicates_from_the_verified_table() -> None:
    """DuckDB's hash(a, b) XORs to zero over a grid of keys; the fingerprint must not."""
    with DuckDBEngine() as engine:
        engine.execute(
            "create table verified as select * from (values (1, 0), (1, 1), (2, 0), (2, 1)) v(a, b)"
        )
        engine.execute(
            "create table doubled as select * from (values (1, 0), (1, 0), (2, 1), (2, 1)) v(a, b)"
        )
        assert fingerprint(engine, "verified", ["a", "b"]) != fingerprint(
            engine, "doubled", ["a", "b"]
        )


def test_a_counted_delete_on_a_composite_key_adds_up_to_a_scan() -> None:
    with DuckDBEngine() as engine:
        engine.execute(
            "create table t as select range // 4 as a, range % 4 as b, 0 as v from range(400)"
        )
        engine.execute(
            "create temp table s as select a, b, 1 as v from t where a >= 90"
            " union all select 100 + range // 4, range % 4, 1 from range(40)"
        )
        key = ["a", "b"]
        before, added = fingerprint(engine, "t", key), fingerprint(engine, "s", key)
        delete, insert = delete_insert("t", key, ["a", "b", "v"], "s")
        assert isinstance(delete, exp.Delete)
        removed = counted_delete(engine, delete, key)
        engine.execute(insert.sql(dialect="duckdb"))
        assert removed is not None and removed.startswith("40:")
        assert before and added
        assert shifted(before, removed, added) == fingerprint(engine, "t", key)
        assert engine.row_count("t") == 440


def test_an_increment_from_a_keyed_source_is_counted_not_probed(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """orders' PRIMARY KEY proves every increment's key: the stage is only counted."""
    sql(root, "alter table orders add primary key (order_id)")
    with open_project(root) as project:
        assert api.plan(project).ok  # the catalog changed
    first = run(root, T1)
    change(root, 2)
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        second = run(root, T2)
    assert fct(second).rows == 11
    assert outcomes(second)[UNIQUE]["message"] == proved_message(
        first.invocation_id, first.invocation_id
    )
    stage = [str(r.args[1]) for r in caplog.records if "__mapforge_stage_fct" in str(r.args[1])]  # type: ignore[index]
    assert any(s.startswith("SELECT COUNT(*), COALESCE(BIT_XOR(") for s in stage)
    assert not any("COUNT(DISTINCT" in s for s in stage)
    with RunState(root / ".mapforge") as state:
        proof = state.key_proof("fct")
    with DuckDBEngine(root / "warehouse.duckdb") as engine:
        assert proof is not None and proof.fingerprint == fingerprint(engine, "fct", ["order_id"])


def marks_read(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The high-water mark reads of the table (not of the stage)."""
    return [
        str(r.args[1])  # type: ignore[index]
        for r in caplog.records
        if str(r.args[1]).startswith('SELECT MAX("updated_at") FROM "fct"')  # type: ignore[index]
    ]


def test_the_next_run_reads_the_mark_past_the_last_one_and_not_the_whole_column(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run(root, T1)
    for mark, when, rows in ((2, T2, 11), (3, T3, 7)):  # 7: 0..4, 1002 (at 2) and 1003
        change(root, mark)
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
            assert fct(run(root, when)).rows == rows
        with RunState(root / ".mapforge") as state:
            assert state.watermark("fct", MARK) == str(mark - 1)  # the mark it read
        # the first apply after the build reads the column; the next reads past its mark
        past = ' WHERE "updated_at" >= 1' if mark == 3 else ""
        assert marks_read(caplog) == [f'SELECT MAX("updated_at") FROM "fct"{past}']


def test_a_hint_past_every_row_falls_back_to_the_column(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run(root, T1)
    change(root, 2)
    run(root, T2)  # it read the mark 1: the hint
    sql(root, "delete from fct where updated_at >= 1")  # outside mapforge: the mark drops to 0
    sql(root, "update orders set amount = 600 where order_id = 60")  # at 0: at the real mark
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        third = run(root, T3)
    assert marks_read(caplog) == [
        'SELECT MAX("updated_at") FROM "fct" WHERE "updated_at" >= 1',
        'SELECT MAX("updated_at") FROM "fct"',
    ]
    assert third.ok and fct(third).rows == 101  # everything from mark 0 again
    got = dict(sql(root, "select order_id, amount from fct where order_id in (0, 60, 1002)"))
    assert got == {0: 1, 60: 600, 1002: 1}  # a trusted hint would have left 60 at 60


def test_a_full_refresh_forgets_the_hint(root: Path) -> None:
    run(root, T1)
    change(root, 2)
    run(root, T2)
    run(root, T3, full_refresh=True)
    with RunState(root / ".mapforge") as state:
        assert state.watermark("fct", MARK) is None


def test_a_mark_of_another_column_or_type_is_not_used(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run(root, T1)
    change(root, 2)
    run(root, T2)
    with RunState(root / ".mapforge") as state:  # as if the mark had been of a text column
        state.record_watermark("fct", replace(MARK, type="VARCHAR"), "'abc'", "run-x")
    change(root, 3)
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        third = run(root, T3)
    assert third.ok and marks_read(caplog) == ['SELECT MAX("updated_at") FROM "fct"']


def test_a_state_file_from_before_watermarks_is_migrated(tmp_path: Path) -> None:
    from mapforge.migrations import Database
    from mapforge.pipeline import state as state_module

    Database(tmp_path / state_module.STATE_FILE, state_module.MIGRATIONS[:2]).close()
    with RunState(tmp_path) as state:
        assert state.watermark("fct", MARK) is None
        state.record_watermark("fct", MARK, "2", "run-1")
        assert state.watermark("fct", MARK) == "2"
        assert state.watermark("fct", replace(MARK, dialect="postgres")) is None
        assert state.watermark("fct", replace(MARK, name="other")) is None


def test_an_increment_reads_the_table_from_the_runs_catalog_not_the_engine_again(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """DuckDB has one writer, so the catalog read at the run's start still lists fct's columns."""
    run(root, T1)
    change(root, 2)
    with caplog.at_level(logging.DEBUG, logger="mapforge.engines.duckdb"):
        assert fct(run(root, T2)).rows == 11
    ran = [str(r.args[1]) for r in caplog.records if r.name == "mapforge.engines.duckdb"]  # type: ignore[index]
    assert 'SELECT * FROM "fct" LIMIT 0' not in ran
    assert not [s for s in ran if "from duckdb_tables()" in s.lower()]  # no table_exists
