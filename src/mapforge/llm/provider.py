"""The Provider protocol: one method, capabilities as attributes."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field


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


class Completion(BaseModel):
    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    raw: dict = Field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    """A model vendor. `complete` raises ProviderError on failure after its own retries."""

    name: str
    model: str

    def complete(self, request: CompletionRequest) -> Completion: ...
