"""A target's key, unique and not null by construction of its SELECT: a static proof.

Like a query optimizer's uniqueness inference, from the catalog's *enforced* constraints and
the shape of the locked SELECT (no data is read). Two ways to prove it:

primary key   the key outputs are plain columns (or injective casts of them) covering the
              whole PRIMARY KEY of the FROM table, and every JOIN is INNER or LEFT to a table
              whose whole PRIMARY KEY is matched by `=` against columns of tables joined
              before it, of the same type (many-to-one: at most one match per row). WHERE,
              QUALIFY, HAVING, plain DISTINCT and LIMIT only remove rows. The key is then
              unique because the FROM table's is, and not null because a PRIMARY KEY is; a
              key column beyond the primary key must be NOT NULL in a table no join
              null-extends.
GROUP BY      the GROUP BY is exactly the key outputs: one row per group. Not null needs
              each key output to be a NOT NULL column of a table no join null-extends.

Anything else is no proof, and the run scans as before: CTEs, subqueries or table functions
as sources, set operations, DISTINCT ON, RIGHT / FULL / CROSS / comma / USING / NATURAL /
LATERAL joins in the primary-key way, GROUPING SETS / ROLLUP / CUBE / GROUP BY ALL, any
function sqlglot does not know (it might return a set) and known set-returning ones,
sources that are views, other targets (built by mapforge, they carry no constraint) or
unknown to the catalog, and engines that do not enforce keys (`Engine.enforces_keys`).

Why casts matter: a cast that is not injective (DECIMAL to INT, TIMESTAMP to DATE,
VARCHAR(3)) can map two distinct keys to one. Only the identity, integer to integer (a
narrowing cast errors on overflow, it never wraps) and integer to unbounded text pass.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mapforge.catalog.model import Catalog, Table


@dataclass(frozen=True)
class KeyProof:
    """Whether the key is unique and not null by construction, and why (or why not)."""

    proved: bool
    reason: str


@dataclass(frozen=True)
class _Source:
    alias: str  # lower-cased name the query uses for it
    table: Table
    nullable: bool  # null-extended by a LEFT JOIN


_ColumnRef = tuple[str, str]  # (source alias, lower-cased column name)

# known functions that may return several rows per input row in a SELECT list
_SET_RETURNING = (exp.UDTF, exp.Unnest, exp.Explode, exp.GenerateSeries, exp.Anonymous)
_TEXT = {exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR}
_REJECTED_ARGS = ("with_", "with", "laterals", "pivots", "connect", "match", "prewhere")


def prove_key(
    sql: str | exp.Expr,
    key: Sequence[str],
    catalog: Catalog,
    *,
    enforces_keys: bool,
    targets: Collection[str] = (),
    stored_in: Table | None = None,
) -> KeyProof:
    """Prove `key` unique and not null in the rows of `sql` (text, or a tree this only reads),
    or say why it cannot be.

    With `stored_in`, the table the rows are inserted into (an increment's stage is typed
    like its target), each key output must also have that table's column type: an INSERT's
    implicit cast (DECIMAL into INTEGER) could merge two keys the proof kept apart.
    """
    if not key:
        return _no("no key")
    if not enforces_keys:
        return _no(f"{catalog.dialect} does not enforce primary keys")
    try:
        tree = sqlglot.parse_one(sql, dialect=catalog.dialect) if isinstance(sql, str) else sql
    except SqlglotError:
        return _no("the SQL does not parse")
    if not isinstance(tree, exp.Select):
        return _no("not a single SELECT (set operation or other statement)")
    shape = _shape_problem(tree)
    if shape:
        return _no(shape)
    sources = _sources(tree, catalog, {t.lower() for t in targets})
    if isinstance(sources, str):
        return _no(sources)
    outputs = _key_outputs(tree, key)
    if isinstance(outputs, str):
        return _no(outputs)
    if tree.args.get("group"):
        proof = _by_grouping(tree, outputs, sources, catalog.dialect)
    else:
        proof = _by_primary_key(tree, outputs, sources, catalog.dialect)
    if not proof.proved or stored_in is None:
        return proof
    for name, output in zip(key, outputs, strict=True):
        column = stored_in.column(name)
        stored = _type(column.type, catalog.dialect) if column is not None else None
        if stored is None or _output_type(output, sources, catalog.dialect) != stored:
            return _no(f"key column {name} is not stored in the type the SELECT gives it")
    return proof


def _no(reason: str) -> KeyProof:
    return KeyProof(False, reason)


def _shape_problem(tree: exp.Select) -> str | None:
    if any(tree.args.get(arg) for arg in _REJECTED_ARGS):
        return "a CTE, LATERAL VIEW, PIVOT or other clause the proof does not cover"
    distinct = tree.args.get("distinct")
    if distinct is not None and distinct.args.get("on"):
        return "DISTINCT ON"
    if tree.find(exp.SetOperation, exp.Lateral):
        return "a set operation or LATERAL somewhere in the query"
    found = tree.find(*_SET_RETURNING)
    if found is not None:
        return f"function {found.sql(identify=False)[:40]!r} may return several rows"
    return None


def _sources(tree: exp.Select, catalog: Catalog, targets: set[str]) -> list[_Source] | str:
    """The FROM table, then each joined table, in order; a reason where one is not a table."""
    from_ = tree.args.get("from_") or tree.args.get("from")
    if from_ is None:
        return "no FROM table"
    sources: list[_Source] = []
    null_extended = any((j.side or "").upper() in ("RIGHT", "FULL") for j in _joins(tree))
    for node, left in [
        (from_.this, False),
        *((j.this, j.side.upper() == "LEFT") for j in _joins(tree)),
    ]:
        source = _source(node, catalog, targets, nullable=left or null_extended)
        if isinstance(source, str):
            return source
        if any(s.alias == source.alias for s in sources):
            return f"{source.alias} appears twice"
        sources.append(source)
    return sources


def _joins(tree: exp.Select) -> list[exp.Join]:
    return list(tree.args.get("joins") or [])


def _source(
    node: exp.Expression, catalog: Catalog, targets: set[str], nullable: bool
) -> _Source | str:
    if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
        return f"{node.sql()[:40]!r} is not a plain table"
    alias = node.args.get("alias")
    if alias is not None and alias.args.get("columns"):
        return f"{node.sql()[:40]!r} renames its columns"
    name = node.name
    table = catalog.table(name)
    if name.lower() in targets:
        return f"{name} is a target (no enforced key)"
    if table is None:
        return f"{name} is not in the catalog"
    schema = node.args.get("db")
    if (
        schema is not None
        and table.schema_name
        and schema.name.lower() != table.schema_name.lower()
    ):
        return f"{node.sql()} is outside the catalog's schema"
    if table.kind != "table":
        return f"{name} is a {table.kind}, not a table with enforced constraints"
    return _Source((node.alias or name).lower(), table, nullable)


def _key_outputs(tree: exp.Select, key: Sequence[str]) -> list[exp.Expression] | str:
    """The SELECT expression (alias removed) that produces each key column."""
    outputs: list[exp.Expression] = []
    for name in key:
        matches = [p for p in tree.expressions if p.alias_or_name.lower() == name.lower()]
        if len(matches) != 1:
            return f"key column {name} is not one named output of the SELECT"
        outputs.append(matches[0].unalias())
    return outputs


def _resolve(column: exp.Column, sources: list[_Source]) -> _Source | None:
    """The source a column reference reads, or None (unknown, ambiguous, schema-qualified)."""
    if column.args.get("db") or column.args.get("catalog") or not column.name:
        return None
    qualifier = column.table.lower()
    name = column.name.lower()
    found = [
        s
        for s in sources
        if (s.alias == qualifier or not qualifier) and s.table.column(name) is not None
    ]
    return found[0] if len(found) == 1 else None


def _plain(
    expr: exp.Expression, sources: list[_Source], dialect: str
) -> tuple[_Source, str] | None:
    """(source, column) when `expr` is a column, or an injective cast of one."""
    casts: list[exp.DataType] = []
    while isinstance(expr, exp.Cast) and not isinstance(expr, exp.TryCast):
        casts.append(expr.to)
        expr = expr.this
    if not isinstance(expr, exp.Column):
        return None
    source = _resolve(expr, sources)
    if source is None:
        return None
    column = source.table.column(expr.name)
    assert column is not None  # _resolve found it
    current = _type(column.type, dialect)
    for to in reversed(casts):
        if current is None or not _injective(current, to):
            return None
        current = to
    return source, column.name.lower()


def _output_type(expr: exp.Expression, sources: list[_Source], dialect: str) -> exp.DataType | None:
    """The type of a key output: its outermost cast's, or its column's catalog type."""
    if isinstance(expr, exp.Cast):
        return expr.to
    if not isinstance(expr, exp.Column):
        return None
    source = _resolve(expr, sources)
    column = source.table.column(expr.name) if source is not None else None
    return _type(column.type, dialect) if column is not None else None


def _type(text: str, dialect: str) -> exp.DataType | None:
    try:
        return exp.DataType.build(text, dialect=dialect)
    except (SqlglotError, ValueError):
        return None


def _injective(source: exp.DataType, to: exp.DataType) -> bool:
    if source == to:
        return True
    if source.this in exp.DataType.INTEGER_TYPES and to.this in exp.DataType.INTEGER_TYPES:
        return True  # widening keeps the value; narrowing errors on overflow, never wraps
    return source.this in exp.DataType.INTEGER_TYPES and to.this in _TEXT and not to.expressions


def _by_primary_key(
    tree: exp.Select, outputs: list[exp.Expression], sources: list[_Source], dialect: str
) -> KeyProof:
    driving = sources[0]
    if not driving.table.primary_key:
        return _no(f"{driving.table.name} has no primary key")
    refs: list[tuple[_Source, str]] = []
    for output in outputs:
        ref = _plain(output, sources, dialect)
        if ref is None:
            return _no(f"key output {output.sql()[:60]!r} is not a column (or an injective cast)")
        refs.append(ref)
    pk = {c.lower() for c in driving.table.primary_key}
    covered = {column for source, column in refs if source is driving}
    if not pk <= covered:
        return _no(
            f"the key does not cover the primary key of {driving.table.name}"
            f" ({', '.join(sorted(pk - covered))} missing)"
        )
    for source, column in refs:
        if not (source is driving and column in pk) and not _not_null(source, column):
            return _no(f"key column {source.alias}.{column} may be null")
    for index, join in enumerate(_joins(tree), start=1):
        problem = _many_to_one(join, sources[index], sources[:index], dialect)
        if problem:
            return _no(problem)
    joined = f" with {len(sources) - 1} many-to-one join(s)" if len(sources) > 1 else ""
    return KeyProof(True, f"primary key of {driving.table.name}{joined}")


def _not_null(source: _Source, column: str) -> bool:
    found = source.table.column(column)
    in_pk = column in {c.lower() for c in source.table.primary_key}
    return found is not None and (in_pk or not found.nullable) and not source.nullable


def _many_to_one(
    join: exp.Join, joined: _Source, before: list[_Source], dialect: str
) -> str | None:
    """None when each row meets at most one row of `joined`; else why that is not shown."""
    side, kind = (join.side or "").upper(), (join.kind or "").upper()
    if side not in ("", "LEFT") or kind not in ("", "INNER", "OUTER"):
        return f"{side or kind} JOIN {joined.table.name}"
    extra = set(join.args) - {"this", "side", "kind", "on", "pivots"}
    if join.args.get("pivots") or any(join.args.get(a) for a in extra):
        return (
            f"JOIN {joined.table.name} with USING, NATURAL or another form the proof does not cover"
        )
    on = join.args.get("on")
    if on is None:
        return f"JOIN {joined.table.name} has no ON condition"
    pk = {c.lower() for c in joined.table.primary_key}
    if not pk:
        return f"joined {joined.table.name} has no primary key"
    # other conjuncts only remove matches; an OR is not split, so it pins nothing
    conjuncts = on.flatten() if isinstance(on, exp.And) else iter([on])
    pins = [_matched(eq, joined, before, dialect) for eq in conjuncts if isinstance(eq, exp.EQ)]
    matched = {column for pinned in pins for column in pinned}
    if not pk <= matched:
        missing = ", ".join(sorted(pk - matched))
        return f"JOIN {joined.table.name}: primary key not all matched by = ({missing} unmatched)"
    return None


def _matched(eq: exp.Expression, joined: _Source, before: list[_Source], dialect: str) -> list[str]:
    """The joined table's column that `eq` pins to one value from earlier tables, if any."""
    if not isinstance(eq, exp.EQ):
        return []
    left, right = eq.this, eq.expression
    if not isinstance(left, exp.Column) or not isinstance(right, exp.Column):
        return []
    scope = [*before, joined]
    for mine, theirs in ((left, right), (right, left)):
        a, b = _resolve(mine, scope), _resolve(theirs, scope)
        if a is joined and b is not None and b is not joined:
            # same declared type: an implicit cast to a common type (BIGINT vs DOUBLE) could
            # make distinct keys compare equal
            ta = _type(str(joined.table.column(mine.name).type), dialect)  # type: ignore[union-attr]
            tb = _type(str(b.table.column(theirs.name).type), dialect)  # type: ignore[union-attr]
            if ta is not None and ta == tb:
                return [mine.name.lower()]
    return []


def _by_grouping(
    tree: exp.Select, outputs: list[exp.Expression], sources: list[_Source], dialect: str
) -> KeyProof:
    group: exp.Group = tree.args["group"]
    if set(group.args) - {"expressions"} and any(
        v for k, v in group.args.items() if k != "expressions"
    ):
        return _no("GROUP BY ALL, ROLLUP, CUBE or GROUPING SETS")
    for join in _joins(tree):
        if (
            (join.side or "").upper() in ("RIGHT", "FULL")
            or join.args.get("using")
            or join.args.get("method")
        ):
            return _no(f"{join.side or join.args.get('method') or 'USING'} JOIN in a grouped query")
    grouped = []
    for expr in group.expressions:
        canon = _canonical(_grouped(expr, tree, sources), sources)
        if canon is None:
            return _no(f"GROUP BY {expr.sql()[:40]!r} is not resolved")
        grouped.append(canon)
    keyed = []
    for output in outputs:
        ref = _plain(output, sources, dialect)
        if ref is None or not _not_null(*ref):
            return _no(
                f"key output {output.sql()[:60]!r} is not a NOT NULL column"
                " of a table no join null-extends"
            )
        keyed.append(_canonical(_uncast(output), sources))
    if sorted(g.sql() for g in grouped) != sorted(k.sql() for k in keyed if k is not None):
        return _no("the GROUP BY is not exactly the key")
    return KeyProof(True, "GROUP BY the key")


def _grouped(expr: exp.Expression, tree: exp.Select, sources: list[_Source]) -> exp.Expression:
    """A GROUP BY item as the expression it groups: positions and output aliases resolved."""
    if isinstance(expr, exp.Literal) and expr.is_int:
        position = int(expr.this)
        if 1 <= position <= len(tree.expressions):
            return tree.expressions[position - 1].unalias()
    if isinstance(expr, exp.Column) and not expr.table and _resolve(expr, sources) is None:
        named = [p for p in tree.expressions if p.alias_or_name.lower() == expr.name.lower()]
        if len(named) == 1:
            return named[0].unalias()
    return expr


def _uncast(expr: exp.Expression) -> exp.Expression:
    while isinstance(expr, exp.Cast):
        expr = expr.this
    return expr


def _canonical(expr: exp.Expression, sources: list[_Source]) -> exp.Expression | None:
    """The expression with every column qualified by its source; None if one is unresolved."""
    if not isinstance(expr, exp.Column):
        return None  # only plain columns are compared: an expression's equality is not obvious
    source = _resolve(expr, sources)
    if source is None:
        return None
    return exp.column(expr.name.lower(), table=source.alias)
