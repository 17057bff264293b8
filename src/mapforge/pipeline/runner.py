"""Run: materialize the locked SQL in dependency order, test each target, record the results.

With `threads` > 1 (and an engine with `supports_parallel`), targets whose upstream is done
run at the same time, each thread on its own `engine.worker()`; a target still starts only
after every selected upstream target finished, and is skipped when one of them failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from graphlib import TopologicalSorter
from types import TracebackType

from mapforge.engines.base import Engine
from mapforge.errors import EngineError, PipelineError
from mapforge.lock import Lock, LockEntry
from mapforge.mapping.spec import Spec
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.materialize import Build, Options, materialize
from mapforge.pipeline.results import RunResult, RunStatus, TargetResult, Timing, now
from mapforge.pipeline.state import RunState
from mapforge.pipeline.tests import record, target_checks
from mapforge.quality.checks import run_checks

Listener = Callable[[TargetResult], None]
_WRITTEN = {
    "incremental": "rows applied",
    "merge": "rows applied",
    "scd2": "versions opened or closed",
}


@dataclass(frozen=True)
class RunOptions:
    threads: int = 1
    full_refresh: bool = False  # rebuild incremental and scd2 targets from scratch
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))


@dataclass
class Runner:
    spec: Spec
    lock: Lock
    engine: Engine
    on_done: Listener | None = None
    failed: set[str] = field(default_factory=set)  # targets that must not run, nor their downstream
    options: RunOptions = field(default_factory=RunOptions)
    state: RunState | None = None
    run_id: str = ""

    def run(self, chosen: set[str]) -> RunResult:
        started = time.perf_counter()
        dag = DAG.from_lock(self.lock)
        order = [name for name in dag.order() if name in chosen]
        if self.options.threads > 1 and self.engine.supports_parallel:
            results = self._parallel(order, dag)
        else:
            results = [
                self.finish(self._skipped(n, dag) or self._execute(n, self.engine)) for n in order
            ]
        return RunResult(results=results, elapsed_time=time.perf_counter() - started)

    def _parallel(self, order: list[str], dag: DAG) -> list[TargetResult]:
        chosen = set(order)
        sorter = TopologicalSorter({name: dag.upstream[name] & chosen for name in order})
        sorter.prepare()
        results: dict[str, TargetResult] = {}
        with (
            _Workers(self.engine) as workers,
            ThreadPoolExecutor(self.options.threads, "mapforge-run") as pool,
        ):
            running: dict[Future[TargetResult], str] = {}
            while sorter.is_active():
                for name in sorted(sorter.get_ready()):
                    skipped = self._skipped(name, dag)
                    if skipped is None:
                        running[pool.submit(self._in_worker, name, workers)] = name
                    else:
                        results[name] = self.finish(skipped)
                        sorter.done(name)
                done, _ = wait(running, return_when=FIRST_COMPLETED) if running else (set(), set())
                for future in done:
                    name = running.pop(future)
                    results[name] = self.finish(future.result())
                    sorter.done(name)
        return [results[name] for name in order]

    def _in_worker(self, name: str, workers: _Workers) -> TargetResult:
        return self._execute(name, workers.engine())

    def _skipped(self, name: str, dag: DAG) -> TargetResult | None:
        blocked = sorted(dag.upstream[name] & self.failed)
        if not blocked:
            return None
        return TargetResult(
            name,
            RunStatus.SKIPPED,
            message=f"skipped: upstream {', '.join(blocked)} did not succeed",
        )

    def finish(self, result: TargetResult) -> TargetResult:
        # called on the main thread only, so `failed`, the state and the listener need no lock
        if not result.ok:
            self.failed.add(result.name)
        if self.state is not None:
            self.state.finished(self.run_id, result)
        if self.on_done:
            self.on_done(result)
        return result

    def _execute(self, name: str, engine: Engine) -> TargetResult:
        if self.state is not None:
            self.state.started(self.run_id, name)
        entry = self.lock.targets[name]
        clock, start = time.perf_counter(), now()
        try:
            rows = materialize(engine, self._build(name, entry))
        except (EngineError, PipelineError) as exc:
            return TargetResult(
                name,
                RunStatus.ERROR,
                message=exc.message,
                execution_time=time.perf_counter() - clock,
                timing=[Timing("execute", start, now())],
            )
        result = TargetResult(
            name, RunStatus.SUCCESS, rows=rows, timing=[Timing("execute", start, now())]
        )
        self._test(name, entry, result, engine)
        result.execution_time = time.perf_counter() - clock
        return result

    def _build(self, name: str, entry: LockEntry) -> Build:
        assert entry.sql is not None  # the caller only runs runnable entries
        target = self.spec.target(name)
        return Build(
            name=name,
            sql=entry.sql,
            load=entry.load,
            as_of=self.options.as_of,
            key=tuple(target.key) if target else (),
            options=Options.from_config(target.config) if target else Options(),
            full_refresh=self.options.full_refresh,
        )

    def _test(self, name: str, entry: LockEntry, result: TargetResult, engine: Engine) -> None:
        target = self.spec.target(name)
        if target is None:
            return
        start = now()
        checks = target_checks(target, dialect=engine.dialect, load=entry.load)
        for outcome in run_checks(engine, checks):
            record(result, outcome.to_json())
        result.timing.append(Timing("test", start, now()))
        failed = [t["name"] for t in result.tests if t["status"] in ("fail", "error")]
        written = _WRITTEN.get(entry.load, "rows")
        result.message = (
            f"tests failed: {', '.join(failed)}" if failed else f"{result.rows} {written}"
        )


class _Workers:
    """One engine.worker() per pool thread, created on first use and closed at the end."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._opened: list[Engine] = []
        self._lock = threading.Lock()

    def engine(self) -> Engine:
        worker: Engine | None = getattr(self._local, "engine", None)
        if worker is None:
            worker = self._local.engine = self._engine.worker()
            with self._lock:
                self._opened.append(worker)
        return worker

    def __enter__(self) -> _Workers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for worker in self._opened:
            worker.close()
