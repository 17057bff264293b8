"""Reading type names as sqlglot DataTypes without letting an odd name raise."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError

_UNKNOWN = frozenset({exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL})


def parse_type(text: str, dialect: str) -> exp.DataType | None:
    """The DataType a type name means in `dialect`, or None when sqlglot cannot read it."""
    try:
        parsed = exp.DataType.build(text, dialect=dialect)
    except (SqlglotError, ValueError):
        # catalogs report things like `USER-DEFINED`; such a type is simply unknown
        return None
    return None if parsed.this in _UNKNOWN else parsed


def known(dtype: exp.DataType | None) -> exp.DataType | None:
    """The type when annotation found one, None for UNKNOWN/NULL (nothing to judge)."""
    return None if dtype is None or dtype.this in _UNKNOWN else dtype
