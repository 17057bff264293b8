"""A run killed with SIGKILL mid-target leaves every table old or new, and --resume finishes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pipeline_project import TABLES, change_sources, make_project

from mapforge import api
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.project import open_project

AS_OF = "2024-01-02T00:00:00"


def checksums(root: Path) -> dict[str, str]:
    with DuckDBEngine(root / "warehouse.duckdb") as engine:
        return {name: engine.checksum(name) for name in TABLES}


def statuses(root: Path) -> dict[str, str]:
    path = root / ".mapforge" / "state.sqlite"
    if not path.exists():
        return {}
    with sqlite3.connect(path, timeout=5) as db:
        try:
            rows = db.execute(
                "select target, status from target_runs where run_id = (select run_id from runs order by started_at desc limit 1)"
            ).fetchall()
        except sqlite3.OperationalError:  # the tables are not migrated yet
            return {}
    return dict(rows)


def command(root: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mapforge",
        "run",
        "--project-dir",
        str(root),
        "--as-of",
        AS_OF,
        *args,
    ]


def kill_during_slow_target(root: Path) -> dict[str, str]:
    log = root / "killed.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(command(root), stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while statuses(root).get("m_slow") != "running":
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "m_slow never started"
        time.sleep(0.05)
    time.sleep(0.2)  # inside the SELECT, which takes seconds (50,000² / 4 pairs)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return statuses(root)


def test_sigkill_leaves_old_or_new_tables_and_resume_completes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", big_rows=50_000)
    with open_project(root) as project:
        assert api.plan(project).ok
        assert api.run(project, as_of=api_time("2024-01-01T00:00:00")).ok
    old = checksums(root)
    change_sources(root)

    at_kill = kill_during_slow_target(root)
    assert at_kill["m_slow"] == "running" and at_kill["z_after"] == "pending"
    killed = checksums(root)

    resumed = subprocess.run(
        command(root, "--resume"), capture_output=True, timeout=120, check=False
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    after = statuses(root)
    assert after == {name: "success" for name in ("m_slow", "z_after", "rpt_orders")}
    new = checksums(root)
    for name in TABLES:
        expected = new[name] if at_kill[name] == "success" else old[name]
        assert killed[name] == expected, f"{name} is neither its old nor its new state"
        assert (
            old[name] != new[name]
        )  # the run did change every table, so the check above means something
    with DuckDBEngine(root / "warehouse.duckdb") as engine:
        leftovers = engine.query(
            "select table_name from duckdb_tables() where table_name like '\\_\\_mapforge%' escape '\\'"
        )
    assert leftovers.rows == []


def api_time(text: str):  # noqa: ANN201 - a datetime; kept tiny
    from datetime import datetime

    return datetime.fromisoformat(text)
