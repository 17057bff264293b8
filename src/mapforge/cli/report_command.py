"""`mapforge report`: write one self-contained HTML page about targets, runs, tests and cost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapforge.cli.app import app, emit_json, out, user_errors
from mapforge.cli.options import AsJson, ProjectDir
from mapforge.project import open_project
from mapforge.report import write_report

Out = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Where to write the HTML (default: .mapforge/report.html)."),
]


@app.command()
@user_errors
def report(
    project_dir: ProjectDir = Path("."), out_path: Out = None, as_json: AsJson = False
) -> None:
    """Write an HTML report: targets and last run, DAG, column lineage, tests, timings, cost."""
    with open_project(project_dir) as project:
        path = write_report(project, out_path)
    emit_json({"report": str(path)}) if as_json else out.print(f"wrote {path}", highlight=False)
