"""One cell's value as text, a Y/N flag, a list or a load strategy.

Cell parsers here (and in types, rules, joins) raise `CellError`: they do not know where
the cell is. The reader that called them turns it into a `MappingError` with the file,
sheet, row and column, so the parsers stay pure and testable on plain strings.
"""

from __future__ import annotations

import datetime as dt
import difflib

from mapforge.mapping.spec import Load


class CellError(ValueError):
    """A cell's text is wrong; `hint` tells the user how to write it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


TRUE_FLAGS = frozenset({"y", "yes", "x", "true", "t", "1", "pk"})
FALSE_FLAGS = frozenset({"n", "no", "false", "f", "0", "-"})
LOAD_NAMES = {load.value: load for load in Load}


def to_text(value: object) -> str:
    """Render a raw cell value (from openpyxl, csv or yaml) as trimmed text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    # Excel stores every number as a float: 3.0 in a cell means 3.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def parse_flag(text: str) -> bool | None:
    """Y/Yes/X/True/1 → True, N/No/False/0 → False, blank → None (not given)."""
    word = text.strip().lower()
    if not word:
        return None
    if word in TRUE_FLAGS:
        return True
    if word in FALSE_FLAGS:
        return False
    raise CellError(
        f"{text!r} is not a Y/N flag", hint="write Y for yes and N (or leave blank) for no"
    )


def split_list(text: str) -> list[str]:
    """Split on `;`, `,` or new lines outside brackets and quotes.

    `accepted_values('a', 'b')` stays one item.
    """
    items: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char in ";,\n" and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def parse_load(text: str) -> Load:
    """table | view | incremental | merge | scd2, case-insensitive; blank means table."""
    word = "".join(ch for ch in text.lower() if ch.isalnum())
    if not word:
        return Load.TABLE
    if word in LOAD_NAMES:
        return LOAD_NAMES[word]
    close = difflib.get_close_matches(word, list(LOAD_NAMES), n=1, cutoff=0.5)
    choices = ", ".join(LOAD_NAMES)
    hint = f"did you mean {close[0]}? (one of {choices})" if close else f"use one of {choices}"
    raise CellError(f"{text!r} is not a load strategy", hint=hint)
