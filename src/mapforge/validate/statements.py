"""The gates before any other check: the SQL parses, is one statement, and only reads.

MF001 parse-error        sqlglot could not tokenize or parse the text
MF002 not-one-statement  no statement, or more than one
MF004 ddl-or-dml         a write, DDL or command anywhere in the tree
MF003 not-a-query        one statement, writes nothing, yet is no SELECT/UNION/WITH
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from mapforge.mapping.spec import Target
from mapforge.validate.findings import Finding
from mapforge.validate.writes import describe, first_write

# sqlglot puts the token's repr into its message; users want just the text they wrote
_TOKEN = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: .*?>")


def parse_query(sql: str, target: Target, dialect: str) -> tuple[exp.Expr | None, list[Finding]]:
    """The one query `sql` holds, or None and the findings that say why not."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as error:
        return None, [_finding("MF001", target, _parse_message(error), _PARSE_HINT)]
    if len(statements) != 1:
        return None, [_count_finding(len(statements), target)]
    statement = statements[0]
    if write := first_write(statement):
        return None, [_write_finding(write, target)]
    if not isinstance(statement, exp.Query):
        message = f"{statement.key.upper()} is not a query"
        return None, [_finding("MF003", target, message, "write one SELECT (WITH ... allowed)")]
    return statement, []


_PARSE_HINT = "return one syntactically valid SELECT statement"


def _parse_message(error: SqlglotError) -> str:
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        text = _TOKEN.sub(r"'\1'", str(first.get("description", "")))
        return f"line {first.get('line')}, col {first.get('col')}: {text}"
    return str(error).splitlines()[0]


def _count_finding(count: int, target: Target) -> Finding:
    if count == 0:
        return _finding("MF002", target, "no SQL statement found", "return one SELECT statement")
    message = f"{count} statements found, expected exactly one"
    return _finding("MF002", target, message, "combine them into one SELECT (use CTEs)")


def _write_finding(node: exp.Expr, target: Target) -> Finding:
    message = f"{describe(node)} found: the SQL must only read"
    hint = "return a SELECT; mapforge materializes the result itself"
    return _finding("MF004", target, message, hint)


def _finding(code: str, target: Target, message: str, hint: str) -> Finding:
    return Finding(code=code, target=target.name, message=message, hint=hint)
