"""Target column types: the DuckDB/ANSI names a mapping may use, normalized to upper case.

A type keeps the name the user chose (INT stays INT, it does not become INTEGER): every
engine we target accepts these aliases, and keeping them makes the lock diff readable.
Normalizing only fixes case, spacing and parameter formatting: `decimal( 10,2 )` →
`DECIMAL(10, 2)`, the way sqlglot prints it.
"""

from __future__ import annotations

import difflib
import re

from mapforge.mapping.cells import CellError

# name → how many parameters it takes (any of these counts).
_STRING = (0, 1)
_EXACT = (0, 1, 2)
_NONE = (0,)
KNOWN_TYPES: dict[str, tuple[int, ...]] = {
    "VARCHAR": _STRING,
    "CHARACTER VARYING": _STRING,
    "CHAR": _STRING,
    "CHARACTER": _STRING,
    "BPCHAR": _STRING,
    "TEXT": _NONE,
    "STRING": _NONE,
    "INTEGER": _NONE,
    "INT": _NONE,
    "INT2": _NONE,
    "INT4": _NONE,
    "INT8": _NONE,
    "BIGINT": _NONE,
    "SMALLINT": _NONE,
    "TINYINT": _NONE,
    "HUGEINT": _NONE,
    "UBIGINT": _NONE,
    "UINTEGER": _NONE,
    "USMALLINT": _NONE,
    "UTINYINT": _NONE,
    "DECIMAL": _EXACT,
    "NUMERIC": _EXACT,
    "DOUBLE": _NONE,
    "DOUBLE PRECISION": _NONE,
    "FLOAT": _NONE,
    "FLOAT4": _NONE,
    "FLOAT8": _NONE,
    "REAL": _NONE,
    "BOOLEAN": _NONE,
    "BOOL": _NONE,
    "DATE": _NONE,
    "TIMESTAMP": _NONE,
    "DATETIME": _NONE,
    "TIMESTAMPTZ": _NONE,
    "TIMESTAMP WITH TIME ZONE": _NONE,
    "TIMESTAMP WITHOUT TIME ZONE": _NONE,
    "TIME": _NONE,
    "INTERVAL": _NONE,
    "BLOB": _NONE,
    "BYTEA": _NONE,
    "UUID": _NONE,
    "JSON": _NONE,
}
MAX_PRECISION = 38

# NAME, optional (p) or (p, s), optional [] suffixes for DuckDB lists.
_SHAPE = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9_ ]*?)\s*"
    r"(?:\(\s*(?P<p>\d+)\s*(?:,\s*(?P<s>\d+)\s*)?\))?"
    r"(?P<list>(?:\s*\[\s*\])*)$"
)


def normalize_type(text: str) -> str:
    """Canonical upper-case spelling of a known type; raises CellError with a suggestion."""
    match = _SHAPE.match(text.strip())
    name = " ".join(match["name"].upper().split()) if match else ""
    if not match or name not in KNOWN_TYPES:
        raise CellError(f"{text.strip()!r} is not a known type", hint=_hint(text))
    params = [int(p) for p in (match["p"], match["s"]) if p is not None]
    _check_params(text, name, params)
    suffix = "[]" * match["list"].count("[")
    return f"{name}({', '.join(map(str, params))}){suffix}" if params else f"{name}{suffix}"


def is_known_type(text: str) -> bool:
    """True when `text` is a type normalize_type accepts."""
    try:
        normalize_type(text)
    except CellError:
        return False
    return True


def suggest_type(text: str) -> str | None:
    """The known type closest to a misspelt one, with its parameters: VARCHR(10) → VARCHAR(10)."""
    match = re.match(r"^\s*([A-Za-z][A-Za-z0-9_ ]*?)\s*(\(.*)?$", text)
    if not match:
        return None
    name = " ".join(match[1].upper().split())
    close = difflib.get_close_matches(name, list(KNOWN_TYPES), n=1, cutoff=0.6)
    if not close:
        return None
    params = (match[2] or "").replace(" ", "")
    return close[0] + params if KNOWN_TYPES[close[0]] != _NONE else close[0]


def _check_params(text: str, name: str, params: list[int]) -> None:
    allowed = KNOWN_TYPES[name]
    if len(params) not in allowed:
        most = max(allowed)
        hint = f"{name} takes no parameters" if most == 0 else f"{name} takes at most {most}"
        raise CellError(f"{text.strip()!r} has the wrong number of parameters", hint=hint)
    if allowed is _EXACT and params and not 1 <= params[0] <= MAX_PRECISION:
        raise CellError(f"{text.strip()!r}: precision must be 1 to {MAX_PRECISION}")
    if len(params) == 2 and params[1] > params[0]:
        raise CellError(
            f"{text.strip()!r}: scale is larger than precision", hint=f"{name}(p, s) needs s <= p"
        )
    if allowed is _STRING and params and params[0] < 1:
        raise CellError(f"{text.strip()!r}: length must be at least 1")


def _hint(text: str) -> str:
    suggestion = suggest_type(text)
    if suggestion:
        return f"did you mean {suggestion}?"
    return "use a DuckDB/ANSI type such as VARCHAR, INTEGER, DECIMAL(p, s), DATE or TIMESTAMP"
