"""Run: materialize the locked SQL in dependency order, test each target, record the results."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mapforge.engines.base import Engine
from mapforge.errors import EngineError
from mapforge.lock import Lock, LockEntry
from mapforge.mapping.spec import Spec
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.results import RunResult, RunStatus, TargetResult, Timing, now
from mapforge.pipeline.tests import target_checks
from mapforge.quality.checks import run_check

Listener = Callable[[TargetResult], None]


@dataclass
class Runner:
    spec: Spec
    lock: Lock
    engine: Engine
    on_done: Listener | None = None
    failed: set[str] = field(default_factory=set)  # targets that must not run, nor their downstream

    def run(self, chosen: set[str]) -> RunResult:
        started = time.perf_counter()
        dag = DAG.from_lock(self.lock)
        results = [self._one(name, dag) for name in dag.order() if name in chosen]
        return RunResult(results=results, elapsed_time=time.perf_counter() - started)

    def _one(self, name: str, dag: DAG) -> TargetResult:
        blocked = sorted(dag.upstream[name] & self.failed)
        if blocked:
            result = TargetResult(name, RunStatus.SKIPPED, message=f"skipped: upstream {', '.join(blocked)} did not succeed")
        else:
            result = self._build_and_test(name, self.lock.targets[name])
        if not result.ok:
            self.failed.add(name)
        if self.on_done:
            self.on_done(result)
        return result

    def _build_and_test(self, name: str, entry: LockEntry) -> TargetResult:
        clock = time.perf_counter()
        start = now()
        try:
            rows = self._materialize(name, entry)
        except EngineError as exc:
            return TargetResult(name, RunStatus.ERROR, message=exc.message, execution_time=time.perf_counter() - clock, timing=[Timing("execute", start, now())])
        result = TargetResult(name, RunStatus.SUCCESS, rows=rows, timing=[Timing("execute", start, now())])
        self._test(name, result)
        result.execution_time = time.perf_counter() - clock
        return result

    def _materialize(self, name: str, entry: LockEntry) -> int:
        assert entry.sql is not None  # the caller only runs runnable entries
        if entry.load == "view":
            self.engine.build_view(name, entry.sql)
            return self.engine.row_count(name)
        # incremental and scd2 loads are rebuilt in full until their materializations land
        return self.engine.build_table(name, entry.sql)

    def _test(self, name: str, result: TargetResult) -> None:
        target = self.spec.target(name)
        if target is None:
            return
        start = now()
        for check in target_checks(target):
            outcome = run_check(self.engine, check)
            result.tests.append(outcome.to_json())
            if outcome.status in ("fail", "error"):
                result.failures += max(outcome.failures, 1)
                result.status = RunStatus.FAIL
            elif outcome.status == "warn" and result.status is RunStatus.SUCCESS:
                result.status = RunStatus.WARN
        result.timing.append(Timing("test", start, now()))
        failed = [t["name"] for t in result.tests if t["status"] in ("fail", "error")]
        result.message = f"tests failed: {', '.join(failed)}" if failed else f"{result.rows} rows"
