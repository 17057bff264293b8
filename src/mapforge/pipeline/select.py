"""dbt's node selection syntax: `name`, `+name` (with ancestors), `name+` (with descendants),
and `tag:x` (every target tagged x in the mapping), which takes the same `+` marks."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from mapforge.errors import PipelineError
from mapforge.pipeline.dag import DAG

Tags = Mapping[str, Sequence[str]]  # target -> its tags, from the Spec


def select(
    dag: DAG,
    selectors: list[str] | None,
    exclude: list[str] | None = None,
    tags: Tags | None = None,
) -> set[str]:
    """The set of target names chosen by --select minus --exclude (all targets when no selector)."""
    names = set(dag.upstream)
    chosen = (
        set(names)
        if not selectors
        else set().union(*(_one(dag, s, tags or {}) for s in _split(selectors)))
    )
    for spec in _split(exclude or []):
        chosen -= _one(dag, spec, tags or {})
    return chosen


def _split(selectors: list[str]) -> list[str]:
    # `--select "a b"` and `--select a --select b` mean the same, as in dbt
    return [part for s in selectors for part in s.replace(",", " ").split()]


def _one(dag: DAG, spec: str, tags: Tags) -> set[str]:
    up, down = spec.startswith("+"), spec.endswith("+")
    bare = spec.strip("+")
    roots = (
        _tagged(dag, bare[4:], tags) if bare.lower().startswith("tag:") else {_resolve(dag, bare)}
    )
    chosen = set(roots)
    for name in roots:
        if up:
            chosen |= dag.ancestors(name)
        if down:
            chosen |= dag.descendants(name)
    return chosen


def _tagged(dag: DAG, tag: str, tags: Tags) -> set[str]:
    by_lower = {n.lower(): n for n in dag.upstream}
    found = {
        by_lower[name.lower()]
        for name, names in tags.items()
        if name.lower() in by_lower and tag.lower() in {t.lower() for t in names}
    }
    if not found:
        known = sorted({t for names in tags.values() for t in names})
        hint = (
            f"known tags: {', '.join(known)}"
            if known
            else "tag targets in the mapping's tags column"
        )
        raise PipelineError(f"--select: no target is tagged {tag!r}", hint=hint)
    return found


def _resolve(dag: DAG, name: str) -> str:
    by_lower = {n.lower(): n for n in dag.upstream}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    hint = (
        f"did you mean {by_lower[close[0]]}?"
        if close
        else "see `mapforge plan` for the target names"
    )
    raise PipelineError(f"--select: no target named {name!r}", hint=hint)
