"""A thread-safe token bucket: at most `rate` requests a second, bursts of `burst`.

With burst=1 (the gateway's setting) sends are spaced exactly 1/rate apart, never bunched.
`slack` widens that spacing by a fraction: a server counting requests in a sliding window
sees each request a few milliseconds late or early (thread wake-up, connect, the GIL), and
requests spaced *exactly* at its limit land on the window's edge, where half of them get a
429 (36 of 100 at 2 rps in bench/throughput.py; 23 with 2.5 % slack). 5 % slack is a
50 ms margin on a one-second window at any rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Block in `acquire` until a request may go out."""

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        slack: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.burst = burst
        self.rate = rate / (1.0 + slack)  # the pace actually kept
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a token, sleeping until it exists; return the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            # Going negative reserves a future token, so waiters queue fairly without
            # holding the lock while they sleep.
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait
