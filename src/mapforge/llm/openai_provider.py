"""OpenAI-compatible chat completions: OpenAI, Azure, Ollama, vLLM, LM Studio, LiteLLM.

Everything that speaks `POST {base_url}/chat/completions` works through `base_url`.
The SDK's own retries are off (`max_retries=0`): retrying belongs to the Gateway, which
also rate-limits and records every attempt.
"""

from __future__ import annotations

import os
from typing import Any

import openai

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

# Local servers (Ollama, vLLM, LM Studio) ignore the key, but the SDK insists on one.
NO_KEY = "not-needed"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIProvider:
    """One attempt at a chat completion through the official `openai` SDK."""

    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        seed: int | None = None,
        default_headers: dict[str, str] | None = None,
    ) -> None:
        self.model = model
        self.endpoint = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.seed = seed  # used when a request carries no seed of its own
        self._key = api_key or os.environ.get("OPENAI_API_KEY") or NO_KEY
        self._client = openai.OpenAI(
            base_url=self.endpoint,
            api_key=self._key,
            timeout=timeout,
            max_retries=0,
            default_headers=default_headers,
        )

    def complete(self, request: CompletionRequest) -> Completion:
        """Send one request; raise TransientProviderError or ProviderError on failure."""
        try:
            raw = self._client.chat.completions.with_raw_response.create(**self._params(request))
            body = json_object(raw.http_response.text)
        except openai.APIStatusError as exc:
            raise self._status_error(exc) from None
        except openai.APIConnectionError as exc:  # includes APITimeoutError
            raise TransientProviderError(self._where(f"{exc.message}")) from None
        except ValueError as exc:  # the body was not JSON: a proxy hiccup, worth a retry
            raise TransientProviderError(self._where(f"malformed response: {exc}")) from None
        return self._completion(body, request)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _params(self, request: CompletionRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model or self.model,
            "messages": [m.model_dump() for m in request.messages],
            "temperature": request.temperature,
            # ask OpenAI not to retain the exchange (stored completions); compatible servers
            # ignore the field. Anthropic's Messages API has no per-request equivalent.
            "store": False,
        }
        seed = request.seed if request.seed is not None else self.seed
        if seed is not None:
            params["seed"] = seed
        # max_tokens, not max_completion_tokens: the compatible servers only know this one.
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        return params

    def _completion(self, body: dict[str, Any], request: CompletionRequest) -> Completion:
        try:
            choice = body["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise TransientProviderError(
                self._where("response has no choices[0].message")
            ) from None
        usage = body.get("usage") or {}
        return Completion(
            text=text,
            model=body.get("model") or request.model,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            finish_reason=choice.get("finish_reason"),
            raw=body,
        )

    def _status_error(self, exc: openai.APIStatusError) -> ProviderError:
        detail = _error_detail(exc.body) or exc.message
        retry_after = parse_retry_after(exc.response.headers)
        return error_for_status(
            exc.status_code, redact(detail, self._key), where=self._where(), retry_after=retry_after
        )

    def _where(self, detail: str | None = None) -> str:
        where = f"{self.name} {self.endpoint} (model {self.model})"
        return f"{where}: {redact(detail, self._key)}" if detail else where


def _error_detail(body: object) -> str | None:
    """The human message of a vendor error body: {"error": {"message": ...}} or similar."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
    return None
