"""The fake server itself: scripting, default responders, server-side rate limit."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from mapforge.testing import FakeLLMServer, last_user_message, respond_by_match


def post(url: str, body: dict[str, Any] | bytes) -> tuple[int, dict[str, str], bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def chat(text: str) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}]}


def test_script_then_exhausted(fake_llm: FakeLLMServer) -> None:
    fake_llm.answer("one").no_usage("two")
    url = f"{fake_llm.base_url}/chat/completions"
    first = json.loads(post(url, chat("hi"))[2])
    assert first["choices"][0]["message"]["content"] == "one" and "usage" in first
    assert "usage" not in json.loads(post(url, chat("hi"))[2])
    status, _, body = post(url, chat("hi"))
    assert status == 500 and b"script exhausted" in body
    assert fake_llm.pending == 0 and len(fake_llm.requests) == 3


def test_default_responder_by_match(fake_llm: FakeLLMServer) -> None:
    fake_llm.default = respond_by_match({"orders": "SELECT * FROM orders"}, fallback="SELECT 0")
    url = f"{fake_llm.base_url}/chat/completions"
    assert b"FROM orders" in post(url, chat("map the orders table"))[2]
    assert b"SELECT 0" in post(url, chat("something else"))[2]


def test_failing_responder_is_a_500(fake_llm: FakeLLMServer) -> None:
    fake_llm.default = respond_by_match({"orders": "x"})
    status, _, body = post(f"{fake_llm.base_url}/chat/completions", chat("customers"))
    assert status == 500 and b"no scripted answer" in body


def test_anthropic_shape(fake_llm: FakeLLMServer) -> None:
    fake_llm.default = last_user_message  # echo
    body = {
        "model": "c",
        "max_tokens": 10,
        "system": "s",
        "messages": [{"role": "user", "content": "echo me"}],
    }
    reply = json.loads(post(f"{fake_llm.root_url}/v1/messages", body)[2])
    assert reply["content"] == [{"type": "text", "text": "echo me"}]
    assert reply["usage"]["output_tokens"] == 2 and reply["stop_reason"] == "end_turn"


def test_rate_limited_step_has_retry_after(fake_llm: FakeLLMServer) -> None:
    fake_llm.rate_limit(retry_after=0.5)
    status, headers, _ = post(f"{fake_llm.base_url}/chat/completions", chat("x"))
    assert status == 429 and float(headers["retry-after"]) == 0.5


def test_server_side_rps(fake_llm: FakeLLMServer) -> None:
    fake_llm.rps = 2
    fake_llm.default = lambda body: "ok"
    statuses = [post(f"{fake_llm.base_url}/chat/completions", chat("x"))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_bad_json_and_unknown_path(fake_llm: FakeLLMServer) -> None:
    fake_llm.answer("kept for later")
    assert post(f"{fake_llm.base_url}/chat/completions", b"{nope")[0] == 400
    assert post(f"{fake_llm.base_url}/embeddings", chat("x"))[0] == 404
    assert fake_llm.pending == 1


@pytest.mark.parametrize("delay", [0.0, 5.0])
def test_close_is_prompt_even_with_delayed_replies(delay: float) -> None:
    server = FakeLLMServer().start()
    server.delay(delay, "late")
    url = f"{server.base_url}/chat/completions"
    worker = threading.Thread(target=lambda: _swallow(post, url, chat("x")))
    worker.start()
    time.sleep(0.1)
    started = time.monotonic()
    server.close()
    worker.join()
    assert time.monotonic() - started < 2.0


def _swallow(fn: Any, *args: Any) -> None:
    with contextlib.suppress(OSError):  # the server hung up while closing: expected
        fn(*args)
