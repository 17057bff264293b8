"""Mapping rows: a sheet's grid of cell texts → one `Row` per filled row, fields by name.

xlsx and csv both come here as a grid (list of rows of trimmed texts, row 1 first); the
yaml reader builds `Row`s itself. Rows then go to `assemble` to become targets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from mapforge.errors import MappingError
from mapforge.mapping.cells import to_text
from mapforge.mapping.columns import (
    ALIASES,
    find_header,
    is_header,
    likely_header,
    map_header,
    missing_required,
)
from mapforge.mapping.spec import Origin

Value = str | list[str]


@dataclass(frozen=True)
class Row:
    """One mapping row: field → trimmed text (or a list, from yaml) and where it was written.

    `columns`/`lines` override the column label and row number an error shows per field;
    the yaml reader uses them to point at `targets[0].columns[2].type` on its own line.
    """

    values: Mapping[str, Value]
    origin: Origin
    columns: Mapping[str, str] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    label: str = ""

    def text(self, name: str) -> str:
        """A field as text; blank when the column is absent."""
        value = self.values.get(name, "")
        return value if isinstance(value, str) else ", ".join(value)

    def raw(self, name: str) -> Value:
        """A field as given: text, or a list when yaml wrote one."""
        return self.values.get(name, "")

    def where(self) -> str:
        """How another error message refers to this row: "row 5"."""
        return self.label or f"row {self.origin.row}"

    def error(self, name: str, message: str, hint: str | None = None) -> MappingError:
        """A MappingError located at this row's `name` cell."""
        return MappingError(
            message,
            file=self.origin.file,
            sheet=self.origin.sheet,
            row=self.lines.get(name, self.origin.row),
            column=self.columns.get(name, name),
            hint=hint,
        )


def grid_rows(grid: Sequence[Sequence[str]], file: str, sheet: str | None) -> list[Row]:
    """The mapping rows under a sheet's header row, with target_table carried down."""
    header_at = find_header(grid)
    if header_at is None:
        raise no_header_error(grid, file, sheet)
    header = map_header(grid[header_at])
    _check_required(header, grid[header_at], file, sheet, header_at + 1)
    return list(_carry_target(_data_rows(grid, header_at, header, file, sheet)))


def sheet_has_header(grid: Sequence[Sequence[str]]) -> bool:
    """True when a header row sits within the first rows (a cover sheet has none)."""
    return find_header(grid) is not None


def no_header_error(
    grid: Sequence[Sequence[str]], file: str, sheet: str | None, searched: Sequence[str] = ()
) -> MappingError:
    """No row names target_table and target_column; show the row closest to a header."""
    best = likely_header(grid)
    found = f"; row {best + 1} has: {_listing(grid[best])}" if best is not None else "; it is empty"
    hint = "a header row names at least Target Table, Target Column and Target Type"
    if searched:
        hint += f"; sheets searched: {', '.join(searched)}"
    return MappingError(
        f"no header row naming target_table and target_column in the first rows{found}",
        file=file,
        sheet=sheet,
        hint=hint,
    )


def _check_required(
    header: dict[str, int], cells: Sequence[str], file: str, sheet: str | None, row: int
) -> None:
    missing = missing_required(header)
    if missing:
        names = ", ".join(missing)
        also = " or ".join(repr(alias) for alias in ALIASES[missing[0]])
        raise MappingError(
            f"missing required header {names} (headers found: {_listing(cells)})",
            file=file,
            sheet=sheet,
            row=row,
            hint=f"add a column named {also}",
        )


def _data_rows(
    grid: Sequence[Sequence[str]],
    header_at: int,
    header: dict[str, int],
    file: str,
    sheet: str | None,
) -> Iterator[Row]:
    for index in range(header_at + 1, len(grid)):
        cells = grid[index]
        values = {
            name: to_text(cells[col]) if col < len(cells) else "" for name, col in header.items()
        }
        # Blank separator rows, and a header repeated above the next target, carry no mapping.
        if any(values.values()) and not is_header(cells):
            yield Row(values=values, origin=Origin(file=file, sheet=sheet, row=index + 1))


def _carry_target(rows: Iterator[Row]) -> Iterator[Row]:
    """A blank target_table continues the target above it."""
    current = ""
    for row in rows:
        current = row.text("target_table") or current
        if not current:
            raise row.error(
                "target_table",
                "target_table is empty and no target above it",
                hint="write the target table on the first row of each target",
            )
        yield Row(values={**row.values, "target_table": current}, origin=row.origin)


def _listing(cells: Sequence[str]) -> str:
    return ", ".join(cell for cell in cells if cell) or "none"
