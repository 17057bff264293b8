"""Mapping rows → targets: one `Target` per target_table, its rows in order.

A row with neither target_column nor target_type is a table row: it only carries
table-level cells (its tests and description are the table's). Table-level cells
(join, filter, load, config, depends_on, tags) may sit on any row of a target, usually the
first one or a merged cell; joins, dependencies and tags add up, while a second,
different filter or load is an error rather than a silent pick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mapforge.mapping.cells import CellError, parse_flag, parse_load, split_list, to_text
from mapforge.mapping.joins import parse_joins
from mapforge.mapping.load_options import check_load_options, parse_load_options
from mapforge.mapping.rows import Row
from mapforge.mapping.rules import parse_rule
from mapforge.mapping.spec import KEYED_LOADS, ColumnMapping, Join, Load, Target
from mapforge.mapping.sqltext import parse_expression
from mapforge.mapping.types import normalize_type

T = TypeVar("T")
COLUMN_ONLY = ("source_table", "source_column", "rule", "key", "nullable")


def assemble(rows: Sequence[Row]) -> list[Target]:
    """Group rows by target (case-insensitively, first spelling wins) and build each target."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.text("target_table").lower(), []).append(row)
    return [build_target(group) for group in groups.values()]


def build_target(rows: Sequence[Row]) -> Target:
    """One target from its rows; raises MappingError at the first wrong cell."""
    head = rows[0]
    table_rows = [row for row in rows if _is_table_row(row)]
    column_rows = [row for row in rows if not _is_table_row(row)]
    target = Target(
        name=_target_name(head),
        columns=_columns(head, column_rows),
        joins=_joins(rows),
        filter=_single(rows, "filter", _filter),
        load=_single(rows, "load", parse_load) or Load.TABLE,
        tests=[test for row in table_rows for test in items(row, "tests")],
        description=next((d for row in table_rows if (d := row.text("description"))), ""),
        depends_on=_union(rows, "depends_on"),
        tags=_union(rows, "tags"),
        config=_single(rows, "config", parse_load_options) or {},
        origin=head.origin,
    )
    _check_keyed(target, column_rows[0])
    _check_options(target, rows)
    return target


def build_column(row: Row) -> ColumnMapping:
    """One target column from its row."""
    source_column = row.text("source_column") or None
    key = bool(cell(row, "key", parse_flag))
    nullable = cell(row, "nullable", parse_flag)
    return ColumnMapping(
        name=_required(row, "target_column"),
        type=cell(row, "target_type", normalize_type, _required(row, "target_type")),
        # Key columns identify a row, so they are NOT NULL unless the sheet says otherwise.
        nullable=(not key) if nullable is None else nullable,
        description=row.text("description"),
        source_table=row.text("source_table") or None,
        source_column=source_column,
        rule=cell(row, "rule", lambda text: parse_rule(text, source_column)),
        key=key,
        tests=items(row, "tests"),
        origin=row.origin,
    )


def cell(row: Row, name: str, parse: Callable[[str], T], text: str | None = None) -> T:
    """Parse one cell, turning a CellError into a MappingError located at that cell."""
    try:
        return parse(row.text(name) if text is None else text)
    except CellError as error:
        raise row.error(name, error.message, error.hint) from None


def items(row: Row, name: str) -> list[str]:
    """A list cell: a yaml list as is, a sheet cell split on `;`, `,` or new lines."""
    raw = row.raw(name)
    if isinstance(raw, list):
        return [text for value in raw if (text := to_text(value))]
    return split_list(raw)


def _is_table_row(row: Row) -> bool:
    if row.text("target_column") or row.text("target_type"):
        return False
    # A row that maps something but names no column is a forgotten target_column.
    if any(row.text(name) for name in COLUMN_ONLY):
        raise row.error(
            "target_column",
            "target_column is empty",
            hint="every mapping row needs a target_column",
        )
    return True


def _columns(head: Row, rows: Sequence[Row]) -> list[ColumnMapping]:
    if not rows:
        name = head.text("target_table")
        raise head.error(
            "target_column", f"target {name!r} has no columns", hint="add one row per target column"
        )
    seen: dict[str, Row] = {}
    columns = []
    for row in rows:
        column = build_column(row)
        first = seen.setdefault(column.name.lower(), row)
        if first is not row:
            message = f"column {column.name!r} appears twice in target {row.text('target_table')!r}"
            raise row.error("target_column", f"{message}, also on {first.where()}")
        columns.append(column)
    return columns


def _joins(rows: Sequence[Row]) -> list[Join]:
    joins: dict[tuple[Any, ...], Join] = {}
    for row in rows:
        raw = row.raw("join")
        for text in raw if isinstance(raw, list) else [raw]:
            for join in cell(row, "join", parse_joins, to_text(text)):
                # A merged join cell repeats on every row: keep each join once.
                on = " ".join((join.on or "").lower().split())
                joins.setdefault((join.kind, join.table.lower(), join.alias, on), join)
    return list(joins.values())


def _single(rows: Sequence[Row], name: str, parse: Callable[[str], T]) -> T | None:
    first: tuple[Row, T] | None = None
    for row in rows:
        if not row.text(name):
            continue
        value = cell(row, name, parse)
        if first is None:
            first = (row, value)
        elif value != first[1]:
            earlier = f"{first[0].text(name)!r} on {first[0].where()}"
            message = f"{name} {row.text(name)!r} differs from {earlier}"
            raise row.error(name, message, hint=f"write a target's {name} once, on its first row")
    return first[1] if first else None


def _filter(text: str) -> str:
    parse_expression(text, "filter")
    return text


def _union(rows: Sequence[Row], name: str) -> list[str]:
    seen: dict[str, str] = {}
    for row in rows:
        for item in items(row, name):
            seen.setdefault(item.lower(), item)
    return list(seen.values())


def _required(row: Row, name: str) -> str:
    text = row.text(name)
    if not text:
        raise row.error(name, f"{name} is empty", hint=f"every mapping row needs a {name}")
    return text


def _check_options(target: Target, rows: Sequence[Row]) -> None:
    row = next((r for r in rows if r.text("config")), None)
    if row is not None:
        names = [c.name for c in target.columns]
        cell(
            row,
            "config",
            lambda _: check_load_options(target.config, target.load, names, target.name),
        )


def _target_name(head: Row) -> str:
    """The target table's name, which names one table in the engine's schema.

    `dw.dim_customer` would be half a schema-qualified name: the engine would create a table
    literally called that while its checks read `dim_customer` in schema `dw`.
    """
    name = head.text("target_table")
    if "." in name:
        raise head.error(
            "target_table",
            f"target table {name!r} names a schema; targets are created in the engine's own",
            hint=f"write {name.rsplit('.', 1)[-1]!r}, and set the schema as `schema:` under "
            "`engine:` in mapforge.yml (PostgreSQL, Spark)",
        )
    return name


def _check_keyed(target: Target, first: Row) -> None:
    if target.load in KEYED_LOADS and not target.key:
        message = f"target {target.name!r} has load {target.load.value} but no key column"
        hint = "mark its key columns with Y in the key column, or load it as a table"
        raise first.error("key", message, hint)
