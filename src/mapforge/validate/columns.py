"""MF101 unknown-column and MF103 ambiguous-column, resolved scope by scope.

sqlglot's qualify stops at the first unknown column and only when it is qualified, so names
are resolved here instead: `t.col` against the source behind alias `t`, a bare `col` against
every source of its SELECT, then select-list aliases (DuckDB lets WHERE/GROUP BY/ORDER BY and
later projections use them), then enclosing scopes (correlated subqueries). A qualifier that
names no source is MF102. Whenever a source's shape is unknown the name is accepted: a false
alarm costs a repair round for nothing.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from mapforge.validate.did_you_mean import hint
from mapforge.validate.findings import Finding
from mapforge.validate.outputs import owning_output
from mapforge.validate.query import Query, unique
from mapforge.validate.sources import Columns, chain, columns_of, scopes, selected

_PSEUDO_COLUMNS = frozenset({"rowid"})  # DuckDB's implicit row id


def check_columns(query: Query) -> list[Finding]:
    """MF101/MF103 (and MF102 for unknown qualifiers) for every column reference."""
    findings = [
        found
        for scope in scopes(query.tree)
        for column in _own_columns(scope)
        if (found := _check(column, scope, query)) is not None
    ]
    return unique(findings)


def _own_columns(scope: Scope) -> list[exp.Column]:
    # scope.columns also lists a subquery's outer references; each is checked in its own scope
    home = scope.expression
    return [
        c
        for c in scope.columns
        if c.find_ancestor(exp.Select, exp.SetOperation) is home and c.name != "*"
    ]


def _check(column: exp.Column, scope: Scope, query: Query) -> Finding | None:
    parts = [p.name.lower() for p in column.parts]
    if len(parts) == 1:
        return _unqualified(parts[0], column, scope, query)
    return _qualified(parts, column, scope, query)


def _source_columns(scope: Scope, query: Query) -> dict[str, Columns]:
    return {alias: columns_of(src, query.catalog) for alias, src in selected(scope).items()}


def _unqualified(name: str, column: exp.Column, scope: Scope, query: Query) -> Finding | None:
    for current in chain(scope):
        sources = _source_columns(current, query)
        if any(cols is None for cols in sources.values()) or name in _PSEUDO_COLUMNS:
            return None
        matches = [alias for alias, cols in sources.items() if cols and name in cols]
        if len(matches) == 1 or (matches and _merged_by_join(current, name)):
            return None
        if matches:
            return _ambiguous(name, matches, column, query)
        aliases = _select_aliases(current, query)
        if aliases is None or name in aliases:
            return None
    return _unknown_column(name, column, scope, query)


def _qualified(parts: list[str], column: exp.Column, scope: Scope, query: Query) -> Finding | None:
    # `t.col`, `db.t.col` or `struct_col.field`: find the part that names a source
    for current in chain(scope):
        sources = _source_columns(current, query)
        for i in range(len(parts) - 2, -1, -1):
            if parts[i] in sources:
                return _in_source(parts[i], parts[i + 1], sources[parts[i]], column, query)
    if _unqualified(parts[0], column, scope, query) is None:
        return None  # struct field access on a known column
    known = list(_source_columns(scope, query))
    message = f"'{column.sql(query.dialect)}': no table or alias '{parts[-2]}' in this SELECT"
    return query.finding(
        "MF102", message, column=_owner(column, query), hint=hint(parts[-2], known, "aliases")
    )


def _in_source(
    alias: str, name: str, columns: Columns, column: exp.Column, query: Query
) -> Finding | None:
    if columns is None or name in columns or name in _PSEUDO_COLUMNS:
        return None
    message = f"'{alias}.{name}': {alias} has no column '{name}'"
    return query.finding(
        "MF101", message, column=_owner(column, query), hint=hint(name, columns, "columns")
    )


def _unknown_column(name: str, column: exp.Column, scope: Scope, query: Query) -> Finding:
    sources = _source_columns(scope, query)
    known = {c for cols in sources.values() if cols for c in cols}
    known |= _select_aliases(scope, query) or frozenset()
    where = ", ".join(sources) or "no table"
    message = f"column '{name}' is not in any source of its SELECT ({where})"
    return query.finding(
        "MF101", message, column=_owner(column, query), hint=hint(name, known, "columns")
    )


def _ambiguous(name: str, matches: list[str], column: exp.Column, query: Query) -> Finding:
    message = f"column '{name}' is ambiguous: it is in {', '.join(sorted(matches))}"
    return query.finding(
        "MF103", message, column=_owner(column, query), hint=f"qualify it, e.g. {matches[0]}.{name}"
    )


def _merged_by_join(scope: Scope, name: str) -> bool:
    # `JOIN b USING (id)` and NATURAL joins merge the shared column into one
    for join in scope.expression.args.get("joins") or []:
        using = {u.name.lower() for u in join.args.get("using") or []}
        if name in using or join.method.upper() == "NATURAL":
            return True
    return False


def _select_aliases(scope: Scope, query: Query) -> Columns:
    # a UNION's ORDER BY names its outputs; a SELECT may reuse its own aliases
    if isinstance(scope.expression, exp.SetOperation):
        return columns_of(scope, query.catalog)
    if not isinstance(scope.expression, exp.Select):
        return frozenset()
    return frozenset(p.alias.lower() for p in scope.expression.selects if isinstance(p, exp.Alias))


def _owner(column: exp.Column, query: Query) -> str | None:
    return owning_output(column, query.tree, query.dialect)
