"""Which tables a statement reads: DAG edges, sample sources, the tables an answer uses."""

from __future__ import annotations

import sqlglot
from sqlglot import exp


def tables_read(sql: str | None, dialect: str) -> set[str]:
    """Names of the tables a statement reads (CTE names excluded); empty when it does not parse."""
    if not sql:
        return set()
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except sqlglot.errors.SqlglotError:
        return set()
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name.lower() not in ctes}
