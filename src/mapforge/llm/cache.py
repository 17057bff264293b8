"""Exact-match answer cache: same provider, model, parameters and messages ⇒ no call.

Stored in `.mapforge/cache.sqlite`. The key is a sha256 of everything that shapes the
answer, so a changed prompt template changes the key through the prompt text itself.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from mapforge.llm.provider import Completion, CompletionRequest
from mapforge.migrations import Database


def m001_answers(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE answers ("
        " key TEXT PRIMARY KEY, completion TEXT NOT NULL, created REAL NOT NULL)"
    )


MIGRATIONS = [m001_answers]


def cache_key(provider: str, request: CompletionRequest) -> str:
    """sha256 over provider, model, sampling parameters and the full messages."""
    material = {
        "provider": provider,
        "model": request.model,
        "temperature": request.temperature,
        "seed": request.seed,
        "max_tokens": request.max_tokens,
        "messages": [m.model_dump() for m in request.messages],
    }
    canonical = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class ExactCache:
    """SQLite cache of completions; `ttl_s=None` keeps answers forever."""

    def __init__(
        self, path: Path | str, *, ttl_s: float | None = None, enabled: bool = True
    ) -> None:
        self.ttl_s = ttl_s
        self.enabled = enabled  # False for --no-cache: every lookup misses, nothing is stored
        self._db = Database(path, MIGRATIONS) if enabled else None

    def get(self, provider: str, request: CompletionRequest) -> Completion | None:
        """The cached completion, or None when absent, expired or the cache is off."""
        if self._db is None:
            return None
        rows = self._db.execute(
            "SELECT completion, created FROM answers WHERE key = ?", (cache_key(provider, request),)
        )
        if not rows or self._expired(rows[0]["created"]):
            return None
        return Completion.model_validate_json(rows[0]["completion"])

    def put(self, provider: str, request: CompletionRequest, completion: Completion) -> None:
        """Store (or refresh) the answer for this request."""
        if self._db is None:
            return
        self._db.execute(
            "INSERT OR REPLACE INTO answers (key, completion, created) VALUES (?, ?, ?)",
            (cache_key(provider, request), completion.model_dump_json(), time.time()),
        )

    def clear(self) -> None:
        """Forget every answer."""
        if self._db is not None:
            self._db.execute("DELETE FROM answers")

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()

    def _expired(self, created: float) -> bool:
        return self.ttl_s is not None and time.time() - created > self.ttl_s
