"""The top-level query's outputs: which SELECTs shape the result, and what they name."""

from __future__ import annotations

from sqlglot import exp

# Postgres names `a::int` after `a`; DuckDB names it `CAST(a AS INTEGER)`, which no target
# column is called. Dialects where a bare cast keeps its column's name:
_CAST_KEEPS_NAME = frozenset({"postgres"})


def leaf_selects(tree: exp.Expr) -> list[exp.Select]:
    """The SELECTs whose rows form the result: one, or one per UNION/INTERSECT/EXCEPT branch."""
    if isinstance(tree, exp.Subquery):
        return leaf_selects(tree.this)
    if isinstance(tree, exp.SetOperation):
        return leaf_selects(tree.left) + leaf_selects(tree.right)
    return [tree] if isinstance(tree, exp.Select) else []


def is_star(projection: exp.Expr) -> bool:
    """`*` or `t.*`."""
    return isinstance(projection, exp.Star) or (
        isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
    )


def output_name(projection: exp.Expr, dialect: str) -> str | None:
    """The column name the database gives this projection, None when it derives one from text."""
    if isinstance(projection, exp.Alias):
        return projection.alias or None
    if isinstance(projection, exp.Column | exp.Dot) and not is_star(projection):
        return projection.output_name or None
    cast_of_column = isinstance(projection, exp.Cast) and isinstance(projection.this, exp.Column)
    if cast_of_column and dialect in _CAST_KEEPS_NAME:
        return output_name(projection.this, dialect)
    return None


def owning_output(node: exp.Expr, tree: exp.Expr, dialect: str) -> str | None:
    """The output column a node helps compute, when it sits in a top-level projection."""
    projections = {id(p): p for select in leaf_selects(tree) for p in select.selects}
    current: exp.Expr | None = node
    while current is not None:
        if id(current) in projections:
            return output_name(current, dialect)
        current = current.parent
    return None
