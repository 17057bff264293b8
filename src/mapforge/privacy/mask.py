"""Sensitive values made safe to send: format-preserving masks or keyed pseudonyms.

    mask("jane.doe@example.com", "email")      -> "j***@***.com"
    mask("+44 20 7946 0958", "phone")          -> "+** ** **** **58"
    mask("4111 1111 1111 1111", "card")        -> "**** **** **** 1111"
    pseudonym("jane.doe@example.com", "email", key) -> "user_3f9c2a1b@example.invalid"

A mask keeps the shape a model needs to write parsing SQL (separators, lengths, the
domain suffix) and drops the identity. A pseudonym is HMAC-SHA256 under a key, so the same
value always maps to the same token (joins and duplicates stay visible) and nobody without
the key can confirm a guess; the key lives in config (`privacy.pseudonym_key`), never here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Literal

from mapforge.privacy.classify import EMAIL

Mode = Literal["mask", "pseudonymize"]
_KEEP_LAST = {"card": 4, "phone": 2, "iban": 2}
_DIGIT_OR_LETTER = re.compile(r"[A-Za-z0-9]")


def mask(value: str, kind: str) -> str:
    """A format-preserving mask of a sensitive value."""
    if kind == "email" and EMAIL.search(value):
        # only the addresses: "call back j***@***.com" keeps the rest of a note readable
        return EMAIL.sub(lambda m: _mask_email(m.group(0)), value)
    if kind in _KEEP_LAST:
        return _mask_keep_last(value, _KEEP_LAST[kind], keep_first=2 if kind == "iban" else 0)
    if kind == "ip":
        return re.sub(r"\d+", "***", value)
    # names, addresses, ids, dates of birth, anything else: the first character only
    return (value[:1] + "***") if value else value


def pseudonym(value: str, kind: str, key: bytes) -> str:
    """A stable keyed token for a value: the same value and key give the same token."""
    if kind == "email" and EMAIL.search(value):
        # per address, so the same person gets the same token in every column
        return EMAIL.sub(lambda m: f"user_{_digest(m.group(0), kind, key)}@example.invalid", value)
    return f"{kind}_{_digest(value, kind, key)}"


def _digest(value: str, kind: str, key: bytes) -> str:
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True)
class Masker:
    """One policy for a run: mask or pseudonymize, with the pseudonym key."""

    mode: Mode = "mask"
    key: bytes = field(default=b"", repr=False)

    def __call__(self, value: str, kind: str) -> str:
        """The safe form of `value` of a sensitive `kind`."""
        if self.mode == "pseudonymize":
            return pseudonym(value, kind, self.key)
        return mask(value, kind)


def _mask_email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    suffix = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}***@***" + (f".{suffix}" if suffix else "")


def _mask_keep_last(value: str, keep_last: int, keep_first: int = 0) -> str:
    """Each letter and digit becomes *, except the first/last few; separators stay."""
    positions = [i for i, c in enumerate(value) if _DIGIT_OR_LETTER.match(c)]
    hidden = set(positions[keep_first : len(positions) - keep_last])
    return "".join("*" if i in hidden else c for i, c in enumerate(value))
