"""SQL fragments written in mapping cells, checked with sqlglot.

Fragments are parsed in sqlglot's default dialect: it accepts the common syntax of every
engine we target, and the mapping does not know which engine will run it.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from mapforge.mapping.cells import CellError

# Whole statements are not expressions: a cell must not smuggle in DDL or a second query.
_NOT_EXPRESSIONS = (exp.Query, exp.DDL, exp.DML, exp.Command, exp.Block, exp.Alias)


def parse_expression(text: str, what: str = "expression") -> exp.Expr:
    """Parse one scalar SQL expression or condition; raise CellError with sqlglot's reason."""
    tree = _parse(text, text, what, offset=0)
    # A parenthesized subquery is a Query to sqlglot, but a scalar subquery is an expression.
    if isinstance(tree, _NOT_EXPRESSIONS) and not isinstance(tree, exp.Subquery):
        hint = "write a single expression; wrap a subquery in parentheses"
        raise CellError(f"{what} {text!r} is not a single SQL expression", hint=hint)
    return tree


def parse_arguments(text: str, what: str) -> list[exp.Expr]:
    """Parse `a, ' ', b` as a list of expressions (the inside of a function call)."""
    # An anonymous call lets sqlglot split the list: commas in strings or nested calls are safe.
    wrapper = "MAPFORGE_ARGS("
    call = _parse(f"{wrapper}{text})", text, what, offset=len(wrapper))
    if not isinstance(call, exp.Anonymous):
        raise CellError(f"{what} {text!r} has unbalanced parentheses")
    args = list(call.expressions)
    for arg in args:
        if isinstance(arg, exp.Alias):
            hint = "separate operands with commas"
            raise CellError(f"{what} operand {arg.sql()!r} is not an expression", hint=hint)
    return args


def _parse(sql: str, shown: str, what: str, offset: int) -> exp.Expr:
    try:
        return sqlglot.parse_one(sql)
    except (ParseError, TokenError) as error:
        reason = sqlglot_reason(error, offset)
        raise CellError(f"{what} {shown!r} is not valid SQL", hint=reason) from None


def sqlglot_reason(error: ParseError | TokenError, offset: int = 0) -> str:
    """sqlglot's message without the ANSI-highlighted context it appends."""
    errors = getattr(error, "errors", None)
    if errors:
        first = errors[0]
        return f"{first['description']} at column {max(first['col'] - offset, 1)}"
    return str(error).splitlines()[0]
