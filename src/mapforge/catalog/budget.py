"""Packing chosen tables into a token budget, summarizing declared sources step by step."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from mapforge.catalog.model import Table
from mapforge.catalog.schema_text import prune, table_tokens


class Level(IntEnum):
    """How much of a declared source is shown; each step down loses more."""

    FULL = 0
    NO_COMMENTS = 1
    PRUNED = 2  # mapped + keys + best-matching columns, with comments
    PRUNED_BARE = 3  # the same without comments
    MAPPED = 4  # the chunk the mapping cannot do without: mapped columns only


STEP_NOTES = {
    Level.NO_COMMENTS: "dropped its comments",
    Level.PRUNED: "kept {kept} of {total} columns (mapped, keys, best matches)",
    Level.PRUNED_BARE: "dropped the comments of its {kept} kept columns",
    Level.MAPPED: "kept only its {kept} mapped columns",
}


@dataclass
class Pick:
    """A table chosen for the slice and the columns that matter if it must shrink."""

    table: Table
    declared: bool
    reason: str
    mapped: set[str] = field(default_factory=set)  # named by the mapping: never dropped
    keys: set[str] = field(default_factory=set)  # PK and FK columns on the join path
    matched: list[str] = field(default_factory=list)  # match the free text, best first

    @property
    def name(self) -> str:
        return self.table.name

    def shown(self, level: Level) -> Table:
        """The table as shown at a summarization level."""
        if level is Level.FULL:
            return self.table
        if level is Level.NO_COMMENTS:
            return prune(self.table, self.table.column_names, comments=False)
        if level is Level.MAPPED:
            return prune(self.table, self.mapped or self.keys, comments=False)
        keep = self.mapped | self.keys | set(self.matched)
        return prune(self.table, keep, comments=level is Level.PRUNED)


@dataclass
class Packed:
    tables: list[Table]
    notes: list[str]
    tokens: int


def pack(picks: list[Pick], max_tokens: int) -> Packed:
    """Declared sources first (summarized if need be), then the others while they fit.

    The others are already pruned to keys and matching columns; space for them is reserved
    (up to half the budget) before declared sources are sized, because the columns a
    free-text rule needs from them matter more than unmapped columns of a wide source.
    """
    declared = [p for p in picks if p.declared]
    others = [p for p in picks if not p.declared]
    reserve = min(sum(table_tokens(p.shown(Level.PRUNED)) for p in others), max_tokens // 2)
    tables, notes = _fit_declared(declared, max_tokens - reserve)
    used = sum(table_tokens(t) for t in tables)
    for pick in others:
        table = _fit_other(pick, max_tokens - used)
        if table is None:
            notes.append(
                f"left out {pick.name} ({pick.reason}): over the {max_tokens}-token budget"
            )
            continue
        tables.append(table)
        used += table_tokens(table)
    return Packed(tables, notes, used)


def _fit_other(pick: Pick, room: int) -> Table | None:
    for level in (Level.PRUNED, Level.PRUNED_BARE):
        table = pick.shown(level)
        if table_tokens(table) <= room:
            return table
    return None


def _fit_declared(picks: list[Pick], budget: int) -> tuple[list[Table], list[str]]:
    levels = {p.name: Level.FULL for p in picks}
    shown = {p.name: p.table for p in picks}
    notes: list[str] = []
    while sum(table_tokens(t) for t in shown.values()) > budget:
        # shrink the biggest source one step at a time: small sources keep their detail
        open_ = [p for p in picks if levels[p.name] < Level.MAPPED]
        if not open_:
            need = sum(table_tokens(t) for t in shown.values())
            notes.append(f"declared sources need {need} tokens even summarized (budget {budget})")
            break
        pick = max(open_, key=lambda p: (table_tokens(shown[p.name]), p.name))
        levels[pick.name] = Level(levels[pick.name] + 1)
        shown[pick.name] = pick.shown(levels[pick.name])
        notes.append(_step_note(pick, levels[pick.name], shown[pick.name]))
    return [shown[p.name] for p in picks], notes


def _step_note(pick: Pick, level: Level, shown: Table) -> str:
    text = STEP_NOTES[level].format(kept=len(shown.columns), total=len(pick.table.columns))
    return f"summarized declared source {pick.name} to fit the budget: {text}"
