"""Re-target a plan to another engine: `mapforge plan --target NAME`.

Each target keeps one lock per engine target: the default engine's is `mapforge.lock`, a
named target's is `mapforge.<NAME>.lock` next to it (commit both). The default lock holds
the reviewed SQL; re-targeting carries it over instead of asking anyone again:

- structured targets compile afresh in the new dialect (no transpiling needed);
- every other entry of the default lock (manual, override, llm) is transpiled with sqlglot
  from the dialect it records to the new one, raising on anything sqlglot cannot express.
  A clean transpile keeps its origin and is validated again on the new engine (static checks
  in the new dialect, then EXPLAIN). A refused one is finding MF601: model-written entries
  go back to the model through the normal planning path (prompted in the new dialect),
  the others are locked as failed for a human to port;
- targets the default lock lacks (or holds stale) are planned the normal way.

Overrides (overrides/<target>.sql) are written for the default engine, so a target gets
them only through the default lock, transpiled like any hand-written entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot.errors import ErrorLevel, SqlglotError

from mapforge import lock as lockfile
from mapforge.catalog.compose import declared_slice
from mapforge.generate.planner import Planner, PlanResult, TargetPlan
from mapforge.lock import EntryStatus, Lock, LockEntry
from mapforge.mapping.spec import Target
from mapforge.validate.findings import Finding, Severity, has_errors


def lock_file(target: str | None) -> str:
    """The lock file of a target name; None is the default engine's `mapforge.lock`."""
    return lockfile.LOCK_FILE if target is None else f"mapforge.{target}.lock"


def read_lock(project_dir: Path, target: str | None) -> Lock:
    """The target's lock, or an empty one when there is none yet."""
    path = project_dir / lock_file(target)
    return lockfile.loads(path.read_text(), str(path)) if path.exists() else Lock()


def write_lock(project_dir: Path, target: str | None, lock: Lock) -> bool:
    """Write the target's lock atomically; return True when its bytes changed."""
    if target is None:
        return lockfile.write(project_dir, lock)
    path = project_dir / lock_file(target)
    text = lockfile.dumps(lock)
    if path.exists() and path.read_text() == text:
        return False
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True


class TranspileError(Exception):
    """sqlglot could not express the statement in the target dialect."""


def transpile(sql: str, source: str, dest: str) -> str:
    """`sql` from dialect `source` to `dest`, pretty-printed; raise TranspileError on loss."""
    if source == dest:
        return sql
    try:
        statements = sqlglot.transpile(
            sql, read=source, write=dest, unsupported_level=ErrorLevel.RAISE, pretty=True
        )
    except SqlglotError as exc:
        raise TranspileError(str(exc).splitlines()[0]) from None
    if len(statements) != 1:
        raise TranspileError(f"expected one statement, found {len(statements)}")
    return statements[0].strip() + "\n"


@dataclass
class Retargeter:
    """Plan for a new engine from the default lock; `planner` is set up for the new engine."""

    planner: Planner
    base: Lock  # the default engine's lock: the reviewed SQL to carry over
    _refused: dict[str, tuple[LockEntry, str]] = field(
        default_factory=dict
    )  # llm entries sent back to the model

    def plan(
        self, select: set[str] | None = None, on_done: Callable[[TargetPlan], None] | None = None
    ) -> PlanResult:
        """Carry over what transpiles; plan the rest (compiled, or the model) on the new engine."""
        chosen = [t for t in self.planner.spec.targets if select is None or t.name in select]
        carried = {t.name: plan for t in chosen if (plan := self._carry(t)) is not None}
        for plan in carried.values():
            if on_done:
                on_done(plan)
        rest = {t.name for t in chosen} - set(carried)
        result = self.planner.plan(rest, on_done)
        self._keep_refusals(result)
        for name, plan in carried.items():
            if plan.entry is not None:
                result.lock.targets[name] = plan.entry
        result.targets = sorted(result.targets + list(carried.values()), key=lambda p: p.name)
        return result

    def _carry(self, target: Target) -> TargetPlan | None:
        """A plan from the default lock's entry, or None to plan the target normally."""
        entry = self.base.get(target.name)
        # compiled entries compile afresh in the new dialect; missing ones are planned normally
        if entry is None or entry.origin == "compiled" or not entry.runnable or entry.sql is None:
            return None
        if entry.hashes.mapping != target.fingerprint():
            if entry.origin.startswith("llm:"):
                return None
            return TargetPlan(
                target.name,
                "error",
                None,
                error=f"{lockfile.LOCK_FILE} is stale for {target.name}: run `mapforge plan` first",
            )
        try:
            sql = transpile(entry.sql, entry.dialect, self.planner.dialect)
        except TranspileError as exc:
            if entry.origin.startswith("llm:"):
                self._refused[target.name] = (entry, str(exc))
                return None
            return self._untranslatable(target, entry, str(exc))
        return TargetPlan(
            target.name,
            "transpiled",
            self._entry(target, entry, sql, self.planner.validate(sql, target)),
        )

    def _keep_refusals(self, result: PlanResult) -> None:
        """A refused llm entry the model could not replace (no model, budget) stays as MF601."""
        for plan in result.targets:
            if plan.name in self._refused and plan.entry is None:
                entry, why = self._refused[plan.name]
                target = self.planner.spec.target(plan.name)
                assert target is not None  # planned targets come from the spec
                plan.entry = self._untranslatable(target, entry, why).entry
                result.lock.targets[plan.name] = plan.entry  # type: ignore[assignment]

    def _untranslatable(self, target: Target, entry: LockEntry, why: str) -> TargetPlan:
        finding = Finding(
            code="MF601",
            severity=Severity.ERROR,
            target=target.name,
            message=f"cannot transpile from {entry.dialect} to {self.planner.dialect}: {why}",
            hint=f"write {target.name}'s SQL for {self.planner.dialect} (overrides/{target.name}.sql) and plan again",
        )
        return TargetPlan(target.name, "error", self._entry(target, entry, None, [finding]))

    def _entry(
        self, target: Target, base: LockEntry, sql: str | None, findings: list[Finding]
    ) -> LockEntry:
        # same origin and prompt hashes; the catalog hash is the new engine's, as `run` checks it
        hashes = base.hashes.model_copy(
            update={"catalog": declared_slice(target, self.planner.catalog).fingerprint()}
        )
        return base.model_copy(
            update={
                "status": EntryStatus.FAILED
                if sql is None or has_errors(findings)
                else EntryStatus.OK,
                "dialect": self.planner.dialect,
                "hashes": hashes,
                "findings": [f.model_dump(mode="json", exclude_none=True) for f in findings],
                "attempts": [],
                "sql": sql,
            }
        )
