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

from sqlglot import exp

from mapforge.catalog.model import Catalog, Table
from mapforge.engines.base import Engine
from mapforge.errors import EngineError, PipelineError
from mapforge.lock import Lock, LockEntry
from mapforge.mapping.spec import Spec, Target
from mapforge.pipeline import key_proof
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.materialize import Applied, Build, Options, apply_target
from mapforge.pipeline.materialize.sql import parse_locked
from mapforge.pipeline.proof import PROVING_LOADS, fingerprint, proved_message
from mapforge.pipeline.results import RunResult, RunStatus, TargetResult, Timing, now
from mapforge.pipeline.state import KeyProof, MarkColumn, RunState
from mapforge.pipeline.tests import automatic_key_checks, record, target_checks
from mapforge.quality.builders import key_hash
from mapforge.quality.checks import Check, CheckResult, CheckStatus, key_fingerprint, run_checks

Listener = Callable[[TargetResult], None]


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
    # the recorded key proof each incremental target's build was given (see pipeline/proof.py)
    _proofs: dict[str, KeyProof] = field(default_factory=dict)
    # the database catalog as the run starts, which the static key proofs read
    # (pipeline/key_proof.py); None proves nothing and the key checks scan
    catalog: Catalog | None = None

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
        build = self._build(name, entry)
        try:
            applied = apply_target(engine, build)
        except (EngineError, PipelineError) as exc:
            return TargetResult(
                name,
                RunStatus.ERROR,
                message=exc.message,
                execution_time=time.perf_counter() - clock,
                timing=[Timing("execute", start, now())],
            )
        result = TargetResult(
            name, RunStatus.SUCCESS, rows=applied.rows, timing=[Timing("execute", start, now())]
        )
        self._remember_watermark(name, entry.load, applied)
        self._test(name, entry, result, engine, applied)
        result.execution_time = time.perf_counter() - clock
        return result

    def _build(self, name: str, entry: LockEntry) -> Build:
        assert entry.sql is not None  # the caller only runs runnable entries
        target = self.spec.target(name)
        key = tuple(target.key) if target else ()
        # an increment, not a first build: only then are the tree and the columns used
        increments = (
            entry.load in PROVING_LOADS
            and not self.options.full_refresh
            and self._stored(name) is not None
        )
        query = self._parsed(entry.sql) if increments else None
        return Build(
            name=name,
            sql=entry.sql,
            load=entry.load,
            as_of=self.options.as_of,
            key=key,
            options=Options.from_config(target.config) if target else Options(),
            full_refresh=self.options.full_refresh,
            verified_fingerprint=self._verified(name, entry.load, key),
            increment_keys_proved=query is not None
            and self._increment_keys_proved(name, entry, key, query),
            watermark_hint=self._watermark_hint(name, entry.load),
            query=query,
            stored_columns=self._stored_columns(name) if increments else None,
        )

    def _stored(self, name: str) -> Table | None:
        """Target `name` in the catalog of the run's start: that exact name, not Catalog.table's
        fallback to the part after a dot (a target `stg.fct` is not a table `fct`)."""
        return self.catalog.tables.get(name.lower()) if self.catalog is not None else None

    def _stored_columns(self, name: str) -> tuple[str, ...] | None:
        """The table's columns from the catalog of the run's start, if they cannot have changed.

        Only this target's own materialization writes the table during a run, and where the
        engine is the only writer (DuckDB) no other process can. Another connection of this
        process could (DuckDB allows it), which mapforge never opens during a run.
        """
        stored = self._stored(name)
        if stored is None or stored.kind != "table" or not self.engine.exclusive_writer:
            return None
        return tuple(stored.column_names)

    def _parsed(self, sql: str) -> exp.Expr | None:
        """The locked SELECT's tree, parsed once for the key proof and the increment."""
        try:
            return parse_locked(sql, self.engine.dialect)
        except PipelineError:
            return None  # the materialization parses it again, and the target fails with it

    def _remember_watermark(self, name: str, load: str, applied: Applied) -> None:
        if self.state is None or load not in PROVING_LOADS:
            return
        column = self._mark_column(name)
        if applied.rebuilt:
            self.state.forget_watermark(name)
        elif applied.watermark is not None and column is not None:
            self.state.record_watermark(name, column, applied.watermark, self.run_id)

    def _watermark_hint(self, name: str, load: str) -> str | None:
        if self.state is None or load not in PROVING_LOADS or self.options.full_refresh:
            return None
        column = self._mark_column(name)
        return self.state.watermark(name, column) if column is not None else None

    def _mark_column(self, name: str) -> MarkColumn | None:
        """The table's watermark column as the catalog of the run's start describes it."""
        target = self.spec.target(name)
        mark = Options.from_config(target.config).watermark if target else None
        table = self._stored(name) if mark else None
        column = table.column(mark) if table is not None and mark else None
        if column is None:
            return None
        return MarkColumn(self.engine.dialect, column.name, column.type)

    def _increment_keys_proved(
        self, name: str, entry: LockEntry, key: tuple[str, ...], query: exp.Expr
    ) -> bool:
        """Whether every increment of the table has a sound key by construction of its SELECT.

        The table must exist as the run starts (else the run builds it, no increment) and
        store each key column in the type the SELECT gives it. Only where the stage is
        fingerprinted (a key hash: DuckDB): the proof reads the catalog of the run's start,
        which still holds at the apply because DuckDB lets one process write the file; on a
        server another session could drop a source's key meanwhile.
        """
        stored = self._stored(name)
        if entry.load not in PROVING_LOADS or not key or stored is None:
            return False
        if self.options.full_refresh or not self.engine.enforces_keys or stored.kind != "table":
            return False
        if key_hash(key, dialect=self.engine.dialect) is None or not self.engine.exclusive_writer:
            return False
        assert self.catalog is not None
        return key_proof.prove_key(
            query,
            key,
            self.catalog,
            enforces_keys=True,
            targets=set(self.lock.targets),
            stored_in=stored,
        ).proved

    def _verified(self, name: str, load: str, key: tuple[str, ...]) -> str | None:
        """The fingerprint of the table as its key was last verified, if it may prove this run."""
        if self.state is None or load not in PROVING_LOADS or not key or self.options.full_refresh:
            return None
        proof = self.state.key_proof(name)
        if proof is None or [k.lower() for k in proof.key] != [k.lower() for k in key]:
            return None
        self._proofs[name] = proof
        return proof.fingerprint

    def _test(
        self, name: str, entry: LockEntry, result: TargetResult, engine: Engine, applied: Applied
    ) -> None:
        target = self.spec.target(name)
        if target is None:
            return
        start = now()
        # named and compared here, never run (target_checks builds the ones that run)
        automatic = automatic_key_checks(
            target, dialect=engine.dialect, load=entry.load, probe=False
        )
        proving = entry.load in PROVING_LOADS and bool(automatic) and self.state is not None
        previous = self._proofs.pop(name, None)
        static = self._static_proof(target, entry, engine, applied) if automatic else None
        if static is not None and static.proved:
            message = f"proved by construction: {static.reason}"
            outcomes = self._proved(target, entry, engine, automatic, message)
            if proving:  # so the next incremental run may prove it from this table
                self._record_static(name, target.key, engine)
        elif proving and applied.keys_proved and previous and applied.fingerprint:
            message = proved_message(previous.run_id, previous.scanned_run_id)
            outcomes = self._proved(target, entry, engine, automatic, message)
            self._record_proof(name, target.key, applied.fingerprint, previous.scanned_run_id)
        elif proving:
            checks = target_checks(target, dialect=engine.dialect, load=entry.load)
            ours = {(c.name, c.sql) for c in automatic}
            keys = [c for c in checks if (c.name, c.sql) in ours]
            outcomes, verified = _checked_keys(engine, target.name, target.key, keys)
            outcomes += run_checks(engine, [c for c in checks if (c.name, c.sql) not in ours])
            if verified is None:
                self._forget_proof(name)
            else:
                self._record_proof(name, target.key, verified, self.run_id)
        else:
            outcomes = run_checks(
                engine, target_checks(target, dialect=engine.dialect, load=entry.load)
            )
        for outcome in outcomes:
            record(result, outcome.to_json())
        result.timing.append(Timing("test", start, now()))
        failed = [t["name"] for t in result.tests if t["status"] in ("fail", "error")]
        result.message = (
            f"tests failed: {', '.join(failed)}"
            if failed
            else _written(result.rows, entry.load, applied)
        )

    def _proved(
        self,
        target: Target,
        entry: LockEntry,
        engine: Engine,
        automatic: list[Check],
        message: str,
    ) -> list[CheckResult]:
        """The automatic key checks as proved; the declared tests run on the table as usual."""
        declared = target_checks(target, dialect=engine.dialect, load=entry.load, keys=False)
        shown = {(c.name, c.sql) for c in declared}
        proved = [
            CheckResult(c, 0, [], CheckStatus.PASS, message)
            for c in automatic
            if (c.name, c.sql) not in shown  # a declared twin runs for real instead
        ]
        return proved + run_checks(engine, declared)

    def _static_proof(
        self, target: Target, entry: LockEntry, engine: Engine, applied: Applied
    ) -> key_proof.KeyProof | None:
        """The key proved from the locked SELECT and the catalog, when the table is that SELECT."""
        if not applied.rebuilt or entry.sql is None or not engine.enforces_keys:
            return None
        if self.catalog is None:
            return None
        return key_proof.prove_key(
            entry.sql, target.key, self.catalog, enforces_keys=True, targets=set(self.lock.targets)
        )

    def _record_static(self, name: str, key: list[str], engine: Engine) -> None:
        """Record the proved table's key fingerprint, as a passing full key check would."""
        verified = fingerprint(engine, name, key)
        if verified is None:
            self._forget_proof(name)
        else:
            self._record_proof(name, key, verified, self.run_id)

    def _record_proof(
        self, name: str, key: list[str], fingerprint: str, scanned_run_id: str
    ) -> None:
        assert self.state is not None
        proof = KeyProof(name, tuple(key), fingerprint, self.run_id, scanned_run_id)
        self.state.prove_key(proof)

    def _forget_proof(self, name: str) -> None:
        assert self.state is not None
        self.state.forget_key(name)


def _checked_keys(
    engine: Engine, table: str, key: list[str], checks: list[Check]
) -> tuple[list[CheckResult], str | None]:
    """Run the key checks; when all pass, the key fingerprint of the table they checked.

    On an engine with transactions the checks and the fingerprint read one snapshot, so the
    fingerprint is of exactly the rows the checks passed.
    """
    if key_fingerprint(table, key, dialect=engine.dialect) is None:
        return run_checks(engine, checks), None
    outcomes: list[CheckResult] = []
    verified: str | None = None
    try:
        with engine.transaction():
            outcomes = run_checks(engine, checks)
            if all(o.status is CheckStatus.PASS for o in outcomes):
                verified = fingerprint(engine, table, key)
    except EngineError:
        verified = None  # the outcomes, read before, stand; the next run scans again
    if not outcomes or any(o.status is CheckStatus.ERROR for o in outcomes):
        # an error aborts the transaction, and the checks after it would only say so: run
        # them again one by one, each reporting its own error; prove nothing
        return run_checks(engine, checks), None
    return outcomes, verified


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


def _written(rows: int | None, load: str, applied: Applied) -> str:
    """What the target's message says it wrote: `1 row`, `5 rows applied`, `40 rows built`."""
    if load == "scd2":
        return f"{rows} versions opened or closed"
    noun = "row" if rows == 1 else "rows"
    if load in PROVING_LOADS:  # incremental, merge: a first or full-refresh build says so
        return f"{rows} {noun} {'built' if applied.rebuilt else 'applied'}"
    return f"{rows} {noun}"
