"""The edges of the target DAG: which targets a target's SQL reads."""

from __future__ import annotations

from mapforge.validate.reads import tables_read


def referenced_tables(sql: str, dialect: str = "duckdb") -> list[str]:
    """Lower-cased names of the tables a query reads, CTE names excluded, sorted."""
    return sorted({name.lower() for name in tables_read(sql, dialect)})


def target_dependencies(
    sql: str | None, declared: list[str], targets: set[str], dialect: str
) -> list[str]:
    """Targets this target reads (from its SQL) or declares it depends on, sorted."""
    read = set(referenced_tables(sql, dialect)) if sql else set()
    deps = {name.lower() for name in declared} | read
    return sorted(deps & targets)
