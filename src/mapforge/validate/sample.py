"""A bounded, deterministic sample of a target's sources, as SELECTs for `Engine.sandbox`.

The driving table gives its first `rows` rows in primary-key order (all columns when it has
no key). Every other table the SQL may read is cut down to the rows the driving sample
refers to, so joins still find their partners:

1. through the mapping's declared joins and lookups (their ON conditions, as written), else
2. through the catalog's foreign keys to or from a table sampled before it, else
3. its first `rows` rows in key order (a table nothing links to: bounded, not consistent).

Each table's SELECT is self-contained: the samples it depends on are inlined as derived
tables, so the order in which the sandbox creates its shadows does not matter.

Upstream targets (`kind == "target"` in the planning catalog) may not be built yet: one
that does not exist, or whose columns are not the contract's, reads as an empty table of
the contract's columns, so checks on its readers pass vacuously rather than guess.
Schema-qualified names in the SQL (`main.orders`) are not shadowed: they read the real table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from mapforge.catalog.model import Catalog, Table
from mapforge.mapping.spec import RuleKind, Target

# a child table may hold several rows per sampled parent (order lines per order)
CHILD_FACTOR = 10

Exists = Callable[[Table], bool]


@dataclass
class _Plan:
    catalog: Catalog
    dialect: str
    rows: int
    usable: Exists
    sql: dict[str, exp.Query] = field(default_factory=dict)  # lower-cased name -> sample
    refs: dict[str, str] = field(
        default_factory=dict
    )  # lower-cased ref (alias or name) -> table key


def shadows(
    target: Target,
    catalog: Catalog,
    read: Iterable[str],
    *,
    rows: int,
    usable: Exists,
    dialect: str = "duckdb",
) -> dict[str, str]:
    """{table name: sample SELECT} for the driving table and every catalog table in `read`."""
    plan = _Plan(catalog, dialect, rows, usable)
    driving = catalog.table(target.driving_table) if target.driving_table else None
    if driving is not None:
        plan.refs[driving.name.lower()] = driving.name.lower()
        plan.sql[driving.name.lower()] = _first_rows(plan, driving, rows)
    for table in _ordered(target, catalog, read):
        if table.name.lower() not in plan.sql:
            plan.sql[table.name.lower()] = _linked(plan, table, target)
        plan.refs.setdefault(table.name.lower(), table.name.lower())
    return {catalog.tables[key].name: q.sql(dialect=dialect) for key, q in plan.sql.items()}


def _ordered(target: Target, catalog: Catalog, read: Iterable[str]) -> list[Table]:
    """Declared joins first, then lookups, then whatever else the SQL reads."""
    names = [j.table for j in target.joins]
    names += [c.rule.lookup_table for c in target.columns if c.rule.lookup_table]
    names += list(read)
    found = [t for n in names if (t := catalog.table(n)) is not None]
    return list({t.name.lower(): t for t in found}.values())


def _linked(plan: _Plan, table: Table, target: Target) -> exp.Query:
    if not plan.usable(table):
        return _empty(table)
    ref = _ref_of(table, target)
    plan.refs[ref.lower()] = table.name.lower()
    links = _declared_links(plan, table, target, ref) or _fk_links(plan, table, ref)
    if not links:
        return _first_rows(plan, table, plan.rows)
    select = _base(table, ref).where(exp.or_(*links))
    return _ordered_limit(select, table, ref, plan.rows * CHILD_FACTOR)


def _ref_of(table: Table, target: Target) -> str:
    # an alias in lower case: the mapping's conditions write it unquoted, which PostgreSQL
    # folds to lower case (DuckDB and Spark ignore the case), and the sample quotes it
    join = next((j for j in target.joins if _same(j.table, table.name)), None)
    return join.alias.lower() if join is not None and join.alias else table.name


def _declared_links(plan: _Plan, table: Table, target: Target, ref: str) -> list[exp.Expr]:
    conditions = [j.on for j in target.joins if _same(j.table, table.name) and j.on]
    links = [_exists(plan, c, ref) for c in conditions]
    for col in target.columns:
        rule = col.rule
        if rule.kind is RuleKind.LOOKUP and rule.lookup_on and _same(rule.lookup_table, table.name):
            own = col.source_table or target.driving_table or ""
            links.append(_lookup_link(plan, rule.lookup_on, own, ref))
    return [link for link in links if link is not None]


def _lookup_link(plan: _Plan, on: str, own: str, ref: str) -> exp.Expr | None:
    parsed = _parse(on, plan.dialect)
    if isinstance(parsed, exp.Column) and not parsed.table:  # a shared key column name
        owner = plan.catalog.table(own)
        if owner is None:
            return None
        key = parsed.name
        return _exists(
            plan,
            exp.column(key, owner.name, quoted=True).eq(exp.column(key, ref, quoted=True)),
            ref,
        )
    return _exists(plan, parsed, ref)


def _exists(plan: _Plan, condition: str | exp.Expr | None, ref: str) -> exp.Expr | None:
    """EXISTS (rows of the samples `condition` names, other than `ref`, that match it)."""
    parsed = _parse(condition, plan.dialect) if isinstance(condition, str) else condition
    if parsed is None:
        return None
    others = {c.table.lower() for c in parsed.find_all(exp.Column) if c.table} - {ref.lower()}
    if not others or any(o not in plan.refs for o in others):
        return None  # refers to a table without a sample (or to none): no link
    sources = [plan.sql[plan.refs[o]].subquery(o) for o in sorted(others)]
    inner = exp.select("1").from_(sources[0])
    for source in sources[1:]:
        inner = inner.join(source, join_type="cross")
    return exp.Exists(this=inner.where(parsed))


def _fk_links(plan: _Plan, table: Table, ref: str) -> list[exp.Expr]:
    links: list[exp.Expr] = []
    for key, sample in plan.sql.items():
        other = plan.catalog.tables[key]
        pairs = [
            list(zip(fk.columns, fk.ref_columns, strict=False))
            for fk in table.foreign_keys
            if _same(fk.ref_table, other.name)
        ]
        pairs += [
            list(zip(fk.ref_columns, fk.columns, strict=False))
            for fk in other.foreign_keys
            if _same(fk.ref_table, table.name)
        ]
        for pair in pairs:
            alias = "__mapforge_s"
            cond = exp.and_(*(_col(mine, ref).eq(_col(theirs, alias)) for mine, theirs in pair))
            links.append(exp.Exists(this=exp.select("1").from_(sample.subquery(alias)).where(cond)))
    return links


def _first_rows(plan: _Plan, table: Table, limit: int) -> exp.Query:
    if not plan.usable(table):
        return _empty(table)
    return _ordered_limit(_base(table, table.name), table, table.name, limit)


def _base(table: Table, ref: str) -> exp.Select:
    # a target's contract columns only: a built table may carry more (or be stale)
    columns = [_col(c.name, ref) for c in table.columns] if table.kind == "target" else [exp.Star()]
    source = exp.Table(this=exp.to_identifier(table.name, quoted=True))
    if ref != table.name:
        source.set("alias", exp.TableAlias(this=exp.to_identifier(ref, quoted=True)))
    return exp.select(*columns).from_(source)


def _ordered_limit(select: exp.Select, table: Table, ref: str, limit: int) -> exp.Select:
    order = table.primary_key or table.column_names
    return select.order_by(*(_col(c, ref) for c in order)).limit(limit)


def _empty(table: Table) -> exp.Select:
    """An empty relation with the table's columns and types."""
    columns = [exp.alias_(exp.cast(exp.null(), c.type), c.name, quoted=True) for c in table.columns]
    return exp.select(*columns).where(exp.false())


def _parse(text: str, dialect: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(text, read=dialect)
    except sqlglot.errors.SqlglotError:
        return None


def _same(a: str | None, b: str) -> bool:
    return bool(a) and a.rsplit(".", 1)[-1].lower() == b.lower()  # type: ignore[union-attr]


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table, quoted=True)
