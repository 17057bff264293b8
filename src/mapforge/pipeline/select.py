"""dbt's node selection syntax: `name`, `+name` (with ancestors), `name+` (with descendants)."""

from __future__ import annotations

import difflib

from mapforge.errors import PipelineError
from mapforge.pipeline.dag import DAG


def select(dag: DAG, selectors: list[str] | None, exclude: list[str] | None = None) -> set[str]:
    """The set of target names chosen by --select minus --exclude (all targets when no selector)."""
    names = set(dag.upstream)
    chosen = set(names) if not selectors else set().union(*(_one(dag, s) for s in _split(selectors)))
    for spec in _split(exclude or []):
        chosen -= _one(dag, spec)
    return chosen


def _split(selectors: list[str]) -> list[str]:
    # `--select "a b"` and `--select a --select b` mean the same, as in dbt
    return [part for s in selectors for part in s.replace(",", " ").split()]


def _one(dag: DAG, spec: str) -> set[str]:
    up, down = spec.startswith("+"), spec.endswith("+")
    name = _resolve(dag, spec.strip("+"))
    chosen = {name}
    if up:
        chosen |= dag.ancestors(name)
    if down:
        chosen |= dag.descendants(name)
    return chosen


def _resolve(dag: DAG, name: str) -> str:
    by_lower = {n.lower(): n for n in dag.upstream}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    hint = f"did you mean {by_lower[close[0]]}?" if close else "see `mapforge plan` for the target names"
    raise PipelineError(f"--select: no target named {name!r}", hint=hint)
