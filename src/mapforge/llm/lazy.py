"""A gateway built on first use, so commands that need no model never open a client."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from mapforge.config import LLMConfig
from mapforge.llm.gateway import Gateway, Result
from mapforge.llm.provider import Completion, CompletionRequest


class LazyGateway:
    """Gateway-shaped; `make_gateway(cfg, state_dir, ...)` runs on the first call only."""

    def __init__(
        self,
        cfg: LLMConfig,
        state_dir: Path,
        *,
        use_cache: bool = True,
        command: str = "plan",
        budget_usd: float | None = None,
    ) -> None:
        self._args = (cfg, Path(state_dir))
        self._options = {"use_cache": use_cache, "command": command, "budget_usd": budget_usd}
        self._gateway: Gateway | None = None
        self._lock = threading.Lock()

    @property
    def gateway(self) -> Gateway:
        """The real gateway, built now if it was not yet."""
        with self._lock:
            if self._gateway is None:
                from mapforge.llm import make_gateway  # the package imports this module

                self._gateway = make_gateway(*self._args, **self._options)  # type: ignore[arg-type]
            return self._gateway

    @property
    def started(self) -> bool:
        """Whether a model was needed at all."""
        return self._gateway is not None

    def complete(self, request: CompletionRequest) -> Completion:
        """See Gateway.complete."""
        return self.gateway.complete(request)

    def map(
        self,
        requests: Iterable[CompletionRequest],
        on_done: Callable[[int, Result], None] | None = None,
    ) -> list[Result]:
        """See Gateway.map."""
        return self.gateway.map(requests, on_done)

    def close(self) -> None:
        """Close the gateway if it was built."""
        with self._lock:
            if self._gateway is not None:
                self._gateway.close()
                self._gateway = None

    def __enter__(self) -> LazyGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
