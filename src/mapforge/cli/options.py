"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        "-p",
        envvar="MAPFORGE_PROJECT_DIR",
        help="Project directory (holds mapforge.yml).",
    ),
]
Select = Annotated[
    list[str] | None, typer.Option("--select", "-s", help="dbt syntax: name, +name, name+, tag:x.")
]
Exclude = Annotated[
    list[str] | None, typer.Option("--exclude", help="Targets to leave out (same syntax).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
Sheet = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        help="Sheet of the xlsx mapping to read (default: the first with a mapping header).",
    ),
]
