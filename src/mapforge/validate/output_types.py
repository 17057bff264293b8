"""MF204 uncastable-output-type: an output whose type can never become the target's type.

Types come from sqlglot's annotate_types over the qualified query, with the catalog as schema.
Only a known type that the castability matrix rules out is reported; an unknown type (an
unknown column, a function sqlglot cannot type) says nothing.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from mapforge.validate.castability import castable
from mapforge.validate.findings import Finding
from mapforge.validate.outputs import is_star, leaf_selects, output_name
from mapforge.validate.query import Query, unique
from mapforge.validate.schema import sqlglot_schema
from mapforge.validate.type_names import known, parse_type


def check_output_types(query: Query) -> list[Finding]:
    """MF204 for each output whose annotated type cannot be cast to its target column's type."""
    selects = leaf_selects(query.tree)
    if not selects or any(is_star(p) for s in selects for p in s.selects):
        return []  # stars shift positions; MF206 already asks for an explicit list
    names = [output_name(p, query.dialect) for p in selects[0].selects]
    typed = _annotated(query)
    if typed is None:
        return []
    findings = [
        found
        for select in leaf_selects(typed)
        for name, projection in zip(names, select.selects, strict=False)
        if name and (found := _check(query, name, projection)) is not None
    ]
    return unique(findings)


def _annotated(query: Query) -> exp.Expr | None:
    schema = sqlglot_schema(query.catalog, query.dialect)
    try:
        # no validation: unknown names are MF101/MF102's business, not a reason to stop here
        tree = qualify(
            query.tree.copy(), schema=schema, dialect=query.dialect, validate_qualify_columns=False
        )
        return annotate_types(tree, schema=schema, dialect=query.dialect)
    except SqlglotError:
        # qualify raises on `t.unknown_col`; MF101 reports it, types stay unknown
        return None


def _check(query: Query, name: str, projection: exp.Expr) -> Finding | None:
    column = query.target.column(name)
    source = known(projection.type)
    wanted = parse_type(column.type, query.dialect) if column else None
    if column is None or source is None or wanted is None or castable(source, wanted):
        return None
    got = source.sql(query.dialect)
    return query.finding(
        "MF204",
        f"output '{column.name}' is {got}, which cannot be cast to {column.type}",
        column=column.name,
        hint=f"compute a {column.type} value (e.g. convert it explicitly) or fix the expression",
    )
