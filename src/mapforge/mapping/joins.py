"""The `join` cell: one or more joins, each parsed into a `Join`.

    LEFT JOIN orders o ON o.customer_id = customers.customer_id
    orders ON orders.customer_id = customers.customer_id      (no keyword: INNER)
    CROSS JOIN calendar

Joins are separated by `;` or a new line; a line starting with ON/AND/OR continues the
join above it, so a long condition may wrap. sqlglot parses each join inside a dummy
`SELECT * FROM driver ...`, which is how a join is valid SQL at all.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import Tokenizer, TokenType, exp
from sqlglot.errors import ParseError, TokenError

from mapforge.mapping.cells import CellError
from mapforge.mapping.spec import Join, JoinKind
from mapforge.mapping.sqltext import sqlglot_reason

EXAMPLE = "LEFT JOIN orders o ON o.customer_id = customers.customer_id"
_STARTS_WITH_JOIN = re.compile(
    r"^(natural\s+)?((left|right|full)(\s+outer)?\s+|inner\s+|cross\s+)?join\b", re.IGNORECASE
)
_CONTINUES = re.compile(r"^(on|and|or)\b", re.IGNORECASE)
_SIDES = {"LEFT": JoinKind.LEFT, "RIGHT": JoinKind.RIGHT, "FULL": JoinKind.FULL}
_DRIVER = "SELECT * FROM mapforge_driver "


def parse_joins(text: str) -> list[Join]:
    """Every join in a cell, in order; blank → []."""
    return [parse_join(piece) for piece in split_joins(text)]


def split_joins(text: str) -> list[str]:
    """One string per join: split on `;` and new lines, re-attaching ON/AND/OR lines."""
    pieces: list[str] = []
    # A `;` inside a join's string literal is not worth a tokenizer here.
    for line in re.split(r"[;\n]", text):
        line = line.strip()
        if line and pieces and _CONTINUES.match(line):
            pieces[-1] = f"{pieces[-1]} {line}"
        elif line:
            pieces.append(line)
    return pieces


def parse_join(text: str) -> Join:
    """Parse one join; raises CellError with an example when it cannot be read."""
    text = " ".join(text.split())
    sql = text if _STARTS_WITH_JOIN.match(text) else f"JOIN {text}"
    join = _only_join(text, sql)
    table = join.this
    if not isinstance(table, exp.Table) or not table.name:
        raise _error(text, "joins a subquery, not a table")
    if join.args.get("using") or join.method:
        raise _error(text, "uses USING or NATURAL", "spell the condition out with ON")
    kind = _kind(join)
    on = _condition(sql)
    if kind is not JoinKind.CROSS and not on:
        raise _error(text, "has no ON condition", "add ON <condition>, or write CROSS JOIN")
    name = ".".join(part.name for part in table.parts)
    return Join(kind=kind, table=name, alias=table.alias or None, on=on, text=text)


def _only_join(text: str, sql: str) -> exp.Join:
    try:
        select = sqlglot.parse_one(_DRIVER + sql)
    except (ParseError, TokenError) as error:
        reason = sqlglot_reason(error, offset=len(_DRIVER) + len(sql) - len(text))
        raise _error(text, "cannot be read", f"write e.g. {EXAMPLE}; {reason}") from None
    joins = select.args.get("joins") or []
    extra = [k for k, v in select.args.items() if v and k not in ("expressions", "from_", "joins")]
    join = joins[0] if len(joins) == 1 and not extra else None
    if not isinstance(join, exp.Join):
        raise _error(text, "is not a single join", "separate joins with ; or a new line")
    return join


def _kind(join: exp.Join) -> JoinKind:
    if join.kind.upper() == "CROSS":
        return JoinKind.CROSS
    return _SIDES.get(join.side.upper(), JoinKind.INNER)


def _condition(sql: str) -> str | None:
    """The ON condition as written (sqlglot would re-print it in a generic dialect)."""
    tokens = Tokenizer().tokenize(sql)
    on = next((t for t in tokens if t.token_type is TokenType.ON), None)
    return sql[on.end + 1 :].strip() if on else None


def _error(text: str, problem: str, hint: str | None = None) -> CellError:
    return CellError(f"join {text!r} {problem}", hint=hint or f"write e.g. {EXAMPLE}")
