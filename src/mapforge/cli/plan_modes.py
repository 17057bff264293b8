"""`plan --estimate`, `--batch-out`, `--batch-in`: plans that call no model, and `--budget`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mapforge import api
from mapforge.cli.app import emit_json, out
from mapforge.cost import PlanEstimate
from mapforge.errors import ConfigError
from mapforge.generate.batch import BatchIn, BatchOut
from mapforge.project import Project

Estimate = Annotated[
    bool,
    typer.Option(
        "--estimate",
        help="Show expected tokens and cost of the targets that would call a model; call none.",
    ),
]
BatchOutPath = Annotated[
    Path | None,
    typer.Option(
        "--batch-out",
        help="Write the pending model requests as an OpenAI Batch API input file; call no model.",
    ),
]
BatchInPath = Annotated[
    Path | None,
    typer.Option(
        "--batch-in",
        help="Validate and lock the answers of a Batch API output file; failures go to <stem>.repair.jsonl.",
    ),
]
Budget = Annotated[
    float | None,
    typer.Option(
        "--budget",
        min=0.0,
        help="USD this run may spend on model calls (overrides llm.budget_usd).",
    ),
]


def offline_plan(
    project: Project,
    *,
    estimate: bool,
    batch_out: Path | None,
    batch_in: Path | None,
    select: list[str] | None,
    refresh: bool,
    as_json: bool,
) -> int | None:
    """Run the mode asked for and return the exit code; None when the plan is a live one."""
    asked = [
        name
        for name, on in (
            ("--estimate", estimate),
            ("--batch-out", batch_out),
            ("--batch-in", batch_in),
        )
        if on
    ]
    if len(asked) > 1:
        raise ConfigError(f"plan: {' and '.join(asked)} cannot be combined", hint="pick one")
    if estimate:
        result = api.plan_estimate(project, select=select, refresh=refresh)
        emit_json(result.to_json()) if as_json else estimate_table(out, result)
        return 0
    if batch_out is not None:
        written = api.plan_batch_out(project, batch_out, select=select, refresh=refresh)
        emit_json(batch_out_json(written)) if as_json else out.print(
            f"wrote {len(written.custom_ids)} requests to {written.path}"
        )
        return 0
    if batch_in is not None:
        if not batch_in.is_file():
            raise ConfigError(
                f"--batch-in: {batch_in} does not exist",
                hint="pass the Batch API output file (JSONL)",
            )
        applied = api.plan_batch_in(project, batch_in, select=select, refresh=refresh)
        emit_json(batch_in_json(applied)) if as_json else batch_in_table(out, applied)
        return 0 if applied.ok else 1
    return None


def estimate_table(console: Console, result: PlanEstimate) -> None:
    table = Table(
        "target",
        "prompt tokens",
        "completion tokens",
        "cost USD",
        title=f"estimate ({result.model})",
    )
    for item in result.targets:
        table.add_row(
            item.target,
            str(item.prompt_tokens),
            str(item.completion_tokens),
            f"{item.cost_usd:.4f}",
        )
    table.add_row(
        "total",
        str(result.prompt_tokens),
        str(result.completion_tokens),
        f"{result.cost_usd:.4f}",
        style="bold",
    )
    console.print(table)
    if not result.price_known:
        console.print(f"no price known for {result.model}: set llm.prices in mapforge.yml")
    console.print("estimate: one round per target (repairs not included); no model was called")


def batch_out_json(result: BatchOut) -> dict[str, object]:
    return {
        "path": str(result.path),
        "requests": len(result.custom_ids),
        "custom_ids": result.custom_ids,
    }


def batch_in_json(result: BatchIn) -> dict[str, object]:
    return {
        "ok": result.ok,
        "applied": [
            {"name": t.name, "status": str(t.entry.status) if t.entry else None}
            for t in result.targets
        ],
        "rejected": [{"custom_id": cid, "reason": why} for cid, why in result.rejected],
        "repair_path": str(result.repair_path) if result.repair_path else None,
        "repair_requests": len(result.repair_ids),
    }


def batch_in_table(console: Console, result: BatchIn) -> None:
    table = Table("target", "status", "findings", title="batch answers")
    for item in result.targets:
        entry = item.entry
        table.add_row(
            item.name,
            str(entry.status) if entry else "-",
            str(len(entry.findings)) if entry else "-",
        )
    console.print(table)
    for custom_id, why in result.rejected:
        console.print(f"[yellow]not applied[/] {custom_id}: {why}", soft_wrap=True, highlight=False)
    if result.repair_path is not None:
        console.print(
            f"wrote {len(result.repair_ids)} repair requests to {result.repair_path}",
            soft_wrap=True,
        )
