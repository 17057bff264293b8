"""Mapping document columns: the header names people write, mapped to one field name each.

Headers match case-insensitively, trimmed, with spaces, underscores, hyphens (and stray
marks such as a trailing `*`) treated alike: "Target_Table", "target-table" and
"TARGET TABLE *" are all `target_table`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

ALIASES: dict[str, tuple[str, ...]] = {
    "target_table": ("Target Table", "Target Entity", "Target"),
    "target_column": ("Target Column", "Target Field", "Target Attribute"),
    "target_type": ("Target Type", "Data Type", "Target Data Type", "Type"),
    "source_table": ("Source Table", "Source Entity"),
    "source_column": ("Source Column", "Source Field", "Source Attribute"),
    "rule": (
        "Rule",
        "Transformation",
        "Transformation Logic",
        "Transformation Rule",
        "Business Rule",
        "Logic",
    ),
    "join": ("Join", "Join Condition", "Joins"),
    "filter": ("Filter", "Where", "Filter Condition"),
    "key": ("Key", "Primary Key", "PK", "Is Key"),
    "load": ("Load", "Load Strategy", "Load Type", "Materialization"),
    "tests": ("Tests", "Data Quality", "DQ Checks"),
    "description": ("Description", "Comment", "Notes"),
    "nullable": ("Nullable", "Null Allowed"),
    "depends_on": ("Depends On",),
    "tags": ("Tags",),
    "config": ("Load Options", "Load Config", "Options"),
}
REQUIRED = ("target_table", "target_column", "target_type")
# What makes a row a header row: enough to tell a mapping sheet from a cover sheet.
HEADER_MARKERS = ("target_table", "target_column")
HEADER_SEARCH_ROWS = 20


def header_key(text: str) -> str:
    """Lower case, every run of non-alphanumerics as one space: the form aliases compare in."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


_FIELD_BY_KEY = {
    header_key(alias): field for field, aliases in ALIASES.items() for alias in (field, *aliases)
}


def match_header(text: str) -> str | None:
    """The field a header cell names, or None for a column mapforge does not read."""
    return _FIELD_BY_KEY.get(header_key(text))


def map_header(cells: Sequence[str]) -> dict[str, int]:
    """Field → column index for one header row; the first of two synonyms wins."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        field = match_header(cell)
        if field and field not in found:
            found[field] = index
    return found


def is_header(cells: Sequence[str]) -> bool:
    """True when the row names at least the target table and target column."""
    found = map_header(cells)
    return all(marker in found for marker in HEADER_MARKERS)


def find_header(grid: Sequence[Sequence[str]]) -> int | None:
    """Index of the first header row within the first rows of a sheet, or None."""
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if is_header(cells):
            return index
    return None


def likely_header(grid: Sequence[Sequence[str]]) -> int | None:
    """Index of the row that looks most like a header (for an error message), or None."""
    scored = [
        (len(map_header(cells)), -index, index)
        for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS])
        if any(cells)
    ]
    return max(scored)[2] if scored else None


def missing_required(header: dict[str, int]) -> list[str]:
    """Required fields a header row does not name."""
    return [field for field in REQUIRED if field not in header]
