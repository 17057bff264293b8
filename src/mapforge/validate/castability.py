"""Which type families can be cast to which, following DuckDB's CAST/TRY_CAST.

The matrix is deliberately coarse: types are grouped into families and a pair of families is
either castable (maybe failing on some values at run time, like VARCHAR -> INTEGER, which the
dynamic checks catch) or never castable (the binder refuses it: `Unimplemented type for cast`).
Only the second kind is a finding. Verified against DuckDB 1.x:

    from \\ to   text num bool date ts  time intv bin uuid nest
    text         y    y   y    y    y   y    y    y   y    y     (parsed at run time)
    numeric      y    y   y    -    -   -    -    -   -    -
    boolean      y    y   y    -    -   -    -    -   -    -
    date         y    -   -    y    y   -    -    -   -    -
    timestamp    y    -   -    y    y   y    -    -   -    -
    time         y    -   -    -    -   y    -    -   -    -
    interval     y    -   -    -    -   -    y    -   -    -
    binary       y    -   -    -    -   -    -    y   -    -
    uuid         y    -   -    -    -   -    -    -   y    -
    nested       y    -   -    -    -   -    -    -   -    y

JSON counts as text (DuckDB stores it as VARCHAR). A type outside every family is unknown
and never produces a finding: a false alarm costs a repair round for nothing.
"""

from __future__ import annotations

from enum import StrEnum

from sqlglot import exp

from mapforge.validate.type_names import parse_type

T = exp.DType


class Family(StrEnum):
    TEXT = "text"
    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    TIME = "time"
    INTERVAL = "interval"
    BINARY = "binary"
    UUID = "uuid"
    NESTED = "nested"


_MEMBERS: dict[Family, frozenset[exp.DType]] = {
    Family.TEXT: frozenset(exp.DataType.TEXT_TYPES | {T.JSON, T.JSONB}),
    Family.NUMERIC: frozenset(exp.DataType.NUMERIC_TYPES),
    Family.BOOLEAN: frozenset({T.BOOLEAN}),
    Family.DATE: frozenset({T.DATE, T.DATE32}),
    Family.TIMESTAMP: frozenset(exp.DataType.TEMPORAL_TYPES - {T.DATE, T.DATE32, T.TIME, T.TIMETZ}),
    Family.TIME: frozenset({T.TIME, T.TIMETZ}),
    Family.INTERVAL: frozenset({T.INTERVAL}),
    Family.BINARY: frozenset(exp.DataType.BINARY_TYPES),
    Family.UUID: frozenset({T.UUID}),
    Family.NESTED: frozenset(exp.DataType.NESTED_TYPES),
}

_ALL = frozenset(Family)
CASTABLE: dict[Family, frozenset[Family]] = {
    Family.TEXT: _ALL,
    Family.NUMERIC: frozenset({Family.TEXT, Family.NUMERIC, Family.BOOLEAN}),
    Family.BOOLEAN: frozenset({Family.TEXT, Family.NUMERIC, Family.BOOLEAN}),
    Family.DATE: frozenset({Family.TEXT, Family.DATE, Family.TIMESTAMP}),
    Family.TIMESTAMP: frozenset({Family.TEXT, Family.DATE, Family.TIMESTAMP, Family.TIME}),
    Family.TIME: frozenset({Family.TEXT, Family.TIME}),
    Family.INTERVAL: frozenset({Family.TEXT, Family.INTERVAL}),
    Family.BINARY: frozenset({Family.TEXT, Family.BINARY}),
    Family.UUID: frozenset({Family.TEXT, Family.UUID}),
    Family.NESTED: frozenset({Family.TEXT, Family.NESTED}),
}


def family(dtype: exp.DataType) -> Family | None:
    """The family a type belongs to, None when it is in none (user-defined, enum, ...)."""
    return next((f for f, members in _MEMBERS.items() if dtype.this in members), None)


def castable(source: exp.DataType, target: exp.DataType) -> bool:
    """False only when the cast can never work; unknown types are given the benefit of doubt."""
    src, dst = family(source), family(target)
    if src is None or dst is None:
        return True
    return dst in CASTABLE[src]


def castable_names(source: str, target: str, dialect: str) -> bool:
    """`castable` for type names as a catalog or a mapping document writes them."""
    src, dst = parse_type(source, dialect), parse_type(target, dialect)
    return src is None or dst is None or castable(src, dst)
