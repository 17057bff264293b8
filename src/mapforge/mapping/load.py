"""The entry point: mapping documents (xlsx, csv, yaml) → one `Spec`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from mapforge.errors import MappingError
from mapforge.mapping.csv_reader import read_csv
from mapforge.mapping.spec import Spec, Target
from mapforge.mapping.xlsx import read_xlsx
from mapforge.mapping.yaml_reader import read_yaml

Reader = Callable[[Path, str, str | None], list[Target]]
READERS: dict[str, Reader] = {
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
    ".csv": lambda path, shown, sheet: read_csv(path, shown),
    ".yaml": lambda path, shown, sheet: read_yaml(path, shown),
    ".yml": lambda path, shown, sheet: read_yaml(path, shown),
}


def load_spec(
    paths: Sequence[Path], sheet: str | None = None, base_dir: Path | None = None
) -> Spec:
    """Read every mapping document (a directory means the documents in it) into one Spec.

    `sheet` picks the sheet of each workbook; without it, the first sheet with a mapping
    header is read. Paths in errors and origins are relative to `base_dir` when given.
    """
    targets: dict[str, Target] = {}
    shown_files = []
    for path in _documents(paths):
        shown = shown_path(path, base_dir)
        shown_files.append(shown)
        for target in read_document(path, shown, sheet):
            _add(targets, target)
    if not targets:
        where = ", ".join(shown_files) or "no files"
        raise MappingError(
            f"no targets found in {where}",
            hint="a mapping row needs at least target_table, target_column and target_type",
        )
    return Spec(targets=list(targets.values()))


def read_document(path: Path, shown: str, sheet: str | None = None) -> list[Target]:
    """Targets of one document, read by the reader its suffix names."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(READERS)
        raise MappingError(
            f"unknown mapping file type {path.suffix or '(none)'!r}",
            file=shown,
            hint=f"use one of {known}; save .xls workbooks as .xlsx",
        )
    if not path.is_file():
        raise MappingError("file not found", file=shown)
    return reader(path, shown, sheet)


def shown_path(path: Path, base_dir: Path | None) -> str:
    """How a file is named to the user: relative to base_dir when it lies under it."""
    if base_dir is not None:
        try:
            return path.resolve().relative_to(base_dir.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _documents(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            # Skip Excel's "~$book.xlsx" lock files and hidden files next to real documents.
            yield from sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in READERS and not p.name.startswith(("~$", "."))
            )
        else:
            yield path


def _add(targets: dict[str, Target], target: Target) -> None:
    first = targets.setdefault(target.name.lower(), target)
    if first is not target:
        origin = target.origin
        raise MappingError(
            f"target {target.name!r} is also defined in {first.origin}",
            file=origin.file if origin else None,
            sheet=origin.sheet if origin else None,
            row=origin.row if origin else None,
            hint="define each target in one document only",
        )
