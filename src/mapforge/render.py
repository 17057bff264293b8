"""Rich rendering of command results; the JSON shapes printed by --json."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mapforge.api import CheckResult
from mapforge.generate.planner import PlanResult
from mapforge.pipeline.results import RunResult

_STATUS_STYLE = {
    "success": "green",
    "ok": "green",
    "warn": "yellow",
    "fail": "red",
    "error": "red",
    "failed": "red",
    "skipped": "dim",
    "needs_clarification": "yellow",
}


@contextmanager
def _progress(
    console: Console, total: int, label: str, quiet: bool
) -> Iterator[Callable[[Any], None]]:
    if quiet or not console.is_terminal:
        yield lambda _item: None
        return
    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda _item: progress.advance(task)


def progress(console: Console, total: int, label: str, quiet: bool = False) -> Any:
    """A progress bar on a terminal; nothing when piped or printing JSON."""
    return _progress(console, total, label, quiet)


def _styled(status: str) -> str:
    return f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]"


def check_table(console: Console, result: CheckResult) -> None:
    for finding in result.findings:
        console.print(_styled(str(finding.severity)), str(finding), soft_wrap=True, highlight=False)
    for target, question in result.questions.items():
        console.print(_styled("needs_clarification"), f"{target}: {question}", soft_wrap=True)
    errors = sum(1 for f in result.findings if f.severity == "error")
    console.print(
        f"{result.targets} targets checked: {errors} errors, {len(result.findings) - errors} warnings, {len(result.questions)} open questions"
    )


def check_json(result: CheckResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "targets": result.targets,
        "findings": [f.model_dump(mode="json") for f in result.findings],
        "questions": result.questions,
    }


def plan_table(console: Console, result: PlanResult) -> None:
    table = Table("target", "action", "origin", "status", "findings", title="plan")
    for item in sorted(result.targets, key=lambda t: t.name):
        entry = item.entry
        status = item.error and "error" or (entry.status if entry else "-")
        table.add_row(
            item.name,
            item.action,
            entry.origin if entry else "-",
            _styled(str(status)),
            str(len(entry.findings)) if entry else "-",
        )
    console.print(table)
    for item in result.targets:
        if item.error:
            console.print(f"[red]{item.name}[/]: {item.error}", soft_wrap=True, highlight=False)
        elif item.entry and item.entry.question:
            console.print(
                f"[yellow]{item.name} needs clarification[/]: {item.entry.question}", soft_wrap=True
            )
        elif item.entry:
            for finding in item.entry.findings:
                console.print(
                    f"  {item.name}: {finding['code']} {finding['message']}",
                    soft_wrap=True,
                    highlight=False,
                )
    console.print(f"model calls: {result.model_calls}")


def plan_json(result: PlanResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "model_calls": result.model_calls,
        "targets": [
            {
                "name": t.name,
                "action": t.action,
                "error": t.error,
                "entry": t.entry.model_dump(mode="json", exclude_none=True) if t.entry else None,
            }
            for t in result.targets
        ],
    }


def run_table(console: Console, result: RunResult) -> None:
    table = Table("target", "status", "rows", "tests", "seconds", "message", title="run")
    for item in result.results:
        tests = f"{sum(1 for t in item.tests if t['status'] == 'pass')}/{len(item.tests)}"
        rows = "" if item.rows is None else str(item.rows)
        table.add_row(
            item.name,
            _styled(str(item.status)),
            rows,
            tests,
            f"{item.execution_time:.2f}",
            item.message,
        )
    console.print(table)
    done = sum(1 for r in result.results if r.ok)
    console.print(f"{done}/{len(result.results)} targets succeeded in {result.elapsed_time:.2f}s")
