"""CSV mapping documents: the same columns and row rules as a sheet (see `rows`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mapforge.errors import MappingError
from mapforge.mapping.assemble import assemble
from mapforge.mapping.rows import grid_rows
from mapforge.mapping.spec import Target

DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 20


def read_csv(path: Path, shown: str) -> list[Target]:
    """Targets of one CSV file; row numbers are records, as a spreadsheet shows them."""
    text = _read_text(path, shown)
    # A quoted cell may hold new lines (a join per line), so one record can span lines.
    records = csv.reader(io.StringIO(text, newline=""), delimiter=guess_delimiter(text))
    try:
        grid = [list(record) for record in records]
    except csv.Error as error:
        raise MappingError(f"cannot read CSV: {error}", file=shown, row=records.line_num) from None
    return assemble(grid_rows(grid, shown, None))


def guess_delimiter(text: str) -> str:
    """`,` unless `;` or a tab is more frequent at the top (Excel exports `;` in some locales)."""
    head = "\n".join(text.splitlines()[:SNIFF_LINES])
    return max(DELIMITERS, key=head.count)


def _read_text(path: Path, shown: str) -> str:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as error:
        raise MappingError(
            f"not UTF-8 text ({error.reason} at byte {error.start})",
            file=shown,
            hint="save the file as CSV UTF-8",
        ) from None
