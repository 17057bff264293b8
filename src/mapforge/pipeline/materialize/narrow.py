"""Read only the watermarked source's rows past the mark, then join.

An incremental increment is the locked SELECT filtered on its watermark column. The engine
pushes that filter into the scan of the source table the column comes from, but it plans the
joins with a guessed selectivity (DuckDB assumes 20%), so at 1% changed rows of 10M it built
the hash table on the 2.5M-row `orders` side instead of on the 100k changed lines (the
stage: 0.11 s against 0.06 s once those rows were read first, then into a TEMP copy).

The caller (materialize/incremental.py) now reads them as a MATERIALIZED CTE that the SELECT
reads in place of the table: one filtered scan, which DuckDB sizes at 4% of the table (its
20% for the filter in the CTE and again for the one on the output) and builds its hash table
on. That is a guess, not a count: a joined table smaller than it becomes the build side
instead, a hash table over that table where a probe of it would do, bounded by the guess.
The TEMP copy, whose row count the planner knew, made the whole incremental run slower: at
100k changed lines of 10M, 0.121 s against 0.113 s (medians of 32 runs; a table's storage to
write and read back), and 0.410 s against 0.398 s with scattered changes. An exact LIMIT,
read by a count first, cost 0.025 s more there (a second scan of the watermark column).

The rewrite keeps the rows exact: when the watermark output column is a column (or a cast
of one) of a table T read in the SELECT's own FROM or JOINs, each output row's watermark
is computed from the one T row it came from, so dropping the T rows that fail the same
predicate drops only output rows the filter drops anyway. A T row on the null-supplying side
of an outer join can only turn a row into one whose watermark is NULL, and the filter, which
the caller keeps on the output, removes those. Aggregates, DISTINCT, windows, LIMIT, samples
and set operations mix rows, and ASOF and POSITIONAL joins match a row by its neighbours, so
their SELECTs are left as they are (correct, only slower). One difference remains: a cast
in the watermark column is applied to every T row before the joins and WHERE, so a cast that
fails on a row they would have dropped fails the increment (the plain one would not).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from mapforge.pipeline.materialize.sql import ident

_MIXING = ("group", "having", "qualify", "distinct", "limit", "offset", "sample")
# an ASOF join matches each row to its nearest one, a POSITIONAL join by row number: dropping
# source rows changes which rows the others are matched to, not only which rows come out
_MATCHING = ("ASOF", "POSITIONAL")


@dataclass(frozen=True)
class Narrowed:
    picked: exp.Select  # the source rows past the mark (the columns the SELECT reads)
    query: exp.Select  # the locked SELECT reading `name` in place of that source
    name: str


def narrow(
    query: exp.Expression, watermark: str, bound: exp.Expression, name: str
) -> Narrowed | None:
    """The SELECT reading its watermark source's rows past the mark from `name` (a CTE the
    caller defines as `picked`), or None when unsafe."""
    if not isinstance(query, exp.Select) or any(query.args.get(a) for a in _MIXING):
        return None
    if query.find(exp.Window, exp.AggFunc, exp.TableSample) or any(
        c.args.get("db") for c in query.find_all(exp.Column)
    ):
        return None  # windows, aggregates and samples mix rows; db.table.column outlives a rename
    if any(j.method in _MATCHING for j in query.args.get("joins") or []):
        return None
    mark = _projection(query, watermark)
    table = _source_of(mark, query) if mark is not None else None
    if mark is None or table is None:
        return None
    alias = _alias(table)
    predicate = exp.GTE(this=mark.copy(), expression=bound.copy())
    picked = exp.select(*_columns(query, alias)).from_(table.copy()).where(predicate)
    narrowed = query.copy()
    for node in narrowed.find_all(exp.Table):
        if node.parent_select is narrowed and _alias(node).name.lower() == alias.name.lower():
            node.replace(exp.Table(this=ident(name), alias=exp.TableAlias(this=alias.copy())))
            break
    return Narrowed(picked, narrowed, name)


def _projection(query: exp.Select, name: str) -> exp.Expression | None:
    """The expression of output column `name` when it is a column or casts of one."""
    for projection in query.expressions:
        if projection.alias_or_name.lower() != name.lower():
            continue
        inner = projection.unalias()
        node = inner
        while isinstance(node, exp.Cast):  # TryCast is a Cast subclass
            node = node.this
        return inner if isinstance(node, exp.Column) else None
    return None


def _from_items(query: exp.Select) -> list[exp.Expression]:
    """What the SELECT itself reads: its FROM item and each JOIN's."""
    from_ = query.args.get("from_")
    first = [from_.this] if from_ is not None else []
    return first + [j.this for j in query.args.get("joins") or []]


def _source_of(mark: exp.Expression, query: exp.Select) -> exp.Table | None:
    """The table the watermark column reads, when it is a plain table of the SELECT's own."""
    items = _from_items(query)
    names = [i.alias_or_name.lower() for i in items]
    column = mark.find(exp.Column)
    if column is None or len(set(names)) != len(names):
        return None
    if column.table:
        found = [i for i in items if i.alias_or_name.lower() == column.table.lower()]
    else:  # unqualified: unambiguous only when the SELECT reads one thing
        found = items if len(items) == 1 else []
    if not found or not isinstance(found[0], exp.Table) or found[0].args.get("db"):
        return None
    join = next((j for j in query.args.get("joins") or [] if j.this is found[0]), None)
    if join is not None and join.kind in ("SEMI", "ANTI"):
        return None
    ctes = {c.alias_or_name.lower() for c in query.ctes}
    return None if found[0].name.lower() in ctes else found[0]


def _alias(table: exp.Table) -> exp.Identifier:
    """The name the SELECT uses for `table`: its alias, or its own name."""
    alias = table.args.get("alias")
    return alias.this if alias is not None and alias.this is not None else table.this


def _columns(query: exp.Select, alias: exp.Identifier) -> list[exp.Expression]:
    """The columns of `alias` the SELECT reads, or `*` when that cannot be told exactly."""
    joins = query.args.get("joins") or []
    if any(j.args.get("using") or j.method for j in joins) or query.ctes:
        return [exp.Star()]  # USING and NATURAL join on columns no Column node names
    if query.find(exp.Subquery, exp.Exists, exp.Star, exp.Lateral, exp.Unnest):
        return [exp.Star()]
    single = len(_from_items(query)) == 1
    outputs = {e.alias.lower() for e in query.expressions if isinstance(e, exp.Alias)}
    names: dict[str, exp.Identifier] = {}
    for column in query.find_all(exp.Column):
        if not column.table and (not single or column.name.lower() in outputs):
            return [exp.Star()]  # an unqualified name may be another table's, or an output's
        if not column.table or column.table.lower() == alias.name.lower():
            names.setdefault(column.name.lower(), column.this)
    return [exp.column(i.copy(), table=alias.copy()) for i in names.values()] or [exp.Star()]
