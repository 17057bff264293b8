"""What planning cost (`mapforge cost`, from the ledger) and will cost (`plan --estimate`).

The estimate calls no model. Per target that a plan would send to a model:

    prompt tokens     = characters of the rendered first prompt / 4 (the gateway's rule)
    completion tokens = COMPLETION_BASE + COMPLETION_PER_COLUMN × output columns
                        (a SELECT spends ~40 tokens a column on expression + alias + cast,
                        plus FROM/JOIN/WHERE and the ```sql fence)
    cost              = tokens × the model's price (llm.prices, the built-in table,
                        genai-prices when installed; unknown price → 0, flagged)

Repair rounds are not predicted: the estimate is one round per target, a lower bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapforge.generate.planner import Planner
from mapforge.llm.gateway import prompt_tokens_estimate
from mapforge.llm.ledger import Grouping, Ledger, cost_usd, price_for
from mapforge.llm.provider import CompletionRequest, Message

GROUPINGS: tuple[Grouping, ...] = ("model", "target", "command", "day")
COMPLETION_BASE = 60
COMPLETION_PER_COLUMN = 40
# The numbers per group, in the order `mapforge cost` shows them. cache_hits counts every
# answer from a cache; semantic_hits is the part of it the semantic cache gave (a similar
# question, not the same one). Hits recorded before the ledger knew the difference (m002)
# count as exact.
COLUMNS = (
    "calls",
    "cache_hits",
    "semantic_hits",
    "failures",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
)


# -- what it cost --------------------------------------------------------------------------


@dataclass
class CostReport:
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    total: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))

    def to_json(self) -> dict[str, Any]:
        """One object: totals per grouping plus the grand total."""
        return {"by": self.groups, "total": self.total}


def cost_report(ledger_path: Path, by: Sequence[Grouping] = GROUPINGS) -> CostReport:
    """Totals from the ledger per grouping; an empty report when nothing was ever called."""
    report = CostReport(groups={g: [] for g in by})
    if not ledger_path.exists():  # do not create a ledger just to read it
        return report
    ledger = Ledger(ledger_path)
    try:
        for grouping in by:
            report.groups[grouping] = [_numbers(r) for r in ledger.totals(by=grouping)]
        report.total = _total(ledger.totals(by="command"))
    finally:
        ledger.close()
    return report


def _numbers(row: dict[str, Any]) -> dict[str, Any]:
    # SUM over zero rows is NULL in SQLite
    return {k: (v or 0) if k in COLUMNS else v for k, v in row.items()}


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: sum((r[k] or 0) for r in rows) for k in COLUMNS}


# -- what it will cost ---------------------------------------------------------------------


@dataclass
class TargetEstimate:
    target: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


@dataclass
class PlanEstimate:
    model: str
    price_known: bool
    targets: list[TargetEstimate] = field(default_factory=list)

    @property
    def prompt_tokens(self) -> int:
        return sum(t.prompt_tokens for t in self.targets)

    @property
    def completion_tokens(self) -> int:
        return sum(t.completion_tokens for t in self.targets)

    @property
    def cost_usd(self) -> float:
        return sum(t.cost_usd for t in self.targets)

    def to_json(self) -> dict[str, Any]:
        """Per target and in total."""
        total = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
        }
        targets = [vars(t) for t in self.targets]
        known = self.price_known
        return {"model": self.model, "price_known": known, "targets": targets, "total": total}


def estimate_plan(
    planner: Planner,
    targets: Sequence[Any],
    prices: Mapping[str, tuple[float, float]] | None = None,
) -> PlanEstimate:
    """Tokens and cost of the first model round of `targets` (see the module docstring)."""
    model = planner.settings.model if planner.settings else ""
    estimate = PlanEstimate(model=model, price_known=price_for(model, prices) is not None)
    for target in targets:
        _slice, prompt, _hashes = planner.model_inputs(target)
        messages = [Message(role=m["role"], content=m["content"]) for m in prompt.messages]
        tokens_in = prompt_tokens_estimate(CompletionRequest(messages=messages, model=model))
        tokens_out = COMPLETION_BASE + COMPLETION_PER_COLUMN * len(target.columns)
        cost = cost_usd(model, tokens_in, tokens_out, prices)
        estimate.targets.append(TargetEstimate(target.name, tokens_in, tokens_out, cost))
    return estimate
