"""`mapforge run` end to end on a real project: idempotence, tags, threads, resume, run lock, state."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from pipeline_project import TABLES, change_sources, make_project

from mapforge import api
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.errors import PipelineError
from mapforge.pipeline.runlock import run_lock
from mapforge.pipeline.state import RunState
from mapforge.project import open_project

T1, T2, T3 = datetime(2024, 1, 1), datetime(2024, 1, 2), datetime(2024, 1, 3)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "p")
    with open_project(root) as project:
        assert api.plan(project).ok
    return root


def run(root: Path, **options: object) -> dict[str, str]:
    with open_project(root) as project:
        result = api.run(project, **options)  # type: ignore[arg-type]
    return {r.name: str(r.status) for r in result.results}


def checksums(root: Path) -> dict[str, str]:
    with DuckDBEngine(root / "warehouse.duckdb", read_only=True) as engine:
        return {name: engine.checksum(name) for name in TABLES}


def test_same_inputs_give_identical_tables(project_dir: Path, tmp_path: Path) -> None:
    twin = shutil.copytree(project_dir, tmp_path / "twin")
    for root in (project_dir, twin):
        assert set(run(root, as_of=T1).values()) == {"success"}
        change_sources(root)
        assert set(run(root, as_of=T2).values()) == {"success"}
    assert checksums(project_dir) == checksums(twin)
    before = checksums(project_dir)
    run(project_dir, as_of=T3)  # nothing changed since: incremental and scd2 write nothing
    assert checksums(project_dir) == before


def test_incremental_and_scd2_targets_keep_history(project_dir: Path) -> None:
    run(project_dir, as_of=T1)
    change_sources(project_dir)
    run(project_dir, as_of=T2)
    with duckdb.connect(str(project_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from fct_orders").fetchone() == (210,)
        assert con.execute("select amount from fct_orders where order_id = 1").fetchone() == (-1,)
        versions = con.execute(
            "select id, name, is_current from cust_hist where id in (1, 2, 100) order by all"
        ).fetchall()
    assert versions == [
        (1, "c1", False),
        (1, "renamed", True),
        (2, "c2", False),
        (100, "new", True),
    ]


def test_full_refresh_drops_history(project_dir: Path) -> None:
    run(project_dir, as_of=T1)
    change_sources(project_dir)
    run(project_dir, as_of=T2, select=["cust_hist"], full_refresh=True)
    with duckdb.connect(str(project_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "select count(*), count(*) filter (where is_current) from cust_hist"
        ).fetchone() == (50, 50)


def test_select_by_tag_and_exclude(project_dir: Path) -> None:
    assert set(run(project_dir, select=["tag:facts"], exclude=["z_after"])) == {
        "fct_orders",
        "rpt_orders",
    }
    assert set(run(project_dir, select=["tag:history+"])) == {"cust_hist"}
    with pytest.raises(PipelineError, match="no target is tagged 'nope'") as info:
        run(project_dir, select=["tag:nope"])
    assert info.value.hint == "known tags: facts, history"


def test_threads_run_independent_targets_together(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", big_rows=25_000)
    with open_project(root) as project:
        api.plan(project)
        result = api.run(project, threads=2, as_of=T1)
    assert result.ok
    timing = {r.name: (r.timing[0].started_at, r.timing[0].completed_at) for r in result.results}
    # m_slow ran while the other thread built the rest ...
    assert any(
        start < timing["m_slow"][1] and name != "m_slow" and start > timing["m_slow"][0]
        for name, (start, _) in timing.items()
    )
    # ... and the view still waited for its upstream
    assert timing["rpt_orders"][0] >= timing["fct_orders"][1]
    serial = tmp_path / "serial"
    shutil.copytree(root, serial)
    run(serial, threads=1, as_of=T1, full_refresh=True)
    assert checksums(root) == checksums(serial)


def test_resume_reruns_only_failed_and_skipped(project_dir: Path) -> None:
    run(project_dir, as_of=T1)
    with duckdb.connect(str(project_dir / "warehouse.duckdb")) as con:
        con.execute("insert into orders values (7, 1, 1, 5)")  # a duplicate key in the increment
    statuses = run(project_dir, as_of=T2)
    assert statuses["fct_orders"] == "error" and statuses["rpt_orders"] == "skipped"
    assert statuses["z_after"] == "success"
    with duckdb.connect(str(project_dir / "warehouse.duckdb")) as con:
        con.execute("delete from orders where updated_at = 5")
    assert run(project_dir, resume=True) == {"fct_orders": "success", "rpt_orders": "success"}
    assert run(project_dir, resume=True) == {}  # nothing left


def test_bad_increment_keys_fail_the_target_not_the_run(project_dir: Path) -> None:
    run(project_dir, as_of=T1)
    with duckdb.connect(str(project_dir / "warehouse.duckdb")) as con:
        con.execute("insert into orders values (7, 1, 1, 5), (7, 2, 2, 5)")
    with open_project(project_dir) as project:
        result = api.run(project, as_of=T2)
    by_name = {r.name: r for r in result.results}
    assert by_name["fct_orders"].status == "error"
    assert (
        "fct_orders: key (order_id), e.g. (order_id=7) appears more than once"
        in by_name["fct_orders"].message
    )
    assert by_name["rpt_orders"].status == "skipped" and by_name["z_after"].status == "success"


def test_second_run_refuses_naming_the_holder(project_dir: Path) -> None:
    state = project_dir / ".mapforge"
    state.mkdir(exist_ok=True)
    with (
        run_lock(state),
        pytest.raises(
            PipelineError,
            match=r"another `mapforge run` \(pid \d+\) is running.*after waiting 0.2s",
        ),
    ):
        run(project_dir, wait=0.2)
    assert set(run(project_dir, wait=0)) == set(TABLES) | {"rpt_orders"}


def test_a_waiting_run_starts_when_the_lock_is_released(project_dir: Path) -> None:
    state = project_dir / ".mapforge"
    state.mkdir(exist_ok=True)
    held = threading.Event()

    def hold() -> None:
        with run_lock(state):
            held.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    started = time.monotonic()
    assert run(project_dir, wait=10)
    assert time.monotonic() - started >= 0.4
    holder.join()


def test_state_records_every_target_of_every_run(project_dir: Path) -> None:
    run(project_dir, as_of=T1)
    run(project_dir, as_of=T2, select=["z_after"])
    with RunState(project_dir / ".mapforge") as state:
        last = state.last_run()
        history = state.history("z_after")
    assert last is not None and last.as_of == T2 and last.statuses == {"z_after": "success"}
    assert [h["status"] for h in history] == ["success", "success"] and history[0]["rows"] == 50
