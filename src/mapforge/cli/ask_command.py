"""`mapforge ask "question"`: one validated SELECT answering a question over the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from mapforge.ask import AskResult, ask
from mapforge.cli.app import app, emit_json, err, out, user_errors
from mapforge.cli.options import AsJson, ProjectDir
from mapforge.project import open_project

Question = Annotated[str, typer.Argument(help="The question, in plain words.")]
Run = Annotated[bool, typer.Option("--run", help="Execute the SQL and show its rows.")]
Limit = Annotated[
    int, typer.Option("--limit", min=1, help="Rows shown with --run (wraps the SQL in a LIMIT).")
]
NoCache = Annotated[
    bool, typer.Option("--no-cache", help="Ask the model even if a (paraphrased) answer is cached.")
]

# the same flag, short form and variable as `plan`/`run --target`: one setting picks the engine
AskTarget = Annotated[
    str | None,
    typer.Option(
        "--target",
        "-t",
        envvar="MAPFORGE_TARGET",
        help="Engine from `targets:` in mapforge.yml to ask (catalog, dialect, EXPLAIN, --run).",
    ),
]


@app.command("ask")
@user_errors
def ask_command(
    question: Question,
    project_dir: ProjectDir = Path("."),
    run: Run = False,
    limit: Limit = 20,
    no_cache: NoCache = False,
    as_json: AsJson = False,
    target: AskTarget = None,
) -> None:
    """Answer a question with one read-only SELECT: validated, EXPLAINed, optionally run."""
    with open_project(project_dir) as project:
        result = ask(project, question, run=run, limit=limit, use_cache=not no_cache, target=target)
    emit_json(result.to_json()) if as_json else render(out, err, result)
    if not result.ok:
        raise typer.Exit(1)


def render(console: Console, errors: Console, result: AskResult) -> None:
    """The SQL, the tables it reads, its findings, and the rows when it was run."""
    if result.clarification is not None:
        _say(console, f"[yellow]the model asks:[/] {escape(result.clarification)}")
        return
    if result.sql is not None:
        console.print(Syntax(result.sql, "sql", word_wrap=True))
        tables = ", ".join(result.tables) or "(none)"
        console.print(f"tables: {tables}   cached: {result.cached}", highlight=False)
    for finding in result.findings:
        hint = f" (hint: {finding.hint})" if finding.hint else ""
        _say(errors, f"[red]{finding.code}[/] {escape(finding.message + hint)}")
    if result.run_error is not None:
        _say(errors, f"[bold red]run failed:[/] {escape(result.run_error)}")
    for note in result.notes:
        _say(errors, f"[dim]note: {escape(note)}[/]")
    if result.rows is not None:
        console.print(_rows_table(result))


def _say(console: Console, text: str) -> None:
    # messages quote SQL and model text: no auto-colouring, no wrapping inside names
    console.print(text, highlight=False, soft_wrap=True)


def _rows_table(result: AskResult) -> Table:
    table = Table(*(result.columns or []), title=f"{len(result.rows or [])} rows")
    for row in result.rows or []:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    return table
