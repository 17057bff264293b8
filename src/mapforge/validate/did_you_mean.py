"""Hints that name the closest known spelling, so a human or a repair prompt can fix a typo."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_LISTED = 12  # past this many names a list stops helping and starts drowning the prompt


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The known name most like `name` (case-insensitive), if any is close enough."""
    by_lower = {c.lower(): c for c in candidates}
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def hint(name: str, candidates: Iterable[str], kind: str) -> str | None:
    """`did you mean 'x'?`, else the known names of that kind, else None when there are none."""
    names = sorted(set(candidates), key=str.lower)
    if match := closest(name, names):
        return f"did you mean '{match}'?"
    if not names:
        return None
    shown = ", ".join(names[:_LISTED]) + (", ..." if len(names) > _LISTED else "")
    return f"known {kind}: {shown}"
