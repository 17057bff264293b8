"""What a `mapforge run` invocation will do: which targets, at which as-of time, as which run.

`--resume` replaces the selection by the unfinished targets of the last recorded run and
reuses its as-of time and --full-refresh, so a resumed scd2 load stamps the same valid_from
the interrupted run would have.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mapforge.errors import PipelineError
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.runner import RunOptions
from mapforge.pipeline.select import Tags
from mapforge.pipeline.select import select as select_nodes
from mapforge.pipeline.state import RunState


@dataclass(frozen=True)
class RunRequest:
    chosen: set[str]
    options: RunOptions
    args: dict[str, Any]
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    resumed_from: str | None = None


def request_run(
    state: RunState,
    dag: DAG,
    *,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
    threads: int = 1,
    full_refresh: bool = False,
    resume: bool = False,
    as_of: datetime | None = None,
    tags: Tags | None = None,
) -> RunRequest:
    """The run to do: the selection, or with `resume` what the last run left unfinished."""
    if threads < 1:
        raise PipelineError(f"--threads must be at least 1, not {threads}")
    if not resume:
        stamp = as_of or datetime.now(UTC).replace(microsecond=0)
        args = {
            "select": select or [],
            "exclude": exclude or [],
            "full_refresh": full_refresh,
            "as_of": stamp.isoformat(),
        }
        return RunRequest(
            select_nodes(dag, select, exclude, tags), RunOptions(threads, full_refresh, stamp), args
        )
    if select or exclude:
        raise PipelineError(
            "--resume reruns the last run's selection; it takes no --select or --exclude"
        )
    last = state.last_run()
    if last is None:
        raise PipelineError(
            "nothing to resume: no run is recorded yet", hint="run `mapforge run` first"
        )
    refresh = bool(last.args.get("full_refresh")) or full_refresh
    stamp = as_of or last.as_of
    args = last.args | {"resume": True, "as_of": stamp.isoformat(), "full_refresh": refresh}
    chosen = last.unfinished & set(dag.upstream)
    return RunRequest(chosen, RunOptions(threads, refresh, stamp), args, resumed_from=last.run_id)
