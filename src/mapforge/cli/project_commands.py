"""init, check, plan, run: the core verbs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapforge import __version__, api, render
from mapforge.cli.app import app, emit_json, out, user_errors
from mapforge.cli.options import AsJson, Exclude, ProjectDir, Select, Sheet
from mapforge.cli.plan_modes import BatchInPath, BatchOutPath, Budget, Estimate, offline_plan
from mapforge.cli.run_options import AsOf, FullRefresh, Resume, Threads, Wait
from mapforge.project import open_project

# one option for plan and run: the engine of `targets:` in mapforge.yml (default: `engine:`)
EngineTarget = Annotated[
    str | None,
    typer.Option(
        "--target",
        "-t",
        envvar="MAPFORGE_TARGET",
        help="Engine from `targets:` in mapforge.yml; its lock is mapforge.<target>.lock.",
    ),
]


@app.command()
@user_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path("."),
) -> None:
    """Scaffold a working project: mapforge.yml, a mapping, a DuckDB with a source table."""
    for path in api.init(directory):
        out.print(f"created {path}")
    out.print(f"next: cd {directory} && mapforge check && mapforge plan && mapforge run")


@app.command()
@user_errors
def check(
    project_dir: ProjectDir = Path("."), sheet: Sheet = None, as_json: AsJson = False
) -> None:
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
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Regenerate model-written SQL even when the lock is fresh."),
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write the model cache.")
    ] = False,
    sheet: Sheet = None,
    as_json: AsJson = False,
    target: EngineTarget = None,
    estimate: Estimate = False,
    batch_out: BatchOutPath = None,
    batch_in: BatchInPath = None,
    budget: Budget = None,
) -> None:
    """Compile or generate SQL for every target, validate it, and write mapforge.lock."""
    with open_project(project_dir, sheet=sheet) as project:
        code = offline_plan(
            project,
            estimate=estimate,
            batch_out=batch_out,
            batch_in=batch_in,
            select=select,
            refresh=refresh,
            as_json=as_json,
        )
        if code is not None:
            raise typer.Exit(code)
        with render.progress(out, len(project.spec.targets), "plan", quiet=as_json) as advance:
            result = api.plan(
                project,
                select=select,
                refresh=refresh,
                use_cache=not no_cache,
                on_done=advance,
                target=target,
                budget_usd=budget,
            )
    emit_json(render.plan_json(result)) if as_json else render.plan_table(out, result)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
@user_errors
def run(
    project_dir: ProjectDir = Path("."),
    select: Select = None,
    exclude: Exclude = None,
    as_json: AsJson = False,
    target: EngineTarget = None,
    threads: Threads = 1,
    full_refresh: FullRefresh = False,
    resume: Resume = False,
    as_of: AsOf = None,
    wait: Wait = 0.0,
) -> None:
    """Materialize the locked SQL in dependency order, test every target, write run_results.json."""
    with (
        open_project(project_dir) as project,
        render.progress(out, len(project.spec.targets), "run", quiet=as_json) as advance,
    ):
        result = api.run(
            project,
            select=select,
            exclude=exclude,
            on_done=advance,
            target=target,
            threads=threads,
            full_refresh=full_refresh,
            resume=resume,
            as_of=as_of,
            wait=wait,
        )
    emit_json(result.to_json()) if as_json else render.run_table(out, result)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def version() -> None:
    """Print the mapforge version."""
    out.print(__version__)
