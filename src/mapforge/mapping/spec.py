"""The Spec: what a mapping document says, independent of the file it came from."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class RuleKind(StrEnum):
    DIRECT = "direct"
    CAST = "cast"
    CONCAT = "concat"
    LOOKUP = "lookup"
    DEFAULT = "default"
    COALESCE = "coalesce"
    SQL = "sql"
    FREE_TEXT = "free_text"


class Load(StrEnum):
    TABLE = "table"
    VIEW = "view"
    INCREMENTAL = "incremental"
    MERGE = "merge"
    SCD2 = "scd2"


KEYED_LOADS = frozenset({Load.INCREMENTAL, Load.MERGE, Load.SCD2})


class Origin(BaseModel):
    """Where a thing was written: the cell a user must edit to change it."""

    model_config = ConfigDict(frozen=True)

    file: str
    sheet: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        return ", ".join(parts)


class Rule(BaseModel):
    """A parsed transformation rule.

    `args` holds the rule's operands as SQL text: column references or literals for
    concat/coalesce, the type for cast, the value for default, the expression for sql.
    Lookups fill `lookup_table`, `lookup_column` and `lookup_on` (a SQL condition or a
    shared column name).
    """

    model_config = ConfigDict(frozen=True)

    kind: RuleKind
    text: str = ""
    args: tuple[str, ...] = ()
    lookup_table: str | None = None
    lookup_column: str | None = None
    lookup_on: str | None = None

    @property
    def structured(self) -> bool:
        return self.kind is not RuleKind.FREE_TEXT


class JoinKind(StrEnum):
    INNER = "inner"
    LEFT = "left"
    RIGHT = "right"
    FULL = "full"
    CROSS = "cross"


class Join(BaseModel):
    """`LEFT JOIN orders ON orders.customer_id = customers.customer_id`, parsed."""

    model_config = ConfigDict(frozen=True)

    kind: JoinKind = JoinKind.INNER
    table: str
    alias: str | None = None
    on: str | None = None
    text: str = ""


class ColumnMapping(BaseModel):
    """One row of the mapping document: one target column and how to fill it."""

    name: str
    type: str
    nullable: bool = True
    description: str = ""
    source_table: str | None = None
    source_column: str | None = None
    rule: Rule = Rule(kind=RuleKind.DIRECT)
    key: bool = False
    tests: list[str] = Field(default_factory=list)
    origin: Origin | None = None

    @property
    def source_columns(self) -> list[str]:
        """Free-text rows often name several inputs in one cell: `first_name, last_name`."""
        if not self.source_column:
            return []
        return [part.strip() for part in self.source_column.split(",") if part.strip()]

    def fingerprint(self) -> str:
        """Hash of everything that changes the SQL for this column (not where it was written)."""
        return _sha(self.model_dump(mode="json", exclude={"origin"}))


class Target(BaseModel):
    """A target table: its columns in order plus the table-level cells."""

    name: str
    columns: list[ColumnMapping]
    joins: list[Join] = Field(default_factory=list)
    filter: str | None = None
    load: Load = Load.TABLE
    tests: list[str] = Field(default_factory=list)
    description: str = ""
    depends_on: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    # load options (watermark, strategy, track, ...); see mapping/load_options.py
    config: dict[str, str] = Field(default_factory=dict)
    origin: Origin | None = None

    @property
    def key(self) -> list[str]:
        return [c.name for c in self.columns if c.key]

    @property
    def driving_table(self) -> str | None:
        """The FROM table: the first source table that is not a join's or a lookup's."""
        joined = {j.table.lower() for j in self.joins}
        for col in self.columns:
            if col.source_table and col.source_table.lower() not in joined:
                return col.source_table
        return self.columns[0].source_table if self.columns else None

    @property
    def source_tables(self) -> list[str]:
        """Every table the mapping declares for this target, in first-seen order."""
        seen: dict[str, str] = {}
        names = [c.source_table for c in self.columns] + [j.table for j in self.joins]
        names += [c.rule.lookup_table for c in self.columns]
        for name in names:
            if name and name.lower() not in seen:
                seen[name.lower()] = name
        return list(seen.values())

    @property
    def structured(self) -> bool:
        return all(c.rule.structured for c in self.columns)

    def column(self, name: str) -> ColumnMapping | None:
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)

    def fingerprint(self) -> str:
        """Hash of the mapping rows and table-level cells that shape this target's SQL."""
        # load options wrap the SELECT at run time and never change it: not part of the hash
        return _sha(
            self.model_dump(
                mode="json",
                exclude={"origin": True, "config": True, "columns": {"__all__": {"origin"}}},
            )
        )


class Spec(BaseModel):
    """Every target of a project, from one or more mapping documents."""

    targets: list[Target] = Field(default_factory=list)

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name.lower() == name.lower()), None)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.targets]


def _sha(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
