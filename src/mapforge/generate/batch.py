"""Plan through a provider's Batch API: write the pending requests, apply the answers later.

    plan --batch-out requests.jsonl   every request the live plan would send (round 0), no call
    (the user submits the file, waits, downloads the output file)
    plan --batch-in results.jsonl     judge each answer exactly like a live one (extract_sql +
                                      Planner.validate), lock what passed, and write the next
                                      round for what failed to results.repair.jsonl

A target whose answer failed is locked as `failed` with its attempts, so the next round's
answers find the history; an answer whose custom_id names no pending target, or whose
prompt hash is not the target's current one (mapping or catalog changed since), is
reported and not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mapforge.catalog.model import Catalog
from mapforge.generate.attempt import LLMSettings, Outcome
from mapforge.generate.attempt import _findings_for as findings_for  # judged like live answers
from mapforge.generate.attempt import _request as live_request  # sent like live requests
from mapforge.generate.extract import extract_sql
from mapforge.generate.planner import Planner, TargetPlan
from mapforge.generate.prompt import Prompt, build_repair_prompt
from mapforge.llm.batch import BatchId, BatchResult, read_results, write_requests
from mapforge.llm.provider import Completion, CompletionRequest
from mapforge.lock import Attempt, EntryStatus, Hashes, Lock, LockEntry, is_fresh
from mapforge.mapping.spec import Target


@dataclass
class BatchOut:
    path: Path
    custom_ids: list[str] = field(default_factory=list)


@dataclass
class BatchIn:
    lock: Lock
    targets: list[TargetPlan] = field(default_factory=list)  # answers applied to the lock
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (custom_id, why)
    repair_path: Path | None = None
    repair_ids: list[str] = field(default_factory=list)
    # (request, completion) of every answer read, for the ledger
    usage: list[tuple[CompletionRequest, Completion]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        applied = all(t.entry is not None and t.entry.runnable for t in self.targets)
        return applied and not self.rejected


def pending_targets(planner: Planner, chosen: set[str] | None) -> list[Target]:
    """The selected targets a live plan would send to a model, in mapping order."""
    selected = [t for t in planner.spec.targets if chosen is None or t.name in chosen]
    return [t for t in selected if planner.needs_model(t)]


def write_batch(planner: Planner, chosen: set[str] | None, path: Path) -> BatchOut:
    """Write round 0 of every pending target as a Batch API input file; no model is called."""
    requests = []
    for target in pending_targets(planner, chosen):
        _slice, prompt, hashes = planner.model_inputs(target)
        bid = BatchId(target.name, 0, hashes.prompt or "")
        requests.append((bid, live_request(prompt, target, _settings(planner), "generate")))
    write_requests(path, requests)
    return BatchOut(path, [str(bid) for bid, _ in requests])


def apply_batch(planner: Planner, chosen: set[str] | None, path: Path) -> BatchIn:
    """Apply a Batch API output file to the lock; failures go to `<stem>.repair.jsonl`."""
    result = BatchIn(lock=Lock(targets=dict(planner.lock.targets)))
    repairs: list[tuple[BatchId, CompletionRequest]] = []
    seen: set[str] = set()
    for item in read_results(path):
        why = _apply_one(planner, chosen, item, seen, result, repairs)
        if why is not None:
            result.rejected.append((item.custom_id or f"line {item.line}", why))
    if repairs:
        result.repair_path = path.with_name(f"{path.stem}.repair.jsonl")
        write_requests(result.repair_path, repairs)
        result.repair_ids = [str(bid) for bid, _ in repairs]
    return result


def _apply_one(
    planner: Planner,
    chosen: set[str] | None,
    item: BatchResult,
    seen: set[str],
    result: BatchIn,
    repairs: list[tuple[BatchId, CompletionRequest]],
) -> str | None:
    """Judge one answer; the reason it was not applied, or None."""
    bid = BatchId.parse(item.custom_id)
    target = planner.spec.target(bid.target) if bid else None
    if bid is None or target is None:
        return "names no target of the mapping"
    if chosen is not None and target.name not in chosen:
        return "not selected (--select)"
    if target.name in seen:
        return "a second answer for the same target in this file"
    slice_, prompt, hashes = planner.model_inputs(target)
    why = _stale(planner, target, bid, hashes, result.lock.get(target.name))
    if why is None and item.error is not None:
        why = f"the batch reported an error: {item.error}"
    if why is not None or item.completion is None:
        return why or "no answer"
    seen.add(target.name)
    request = _ledger_request(planner, target, prompt)
    result.usage.append((request, item.completion))
    plan, repair = _judge(planner, target, bid, item.completion, slice_, hashes, result.lock)
    result.lock.targets[target.name] = plan.entry  # type: ignore[assignment]
    result.targets.append(plan)
    if repair is not None:
        repairs.append((BatchId(target.name, bid.round + 1, bid.prompt_hash), repair))
    return None


def _stale(
    planner: Planner, target: Target, bid: BatchId, hashes: Hashes, previous: LockEntry | None
) -> str | None:
    if bid.prompt_hash != hashes.prompt:
        return "stale: the prompt changed since the batch was written (mapping or catalog)"
    if planner.needs_model(target) or _next_round(previous, hashes, bid):
        return None
    if planner.overrides(target.name) is not None or target.structured:
        return "the target is not written by a model"
    return "already locked and fresh (use --refresh to replace it)"


def _next_round(previous: LockEntry | None, hashes: Hashes, bid: BatchId) -> bool:
    # an earlier batch round locked this failure: a later round's answer may replace it
    if previous is None or previous.status is not EntryStatus.FAILED:
        return False
    if not is_fresh(previous, hashes):
        return False
    return bid.round > max((a.round for a in previous.attempts), default=-1)


def _judge(
    planner: Planner,
    target: Target,
    bid: BatchId,
    answer: Completion,
    slice_: Catalog,
    hashes: Hashes,
    lock: Lock,
) -> tuple[TargetPlan, CompletionRequest | None]:
    """The locked entry for one answer, and the repair request when it failed."""
    outcome = Outcome(calls=1, attempts=_history(lock.get(target.name), hashes, bid))
    extraction = extract_sql(answer.text)
    if extraction.clarification:
        outcome.question = extraction.clarification
        problem = f"clarification: {extraction.clarification}"
        outcome.attempts.append(Attempt(round=bid.round, problem=problem))
    else:
        findings = findings_for(extraction.sql, extraction.problem, target, planner.validate)
        dumped = [f.model_dump(mode="json") for f in findings]
        outcome.attempts.append(Attempt(round=bid.round, sql=extraction.sql, findings=dumped))
        outcome.sql, outcome.findings = extraction.sql, findings
    entry = planner._model_entry(target, outcome, hashes)
    entry.note = f"batch: round {bid.round} answer read from the Batch API output"
    repair = _repair(planner, target, bid, outcome, answer, slice_)
    if repair is not None:
        entry.note += "; repair round pending"
    return TargetPlan(target.name, "generated", entry, calls=1), repair


def _history(previous: LockEntry | None, hashes: Hashes, bid: BatchId) -> list[Attempt]:
    if bid.round == 0 or previous is None or not is_fresh(previous, hashes):
        return []
    return [a for a in previous.attempts if a.round < bid.round]


def _repair(
    planner: Planner,
    target: Target,
    bid: BatchId,
    outcome: Outcome,
    answer: Completion,
    slice_: Catalog,
) -> CompletionRequest | None:
    settings = _settings(planner)
    if outcome.ok or outcome.question or bid.round >= settings.max_repairs:
        return None
    previous_sql = outcome.sql or answer.text
    prompt = build_repair_prompt(target, slice_, previous_sql, outcome.findings, planner.dialect)
    return live_request(prompt, target, settings, "repair")


def _ledger_request(planner: Planner, target: Target, prompt: Prompt) -> CompletionRequest:
    # what the ledger row needs: model, target, purpose. A repair round's own prompt is not
    # rebuilt here; its tokens come from the output file's usage like every other round's.
    return live_request(prompt, target, _settings(planner), "batch")


def _settings(planner: Planner) -> LLMSettings:
    if planner.settings is None:
        raise ValueError("the planner has no LLM settings")  # a bug: api.planner_for sets them
    return planner.settings
