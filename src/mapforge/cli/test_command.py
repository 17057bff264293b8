"""`mapforge test`: run the data tests against the existing tables, building nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mapforge import data_tests as suite
from mapforge.cli.app import app, emit_json, out, user_errors
from mapforge.cli.options import AsJson, Exclude, ProjectDir, Select
from mapforge.errors import ConfigError
from mapforge.pipeline.results import RunResult
from mapforge.project import open_project

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        envvar="MAPFORGE_AS_OF",
        help="Reference time for freshness tests (ISO 8601, UTC; default: now).",
    ),
]
_STYLE = {"pass": "green", "success": "green", "warn": "yellow", "fail": "red", "error": "red"}


@app.command("test")
@user_errors
def test_command(
    project_dir: ProjectDir = Path("."),
    select: Select = None,
    exclude: Exclude = None,
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """Run the data tests against the existing tables; exit 1 if an error-level test fails."""
    with open_project(project_dir) as project:
        result = suite.test_project(project, select, exclude=exclude, reference_time=_moment(as_of))
    emit_json(result.to_json()) if as_json else _table(out, result)
    raise typer.Exit(1 if suite.failed_errors(result) else 0)


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--as-of {text!r} is not an ISO 8601 time", hint="e.g. --as-of 2024-12-31T00:00:00"
        ) from None


def _table(console: Console, result: RunResult) -> None:
    table = Table("target", "test", "severity", "status", "failures", title="test")
    for target in result.results:
        if not target.tests:
            table.add_row(
                target.name,
                "-",
                "-",
                f"[{_STYLE.get(str(target.status), 'dim')}]{target.status}[/]",
                "-",
                end_section=True,
            )
        for i, test in enumerate(target.tests):
            style = _STYLE.get(test["status"], "white")
            last = i == len(target.tests) - 1
            table.add_row(
                target.name,
                test["name"],
                test["severity"],
                f"[{style}]{test['status']}[/]",
                str(test["failures"]),
                end_section=last,
            )
    console.print(table)
    for target in result.results:
        if target.status in ("error", "fail"):
            console.print(
                f"[red]{target.name}[/]: {target.message}", soft_wrap=True, highlight=False
            )
    tests = [t for r in result.results for t in r.tests]
    counts = {
        s: sum(1 for t in tests if t["status"] == s) for s in ("pass", "warn", "fail", "error")
    }
    console.print(", ".join(f"{n} {s}" for s, n in counts.items()) + f" of {len(tests)} tests")
