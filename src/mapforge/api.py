"""Library entry points, one per CLI verb: each takes a Project and returns a result object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mapforge import lock as lockfile
from mapforge.catalog.compose import declared_slice, planning_catalog
from mapforge.catalog.model import Catalog
from mapforge.cost import PlanEstimate, estimate_plan
from mapforge.errors import LockError
from mapforge.generate.attempt import LLMSettings
from mapforge.generate.batch import BatchIn, BatchOut, apply_batch, pending_targets, write_batch
from mapforge.generate.expected import sampler
from mapforge.generate.planner import Planner, PlanResult, TargetPlan
from mapforge.generate.retarget import Retargeter, lock_file, read_lock, write_lock
from mapforge.llm.batch import record_batch_usage
from mapforge.llm.lazy import LazyGateway
from mapforge.lock import EntryStatus, Lock
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.request import request_run
from mapforge.pipeline.results import RunResult, RunStatus, TargetResult
from mapforge.pipeline.runlock import run_lock
from mapforge.pipeline.runner import Runner
from mapforge.pipeline.select import select as select_nodes
from mapforge.pipeline.state import RunState
from mapforge.privacy.samples import sampler_from_config
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
        t.name: {
            names[s.lower()]
            for s in t.source_tables + t.depends_on
            if s.lower() in names and s.lower() != t.name.lower()
        }
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
    budget_usd: float | None = None,
    target: str | None = None,
) -> PlanResult:
    """Generate, validate and lock SQL for the selected targets; fresh entries are reused.

    `target` names an engine of `targets:` in mapforge.yml: the plan is for that engine and
    its lock is `mapforge.<target>.lock`, carried over from mapforge.lock (generate.retarget).
    """
    planner, chosen = planner_for(
        project, select=select, refresh=refresh, manual_sql=manual_sql, target=target
    )
    cfg = project.config.llm
    budget = budget_usd if budget_usd is not None else cfg.budget_usd  # --budget wins
    # built on first use: a plan that needs no model opens no client and no ledger
    with LazyGateway(
        cfg, project.state_dir, use_cache=use_cache, command="plan", budget_usd=budget
    ) as gateway:
        planner.gateway = gateway
        if _lock_name(project, target) is None:
            result = planner.plan(chosen, on_done)
        else:
            result = Retargeter(planner, lockfile.read(project.dir)).plan(chosen, on_done)
    write_lock(project.dir, _lock_name(project, target), result.lock)
    return result


def planner_for(
    project: Project,
    *,
    select: list[str] | None = None,
    refresh: bool = False,
    manual_sql: dict[str, tuple[str, str]] | None = None,
    target: str | None = None,
) -> tuple[Planner, set[str] | None]:
    """The planner `plan` uses (no gateway yet) and the selected targets (None = all).

    --estimate and --batch-out/--batch-in build theirs here too, so their prompts are
    byte-identical to a live plan's.
    """
    spec = project.spec
    engine = project.engine(target)
    catalog = planning_catalog(engine.catalog(), spec)
    chosen = select_nodes(spec_dag(project), select) if select else None
    lock_name = _lock_name(project, target)
    planner = Planner(
        spec=spec,
        catalog=catalog,
        lock=read_lock(project.dir, lock_name),
        dialect=engine.dialect,
        # overrides are written for the default engine; a target gets them through its lock
        overrides=project.override if lock_name is None else _no_override,
        explain=engine.explain,
        sample=sampler(
            engine,
            catalog,
            rows=project.config.validation.sample_rows,
            timeout_s=project.config.validation.timeout_s,
        ),
        # None unless privacy.send_samples: prompts carry metadata only by default
        samples=sampler_from_config(
            project.config.privacy, engine.query, project_name=project.config.name
        ),
        manual_sql=manual_sql or {},
        refresh=refresh,
    )
    cfg = project.config.llm
    planner.max_prompt_tokens = cfg.max_prompt_tokens
    planner.settings = LLMSettings(
        model=cfg.model, temperature=cfg.temperature, seed=cfg.seed, max_repairs=cfg.max_repairs
    )
    return planner, chosen


def plan_estimate(
    project: Project, *, select: list[str] | None = None, refresh: bool = False
) -> PlanEstimate:
    """`plan --estimate`: tokens and cost of the targets that would call a model; no call."""
    planner, chosen = planner_for(project, select=select, refresh=refresh)
    return estimate_plan(planner, pending_targets(planner, chosen), project.config.llm.prices)


def plan_batch_out(
    project: Project, path: Path, *, select: list[str] | None = None, refresh: bool = False
) -> BatchOut:
    """`plan --batch-out`: write the pending requests as a Batch API input file; no call."""
    planner, chosen = planner_for(project, select=select, refresh=refresh)
    return write_batch(planner, chosen, path)


def plan_batch_in(
    project: Project, path: Path, *, select: list[str] | None = None, refresh: bool = False
) -> BatchIn:
    """`plan --batch-in`: validate and lock a Batch API output file; ledger rows at batch price."""
    planner, chosen = planner_for(project, select=select, refresh=refresh)
    result = apply_batch(planner, chosen, path)
    record_batch_usage(project.state_dir, project.config.llm, result.usage)
    lockfile.write(project.dir, result.lock)
    return result


def run(
    project: Project,
    *,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
    on_done: Callable[[TargetResult], None] | None = None,
    target: str | None = None,
    threads: int = 1,
    full_refresh: bool = False,
    resume: bool = False,
    as_of: datetime | None = None,
    wait: float = 0.0,
) -> RunResult:
    """Materialize the locked SQL in dependency order and test each target (on `target`'s engine).

    One run per project at a time (a second waits `wait` seconds, then refuses); every target's
    outcome is recorded in .mapforge/state.sqlite, which `resume` reads.
    """
    with run_lock(project.state_dir, wait), RunState(project.state_dir) as state:
        spec = project.spec
        lock_name = _lock_name(project, target)
        lock = read_lock(project.dir, lock_name)
        engine = project.engine(target)
        database = engine.catalog(counts=False)  # once: freshness here, key proofs in the runner
        _require_fresh(project, lock, planning_catalog(database, spec), lock_file(lock_name))
        dag = DAG.from_lock(lock)
        tags = {t.name: t.tags for t in spec.targets}
        request = request_run(
            state,
            dag,
            select=select,
            exclude=exclude,
            threads=threads,
            full_refresh=full_refresh,
            resume=resume,
            as_of=as_of,
            tags=tags,
        )
        chosen = request.chosen
        state.begin(
            request.run_id, chosen, request.options.as_of, request.args, request.resumed_from
        )
        runnable = Lock(targets={n: e for n, e in lock.targets.items() if e.runnable})
        runner = Runner(
            spec=spec,
            lock=runnable,
            engine=engine,
            on_done=on_done,
            options=request.options,
            state=state,
            run_id=request.run_id,
            catalog=database,
        )
        unrunnable = [
            runner.finish(_not_runnable(n, lock))
            for n in sorted(chosen)
            if not lock.targets[n].runnable
        ]
        result = runner.run(
            chosen & set(runnable.targets) | _downstream_of(dag, unrunnable, chosen)
        )
        result.results = unrunnable + result.results
        result.invocation_id, result.args = request.run_id, request.args
        state.end(request.run_id)
        result.write(project.state_dir)
    return result


def _downstream_of(dag: DAG, failed: list[TargetResult], chosen: set[str]) -> set[str]:
    return {d for r in failed for d in dag.descendants(r.name)} & chosen


def _not_runnable(name: str, lock: Lock) -> TargetResult:
    entry = lock.targets[name]
    why = (
        f"needs clarification: {entry.question}"
        if entry.question
        else "its lock entry failed validation (see `mapforge plan`)"
    )
    return TargetResult(name, RunStatus.ERROR, message=f"not run: {why}")


def _lock_name(project: Project, target: str | None) -> str | None:
    """The target whose lock a command reads and writes; None is mapforge.lock."""
    return None if project.config.is_default(target) else target


def _no_override(_name: str) -> str | None:
    return None


def _require_fresh(
    project: Project, lock: Lock, catalog: Catalog, source: str = lockfile.LOCK_FILE
) -> None:
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
        raise LockError(
            f"{source} is out of date for: {', '.join(stale)}", hint="run `mapforge plan` first"
        )


def init(directory: Path) -> list[Path]:
    """Scaffold a working project; see mapforge.scaffold."""
    from mapforge.scaffold import scaffold

    return scaffold(directory)
