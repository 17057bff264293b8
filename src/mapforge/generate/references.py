"""Which tables a statement reads: the edges of the target DAG."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError


def referenced_tables(sql: str, dialect: str = "duckdb") -> list[str]:
    """Lower-cased names of the tables a query reads, CTE names excluded, sorted."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except ParseError:
        return []
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names = {t.name.lower() for t in tree.find_all(exp.Table) if t.name}
    return sorted(names - ctes)


def target_dependencies(
    sql: str | None, declared: list[str], targets: set[str], dialect: str
) -> list[str]:
    """Targets this target reads (from its SQL) or declares it depends on, sorted."""
    read = set(referenced_tables(sql, dialect)) if sql else set()
    deps = {name.lower() for name in declared} | read
    return sorted(deps & targets)
