"""A few sample values per source column for prompts — only when `privacy.send_samples`.

    sampler = sampler_from_config(cfg.privacy, engine.query, project_name=cfg.name)
    sampler(target, catalog_slice) -> {"customers.email": ["j***@***.com", ...], ...}

Sampling is deterministic (DISTINCT, ORDER BY the value, LIMIT n), so the same data gives
the same prompt and the exact cache keeps working. Every value is classified before it
leaves: a column sensitive by name, type or comment is masked whole; any other value that
looks like an email, phone, card, IBAN, national id or IP address is masked on its own.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mapforge.errors import EngineError
from mapforge.privacy.classify import ColumnLike, column_kind, value_kind
from mapforge.privacy.mask import Masker
from mapforge.privacy.redact import redact

MAX_CHARS = 40  # a sample shows a format, not a document
KEY_ENV = "MAPFORGE_PRIVACY_PSEUDONYM_KEY"
Samples = dict[str, list[str]]


class QueryResultLike(Protocol):
    columns: list[str]
    rows: list[tuple[Any, ...]]


Query = Callable[[str], QueryResultLike]


class PrivacySettings(Protocol):
    """What the sampler reads of `privacy:` (mapforge.config.PrivacyConfig fits).

    Read-only properties, so a config whose `mode` is a Literal of strings still fits.
    """

    @property
    def send_samples(self) -> bool: ...
    @property
    def samples_per_column(self) -> int: ...
    @property
    def mode(self) -> str: ...
    @property
    def pseudonym_key(self) -> str | None: ...


@dataclass
class SampleCollector:
    """Callable as the planner's `samples` hook: (target, catalog slice) -> samples."""

    query: Query
    per_column: int = 3
    masker: Masker = field(default_factory=Masker)

    def __call__(self, target: Any, catalog: Any) -> Samples:
        """Masked samples of the target's declared source columns found in the catalog."""
        samples: Samples = {}
        for table_name, column_name in source_columns(target):
            table = catalog.table(table_name)
            column = table.column(column_name) if table is not None else None
            if column is None:
                continue
            values = self.column_samples(table.name, column)
            if values:
                samples[f"{table.name}.{column.name}"] = values
        return dict(sorted(samples.items()))

    def column_samples(self, table: str, column: ColumnLike) -> list[str]:
        """Up to `per_column` distinct values, each safe to send."""
        sql = (
            f"SELECT DISTINCT CAST({_quote(column.name)} AS VARCHAR) AS v FROM {_quote(table)}"
            f" WHERE {_quote(column.name)} IS NOT NULL ORDER BY v LIMIT {int(self.per_column)}"
        )
        try:
            rows = self.query(sql).rows
        except EngineError:
            return []  # an upstream target not built yet, or a type that will not cast
        kind = column_kind(column)
        return [self.safe(str(row[0]), kind) for row in rows]

    def safe(self, value: str, column_kind_: str | None) -> str:
        """The value masked by its column's kind, else by its own look, else as it is."""
        value = redact(" ".join(value.split()))  # before truncation could split a secret
        kind = column_kind_ or value_kind(value)
        safe = self.masker(value, kind) if kind else value
        return safe if len(safe) <= MAX_CHARS else safe[: MAX_CHARS - 1] + "…"


def source_columns(target: Any) -> list[tuple[str, str]]:
    """(table, column) pairs the target's rows declare, in order, without duplicates."""
    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    for col in target.columns:
        if not col.source_table:
            continue
        for name in col.source_columns:
            pairs.setdefault((col.source_table.lower(), name.lower()), (col.source_table, name))
    return list(pairs.values())


def pseudonym_key(configured: str | None, project_name: str) -> bytes:
    """The configured key, else env, else one derived from the project name.

    The derived key keeps pseudonyms stable for everyone on the project (so prompts and
    the lock agree across machines) but it is guessable: set a real key to stop someone
    confirming a guessed value against a pseudonym.
    """
    secret = configured or os.environ.get(KEY_ENV)
    if secret:
        return secret.encode()
    return hashlib.sha256(f"mapforge-pseudonym:{project_name}".encode()).digest()


def sampler_from_config(
    cfg: PrivacySettings, query: Query, *, project_name: str
) -> SampleCollector | None:
    """The planner's samples hook, or None when prompts carry metadata only (the default)."""
    if not cfg.send_samples or cfg.samples_per_column <= 0:
        return None
    masker = Masker(mode=cfg.mode, key=pseudonym_key(cfg.pseudonym_key, project_name))  # type: ignore[arg-type]
    return SampleCollector(query, per_column=cfg.samples_per_column, masker=masker)


def sample_lines(samples: Samples | None) -> list[str]:
    """`table.column: "a", "b"` lines for the prompt, sorted."""
    return [f"{name}: {_values(values)}" for name, values in sorted((samples or {}).items())]


def _values(values: Sequence[str]) -> str:
    return ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
