"""Plan: turn every target into locked SQL — override, compiled, reused, or written by a model."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from mapforge.catalog.compose import declared_slice, target_table
from mapforge.catalog.index import SchemaIndex
from mapforge.catalog.model import Catalog, Table
from mapforge.catalog.retrieval import Slice, select_slice
from mapforge.errors import BudgetExceeded, EngineError, ProviderError
from mapforge.generate.attempt import Completer, LLMSettings, Outcome, generate_with_repair
from mapforge.generate.compiler import compile_target
from mapforge.generate.expected import Sample
from mapforge.generate.prompt import Prompt, build_prompt
from mapforge.generate.references import target_dependencies
from mapforge.lock import EntryStatus, Hashes, Lock, LockEntry, is_fresh
from mapforge.mapping.spec import Spec, Target
from mapforge.validate.findings import Finding, Severity, has_errors
from mapforge.validate.static import validate_sql

Explain = Callable[[str, Sequence[Table]], None]


@dataclass
class TargetPlan:
    name: str
    action: str  # reused | compiled | generated | override | manual | error | skipped
    entry: LockEntry | None
    calls: int = 0
    error: str | None = None


@dataclass
class PlanResult:
    lock: Lock
    targets: list[TargetPlan] = field(default_factory=list)

    @property
    def model_calls(self) -> int:
        return sum(t.calls for t in self.targets)

    @property
    def ok(self) -> bool:
        return all(
            t.error is None and t.entry is not None and t.entry.runnable for t in self.targets
        )


@dataclass
class Planner:
    spec: Spec
    catalog: Catalog  # the planning catalog: database tables + target contracts
    lock: Lock
    dialect: str = "duckdb"
    gateway: Completer | None = None
    settings: LLMSettings | None = None
    overrides: Callable[[str], str | None] = lambda _name: None
    explain: Explain | None = None
    sample: Sample | None = None  # the sample run after EXPLAIN (generate.expected.sampler)
    # masked sample values for prompts (privacy.send_samples; privacy.samples.SampleCollector)
    samples: Callable[[Target, Catalog], dict[str, list[str]]] | None = None
    manual_sql: dict[str, tuple[str, str]] = field(default_factory=dict)  # target -> (author, sql)
    refresh: bool = False
    threads: int = 4
    max_prompt_tokens: int = 8000
    _index: SchemaIndex | None = field(default=None, repr=False)
    _index_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _explain_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def plan(
        self, select: set[str] | None = None, on_done: Callable[[TargetPlan], None] | None = None
    ) -> PlanResult:
        """Plan the selected targets (all by default); the rest of the lock is kept as it is."""
        chosen = [t for t in self.spec.targets if select is None or t.name in select]
        result = PlanResult(lock=Lock(targets=dict(self.lock.targets)))
        # drop entries of targets that no longer exist in the mapping
        for name in list(result.lock.targets):
            if self.spec.target(name) is None:
                del result.lock.targets[name]
        budget_hit = threading.Event()

        def one(target: Target) -> TargetPlan:
            plan = self._plan_target(target, budget_hit)
            if on_done:
                on_done(plan)
            return plan

        with ThreadPoolExecutor(max_workers=max(1, self.threads)) as pool:
            plans = list(pool.map(one, chosen))
        for plan in plans:
            if plan.entry is not None:
                result.lock.targets[plan.name] = plan.entry
        result.targets = plans
        return result

    def _plan_target(self, target: Target, budget_hit: threading.Event) -> TargetPlan:
        override = self.overrides(target.name)
        if override is not None:
            return self._from_sql(target, override, "override", "override", _sha(override))
        if target.structured:
            return self._from_sql(
                target, compile_target(target, self.dialect), "compiled", "compiled"
            )
        if target.name in self.manual_sql:
            author, sql = self.manual_sql[target.name]
            return self._from_sql(target, sql, f"manual:{author}", "manual")
        return self._from_model(target, budget_hit)

    def _from_sql(
        self, target: Target, sql: str, origin: str, action: str, override_hash: str | None = None
    ) -> TargetPlan:
        hashes = Hashes(
            mapping=target.fingerprint(),
            catalog=declared_slice(target, self.catalog).fingerprint(),
            override=override_hash,
        )
        findings = self.validate(sql, target)
        if action in ("override", "manual"):
            findings = [_demoted(f) for f in findings]
        return TargetPlan(target.name, action, self._entry(target, origin, sql, findings, hashes))

    def _prompt_slice(self, target: Target) -> Slice:
        """The catalog slice a prompt carries: declared sources plus what the rules need, within budget."""
        with (
            self._index_lock
        ):  # built once per plan: the hot path on catalogs of thousands of tables
            if self._index is None:
                self._index = SchemaIndex.build(self.catalog)
        return select_slice(target, self.catalog, self.max_prompt_tokens, index=self._index)

    def model_inputs(self, target: Target) -> tuple[Catalog, Prompt, Hashes]:
        """The catalog slice, first prompt and hashes of a model-written target."""
        retrieved = self._prompt_slice(target)
        slice_ = retrieved.catalog
        prompt = build_prompt(target, slice_, self.dialect, self._samples(target, slice_))
        hashes = Hashes(
            mapping=target.fingerprint(),
            # the declared slice, as `run` checks it; the retrieved extras are in the prompt hash
            catalog=declared_slice(target, self.catalog).fingerprint(),
            template=prompt.template_hash,
            prompt=prompt.text_hash,
        )
        return slice_, prompt, hashes

    def _samples(self, target: Target, slice_: Catalog) -> dict[str, list[str]] | None:
        if self.samples is None:
            return None
        with self._explain_lock:  # the engine's one connection is shared by the planning threads
            return self.samples(target, slice_)

    def needs_model(self, target: Target) -> bool:
        """Whether `plan` would ask a model for this target (for --estimate and --batch-out)."""
        if (
            self.overrides(target.name) is not None
            or target.structured
            or target.name in self.manual_sql
        ):
            return False
        previous = self.lock.get(target.name)
        return self.refresh or not is_fresh(previous, self.model_inputs(target)[2])

    def _from_model(self, target: Target, budget_hit: threading.Event) -> TargetPlan:
        slice_, prompt, hashes = self.model_inputs(target)
        previous = self.lock.get(target.name)
        if not self.refresh and previous is not None and is_fresh(previous, hashes):
            return TargetPlan(target.name, "reused", previous)
        if self.gateway is None or self.settings is None:
            return TargetPlan(
                target.name,
                "error",
                previous,
                error="needs a model: set llm.base_url / MAPFORGE_LLM_BASE_URL",
            )
        if budget_hit.is_set():
            return TargetPlan(
                target.name, "skipped", previous, error="skipped: the LLM budget is spent"
            )
        try:
            outcome = generate_with_repair(
                target, prompt, slice_, self.gateway, self.validate, self.settings, self.dialect
            )
        except BudgetExceeded as exc:
            budget_hit.set()
            return TargetPlan(target.name, "error", previous, error=str(exc))
        except ProviderError as exc:
            # keep the previous entry: a flaky endpoint must not cost a reviewed SQL
            return TargetPlan(target.name, "error", previous, error=str(exc))
        entry = self._model_entry(target, outcome, hashes)
        return TargetPlan(target.name, "generated", entry, calls=outcome.calls)

    def _model_entry(self, target: Target, outcome: Outcome, hashes: Hashes) -> LockEntry:
        assert self.settings is not None  # only model-written targets get here
        origin = f"llm:{self.settings.model}"
        entry = self._entry(target, origin, outcome.sql, outcome.findings, hashes)
        entry.attempts = outcome.attempts if len(outcome.attempts) > 1 or not outcome.ok else []
        if outcome.question:
            entry.status, entry.question, entry.sql = (
                EntryStatus.NEEDS_CLARIFICATION,
                outcome.question,
                None,
            )
        return entry

    def _entry(
        self, target: Target, origin: str, sql: str | None, findings: list[Finding], hashes: Hashes
    ) -> LockEntry:
        names = {t.name.lower() for t in self.spec.targets} - {target.name.lower()}
        return LockEntry(
            origin=origin,
            status=EntryStatus.FAILED if has_errors(findings) or sql is None else EntryStatus.OK,
            dialect=self.dialect,
            load=str(target.load),
            depends_on=target_dependencies(sql, target.depends_on, names, self.dialect),
            hashes=hashes,
            findings=[f.model_dump(mode="json", exclude_none=True) for f in findings],
            sql=_normalize(sql) if sql else None,
        )

    def validate(self, sql: str, target: Target) -> list[Finding]:
        """Static checks, then EXPLAIN, then a sample run — each only when the previous passed."""
        findings = validate_sql(sql, target, self.catalog, self.dialect)
        if has_errors(findings) or self.explain is None:
            return findings
        with self._explain_lock:  # one database connection is shared by the planning threads
            try:
                self.explain(sql, self._upstream_stubs(target, sql))
            except EngineError as exc:
                findings.append(
                    Finding(
                        code="MF501",
                        severity=Severity.ERROR,
                        target=target.name,
                        message=exc.message,
                        hint="the database's binder refused the statement",
                    )
                )
                return findings
            if self.sample is not None:
                findings += self.sample(sql, target)
        return findings

    def _upstream_stubs(self, target: Target, sql: str) -> list[Table]:
        """Contracts of the targets this SQL reads, so EXPLAIN binds before they are built."""
        others = {t.name.lower() for t in self.spec.targets} - {target.name.lower()}
        read = set(target_dependencies(sql, target.depends_on, others, self.dialect))
        return [target_table(t) for t in self.spec.targets if t.name.lower() in read]


# what a person may mean on purpose (an override that departs from a rule): warn, not fail
_HUMAN_CHOICES = frozenset({"MF506", "MF507"})


def _demoted(finding: Finding) -> Finding:
    if finding.code in _HUMAN_CHOICES and finding.severity is Severity.ERROR:
        return finding.model_copy(update={"severity": Severity.WARN})
    return finding


def _normalize(sql: str) -> str:
    return sql.strip().rstrip(";").strip() + "\n"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
