"""Findings about a mapping document name the cell to edit: file, sheet, row."""

from __future__ import annotations

from mapforge.mapping.spec import ColumnMapping, Origin, Target
from mapforge.validate.findings import Finding


def mapping_finding(
    code: str,
    target: Target,
    message: str,
    *,
    column: ColumnMapping | None = None,
    hint: str | None = None,
) -> Finding:
    """A finding whose message starts with where the mapping row was written."""
    origin: Origin | None = column.origin if column and column.origin else target.origin
    text = f"{origin}: {message}" if origin else message
    name = column.name if column else None
    return Finding(code=code, target=target.name, column=name, message=text, hint=hint)
