"""Column lineage: which catalog columns an expression of the query reads.

The query is qualified first (a copy: sqlglot's qualify rewrites the tree it is given), so
that every column names its source, stars are expanded and GROUP BY ordinals and select
aliases are replaced by the expressions they stand for. A column is then followed through
CTEs, derived tables and UNION branches down to `table.column` of a catalog table.

Value lineage only: a scalar subquery in a projection contributes what it selects, not what
its WHERE correlates on. When a column cannot be followed (an unknown table, a table
function, a star over an unknown shape) the result is marked incomplete, and checks that
would otherwise report a missing read stay silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope
from sqlglot.schema import MappingSchema

from mapforge.validate.outputs import leaf_selects, output_name
from mapforge.validate.query import Query
from mapforge.validate.schema import sqlglot_schema
from mapforge.validate.sources import chain, is_catalog_table, scopes, selected, table_name


class Col(NamedTuple):
    """A column of a table, both lower-cased; `table` None means "of any table"."""

    table: str | None
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}" if self.table else self.column


@dataclass(frozen=True)
class Reads:
    """The catalog columns an expression reads; `complete` is False when some were unknowable."""

    columns: frozenset[Col] = frozenset()
    complete: bool = True

    def __or__(self, other: Reads) -> Reads:
        return Reads(self.columns | other.columns, self.complete and other.complete)


UNKNOWN = Reads(complete=False)


def bare(name: str) -> str:
    """`main.orders` -> `orders`, lower-cased: how tables are compared everywhere here."""
    return name.rsplit(".", 1)[-1].lower()


@dataclass
class Lineage:
    """A qualified copy of the query and the resolution of its columns to catalog columns."""

    query: Query
    tree: exp.Expr
    scopes: list[Scope]
    by_node: dict[int, Scope] = field(default_factory=dict)

    @classmethod
    def of(cls, query: Query) -> Lineage | None:
        """None when sqlglot cannot qualify or scope the query (other checks report why)."""
        global _LAST
        last = _LAST  # one read: another thread may replace it meanwhile
        if last is not None and last[0] is query:
            return last[1]  # the checks of one validate_sql share one qualified copy
        tree = _qualified(query)
        found = scopes(tree) if tree is not None else []
        lineage = None
        if tree is not None and found:
            lineage = cls(query, tree, found, {id(s.expression): s for s in found})
        _LAST = (query, lineage)
        return lineage

    def scope_of(self, node: exp.Expr) -> Scope | None:
        """The scope whose SELECT (or set operation) holds `node`."""
        home = node.find_ancestor(exp.Select, exp.SetOperation)
        return self.by_node.get(id(home)) if home is not None else None

    def outputs(self) -> dict[str, Reads]:
        """Lower-cased top-level output name -> what it reads (over every UNION branch)."""
        result: dict[str, Reads] = {}
        for select in leaf_selects(self.tree):
            scope = self.by_node.get(id(select))
            for projection in select.selects:
                name = output_name(projection, self.query.dialect)
                if name is None or scope is None:
                    continue
                reads = self.reads(projection, scope)
                result[name.lower()] = result.get(name.lower(), Reads()) | reads
        return result

    def reads(self, node: exp.Expr, scope: Scope, seen: frozenset[int] = frozenset()) -> Reads:
        """Every catalog column `node` reads in `scope`, following nested queries' outputs."""
        result = Reads()

        def nested(n: exp.Expr) -> bool:
            return n is not node and isinstance(n, exp.Select | exp.SetOperation)

        for child in node.walk(prune=nested):
            if isinstance(child, exp.Column) and not isinstance(child.this, exp.Star):
                result |= self.column(child, scope, seen)
            elif nested(child) and isinstance(child, exp.Select | exp.SetOperation):
                result |= self._query_outputs(child, seen)
        return result

    def column(self, column: exp.Column, scope: Scope, seen: frozenset[int] = frozenset()) -> Reads:
        """The catalog columns behind one column reference seen from `scope`."""
        source = column_source(column, scope)
        if source is None:
            return UNKNOWN
        if isinstance(source, Scope):
            return self._through(source, column.name.lower(), seen)
        if not is_catalog_table(source) or self.query.catalog.table(table_name(source)) is None:
            return UNKNOWN
        return Reads(frozenset({Col(bare(source.name), column.name.lower())}))

    def one(self, column: exp.Column, scope: Scope) -> Col | None:
        """The single catalog column behind a reference, None when it is not exactly one."""
        reads = self.column(column, scope)
        return next(iter(reads.columns)) if reads.complete and len(reads.columns) == 1 else None

    def _through(self, scope: Scope, name: str, seen: frozenset[int]) -> Reads:
        if id(scope) in seen:  # a recursive CTE reading itself
            return UNKNOWN
        seen = seen | {id(scope)}
        branches = [s for s in _branches(scope) if isinstance(s.expression, exp.Select)]
        result = Reads()
        for branch in branches or [scope]:
            projection = _projection(branch, name, position=_position(scope, name))
            if projection is None:
                return UNKNOWN
            result |= self.reads(projection, branch, seen)
        return result

    def _query_outputs(self, node: exp.Select | exp.SetOperation, seen: frozenset[int]) -> Reads:
        scope = self.by_node.get(id(node))
        if scope is None:
            return UNKNOWN
        result = Reads()
        for branch in _branches(scope):
            if isinstance(branch.expression, exp.Select):
                for projection in branch.expression.selects:
                    result |= self.reads(projection, branch, seen)
        return result


_LAST: tuple[Query, Lineage | None] | None = None


def _qualified(query: Query) -> exp.Expr | None:
    try:
        known: MappingSchema | None = sqlglot_schema(query.catalog, query.dialect)
    except SqlglotError:  # e.g. a table without columns
        known = None
    # a schema sqlglot trips over: fall back to qualifying by the SQL alone
    for schema in dict.fromkeys((known, None)):
        try:
            return qualify(
                query.tree.copy(),
                dialect=query.dialect,
                schema=schema,
                validate_qualify_columns=False,
                quote_identifiers=False,
                identify=False,
            )
        except SqlglotError:
            continue
    return None


def column_source(column: exp.Column, scope: Scope) -> exp.Table | Scope | None:
    """The table or scope a column reads from: by its qualifier, or the only source in scope."""
    qualifier = column.table.lower()
    for current in chain(scope):
        sources = selected(current)
        if qualifier and qualifier in sources:
            return sources[qualifier]
        if not qualifier and len(sources) == 1:
            return next(iter(sources.values()))
    return None


def _branches(scope: Scope) -> list[Scope]:
    """The SELECT scopes that make up a scope: itself, or every branch of a set operation."""
    if isinstance(scope.expression, exp.SetOperation):
        return [b for s in scope.set_operation_scopes for b in _branches(s)]
    return [scope]


def _position(scope: Scope, name: str) -> int | None:
    # UNION branches are matched by position: the names come from the first branch
    first = _branches(scope)[0].expression
    if not isinstance(first, exp.Select):
        return None
    names = [p.alias_or_name.lower() for p in first.selects]
    return names.index(name) if name in names else None


def _projection(scope: Scope, name: str, position: int | None) -> exp.Expr | None:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return None
    if position is not None and position < len(select.selects):
        return select.selects[position]
    return next((p for p in select.selects if p.alias_or_name.lower() == name), None)
