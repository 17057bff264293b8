"""The compact schema text a prompt carries, its token estimate, and pruned copies of tables."""

from __future__ import annotations

from collections.abc import Iterable

from mapforge.catalog.model import Catalog, Table
from mapforge.tokens import estimate_tokens

# An estimate, not a tokenizer: English and SQL identifiers average about 4 characters per
# token on GPT/Claude-family BPE vocabularies. Good enough to pack a budget with some slack;
# it keeps the core free of tokenizer dependencies and model-specific vocabularies.


def render_table(table: Table, *, comments: bool = True) -> str:
    """One table as compact text: name, comment, a line per column with type, keys, comment."""
    pk = {c.lower() for c in table.primary_key}
    inline = {fk.columns[0].lower(): fk for fk in table.foreign_keys if len(fk.columns) == 1}
    head = table.name if table.schema_name is None else f"{table.schema_name}.{table.name}"
    lines = [f"{head}: {table.comment}" if comments and table.comment else head]
    for col in table.columns:
        line = f"  {col.name} {col.type}"
        if col.name.lower() in pk:
            line += " PK"
        if (fk := inline.get(col.name.lower())) is not None:
            line += f" FK {fk.ref_table}.{fk.ref_columns[0]}"
        if comments and col.comment:
            line += f" -- {col.comment}"
        lines.append(line)
    for fk in table.foreign_keys:
        if len(fk.columns) > 1:
            lines.append(
                f"  FK ({', '.join(fk.columns)}) {fk.ref_table} ({', '.join(fk.ref_columns)})"
            )
    return "\n".join(lines)


def table_tokens(table: Table, *, comments: bool = True) -> int:
    """Estimated tokens of one rendered table (its line break included)."""
    return estimate_tokens(render_table(table, comments=comments) + "\n")


def render_schema(catalog: Catalog, *, comments: bool = True) -> str:
    """Every table of a catalog, in name order, as prompt text."""
    return "\n".join(render_table(t, comments=comments) for _, t in sorted(catalog.tables.items()))


def prune(table: Table, keep: Iterable[str], *, comments: bool = True) -> Table:
    """A copy holding only the `keep` columns (table order); keys on dropped columns go."""
    wanted = {c.lower() for c in keep}
    columns = [c for c in table.columns if c.name.lower() in wanted]
    if not comments:
        columns = [c.model_copy(update={"comment": None}) for c in columns]
    fks = [fk for fk in table.foreign_keys if {c.lower() for c in fk.columns} <= wanted]
    pk = table.primary_key if {c.lower() for c in table.primary_key} <= wanted else []
    return table.model_copy(
        update={
            "columns": columns,
            "foreign_keys": fks,
            "primary_key": pk,
            "comment": table.comment if comments else None,
        }
    )
