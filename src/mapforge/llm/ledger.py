"""The usage ledger: one SQLite row per model call (`.mapforge/ledger.sqlite`), and prices.

Every call the gateway handles lands here — cache hits, failures and budget refusals
too — so `mapforge cost` can answer "what did this cost, for which target, and why".
A hit says which cache answered (`cache`): 'exact' (the same request) or 'semantic' (a
paraphrase of an earlier `ask` question: the hit worth auditing).
Error text is stored as the providers wrote it, which never contains the api key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mapforge.llm.prices import genai_price
from mapforge.migrations import Database

# USD per 1M tokens (input, output), public list prices as of 2025. A dated variant
# (gpt-4o-2024-08-06) matches by its longest known prefix. Override with `prices=`.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-opus-4-5": (5.00, 25.00),
}

Outcome = Literal["ok", "error", "budget"]
CacheKind = Literal["exact", "semantic"]
CACHE_KINDS: tuple[CacheKind, ...] = ("exact", "semantic")
Grouping = Literal["model", "target", "command", "day"]
_GROUP_SQL = {
    "model": "model",
    "target": "COALESCE(target, '')",
    "command": "command",
    "day": "substr(ts, 1, 10)",
}


def price_for(
    model: str, prices: Mapping[str, tuple[float, float]] | None = None
) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens by longest matching prefix, or None if unknown.

    `prices` (llm.prices in mapforge.yml) wins, then the table above, then genai-prices
    when it is installed: the table first keeps known models' costs the same everywhere.
    """
    table = {**PRICES, **(prices or {})}
    if model in table:
        return table[model]
    matches = [name for name in table if model.startswith(name)]
    return table[max(matches, key=len)] if matches else genai_price(model)


def cost_usd(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    prices: Mapping[str, tuple[float, float]] | None = None,
) -> float:
    """Cost of one call in USD; 0.0 for a model without a known price (local models)."""
    price = price_for(model, prices)
    if price is None:
        return 0.0
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


@dataclass
class LedgerRow:
    """One model call, as the gateway saw it.

    `cache` names the cache that answered (None: the provider was called); `cache_hit`
    is kept for readers of the old column and always agrees with it. A row made with
    only `cache_hit=True` is an exact hit, as old ledgers' hits are (see m002).
    """

    command: str
    provider: str
    model: str
    target: str | None = None
    purpose: str = "generate"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # tokens are a chars/4 estimate: the response had no usage
    cost_usd: float = 0.0
    price_known: bool = True
    latency_s: float = 0.0
    cache_hit: bool = False
    cache: CacheKind | None = None  # which cache answered: set this, cache_hit follows
    retries: int = 0
    outcome: Outcome = "ok"
    error: str | None = None
    ts: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        if self.cache is not None and self.cache not in CACHE_KINDS:
            raise ValueError(f"cache must be one of {CACHE_KINDS} or None, not {self.cache!r}")
        if self.cache is None and self.cache_hit:
            self.cache = "exact"
        self.cache_hit = self.cache is not None


def m001_calls(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            ts TEXT NOT NULL, command TEXT NOT NULL, target TEXT, purpose TEXT,
            provider TEXT NOT NULL, model TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
            estimated INTEGER NOT NULL, cost_usd REAL NOT NULL, price_known INTEGER NOT NULL,
            latency_s REAL NOT NULL, cache_hit INTEGER NOT NULL, retries INTEGER NOT NULL,
            outcome TEXT NOT NULL, error TEXT
        )"""
    )
    conn.execute("CREATE INDEX calls_ts ON calls (ts)")


def m002_cache(conn: sqlite3.Connection) -> None:
    """Which cache answered a hit: 'exact' | 'semantic', NULL for a call to the provider.

    Before this migration exact and semantic hits were both written as just cache_hit = 1,
    and nothing in an old row tells them apart. Old hits are backfilled as 'exact', so a
    semantic hit recorded before the upgrade is counted as an exact one: only hits recorded
    after it are split truthfully.
    """
    conn.execute("ALTER TABLE calls ADD COLUMN cache TEXT CHECK (cache IN ('exact', 'semantic'))")
    conn.execute("UPDATE calls SET cache = 'exact' WHERE cache_hit = 1")


MIGRATIONS = [m001_calls, m002_cache]
_COLUMNS = [f for f in LedgerRow.__dataclass_fields__]


class Ledger:
    """Append-only record of model calls with a few totals for `mapforge cost`."""

    def __init__(self, path: Path | str) -> None:
        self._db = Database(path, MIGRATIONS)

    def record(self, row: LedgerRow) -> None:
        """Append one call."""
        values = asdict(row)
        placeholders = ", ".join("?" for _ in _COLUMNS)
        self._db.execute(
            f"INSERT INTO calls ({', '.join(_COLUMNS)}) VALUES ({placeholders})",
            [values[c] for c in _COLUMNS],
        )

    def rows(self) -> list[dict[str, Any]]:
        """Every call, oldest first."""
        rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM calls ORDER BY id")
        return [_typed(dict(r)) for r in rows]

    def totals(self, by: Grouping = "model") -> list[dict[str, Any]]:
        """Calls, cache hits, tokens and cost grouped by model, target, command or UTC day.

        `cache_hits` counts every hit; `semantic_hits` those of them the semantic cache
        answered (`IS`, not `=`: NULL-safe, so the sum is never NULL).
        """
        key = _GROUP_SQL[by]  # a fixed whitelist: safe to format into the SQL
        rows = self._db.execute(
            f"""SELECT {key} AS key, COUNT(*) AS calls, SUM(cache_hit) AS cache_hits,
                SUM(cache IS 'semantic') AS semantic_hits, SUM(outcome != 'ok') AS failures,
                SUM(prompt_tokens) AS prompt_tokens,
                SUM(completion_tokens) AS completion_tokens, SUM(cost_usd) AS cost_usd
                FROM calls GROUP BY {key} ORDER BY cost_usd DESC, key"""
        )
        return [_keyed(by, dict(r)) for r in rows]

    def spent_today(self) -> float:
        """USD spent since midnight UTC, over every command."""
        today = datetime.now(UTC).date().isoformat()
        rows = self._db.execute("SELECT SUM(cost_usd) FROM calls WHERE ts >= ?", (today,))
        return float(rows[0][0] or 0.0)

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _keyed(by: str, row: dict[str, Any]) -> dict[str, Any]:
    key = row.pop("key")
    return {by: key, **row}


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    # SQLite has no booleans: give the flags back their type.
    for flag in ("estimated", "price_known", "cache_hit"):
        row[flag] = bool(row[flag])
    return row
