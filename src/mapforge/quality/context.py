"""What table-level tests know about their target beyond its name.

Kept free of mapping types (quality may import only engines): pipeline/tests.py fills it
from a mapping Target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class JoinClause:
    """One declared join: the table (and alias) it brings in, and its SQL text."""

    table: str
    sql: str
    alias: str | None = None

    def names(self) -> set[str]:
        """The qualifiers a condition may use to refer to this join's table."""
        names = {self.table.split(".")[-1].lower()}
        return names | {self.alias.lower()} if self.alias else names


@dataclass(frozen=True)
class TableContext:
    """The target's driving table, filter and joins, and the time freshness is measured at."""

    driving_table: str | None = None
    filter: str | None = None
    joins: tuple[JoinClause, ...] = ()
    reference_time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def is_driving(self, table: str) -> bool:
        return bool(self.driving_table) and table.lower() == str(self.driving_table).lower()
