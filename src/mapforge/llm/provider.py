"""The Provider protocol: one method, capabilities as attributes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from mapforge.errors import ProviderError


class Message(BaseModel):
    role: str  # system | user | assistant
    content: str


class CompletionRequest(BaseModel):
    messages: list[Message]
    model: str
    temperature: float = 0.0
    seed: int | None = 0
    max_tokens: int | None = None
    # who asked, for the ledger; never sent to the provider
    target: str | None = None
    purpose: str = "generate"
    # natural-language requests (purpose "ask"): the question, the hash of the schema slice
    # it was asked against, and that slice's identifiers; keys of the semantic cache only
    semantic_text: str | None = None
    schema_hash: str | None = None
    schema_terms: list[str] = Field(default_factory=list)


class Completion(BaseModel):
    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    raw: dict = Field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    """A model vendor. `complete` makes one attempt and raises ProviderError on failure.

    TransientProviderError marks failures worth retrying; the retrying itself belongs to
    the Gateway. Optional: an `endpoint` attribute (for messages) and `close()`.
    """

    name: str
    model: str

    def complete(self, request: CompletionRequest) -> Completion: ...


class TransientProviderError(ProviderError):
    """A failure worth retrying (429, 5xx, timeout, dropped connection, garbled body).

    `retry_after` is the server's Retry-After in seconds when it sent one; the gateway
    sleeps at least that long before the next attempt.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, hint: str | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, hint)


# 408 request timeout and 409 lock timeout are retried by the vendors' own SDKs too.
_TRANSIENT_STATUS = {408, 409, 429}
_HINTS = {
    401: "check llm.api_key (or the ${ENV} variable it reads)",
    403: "the key is not allowed to use this model or endpoint",
    404: "check llm.base_url and llm.model",
}


def error_for_status(
    status: int, detail: str, *, where: str, retry_after: float | None = None
) -> ProviderError:
    """Map an HTTP status to a retryable or a final mapforge error."""
    message = f"{where}: HTTP {status}: {detail}"
    if status in _TRANSIENT_STATUS or status >= 500:
        return TransientProviderError(message, retry_after=retry_after)
    return ProviderError(message, hint=_HINTS.get(status))


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (numeric form only), else None."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            continue  # an HTTP date: rare from model APIs, treat as absent
    return None


def redact(text: str, secret: str | None) -> str:
    """Remove a secret from text that may end up in an error, a log or the ledger."""
    if secret and len(secret) >= 4:
        return text.replace(secret, "***")
    return text


def json_object(text: str) -> dict:
    """Parse a response body that must be a JSON object; ValueError otherwise."""
    body = json.loads(text)
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body
