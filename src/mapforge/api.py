"""Library entry points, one per CLI verb: each takes a Project and returns a result object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mapforge import lock as lockfile
from mapforge.catalog.compose import declared_slice, planning_catalog
from mapforge.catalog.model import Catalog
from mapforge.errors import LockError
from mapforge.generate.attempt import LLMSettings
from mapforge.generate.planner import Planner, PlanResult, TargetPlan
from mapforge.llm.lazy import LazyGateway
from mapforge.lock import EntryStatus, Lock
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.results import RunResult, RunStatus, TargetResult
from mapforge.pipeline.runner import Runner
from mapforge.pipeline.select import select as select_nodes
from mapforge.project import Project
from mapforge.validate.findings import Finding
from mapforge.validate.mapping_check import check_mapping


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    questions: dict[str, str] = field(default_factory=dict)  # target -> open clarification question
    targets: int = 0

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings) and not self.questions


def spec_dag(project: Project) -> DAG:
    """The target graph as the mapping declares it (before any SQL exists)."""
    names = {t.name.lower(): t.name for t in project.spec.targets}
    edges = {
        t.name: {names[s.lower()] for s in t.source_tables + t.depends_on if s.lower() in names and s.lower() != t.name.lower()}
        for t in project.spec.targets
    }
    return DAG(edges)


def check(project: Project) -> CheckResult:
    """Validate the mapping against the live catalog; no model is called."""
    catalog = project.engine().catalog()
    findings = check_mapping(project.spec, catalog)
    lock = lockfile.read(project.dir)
    questions = {
        name: entry.question or ""
        for name, entry in lock.targets.items()
        if entry.status is EntryStatus.NEEDS_CLARIFICATION and project.spec.target(name)
    }
    return CheckResult(findings=findings, questions=questions, targets=len(project.spec.targets))


def plan(
    project: Project,
    *,
    select: list[str] | None = None,
    refresh: bool = False,
    use_cache: bool = True,
    manual_sql: dict[str, tuple[str, str]] | None = None,
    on_done: Callable[[TargetPlan], None] | None = None,
) -> PlanResult:
    """Generate, validate and lock SQL for the selected targets; fresh entries are reused."""
    spec = project.spec
    engine = project.engine()
    catalog = planning_catalog(engine.catalog(), spec)
    chosen = select_nodes(spec_dag(project), select) if select else None
    planner = Planner(
        spec=spec,
        catalog=catalog,
        lock=lockfile.read(project.dir),
        dialect=engine.dialect,
        overrides=project.override,
        explain=engine.explain,
        manual_sql=manual_sql or {},
        refresh=refresh,
    )
    cfg = project.config.llm
    planner.max_prompt_tokens = cfg.max_prompt_tokens
    planner.settings = LLMSettings(model=cfg.model, temperature=cfg.temperature, seed=cfg.seed, max_repairs=cfg.max_repairs)
    # built on first use: a plan that needs no model opens no client and no ledger
    with LazyGateway(cfg, project.state_dir, use_cache=use_cache, command="plan", budget_usd=cfg.budget_usd) as gateway:
        planner.gateway = gateway
        result = planner.plan(chosen, on_done)
    lockfile.write(project.dir, result.lock)
    return result


def run(project: Project, *, select: list[str] | None = None, exclude: list[str] | None = None, on_done: Callable[[TargetResult], None] | None = None) -> RunResult:
    """Materialize the locked SQL in dependency order and test each target."""
    spec = project.spec
    lock = lockfile.read(project.dir)
    engine = project.engine()
    _require_fresh(project, lock, planning_catalog(engine.catalog(), spec))
    dag = DAG.from_lock(lock)
    chosen = select_nodes(dag, select, exclude)
    runnable = Lock(targets={n: e for n, e in lock.targets.items() if e.runnable})
    runner = Runner(spec=spec, lock=runnable, engine=engine, on_done=on_done)
    unrunnable = [_not_runnable(n, lock) for n in sorted(chosen) if not lock.targets[n].runnable]
    runner.failed.update(r.name for r in unrunnable)
    result = runner.run(chosen & set(runnable.targets) | _downstream_of(dag, unrunnable, chosen))
    result.results = unrunnable + result.results
    result.args = {"select": select or [], "exclude": exclude or []}
    result.write(project.state_dir)
    return result


def _downstream_of(dag: DAG, failed: list[TargetResult], chosen: set[str]) -> set[str]:
    return {d for r in failed for d in dag.descendants(r.name)} & chosen


def _not_runnable(name: str, lock: Lock) -> TargetResult:
    entry = lock.targets[name]
    why = f"needs clarification: {entry.question}" if entry.question else "its lock entry failed validation (see `mapforge plan`)"
    return TargetResult(name, RunStatus.ERROR, message=f"not run: {why}")


def _require_fresh(project: Project, lock: Lock, catalog: Catalog) -> None:
    """Refuse to run SQL planned from other inputs than today's mapping and catalog."""
    stale = []
    for target in project.spec.targets:
        entry = lock.get(target.name)
        if entry is None:
            stale.append(f"{target.name} (not planned)")
        elif entry.hashes.mapping != target.fingerprint():
            stale.append(f"{target.name} (mapping changed)")
        elif entry.hashes.catalog != declared_slice(target, catalog).fingerprint():
            stale.append(f"{target.name} (source metadata changed)")
    if stale:
        raise LockError(f"{lockfile.LOCK_FILE} is out of date for: {', '.join(stale)}", hint="run `mapforge plan` first")


def init(directory: Path) -> list[Path]:
    """Scaffold a working project; see mapforge.scaffold."""
    from mapforge.scaffold import scaffold

    return scaffold(directory)
