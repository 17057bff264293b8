"""`mapforge cost`: what model calls cost, from .mapforge/ledger.sqlite."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mapforge.cli.app import app, emit_json, out, user_errors
from mapforge.cli.options import AsJson, ProjectDir
from mapforge.cost import COLUMNS, GROUPINGS, CostReport, cost_report
from mapforge.llm import LEDGER_FILE
from mapforge.project import open_project


class By(StrEnum):
    MODEL = "model"
    TARGET = "target"
    COMMAND = "command"
    DAY = "day"


ByOption = Annotated[
    list[By] | None,
    typer.Option(
        "--by", help="Group by model, target, command or day (UTC); repeatable. Default: all four."
    ),
]


@app.command()
@user_errors
def cost(project_dir: ProjectDir = Path("."), by: ByOption = None, as_json: AsJson = False) -> None:
    """Show what model calls cost: calls, cache hits (semantic ones too), tokens and USD, grouped."""
    with open_project(project_dir) as project:
        groupings = [b.value for b in by] if by else list(GROUPINGS)
        report = cost_report(project.state_dir / LEDGER_FILE, groupings)  # type: ignore[arg-type]
    emit_json(report.to_json()) if as_json else cost_tables(out, report)


# words that fold onto two lines of six letters at most, so all eight columns fit in 80
_HEADERS = {
    "prompt_tokens": "input tokens",
    "completion_tokens": "output tokens",
    "cost_usd": "USD",
}


def cost_tables(console: Console, report: CostReport) -> None:
    headers = [_HEADERS.get(c, c.replace("_", " ")) for c in COLUMNS]
    for grouping, rows in report.groups.items():
        table = Table(grouping, *headers, title=f"cost by {grouping}")
        for row in rows:
            table.add_row(str(row[grouping]), *_cells(row))
        console.print(table)
    console.print(
        "total: "
        + "  ".join(
            f"{k}={v:.4f}" if k == "cost_usd" else f"{k}={v}" for k, v in report.total.items()
        )
    )


def _cells(row: dict[str, Any]) -> list[str]:
    return [f"{row[k]:.4f}" if k == "cost_usd" else str(row[k]) for k in COLUMNS]
