"""The deterministic compiler: a target whose rules are all structured becomes one SELECT.

No model is involved. The statement is built as sqlglot expressions (identifiers are never
pasted into strings) and printed for the requested dialect, so the same target always
compiles to the same text.

Casting policy: every output column is `CAST(<rule expression> AS <target type>)`, so the
output types are the target contract whatever the source types are. The one exception is an
expression that already is a cast to exactly that type (a `cast` rule to the target type, or a
`sql:` rule that casts), which is not cast twice.

Lookup aliasing: each distinct lookup (table + ON) is one LEFT JOIN. It is referenced by the
table's own name unless that name is already taken in the FROM clause (the driving table, a
declared join or an earlier lookup of the same table with another ON), in which case it is
aliased `lk_<n>`, n being the lookup join's 1-based position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError

from mapforge.errors import GenerationError
from mapforge.mapping.spec import ColumnMapping, Join, JoinKind, RuleKind, Target
from mapforge.mapping.sqltext import sqlglot_reason


def compile_target(target: Target, dialect: str = "duckdb") -> str:
    """The SELECT that fills `target`, pretty-printed in `dialect`; free-text rules raise."""
    _require_compilable(target)
    scope = _Scope.of(target, dialect)
    outputs = [_output(col, scope) for col in target.columns]
    named = zip(outputs, target.columns, strict=True)
    select = exp.select(*(exp.alias_(expr, col.name) for expr, col in named))
    if target.driving_table:
        select = select.from_(exp.to_table(target.driving_table, dialect=dialect))
    for join in target.joins:
        select = _declared_join(select, join, scope)
    for table, on in scope.lookup_joins:
        select = select.join(table, on=on, join_type="left")
    if target.filter:
        select = select.where(scope.parse(target.filter, "filter"))
    if any(_is_aggregate(e) for e in outputs):
        select = select.group_by(*(e.copy() for e in outputs if _groups(e)))
    return select.sql(dialect=dialect, pretty=True)


def _require_compilable(target: Target) -> None:
    if not target.columns:
        raise GenerationError(f"target {target.name} has no columns")
    for col in target.columns:
        if col.rule.kind is RuleKind.FREE_TEXT:
            raise GenerationError(
                f"{target.name}.{col.name}: the rule is free text and cannot be compiled",
                hint="free-text rules go to the model through the prompt builder",
            )


@dataclass
class _Scope:
    """What a column expression may refer to: table reference names and lookup joins."""

    target: Target
    dialect: str
    driving: str | None
    # lower-cased table name (as written and bare) -> the name to qualify columns with
    refs: dict[str, str] = field(default_factory=dict)
    # lower-cased target column name -> reference name of its lookup join
    lookup_refs: dict[str, str] = field(default_factory=dict)
    lookup_joins: list[tuple[exp.Table, exp.Expr]] = field(default_factory=list)

    @classmethod
    def of(cls, target: Target, dialect: str) -> _Scope:
        driving = _bare(target.driving_table) if target.driving_table else None
        scope = cls(target, dialect, driving)
        if target.driving_table:
            scope.add_ref(target.driving_table, driving)
        for join in target.joins:
            scope.add_ref(join.table, join.alias or _bare(join.table))
        _plan_lookups(scope)
        return scope

    def add_ref(self, table: str, ref: str | None) -> None:
        if ref:
            self.refs.setdefault(table.lower(), ref)
            self.refs.setdefault(_bare(table).lower(), ref)

    def ref(self, table: str | None) -> str | None:
        """The qualifier for columns of `table`; the driving table when none is given."""
        if not table:
            return self.driving
        return self.refs.get(table.lower(), _bare(table))

    def parse(self, text: str, what: str, column: str | None = None) -> exp.Expr:
        """`text` parsed as one SQL expression; a mapping cell that does not parse raises."""
        where = f"{self.target.name}.{column}" if column else self.target.name
        try:
            node = sqlglot.parse_one(text, read=self.dialect)
        except (ParseError, TokenError) as err:
            raise GenerationError(
                f"{where}: the {what} {text!r} is not valid {self.dialect} SQL",
                hint=sqlglot_reason(err),
            ) from None
        if isinstance(node, exp.Query) and not isinstance(node, exp.Subquery):
            return node.subquery()
        if not isinstance(node, exp.Condition | exp.Subquery):
            # a statement (DROP ...), several of them, or `a b` read as an alias
            raise GenerationError(f"{where}: the {what} {text!r} is not a single SQL expression")
        return node

    def operand(self, col: ColumnMapping, text: str) -> exp.Expr:
        """A rule operand, its bare columns qualified with the row's table."""
        return _qualify(
            self.parse(text, "rule operand", col.name), self.ref(col.source_table), self
        )


def _bare(table: str) -> str:
    """`main.orders` -> `orders`: the name a FROM item can be referred to by."""
    return table.rsplit(".", 1)[-1]


def _qualify(node: exp.Expr, ref: str | None, scope: _Scope) -> exp.Expr:
    for column in list(node.find_all(exp.Column)):
        # columns inside a subquery of the operand belong to that subquery's FROM
        if column.find_ancestor(exp.Select) is not None:
            continue
        if not column.table and ref:
            column.set("table", exp.to_identifier(ref))
        elif column.table and column.table.lower() in scope.refs:
            # `orders.amount` must become `o.amount` once orders is joined AS o
            column.set("table", exp.to_identifier(scope.refs[column.table.lower()]))
    return node


def _plan_lookups(scope: _Scope) -> None:
    """One LEFT JOIN per distinct (table, ON); fills lookup_refs and lookup_joins."""
    taken = {ref.lower() for ref in scope.refs.values()}
    seen: dict[tuple[str, str], str] = {}
    for col in scope.target.columns:
        if col.rule.kind is not RuleKind.LOOKUP:
            continue
        table, on = _lookup_cells(col, scope)
        own = scope.ref(_own_table(col, table))
        key = (table.lower(), on.sql() if isinstance(on, exp.Expr) else f"{own}.{on}")
        if key not in seen:
            ref = _bare(table) if _bare(table).lower() not in taken else f"lk_{len(seen) + 1}"
            taken.add(ref.lower())
            seen[key] = ref
            condition = _lookup_on(own, table, ref, on, scope)
            scope.lookup_joins.append((_table(table, ref, scope.dialect), condition))
        scope.lookup_refs[col.name.lower()] = seen[key]


def _lookup_cells(col: ColumnMapping, scope: _Scope) -> tuple[str, exp.Expr | str]:
    """(lookup table, condition or shared key name); a lookup missing a part raises."""
    rule = col.rule
    if not (rule.lookup_table and rule.lookup_column and rule.lookup_on):
        raise GenerationError(
            f"{scope.target.name}.{col.name}: the lookup needs a table, a column and an ON",
            hint="write lookup(<table>.<column> on <key>) or on <a> = <b>",
        )
    on = scope.parse(rule.lookup_on, "lookup condition", col.name)
    if isinstance(on, exp.Column) and not on.table:
        return rule.lookup_table, on.name
    return rule.lookup_table, on


def _own_table(col: ColumnMapping, lookup_table: str) -> str | None:
    """The table a shared lookup key is read from: the row's, unless it names the lookup."""
    if col.source_table and col.source_table.lower() != lookup_table.lower():
        return col.source_table
    return None


def _lookup_on(
    own: str | None, table: str, ref: str, on: exp.Expr | str, scope: _Scope
) -> exp.Expr:
    if isinstance(on, str):
        return exp.column(on, table=own).eq(exp.column(on, table=ref))
    if ref != _bare(table) and _bare(table).lower() not in scope.refs:
        # aliased because an earlier lookup took the name: point `table.x` at this join
        for column in on.find_all(exp.Column):
            if column.table.lower() == _bare(table).lower():
                column.set("table", exp.to_identifier(ref))
    return on


def _table(name: str, ref: str, dialect: str) -> exp.Table:
    table = exp.to_table(name, dialect=dialect)
    return _aliased(table, ref) if ref != _bare(name) else table


def _aliased(table: exp.Table, alias: str) -> exp.Table:
    table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return table


def _declared_join(select: exp.Select, join: Join, scope: _Scope) -> exp.Select:
    table = exp.to_table(join.table, dialect=scope.dialect)
    if join.alias:
        table = _aliased(table, join.alias)
    if join.kind is JoinKind.CROSS:
        return select.join(table, join_type="cross")
    if not join.on:
        raise GenerationError(
            f"{scope.target.name}: the {join.kind.value} join to {join.table} has no ON condition",
            hint="add `on <a> = <b>` to the join cell, or make it a cross join",
        )
    return select.join(table, on=scope.parse(join.on, "join condition"), join_type=join.kind.value)


def _output(col: ColumnMapping, scope: _Scope) -> exp.Expr:
    """The rule's expression cast to the target type (not re-cast when it already is)."""
    expr = _BUILDERS[col.rule.kind](col, scope)
    to = _data_type(col.type, scope)
    # exp.cast() treats DECIMAL(5,0) and DECIMAL(12,2) as the same type and skips the cast,
    # so compare the full type here.
    if isinstance(expr, exp.Cast) and expr.to == to:
        return expr
    return exp.Cast(this=expr, to=to)


def _data_type(text: str, scope: _Scope) -> exp.DataType:
    try:
        return exp.DataType.build(text, dialect=scope.dialect)
    except SqlglotError:
        # unknown to sqlglot (a domain, an extension type): pass it through and let the
        # validator or the database judge it
        return exp.DataType.build(text, dialect=scope.dialect, udt=True)


def _arg(col: ColumnMapping, scope: _Scope) -> str:
    if len(col.rule.args) != 1:
        raise GenerationError(
            f"{scope.target.name}.{col.name}: {col.rule.kind.value} takes one argument,"
            f" got {len(col.rule.args)}"
        )
    return col.rule.args[0]


def _operands(col: ColumnMapping, scope: _Scope) -> list[exp.Expr]:
    if not col.rule.args:
        raise GenerationError(
            f"{scope.target.name}.{col.name}: {col.rule.kind.value} has no arguments"
        )
    return [scope.operand(col, text) for text in col.rule.args]


def _source(col: ColumnMapping, scope: _Scope) -> exp.Column:
    """`<source_table>.<source_column>`; a blank source column means the target's name."""
    return exp.column(col.source_column or col.name, table=scope.ref(col.source_table))


def _direct(col: ColumnMapping, scope: _Scope) -> exp.Expr:
    return _source(col, scope)


def _cast(col: ColumnMapping, scope: _Scope) -> exp.Expr:
    return exp.Cast(this=_source(col, scope), to=_data_type(_arg(col, scope), scope))


def _concat(col: ColumnMapping, scope: _Scope) -> exp.Expr:
    # coalesce=True: NULL operands count as '' (CONCAT in DuckDB and PostgreSQL); sqlglot
    # wraps operands in COALESCE for dialects whose CONCAT returns NULL instead.
    return exp.Concat(expressions=_operands(col, scope), coalesce=True)


def _coalesce(col: ColumnMapping, scope: _Scope) -> exp.Expr:
    first, *rest = _operands(col, scope)
    return exp.Coalesce(this=first, expressions=rest)


def _default(col: ColumnMapping, scope: _Scope) -> exp.Expr:
    value = scope.operand(col, _arg(col, scope))
    if col.source_column:
        return exp.Coalesce(this=_source(col, scope), expressions=[value])
    return value


def _sql(col: ColumnMapping, scope: _Scope) -> exp.Expr:
    return scope.operand(col, _arg(col, scope))


def _lookup(col: ColumnMapping, scope: _Scope) -> exp.Expr:
    return exp.column(col.rule.lookup_column or col.name, table=scope.lookup_refs[col.name.lower()])


_BUILDERS: dict[RuleKind, Callable[[ColumnMapping, _Scope], exp.Expr]] = {
    RuleKind.DIRECT: _direct,
    RuleKind.CAST: _cast,
    RuleKind.CONCAT: _concat,
    RuleKind.COALESCE: _coalesce,
    RuleKind.DEFAULT: _default,
    RuleKind.SQL: _sql,
    RuleKind.LOOKUP: _lookup,
}


def _is_aggregate(node: exp.Expr) -> bool:
    """An aggregate at this query's level: not inside a window or a subquery."""
    return any(
        agg.find_ancestor(exp.Window, exp.Select) is None for agg in node.find_all(exp.AggFunc)
    )


def _groups(node: exp.Expr) -> bool:
    """Whether an output belongs in GROUP BY: not an aggregate and not a constant.

    Constants stay out: PostgreSQL rejects a string constant in GROUP BY and reads an integer
    one as an ordinal.
    """
    return not _is_aggregate(node) and node.find(exp.Column) is not None
