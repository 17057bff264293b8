"""init, check, plan, run: the core verbs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapforge import __version__, api, render
from mapforge.cli.app import app, emit_json, out, user_errors
from mapforge.cli.options import AsJson, Exclude, ProjectDir, Select, Sheet
from mapforge.project import open_project


@app.command()
@user_errors
def init(directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path(".")) -> None:
    """Scaffold a working project: mapforge.yml, a mapping, a DuckDB with a source table."""
    for path in api.init(directory):
        out.print(f"created {path}")
    out.print(f"next: cd {directory} && mapforge check && mapforge plan && mapforge run")


@app.command()
@user_errors
def check(project_dir: ProjectDir = Path("."), sheet: Sheet = None, as_json: AsJson = False) -> None:
    """Validate the mapping against the live catalog, before any model is called."""
    with open_project(project_dir, sheet=sheet) as project:
        result = api.check(project)
    emit_json(render.check_json(result)) if as_json else render.check_table(out, result)
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
    with open_project(project_dir, sheet=sheet) as project:
        with render.progress(out, len(project.spec.targets), "plan", quiet=as_json) as advance:
            result = api.plan(project, select=select, refresh=refresh, use_cache=not no_cache, on_done=advance)
    emit_json(render.plan_json(result)) if as_json else render.plan_table(out, result)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
@user_errors
def run(project_dir: ProjectDir = Path("."), select: Select = None, exclude: Exclude = None, as_json: AsJson = False) -> None:
    """Materialize the locked SQL in dependency order, test every target, write run_results.json."""
    with open_project(project_dir) as project:
        with render.progress(out, len(project.spec.targets), "run", quiet=as_json) as advance:
            result = api.run(project, select=select, exclude=exclude, on_done=advance)
    emit_json(result.to_json()) if as_json else render.run_table(out, result)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def version() -> None:
    """Print the mapforge version."""
    out.print(__version__)
