"""Secrets out of any text that may leave the process or land on disk.

`redact(text)` removes what looks like a secret wherever it appears: the password of a
connection URL (`postgresql://u:pw@h` -> `postgresql://u:***@h`), API keys (`sk-...`,
`sk-ant-...`), bearer tokens, `password=...`-style pairs, plus any exact value given
(the config fields marked secret: `secret_values(config)`). Prompts pass through it before
they are sent, so a table comment holding a connection string never reaches a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

MASK = "***"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host — keep the user, hide the password
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)([^\s@/]+)(@)", re.I), rf"\1{MASK}\3"),
    (re.compile(r"\b(sk-(?:ant-|proj-)?)[A-Za-z0-9_-]{8,}"), rf"\1{MASK}"),
    (re.compile(r"\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.I), rf"\1{MASK}"),
    (
        re.compile(
            r"\b((?:password|passwd|pwd|api[_-]?key|secret|token|access[_-]?key)\s*[=:]\s*)"
            r"(['\"]?)[^\s'\";,&]+\2",
            re.I,
        ),
        rf"\1{MASK}",
    ),
)
MIN_SECRET = 4  # shorter values would blank out ordinary words


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with secret-looking substrings and the given secret values replaced by ***."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def secret_values(model: BaseModel) -> list[str]:
    """Values of fields marked secret (`Field(repr=False)`) anywhere in a config model."""
    found: list[str] = []
    for name, info in type(model).model_fields.items():
        value: Any = getattr(model, name)
        if not info.repr and isinstance(value, str):
            found.append(value)
        found += _nested(value)
    return found


def _nested(value: Any) -> list[str]:
    if isinstance(value, BaseModel):
        return secret_values(value)
    if isinstance(value, dict):
        return [s for v in value.values() for s in _nested(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _nested(v)]
    return []
