"""Anthropic Messages API through the official `anthropic` SDK (2.x).

Two traps of SDK 2.x / API version 2026-10-21: sampling parameters (temperature, top_p,
top_k) are rejected with a 400 even at their defaults, so none is sent — determinism
comes from the stable prompt, the cache and the lock; and there is no `seed`. The key
goes out as `Authorization: Bearer`.
"""

from __future__ import annotations

import os
from typing import Any

import anthropic

from mapforge.errors import ProviderError
from mapforge.llm.provider import (
    Completion,
    CompletionRequest,
    TransientProviderError,
    error_for_status,
    json_object,
    parse_retry_after,
    redact,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
# The Messages API requires max_tokens; SQL for one target fits comfortably.
DEFAULT_MAX_TOKENS = 4096
_FINISH = {"end_turn": "stop", "max_tokens": "length", "stop_sequence": "stop"}


class AnthropicProvider:
    """One attempt at a Messages API call."""

    name = "anthropic"

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.model = model
        self.endpoint = _root(base_url or DEFAULT_BASE_URL)
        self._key = api_key or os.environ.get("ANTHROPIC_API_KEY") or "not-needed"
        self._client = anthropic.Anthropic(
            base_url=self.endpoint, api_key=self._key, timeout=timeout, max_retries=0
        )

    def complete(self, request: CompletionRequest) -> Completion:
        """Send one request; raise TransientProviderError or ProviderError on failure."""
        try:
            raw = self._client.messages.with_raw_response.create(**self._params(request))
            body = json_object(raw.http_response.text)
        except anthropic.APIStatusError as exc:
            raise self._status_error(exc) from None
        except anthropic.APIConnectionError as exc:  # includes APITimeoutError
            raise TransientProviderError(self._where(exc.message)) from None
        except ValueError as exc:  # the body was not JSON
            raise TransientProviderError(self._where(f"malformed response: {exc}")) from None
        return self._completion(body, request)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _params(self, request: CompletionRequest) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        params: dict[str, Any] = {
            "model": request.model or self.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [m.model_dump() for m in request.messages if m.role != "system"],
        }
        if system:
            params["system"] = system
        return params

    def _completion(self, body: dict[str, Any], request: CompletionRequest) -> Completion:
        blocks = body.get("content")
        if not isinstance(blocks, list):
            raise TransientProviderError(self._where("response has no content blocks"))
        text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict))
        usage = body.get("usage") or {}
        return Completion(
            text=text,
            model=body.get("model") or request.model,
            prompt_tokens=usage.get("input_tokens"),
            completion_tokens=usage.get("output_tokens"),
            finish_reason=_FINISH.get(body.get("stop_reason") or "", body.get("stop_reason")),
            raw=body,
        )

    def _status_error(self, exc: anthropic.APIStatusError) -> ProviderError:
        detail = exc.api_message or exc.message
        retry_after = parse_retry_after(exc.response.headers)
        return error_for_status(
            exc.status_code, redact(detail, self._key), where=self._where(), retry_after=retry_after
        )

    def _where(self, detail: str | None = None) -> str:
        where = f"{self.name} {self.endpoint} (model {self.model})"
        return f"{where}: {redact(detail, self._key)}" if detail else where


def _root(url: str) -> str:
    """Accept `http://host/v1` too: the SDK appends `/v1/messages` itself."""
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url
