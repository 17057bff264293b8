"""OpenAI and Anthropic providers against the real local fake server (no SDK patching)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mapforge.config import LLMConfig
from mapforge.errors import ConfigError, ProviderError
from mapforge.llm import make_provider
from mapforge.llm.anthropic_provider import AnthropicProvider
from mapforge.llm.openai_provider import OpenAIProvider
from mapforge.llm.provider import CompletionRequest, Message, TransientProviderError
from mapforge.testing import FakeLLMServer

KEY = "sk-test-secret-4242"


def request(
    text: str = "map orders", *, system: str | None = "You write SQL."
) -> CompletionRequest:
    messages = [Message(role="system", content=system)] if system else []
    messages.append(Message(role="user", content=text))
    return CompletionRequest(messages=messages, model="gpt-4o-mini", max_tokens=256, seed=7)


@pytest.fixture
def openai_provider(fake_llm: FakeLLMServer) -> Iterator[OpenAIProvider]:
    provider = OpenAIProvider(
        model="gpt-4o-mini", base_url=fake_llm.base_url, api_key=KEY, timeout=2
    )
    yield provider
    provider.close()


def test_answer_with_usage(fake_llm: FakeLLMServer, openai_provider: OpenAIProvider) -> None:
    fake_llm.answer("SELECT id FROM orders")
    completion = openai_provider.complete(request())
    assert completion.text == "SELECT id FROM orders"
    assert completion.prompt_tokens and completion.prompt_tokens > 0
    assert completion.completion_tokens == 5  # 21 characters / 4
    assert completion.finish_reason == "stop"


def test_request_body_carries_determinism_params(
    fake_llm: FakeLLMServer, openai_provider: OpenAIProvider
) -> None:
    fake_llm.answer("SELECT 1")
    openai_provider.complete(request())
    sent = fake_llm.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.json["temperature"] == 0
    assert sent.json["seed"] == 7
    assert sent.json["max_tokens"] == 256
    assert sent.json["messages"][0] == {"role": "system", "content": "You write SQL."}
    assert sent.headers["authorization"] == f"Bearer {KEY}"


def test_no_usage_gives_none_tokens(
    fake_llm: FakeLLMServer, openai_provider: OpenAIProvider
) -> None:
    fake_llm.no_usage("SELECT 1")
    completion = openai_provider.complete(request())
    assert completion.text == "SELECT 1"
    assert completion.prompt_tokens is None and completion.completion_tokens is None


@pytest.mark.parametrize(
    ("script", "retry_after"),
    [
        (lambda s: s.rate_limit(retry_after=0.25), 0.25),
        (lambda s: s.fail(500), None),
        (lambda s: s.fail(503), None),
        (lambda s: s.malformed(), None),
    ],
    ids=["429", "500", "503", "malformed"],
)
def test_transient_failures(
    fake_llm: FakeLLMServer, openai_provider: OpenAIProvider, script, retry_after
) -> None:
    script(fake_llm)
    with pytest.raises(TransientProviderError) as caught:
        openai_provider.complete(request())
    assert caught.value.retry_after == retry_after
    assert fake_llm.base_url in str(caught.value)


def test_client_error_is_final(fake_llm: FakeLLMServer, openai_provider: OpenAIProvider) -> None:
    fake_llm.fail(400, "unknown parameter")
    with pytest.raises(ProviderError) as caught:
        openai_provider.complete(request())
    assert not isinstance(caught.value, TransientProviderError)
    assert "HTTP 400" in str(caught.value) and "unknown parameter" in str(caught.value)


def test_timeout_is_transient(fake_llm: FakeLLMServer) -> None:
    fake_llm.delay(1.0, "too late")
    provider = OpenAIProvider(model="m", base_url=fake_llm.base_url, api_key=KEY, timeout=0.2)
    try:
        with pytest.raises(TransientProviderError, match="timed out"):
            provider.complete(request())
    finally:
        provider.close()


def test_connection_refused_is_transient() -> None:
    with FakeLLMServer() as server:
        url = server.base_url  # a port that is free once the server is gone
    provider = OpenAIProvider(model="m", base_url=url, api_key=KEY, timeout=1)
    try:
        with pytest.raises(TransientProviderError):
            provider.complete(request())
    finally:
        provider.close()


def test_key_never_in_error_messages(
    fake_llm: FakeLLMServer, openai_provider: OpenAIProvider
) -> None:
    fake_llm.fail(401, f"invalid key {KEY}")  # a server that echoes the key back
    with pytest.raises(ProviderError) as caught:
        openai_provider.complete(request())
    assert KEY not in str(caught.value)
    assert "api_key" in (caught.value.hint or "")


def test_local_server_without_key(fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake_llm.answer("SELECT 1")
    provider = OpenAIProvider(model="llama3", base_url=fake_llm.base_url)
    try:
        assert provider.complete(request()).text == "SELECT 1"
    finally:
        provider.close()
    assert fake_llm.requests[0].headers["authorization"] == "Bearer not-needed"


def test_accepts_path_without_v1(fake_llm: FakeLLMServer) -> None:
    fake_llm.answer("SELECT 1")
    provider = OpenAIProvider(model="m", base_url=fake_llm.root_url, api_key=KEY)
    try:
        assert provider.complete(request()).text == "SELECT 1"
    finally:
        provider.close()
    assert fake_llm.requests[0].path == "/chat/completions"


# -- anthropic -------------------------------------------------------------------------


@pytest.fixture
def anthropic_provider(fake_llm: FakeLLMServer) -> Iterator[AnthropicProvider]:
    provider = AnthropicProvider(
        model="claude-haiku-4-5", base_url=fake_llm.base_url, api_key=KEY, timeout=2
    )
    yield provider
    provider.close()


def test_anthropic_round_trip(
    fake_llm: FakeLLMServer, anthropic_provider: AnthropicProvider
) -> None:
    fake_llm.answer("SELECT 2 AS two")
    completion = anthropic_provider.complete(
        request().model_copy(update={"model": "claude-haiku-4-5"})
    )
    assert completion.text == "SELECT 2 AS two"
    assert completion.completion_tokens == 4 and completion.prompt_tokens
    assert completion.finish_reason == "stop"
    sent = fake_llm.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.json["system"] == "You write SQL."
    assert sent.json["messages"] == [{"role": "user", "content": "map orders"}]
    assert sent.json["max_tokens"] == 256
    # API version 2026-10-21 rejects sampling parameters; sending one would be a 400.
    assert "temperature" not in sent.json
    assert sent.headers["authorization"] == f"Bearer {KEY}"


def test_anthropic_errors(fake_llm: FakeLLMServer, anthropic_provider: AnthropicProvider) -> None:
    fake_llm.rate_limit(retry_after=0.5).fail(404, "model not found").malformed()
    with pytest.raises(TransientProviderError) as limited:
        anthropic_provider.complete(request())
    assert limited.value.retry_after == 0.5
    with pytest.raises(ProviderError, match="model not found") as final:
        anthropic_provider.complete(request())
    assert not isinstance(final.value, TransientProviderError)
    with pytest.raises(TransientProviderError, match="malformed"):
        anthropic_provider.complete(request())


# -- factory ---------------------------------------------------------------------------


def test_make_provider_chooses_by_name() -> None:
    openai_one = make_provider(LLMConfig(provider="openai", base_url="http://127.0.0.1:9/v1"))
    anthropic_one = make_provider(LLMConfig(provider="anthropic", model="claude-haiku-4-5"))
    try:
        assert isinstance(openai_one, OpenAIProvider)
        assert isinstance(anthropic_one, AnthropicProvider)
    finally:
        openai_one.close()  # type: ignore[attr-defined]
        anthropic_one.close()  # type: ignore[attr-defined]


def test_make_provider_unknown() -> None:
    with pytest.raises(ConfigError, match="unknown provider 'gemini'") as caught:
        make_provider(LLMConfig(provider="gemini"))
    assert "openai" in (caught.value.hint or "")
