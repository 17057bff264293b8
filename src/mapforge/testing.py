"""A local model server for tests: speaks the OpenAI and Anthropic wire formats, scripted.

    with FakeLLMServer() as server:
        server.answer("SELECT 1 AS x")
        server.rate_limit(retry_after=0.2)      # next request gets a 429
        provider = OpenAIProvider(base_url=server.base_url, api_key="k", model="gpt-4o-mini")
        ...
        assert server.requests[0].json["temperature"] == 0

Each request takes the next step of the script; when the script is empty the `default`
responder `(request_json) -> str` answers, and without one the server returns 500
"script exhausted". It is a real HTTP server on 127.0.0.1, so the SDKs, their headers,
timeouts and error handling are exercised exactly as in production.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Answer:
    """Reply with `text`; `usage=False` leaves the usage block out."""

    text: str
    usage: bool = True
    delay: float = 0.0
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Fail:
    """Reply with an HTTP error; `retry_after` adds the Retry-After header."""

    status: int = 500
    message: str = "internal error"
    retry_after: float | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Malformed:
    """Reply 200 with a body that is not valid JSON."""

    body: str = '{"choices": [{"message": '
    delay: float = 0.0


Step = Answer | Fail | Malformed


@dataclass
class RecordedRequest:
    """What left the client process: path, headers (lower-cased names) and the JSON body."""

    path: str
    headers: dict[str, str]
    json: dict[str, Any]


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def estimate_tokens(text: str) -> int:
    """The fake provider's own tokenizer: ~4 characters a token, at least 1 for non-empty text.

    Deliberately not mapforge.tokens: tests compare mapforge's estimates with what the
    "provider" counts, which would prove nothing if both were the same function.
    """
    return max(1, round(len(text) / 4)) if text else 0


def prompt_text(body: dict[str, Any]) -> str:
    """All the prompt text of an OpenAI or Anthropic request body, system first."""
    parts = [_content_text(body.get("system"))]
    parts += [_content_text(m.get("content")) for m in body.get("messages", [])]
    return "\n".join(p for p in parts if p)


def last_user_message(body: dict[str, Any]) -> str:
    """The text of the last user message: handy for `default` responders."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return _content_text(users[-1].get("content")) if users else ""


def respond_by_match(answers: dict[str, str], fallback: str | None = None) -> Responder:
    """A responder returning the answer of the first key found in the prompt text."""

    def respond(body: dict[str, Any]) -> str:
        text = prompt_text(body)
        for needle, answer in answers.items():
            if needle in text:
                return answer
        if fallback is None:
            raise LookupError(f"no scripted answer matches the prompt: {text[:200]!r}")
        return fallback

    return respond


def _content_text(content: Any) -> str:
    # Content is a string, or a list of blocks like {"type": "text", "text": ...}.
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


class FakeLLMServer:
    """A scripted OpenAI/Anthropic-compatible HTTP server on 127.0.0.1 (thread-safe)."""

    def __init__(
        self,
        *,
        default: Responder | None = None,
        rps: float | None = None,
        latency: float = 0.0,
        model: str | None = None,
    ) -> None:
        self.default = default
        self.rps = rps  # server-side rate limit; over it -> 429 with Retry-After
        self.latency = latency  # added to every reply, for benchmarks
        self.model = model  # echoed model name; None echoes the request's model
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Step] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._recent: deque[float] = deque()  # accepted request times, for `rps`
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        """Serve in a background thread; idempotent."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, wake delayed replies and join every thread."""
        self._stop.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()  # joins the handler threads (block_on_close)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT` — the Anthropic SDK's base_url form."""
        return f"http://127.0.0.1:{self._httpd.server_port}"

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/v1` — the OpenAI SDK's base_url form."""
        return f"{self.root_url}/v1"

    # -- scripting -------------------------------------------------------------------

    def enqueue(self, *steps: Step | str) -> FakeLLMServer:
        """Append steps to the script; a plain string is an Answer."""
        with self._lock:
            self._script.extend(Answer(s) if isinstance(s, str) else s for s in steps)
        return self

    def answer(self, text: str, *, usage: bool = True, delay: float = 0.0) -> FakeLLMServer:
        """Next: answer `text` (with usage unless `usage=False`), after `delay` seconds."""
        return self.enqueue(Answer(text, usage=usage, delay=delay))

    def answers(self, texts: Iterable[str]) -> FakeLLMServer:
        """Next: one answer per text, in order."""
        return self.enqueue(*texts)

    def delay(self, seconds: float, text: str = "") -> FakeLLMServer:
        """Next: wait `seconds`, then answer `text` (longer than a client timeout = timeout)."""
        return self.enqueue(Answer(text, delay=seconds))

    def rate_limit(self, retry_after: float = 1.0) -> FakeLLMServer:
        """Next: 429 with a Retry-After header."""
        return self.enqueue(Fail(429, "rate limit reached", retry_after=retry_after))

    def fail(self, status: int = 500, message: str = "internal error") -> FakeLLMServer:
        """Next: an HTTP error with the vendor's JSON error shape."""
        return self.enqueue(Fail(status, message))

    def malformed(self, body: str | None = None) -> FakeLLMServer:
        """Next: 200 with a body that is not JSON."""
        return self.enqueue(Malformed() if body is None else Malformed(body))

    def no_usage(self, text: str) -> FakeLLMServer:
        """Next: answer `text` without a usage block."""
        return self.enqueue(Answer(text, usage=False))

    @property
    def pending(self) -> int:
        """Steps not consumed yet."""
        with self._lock:
            return len(self._script)

    def reset(self) -> None:
        """Forget the script, the recorded requests and the counters."""
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self._recent.clear()
            self.max_in_flight = 0

    # -- serving (called from handler threads) ---------------------------------------

    def _reply(self, path: str, headers: dict[str, str], body: dict[str, Any] | None) -> _Reply:
        anthropic = path.rstrip("/").endswith("/messages")
        with self._lock:
            self.requests.append(RecordedRequest(path, headers, body or {}))
            if body is None:  # the client's bug: answer 400 without using up a step
                return _error(400, "request body is not JSON", anthropic)
            throttled = self._throttle()
            step = None if throttled is not None else self._next_step()
        if throttled is not None:
            return _error(429, "server rate limit", anthropic, retry_after=throttled)
        return self._render(step, body, anthropic)

    def _throttle(self) -> float | None:
        """Seconds until a slot frees when over `rps` (sliding one-second window), else None."""
        if not self.rps:
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rps:
            return round(1.0 - (now - self._recent[0]), 3)
        self._recent.append(now)
        return None

    def _next_step(self) -> Step | None:
        return self._script.popleft() if self._script else None

    def _render(self, step: Step | None, body: dict[str, Any], anthropic: bool) -> _Reply:
        if step is None:
            step = self._default_step(body)
        if isinstance(step, Fail):
            reply = _error(step.status, step.message, anthropic, retry_after=step.retry_after)
        elif isinstance(step, Malformed):
            reply = _Reply(200, step.body.encode(), {"content-type": "application/json"})
        else:
            render = _anthropic_body if anthropic else _openai_body
            payload = render(step, body, self.model or body.get("model", "fake-model"))
            reply = _Reply(200, json.dumps(payload).encode(), {"content-type": "application/json"})
        reply.delay = step.delay + self.latency
        return reply

    def _default_step(self, body: dict[str, Any]) -> Step:
        if self.default is None:
            return Fail(500, "script exhausted: no step left and no default responder")
        try:
            return Answer(self.default(body))
        except Exception as exc:  # a failing responder is the test's bug: show it
            return Fail(500, f"default responder failed: {exc!r}")

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _usage(step: Answer, body: dict[str, Any]) -> tuple[int, int]:
    return estimate_tokens(prompt_text(body)), estimate_tokens(step.text)


def _openai_body(step: Answer, body: dict[str, Any], model: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": step.text}
    payload: dict[str, Any] = {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": step.finish_reason}],
    }
    if step.usage:
        prompt, completion = _usage(step, body)
        payload["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
    return payload


def _anthropic_body(step: Answer, body: dict[str, Any], model: str) -> dict[str, Any]:
    stop = {"stop": "end_turn", "length": "max_tokens"}.get(step.finish_reason, step.finish_reason)
    payload: dict[str, Any] = {
        "id": f"msg_fake_{time.monotonic_ns()}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": step.text}],
        "stop_reason": stop,
        "stop_sequence": None,
    }
    if step.usage:
        prompt, completion = _usage(step, body)
        payload["usage"] = {"input_tokens": prompt, "output_tokens": completion}
    return payload


def _error(status: int, message: str, anthropic: bool, retry_after: float | None = None) -> _Reply:
    if anthropic:
        payload: dict[str, Any] = {
            "type": "error",
            "error": {"type": "api_error", "message": message},
        }
    else:
        payload = {"error": {"message": message, "type": "server_error", "code": str(status)}}
    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return _Reply(status, json.dumps(payload).encode(), headers)


class _Server(ThreadingHTTPServer):
    # Non-daemon handler threads are joined by server_close(), so no thread outlives close().
    daemon_threads = False
    block_on_close = True
    fake: FakeLLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has hung up before the delayed reply: not an error here.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # a stuck client cannot hold a handler thread forever

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if not path.endswith(("/chat/completions", "/messages")):
            self._send(_error(404, f"unknown path {path}", anthropic=False))
            return
        fake = self.server.fake
        fake._enter()
        try:
            reply = fake._reply(path, {k.lower(): v for k, v in self.headers.items()}, self._body())
            if reply.delay and fake._stop.wait(reply.delay):
                return  # the server is closing: drop the reply
            self._send(reply)
        finally:
            fake._leave()

    def _body(self) -> dict[str, Any] | None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _send(self, reply: _Reply) -> None:
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(reply.body)))
            # One request per connection: no idle keep-alive thread to wait for at close().
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); nothing to answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output quiet
