"""The `mapforge` command: each verb parses options, calls one library function, renders."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from mapforge import __version__, api, render
from mapforge.errors import MapforgeError
from mapforge.project import Project, open_project

app = typer.Typer(help="Mapping documents + live metadata -> validated, locked SQL -> tested pipelines.", no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

ProjectDir = Annotated[Path, typer.Option("--project-dir", "-p", envvar="MAPFORGE_PROJECT_DIR", help="Project directory (holds mapforge.yml).")]
Select = Annotated[list[str] | None, typer.Option("--select", "-s", help="dbt syntax: name, +name, name+.")]
Exclude = Annotated[list[str] | None, typer.Option("--exclude", help="Targets to leave out (same syntax).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
Sheet = Annotated[str | None, typer.Option("--sheet", help="Sheet of the xlsx mapping to read (default: the first with a mapping header).")]


def user_errors(fn: F) -> F:
    """User mistakes print one clear message and exit 2; bugs keep their traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MapforgeError as exc:
            err.print(f"[bold red]error:[/] {exc.message}", highlight=False, markup=True, soft_wrap=True)
            if exc.hint:
                err.print(f"[yellow]hint:[/] {exc.hint}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _project(directory: Path, sheet: str | None = None) -> Project:
    return open_project(directory, sheet=sheet)


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command()
@user_errors
def init(directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path(".")) -> None:
    """Scaffold a working project: mapforge.yml, a mapping, a DuckDB with a source table."""
    created = api.init(directory)
    for path in created:
        out.print(f"created {path}")
    out.print(f"next: cd {directory} && mapforge check && mapforge plan && mapforge run")


@app.command()
@user_errors
def check(project_dir: ProjectDir = Path("."), sheet: Sheet = None, as_json: AsJson = False) -> None:
    """Validate the mapping against the live catalog, before any model is called."""
    project = _project(project_dir, sheet)
    try:
        result = api.check(project)
    finally:
        project.close()
    _emit(render.check_json(result)) if as_json else render.check_table(out, result)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
@user_errors
def plan(
    project_dir: ProjectDir = Path("."),
    select: Select = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Regenerate model-written SQL even when the lock is fresh.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the model cache.")] = False,
    sheet: Sheet = None,
    as_json: AsJson = False,
) -> None:
    """Compile or generate SQL for every target, validate it, and write mapforge.lock."""
    project = _project(project_dir, sheet)
    try:
        with render.plan_progress(out, len(project.spec.targets), quiet=as_json) as advance:
            result = api.plan(project, select=select, refresh=refresh, use_cache=not no_cache, on_done=advance)
    finally:
        project.close()
    _emit(render.plan_json(result)) if as_json else render.plan_table(out, result)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
@user_errors
def run(project_dir: ProjectDir = Path("."), select: Select = None, exclude: Exclude = None, as_json: AsJson = False) -> None:
    """Materialize the locked SQL in dependency order, test every target, write run_results.json."""
    project = _project(project_dir)
    try:
        with render.run_progress(out, len(project.spec.targets), quiet=as_json) as advance:
            result = api.run(project, select=select, exclude=exclude, on_done=advance)
    finally:
        project.close()
    _emit(result.to_json()) if as_json else render.run_table(out, result)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def version() -> None:
    """Print the mapforge version."""
    out.print(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
