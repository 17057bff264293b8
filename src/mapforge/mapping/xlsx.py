"""Excel workbooks: pick the mapping sheet, un-merge its cells, hand the grid to `rows`."""

from __future__ import annotations

import difflib
import warnings
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from mapforge.errors import MappingError
from mapforge.mapping.assemble import assemble
from mapforge.mapping.cells import to_text
from mapforge.mapping.columns import likely_header, map_header
from mapforge.mapping.rows import grid_rows, no_header_error, sheet_has_header
from mapforge.mapping.spec import Target

Grid = list[list[str]]


def read_xlsx(path: Path, shown: str, sheet: str | None = None) -> list[Target]:
    """Targets of one workbook: the named sheet, or the first sheet with a mapping header."""
    workbook = _open(path, shown)
    title, grid = _pick(workbook, shown, sheet)
    return assemble(grid_rows(grid, shown, title))


def sheet_grid(sheet: Worksheet) -> Grid:
    """Every cell as trimmed text, row 1 first, with each merged range filled with its value."""
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    # openpyxl keeps a merged range's value in its top-left cell only; the rest read None.
    for merged in sheet.merged_cells.ranges:
        min_col, min_row, max_col, max_row = merged.bounds
        value = values[min_row - 1][min_col - 1]
        for row in values[min_row - 1 : max_row]:
            row[min_col - 1 : max_col] = [value] * (max_col - min_col + 1)
    return [[to_text(value) for value in row] for row in values]


def _open(path: Path, shown: str) -> Workbook:
    try:
        # Not read_only: read-only worksheets do not expose merged ranges. openpyxl warns
        # about workbook features it does not read (data validation, ...), which we ignore.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise MappingError(
            f"cannot read workbook: {error}",
            file=shown,
            hint="save it from Excel as an .xlsx workbook",
        ) from None


def _pick(workbook: Workbook, shown: str, name: str | None) -> tuple[str, Grid]:
    sheets = workbook.worksheets
    if name is not None:
        sheet = _named(sheets, shown, name)
        return sheet.title, sheet_grid(sheet)
    grids = {}
    for sheet in sheets:
        grids[sheet.title] = grid = sheet_grid(sheet)
        if sheet_has_header(grid):
            return sheet.title, grid
    best = max(grids, key=lambda title: _header_score(grids[title]))
    raise no_header_error(grids[best], shown, best, searched=list(grids))


def _named(sheets: list[Worksheet], shown: str, name: str) -> Worksheet:
    wanted = name.strip().lower()
    for sheet in sheets:
        if sheet.title.strip().lower() == wanted:
            return sheet
    titles = [sheet.title for sheet in sheets]
    close = difflib.get_close_matches(name, titles, n=1)
    hint = f"did you mean {close[0]}?" if close else f"use one of: {', '.join(titles)}"
    raise MappingError(
        f"sheet {name!r} not found (sheets: {', '.join(titles)})", file=shown, hint=hint
    )


def _header_score(grid: Grid) -> int:
    best = likely_header(grid)
    return len(map_header(grid[best])) if best is not None else -1
