"""Mutation operators for bench/mutations.py: sqlglot AST transforms of a correct SELECT.

Each operator takes (tree, columns_of) and yields mutated SQL texts, one per site it applies
to; `columns_of(table)` lists (name, type) of a catalog table, for "a wrong but existing
column". Operators never look at data: they model mistakes a model makes when writing SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlglot import exp

ColumnsOf = Callable[[str], list[tuple[str, str]]]
Operator = Callable[[exp.Expr, ColumnsOf], Iterator[str]]

_AGG_SWAP: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.Sum: exp.Avg,
    exp.Avg: exp.Sum,
    exp.Min: exp.Max,
    exp.Max: exp.Min,
    exp.Count: exp.Sum,
}
_CAST_SWAP = {
    "DECIMAL": "INT",
    "INT": "VARCHAR",
    "BIGINT": "SMALLINT",
    "DATE": "TIMESTAMP",
    "TEXT": "DATE",
    "VARCHAR": "DATE",
    "TIMESTAMP": "DATE",
    "BOOLEAN": "INT",
}


def _sites(tree: exp.Expr, kind: type[exp.Expr] | tuple[type[exp.Expr], ...]) -> list[int]:
    return [i for i, node in enumerate(tree.walk()) if isinstance(node, kind)]


def _at(tree: exp.Expr, index: int) -> exp.Expr:
    return list(tree.walk())[index]


def _each(
    tree: exp.Expr,
    kind: type[exp.Expr] | tuple[type[exp.Expr], ...],
    change: Callable[[exp.Expr], bool],
) -> Iterator[str]:
    """For every node of `kind`: copy the tree, apply `change` there, yield the SQL if it changed."""
    for index in _sites(tree, kind):
        copy = tree.copy()
        if change(_at(copy, index)):
            yield copy.sql(dialect="duckdb")


def _main(tree: exp.Expr) -> exp.Select | None:
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    return select if isinstance(select, exp.Select) else None


def join_drop_condition(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    def change(join: exp.Expr) -> bool:
        if not join.args.get("on"):
            return False
        join.set("on", exp.true())
        return True

    yield from _each(tree, exp.Join, change)


def join_weaken(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    """`a = b` in an ON becomes `a >= b` (a join that matches too much)."""

    def change(eq: exp.Expr) -> bool:
        if eq.find_ancestor(exp.Join) is None:
            return False
        eq.replace(exp.GTE(this=eq.this.copy(), expression=eq.expression.copy()))
        return True

    yield from _each(tree, exp.EQ, change)


def swap_columns(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    select = _main(tree)
    if select is None:
        return
    for i in range(len(select.expressions) - 1):
        copy = tree.copy()
        items = _main(copy).expressions  # type: ignore[union-attr]
        items[i], items[i + 1] = items[i + 1], items[i]
        yield copy.sql(dialect="duckdb")


def wrong_column(tree: exp.Expr, columns_of: ColumnsOf) -> Iterator[str]:
    """A column reference replaced by another column of the same table (same type first)."""
    tables = {t.alias_or_name.lower(): t.name for t in tree.find_all(exp.Table)}

    def change(column: exp.Expr) -> bool:
        assert isinstance(column, exp.Column)
        table = tables.get(column.table.lower()) if column.table else None
        choices = columns_of(table) if table else []
        mine = next((t for n, t in choices if n.lower() == column.name.lower()), None)
        others = sorted(choices, key=lambda c: (c[1] != mine, c[0]))
        other = next((n for n, _ in others if n.lower() != column.name.lower()), None)
        if mine is None or other is None:
            return False
        column.set("this", exp.to_identifier(other))
        return True

    yield from _each(tree, exp.Column, change)


def wrong_aggregate(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    def change(agg: exp.Expr) -> bool:
        swap = _AGG_SWAP.get(type(agg))
        if swap is None or isinstance(agg.this, exp.Star | exp.Distinct):
            return False
        agg.replace(swap(this=agg.this.copy()))
        return True

    yield from _each(tree, tuple(_AGG_SWAP), change)


def missing_group_by(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    for index in _sites(tree, exp.Group):
        size = len(_at(tree, index).expressions)
        for i in range(size):
            copy = tree.copy()
            group = _at(copy, index)
            if size == 1:
                group.pop()
            else:
                group.expressions[i].pop()
            yield copy.sql(dialect="duckdb")


def filter_remove(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    def change(node: exp.Expr) -> bool:
        if isinstance(node, exp.Filter):  # agg(x) FILTER (WHERE c) -> agg(x)
            node.replace(node.this.copy())
        elif isinstance(node.parent, exp.Filter):
            return False  # the Filter case above
        else:
            node.pop()
        return True

    yield from _each(tree, (exp.Where, exp.Filter), change)


def filter_invert(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    def change(where: exp.Expr) -> bool:
        where.set("this", exp.not_(where.this.copy()))
        return True

    # a WHERE clause, or an aggregate's FILTER (WHERE c)
    yield from _each(tree, exp.Where, change)


def join_kind(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    def change(join: exp.Expr) -> bool:
        join.set("side", None if join.side == "LEFT" else "LEFT")
        join.set("kind", None)
        return True

    yield from _each(tree, exp.Join, change)


def wrong_cast(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    def change(cast: exp.Expr) -> bool:
        name = cast.to.this.name if isinstance(cast.to, exp.DataType) else ""
        swap = _CAST_SWAP.get(str(name).upper())
        if swap is None:
            return False
        cast.set("to", exp.DataType.build(swap))
        return True

    yield from _each(tree, exp.Cast, change)


def off_by_one(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    def change(literal: exp.Expr) -> bool:
        if literal.is_string or literal.find_ancestor(exp.DataType, exp.Limit):
            return False
        literal.replace(exp.Literal.number(str(float(literal.this) + 1).removesuffix(".0")))
        return True

    yield from _each(tree, exp.Literal, change)


def extra_column(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    select = _main(tree)
    if select is None:
        return
    for i, item in enumerate(select.expressions[:3]):
        copy = tree.copy()
        _main(copy).append(
            "expressions", exp.alias_(item.unalias().copy(), f"{item.alias_or_name}_copy")
        )  # type: ignore[union-attr]
        del i
        yield copy.sql(dialect="duckdb")


def missing_column(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    select = _main(tree)
    if select is None:
        return
    for i in range(len(select.expressions)):
        copy = tree.copy()
        _main(copy).expressions[i].pop()  # type: ignore[union-attr]
        yield copy.sql(dialect="duckdb")


def ddl_dml(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    sql = tree.sql(dialect="duckdb")
    driving = next(tree.find_all(exp.Table)).name
    yield f"CREATE TABLE mutant_copy AS {sql}"
    yield f"INSERT INTO {driving} {sql}"
    yield f"DELETE FROM {driving}"


def second_statement(tree: exp.Expr, _: ColumnsOf) -> Iterator[str]:
    sql = tree.sql(dialect="duckdb")
    driving = next(tree.find_all(exp.Table)).name
    yield f"{sql};\nDROP TABLE {driving}"
    yield f"{sql};\nSELECT 1"


OPERATORS: dict[str, Operator] = {
    "join_drop_condition": join_drop_condition,
    "join_weaken": join_weaken,
    "swap_columns": swap_columns,
    "wrong_column": wrong_column,
    "wrong_aggregate": wrong_aggregate,
    "missing_group_by": missing_group_by,
    "filter_remove": filter_remove,
    "filter_invert": filter_invert,
    "join_kind": join_kind,
    "wrong_cast": wrong_cast,
    "off_by_one": off_by_one,
    "extra_column": extra_column,
    "missing_column": missing_column,
    "ddl_dml": ddl_dml,
    "second_statement": second_statement,
}
