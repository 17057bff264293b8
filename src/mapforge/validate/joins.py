"""MF404 join-mismatch, MF405 join-without-condition, MF406 undeclared-join.

Every JOIN of every SELECT in the query is compared with what the mapping declares for the
joined table: its declared joins, and its lookups (each compiles to a LEFT JOIN on the lookup
key). Conditions compare as sets of key pairs (`a.x = b.y`, either order, columns followed to
their catalog tables); other conjuncts of an ON (`AND o.region = 'EU'`) are not compared.
A comma join takes its key pairs from the WHERE clause.

Tolerance: a join to a CTE or derived table is checked for having a condition only (what it
reads is checked where it is built); a join to a table the mapping names as a row's source
(but declares no join for) is accepted with any condition; a join whose keys cannot be
followed to catalog columns is not compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from mapforge.mapping.spec import ColumnMapping, JoinKind, RuleKind
from mapforge.validate.declared import Declared
from mapforge.validate.findings import Finding
from mapforge.validate.lineage import Col, Lineage, bare
from mapforge.validate.predicates import Pair, conjuncts, pair, pairs_match
from mapforge.validate.query import Query, unique
from mapforge.validate.sources import is_catalog_table, selected

COMMA = "comma"  # `FROM a, b`: a cross join unless the WHERE clause links them


@dataclass(frozen=True)
class JoinShape:
    """A join as declared or as written: table, kind and key pairs (None: not comparable)."""

    table: str | None
    kind: str
    pairs: frozenset[Pair] | None
    text: str = ""

    @property
    def unconditioned(self) -> bool:
        return self.kind in (JoinKind.CROSS.value, COMMA) or self.pairs == frozenset()


def check_joins(query: Query) -> list[Finding]:
    """MF404/MF405/MF406 for every join of the query."""
    lineage = Lineage.of(query)
    if lineage is None:
        return []
    declared = Declared.of(query.target, query.dialect)
    if not declared.tables:
        return []  # a target that declares no tables: nothing to compare with
    expected = _declared_joins(declared)
    found = [
        finding
        for scope in lineage.scopes
        if isinstance(scope.expression, exp.Select)
        for join in scope.expression.args.get("joins") or []
        if (finding := _check(query, declared, expected, _written(join, scope, lineage)))
        is not None
    ]
    return unique(found)


def _check(
    query: Query, declared: Declared, expected: list[JoinShape], written: JoinShape | None
) -> Finding | None:
    if written is None:
        return None
    candidates = [e for e in expected if written.table and e.table == written.table]
    if written.unconditioned:
        return _unconditioned(query, candidates, written)
    if written.table is None or written.pairs is None:
        return None
    if not candidates:
        return _undeclared(query, declared, written)
    return _compare(query, candidates, written.pairs, written)


def _unconditioned(query: Query, candidates: list[JoinShape], written: JoinShape) -> Finding | None:
    if any(c.kind == JoinKind.CROSS.value for c in candidates):
        return None
    what = "a cross join" if written.kind != COMMA else "a comma join with no WHERE predicate"
    message = f"{what} to {written.table or 'a subquery'}: every row pairs with every row"
    hint = _expected_hint(candidates) or "add an ON condition on the key columns"
    return query.finding("MF405", message, hint=hint)


def _compare(
    query: Query, candidates: list[JoinShape], pairs: frozenset[Pair], written: JoinShape
) -> Finding | None:
    if any(c.pairs is None for c in candidates):
        return None  # a declared condition that did not parse: nothing to compare with
    for c in candidates:
        if c.kind == written.kind and pairs_match(set(pairs), set(c.pairs or ())):
            return None
    written_text = f"{written.kind.upper()} JOIN {written.table} ON {_pairs_text(pairs)}"
    message = f"{written_text} differs from the mapping"
    return query.finding("MF404", message, hint=_expected_hint(candidates))


def _undeclared(query: Query, declared: Declared, written: JoinShape) -> Finding | None:
    if written.table in declared.tables:
        return None  # a row's source table: the mapping names it but not how to join it
    tables = ", ".join(sorted(declared.tables))
    message = f"the query joins {written.table}, which the mapping does not declare"
    return query.finding("MF406", message, hint=f"read only the mapping's tables ({tables})")


def _expected_hint(candidates: list[JoinShape]) -> str | None:
    if not candidates:
        return None
    shown = " or ".join(c.text for c in candidates)
    return f"the mapping says {shown}"


def _pairs_text(pairs: frozenset[Pair]) -> str:
    return " AND ".join(
        " = ".join(sorted(map(str, p))) for p in sorted(pairs, key=lambda p: sorted(map(str, p)))
    )


# -- what the mapping declares -------------------------------------------------------------


def _declared_joins(declared: Declared) -> list[JoinShape]:
    specs = []
    for join in declared.target.joins:
        table = bare(join.table)
        pairs = (
            _cell_pairs(declared, join.on, table)
            if join.kind is not JoinKind.CROSS
            else frozenset()
        )
        text = join.text or f"{join.kind.value} join {join.table}"
        specs.append(JoinShape(table, join.kind.value, pairs, text))
    for col in declared.target.columns:
        rule = col.rule
        if rule.kind is RuleKind.LOOKUP and rule.lookup_table:
            text = f"LEFT JOIN {rule.lookup_table} for {rule.text or 'the lookup'}"
            specs.append(
                JoinShape(
                    bare(rule.lookup_table), JoinKind.LEFT.value, _lookup_pairs(declared, col), text
                )
            )
    return specs


def _cell_pairs(declared: Declared, text: str | None, table: str) -> frozenset[Pair] | None:
    node = declared.parse(text)
    if node is None:
        return None

    def resolve(column: exp.Column) -> Col:
        # a bare name in a join cell may belong to either side
        return Col(declared.table_of(column.table) if column.table else None, column.name.lower())

    return frozenset(p for c in conjuncts(node) if (p := pair(c, resolve)) is not None)


def _lookup_pairs(declared: Declared, col: ColumnMapping) -> frozenset[Pair] | None:
    on = declared.parse(col.rule.lookup_on)
    if isinstance(on, exp.Column) and not on.table:
        return frozenset({declared.lookup_keys(col)})  # a shared key: one pair
    return _cell_pairs(declared, col.rule.lookup_on, bare(col.rule.lookup_table or ""))


# -- what the query writes ------------------------------------------------------------------


def _written(join: exp.Join, scope: Scope, lineage: Lineage) -> JoinShape | None:
    """The join as written, or None when it is not one to compare (NATURAL, a table function)."""
    source = selected(scope).get(join.this.alias_or_name.lower())
    if join.method.upper() == "NATURAL" or source is None:
        return None
    if isinstance(source, Scope):
        table = None
        if _one_row(source):
            return None  # a one-row aggregate (totals, parameters) is crossed on purpose
    elif is_catalog_table(source):
        table = bare(source.name)
    else:
        return None  # UNNEST, a table function: no key to compare
    resolve = _resolver(scope, lineage)
    if join.args.get("using"):
        names = [u.name.lower() for u in join.args["using"]]
        pairs = frozenset(frozenset({Col(table, n), Col(None, n)}) for n in names)
        return JoinShape(table, _kind(join), pairs)
    if join.args.get("on") is None and _kind(join) == COMMA:
        return _comma(join, scope, table, resolve)
    return JoinShape(table, _kind(join), _on_pairs(join.args.get("on"), resolve))


def _kind(join: exp.Join) -> str:
    if join.side:
        return join.side.lower()
    if join.kind:
        return join.kind.lower()  # inner, cross, semi, anti
    return COMMA if join.args.get("on") is None else JoinKind.INNER.value


def _on_pairs(
    on: exp.Expr | None, resolve: Callable[[exp.Column], Col | None]
) -> frozenset[Pair] | None:
    if on is None or on.find(exp.Column) is None:
        return frozenset()  # no condition, or a constant one (ON TRUE, ON 1 = 1)
    found = set()
    for conjunct in conjuncts(on):
        got = pair(conjunct, resolve)
        if got is None and _column_equality(conjunct):
            return None  # keys that lineage cannot follow: not comparable
        if got is not None:
            found.add(got)
    return frozenset(found) or None


def _comma(
    join: exp.Join, scope: Scope, table: str | None, resolve: Callable[[exp.Column], Col | None]
) -> JoinShape:
    alias = join.this.alias_or_name.lower()
    where = scope.expression.args.get("where")
    linking = [
        c
        for c in conjuncts(where.this if where else None)
        if _column_equality(c) and alias in {col.table.lower() for col in c.find_all(exp.Column)}
    ]
    if not linking:
        return JoinShape(table, COMMA, frozenset())
    return JoinShape(table, JoinKind.INNER.value, _on_pairs(exp.and_(*linking), resolve))


def _column_equality(conjunct: exp.Expr) -> bool:
    return isinstance(conjunct, exp.EQ) and all(
        isinstance(side.unnest(), exp.Column) for side in (conjunct.left, conjunct.right)
    )


def _resolver(scope: Scope, lineage: Lineage) -> Callable[[exp.Column], Col | None]:
    return lambda column: lineage.one(column, scope)


def _one_row(scope: Scope) -> bool:
    select = scope.expression
    if not isinstance(select, exp.Select) or select.args.get("group"):
        return False
    return any(p.find(exp.AggFunc) for p in select.selects)
