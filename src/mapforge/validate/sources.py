"""What each FROM/JOIN source of a scope offers: the column names behind an alias.

A source is a catalog table, a table function, or a CTE/derived table (a child Scope whose
outputs are its projections, stars expanded against the catalog). `None` means the shape is
unknown (an unknown table, a table function without column aliases, a recursive CTE): checks
must then accept any name rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeGuard

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

from mapforge.catalog.model import Catalog

Columns = frozenset[str] | None
Source = exp.Table | Scope


def scopes(tree: exp.Expr) -> list[Scope]:
    """Every scope of the query, innermost first; none when sqlglot cannot build them."""
    try:
        return traverse_scope(tree)
    except SqlglotError:
        return []


def chain(scope: Scope | None) -> Iterator[Scope]:
    """The scope, then each enclosing one: where a correlated reference may resolve."""
    while scope is not None:
        yield scope
        scope = scope.parent


def selected(scope: Scope) -> dict[str, Source]:
    """Alias (lower-cased) -> source, for the sources in this scope's FROM and JOINs."""
    return {name.lower(): source for name, (_, source) in scope.selected_sources.items()}


def table_name(table: exp.Table) -> str:
    """`db.name` or `name`, as Catalog.table looks it up."""
    return ".".join(part for part in (table.db, table.name) if part)


def is_catalog_table(source: object) -> TypeGuard[exp.Table]:
    """A named table, not a table function such as `range(10)` or `read_csv(...)`."""
    return isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier)


def columns_of(source: Source, catalog: Catalog, seen: frozenset[int] = frozenset()) -> Columns:
    """The lower-cased column names a source offers, or None when its shape is unknown."""
    if isinstance(source, Scope):
        return _scope_outputs(source, catalog, seen)
    renamed = _alias_columns(source)
    if not is_catalog_table(source):
        return renamed
    table = catalog.table(table_name(source))
    if table is None:
        return None
    # `orders AS o(a, b)` renames leading columns; accepting both spellings never misfires
    return frozenset(c.lower() for c in table.column_names) | (renamed or frozenset())


def _alias_columns(node: exp.Expr | None) -> Columns:
    alias = node.args.get("alias") if node is not None else None
    if isinstance(alias, exp.TableAlias) and alias.columns:
        return frozenset(c.name.lower() for c in alias.columns)
    return None


def _scope_outputs(scope: Scope, catalog: Catalog, seen: frozenset[int]) -> Columns:
    if id(scope) in seen:  # a recursive CTE reading itself
        return None
    seen = seen | {id(scope)}
    if renamed := _alias_columns(scope.expression.parent):  # WITH x(a, b) AS / (...) AS t(a, b)
        return renamed
    if isinstance(scope.expression, exp.SetOperation):
        # a UNION's columns are named by its first branch
        return _scope_outputs(scope.set_operation_scopes[0], catalog, seen)
    if not isinstance(scope.expression, exp.Select):
        return None
    return _projection_names(scope, scope.expression, catalog, seen)


def _projection_names(
    scope: Scope, select: exp.Select, catalog: Catalog, seen: frozenset[int]
) -> Columns:
    names: set[str] = set()
    for projection in select.selects:
        if isinstance(projection, exp.Star):
            expanded = _star(scope, None, catalog, seen)
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            expanded = _star(scope, projection.table, catalog, seen)
        else:
            names.add(projection.alias_or_name.lower())
            continue
        if expanded is None:
            return None
        names |= expanded
    return frozenset(names)


def _star(scope: Scope, qualifier: str | None, catalog: Catalog, seen: frozenset[int]) -> Columns:
    sources = selected(scope)
    if qualifier:
        source = sources.get(qualifier.lower())
        return columns_of(source, catalog, seen) if source is not None else None
    names: set[str] = set()
    for source in sources.values():
        columns = columns_of(source, catalog, seen)
        if columns is None:
            return None
        names |= columns
    return frozenset(names)
