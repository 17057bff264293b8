"""Options of `mapforge run`: parallelism, rebuilds, resume, the as-of time, lock waiting."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or timestamp (e.g. 2024-06-30T00:00:00Z)"
        ) from None


Threads = Annotated[
    int,
    typer.Option(
        "--threads",
        min=1,
        envvar="MAPFORGE_THREADS",
        help="Targets built at the same time (independent ones only).",
    ),
]
FullRefresh = Annotated[
    bool, typer.Option("--full-refresh", help="Rebuild incremental and scd2 targets from scratch.")
]
Resume = Annotated[
    bool,
    typer.Option("--resume", help="Rerun only the failed and not-yet-run targets of the last run."),
]
AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        envvar="MAPFORGE_AS_OF",
        parser=_as_of,
        metavar="TIMESTAMP",
        help=(
            "The run's timestamp, used as scd2 valid_from/valid_to "
            "(default: now, UTC; --resume reuses the last run's)."
        ),
    ),
]
Wait = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        envvar="MAPFORGE_RUN_WAIT",
        help="Seconds to wait for another run on this project to finish before refusing.",
    ),
]
