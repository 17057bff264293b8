"""Everything the report shows, gathered from files only: mapping, lock, run/test results, ledger.

No database is opened, so a report can be written while another process holds the warehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapforge import __version__
from mapforge import lock as lockfile
from mapforge.llm.ledger import Ledger
from mapforge.lock import Lock
from mapforge.mapping.spec import Spec
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.results import now
from mapforge.project import Project
from mapforge.report.dag_layout import Layout, layout
from mapforge.report.lineage import LineageRow, target_lineage

RUN_RESULTS, TEST_RESULTS, LEDGER = "run_results.json", "test_results.json", "ledger.sqlite"


@dataclass
class TargetView:
    name: str
    load: str
    description: str
    lock_origin: str  # compiled | llm:<model> | manual:<who> | override | "" (not planned)
    lock_status: str
    run: dict[str, Any] = field(default_factory=dict)  # its result in run_results.json
    tests: list[dict[str, Any]] = field(default_factory=list)
    tests_from: str = ""  # which file the tests come from
    lineage: list[LineageRow] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.run.get("status", "not run"))


@dataclass
class ReportData:
    project: str
    generated_at: str
    version: str
    targets: list[TargetView]
    dag: Layout
    run_meta: dict[str, Any]
    cost_by_target: list[dict[str, Any]]
    cost_by_model: list[dict[str, Any]]

    @property
    def total_cost(self) -> float:
        return sum(float(row.get("cost_usd") or 0.0) for row in self.cost_by_model)


def gather(project: Project) -> ReportData:
    """Read what the project has on disk into the report's model."""
    lock, spec = lockfile.read(project.dir), project.spec
    run, tested = (
        _results(project.state_dir / RUN_RESULTS),
        _results(project.state_dir / TEST_RESULTS),
    )
    targets = [_view(name, spec, lock, run, tested) for name in _names(spec, lock)]
    status = {t.name: t.status for t in targets}
    by_target, by_model = _costs(project.state_dir / LEDGER)
    return ReportData(
        project=project.config.name,
        generated_at=now(),
        version=__version__,
        targets=targets,
        dag=layout(_dag(spec, lock), status),
        run_meta={**run.get("metadata", {}), "elapsed_time": run.get("elapsed_time")}
        if run
        else {},
        cost_by_target=by_target,
        cost_by_model=by_model,
    )


def _names(spec: Spec, lock: Lock) -> list[str]:
    names = list(spec.names)
    known = {n.lower() for n in names}
    return names + sorted(n for n in lock.targets if n.lower() not in known)


def _view(
    name: str, spec: Spec, lock: Lock, run: dict[str, Any], tested: dict[str, Any]
) -> TargetView:
    target, entry = spec.target(name), lock.get(name)
    view = TargetView(
        name=name,
        load=str(target.load if target else entry.load if entry else ""),
        description=target.description if target else "",
        lock_origin=entry.origin if entry else "",
        lock_status=str(entry.status) if entry else "not planned",
        run=_result_for(run, name),
        lineage=target_lineage(target, entry) if target else [],
    )
    test_result = _result_for(tested, name)
    newer = tested.get("metadata", {}).get("generated_at", "") > run.get("metadata", {}).get(
        "generated_at", ""
    )
    if test_result and (newer or not view.run):
        view.tests, view.tests_from = test_result.get("tests", []), "mapforge test"
    else:
        view.tests, view.tests_from = view.run.get("tests", []), "mapforge run" if view.run else ""
    return view


def _dag(spec: Spec, lock: Lock) -> DAG:
    edges: dict[str, set[str]] = {name: set() for name in _names(spec, lock)}
    edges.update(DAG.from_lock(lock).upstream)
    return DAG(edges)


def _results(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return {}  # a half-written file from a crashed run: report without it
    return data if isinstance(data, dict) else {}


def _result_for(results: dict[str, Any], name: str) -> dict[str, Any]:
    return next((r for r in results.get("results", []) if r.get("name") == name), {})


def _costs(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not path.exists():
        return [], []  # never create a ledger just to report that it is empty
    ledger = Ledger(path)
    try:
        return ledger.totals("target"), ledger.totals("model")
    finally:
        ledger.close()
