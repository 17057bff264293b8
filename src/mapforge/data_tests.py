"""`mapforge test`: run every selected target's checks against the tables as they are.

Nothing is built. The result has run_results.json's shape (one TargetResult per target, the
same per-test JSON) and is written to .mapforge/test_results.json, leaving the last run's
run_results.json alone.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from mapforge import lock as lockfile
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.results import RunResult, RunStatus
from mapforge.pipeline.select import select as select_nodes
from mapforge.pipeline.tests import run_target_tests
from mapforge.project import Project

TEST_RESULTS = "test_results.json"


def test_project(
    project: Project,
    select: list[str] | None = None,
    *,
    exclude: list[str] | None = None,
    reference_time: datetime | None = None,
) -> RunResult:
    """Test the selected targets in dependency order; `reference_time` fixes freshness's 'now'."""
    started = time.perf_counter()
    dag = _dag(project)
    chosen = select_nodes(dag, select, exclude)
    engine = project.engine()
    results = [
        run_target_tests(engine, target, reference_time=reference_time)
        for name in dag.order()
        if name in chosen and (target := project.spec.target(name)) is not None
    ]
    result = RunResult(results=results, elapsed_time=time.perf_counter() - started)
    result.args = {"command": "test", "select": select or [], "exclude": exclude or []}
    _write(result, project.state_dir)
    return result


def failed_errors(result: RunResult) -> bool:
    """True when an error-severity test failed or a target could not be tested (exit 1)."""
    return any(r.status in (RunStatus.FAIL, RunStatus.ERROR) for r in result.results)


def _dag(project: Project) -> DAG:
    """The lock's graph (it knows what the SQL reads), plus targets not planned yet."""
    edges: dict[str, set[str]] = {name: set() for name in project.spec.names}
    lock_dag = DAG.from_lock(lockfile.read(project.dir))
    known = {name.lower() for name in edges}
    edges.update({n: d for n, d in lock_dag.upstream.items() if n.lower() in known})
    return DAG(edges)


def _write(result: RunResult, state_dir: Path) -> Path:
    path = state_dir / TEST_RESULTS
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    tmp.replace(path)
    return path


# a library function named like a test: keep pytest from collecting it where it is imported
test_project.__test__ = False  # type: ignore[attr-defined]
