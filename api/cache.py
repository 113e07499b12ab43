"""Short-lived in-process caches for hot reads (the direction's status board, tokens)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class TtlCache(Generic[Value]):
    """Values kept `ttl` seconds, computed once per key at a time (single flight).

    Once a value has expired, callers still get it while one refresh runs in the
    background (stale while revalidate), so an expiry never makes fifty requests wait.
    Each value lives between half and all of `ttl`, at random: keys filled together (fifty
    buyers opening their lists) do not all refresh in the same instant afterwards.
    """

    def __init__(self, ttl: float, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._values: dict[Hashable, tuple[float, Value]] = {}
        self._flights: dict[Hashable, asyncio.Future[Value]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Value]]) -> Value:
        hit = self._values.get(key)
        if hit is not None:
            if hit[0] <= time.monotonic() and key not in self._flights:
                self._start(key, compute)
            return hit[1]
        flight = self._flights.get(key) or self._start(key, compute)
        return await asyncio.shield(flight)

    def _start(
        self, key: Hashable, compute: Callable[[], Awaitable[Value]]
    ) -> asyncio.Future[Value]:
        async def run() -> Value:
            try:
                value = await compute()
                if len(self._values) >= self.size:
                    self._values.clear()
                lifetime = self.ttl * (0.5 + random.random() / 2)
                self._values[key] = (time.monotonic() + lifetime, value)
                return value
            finally:
                self._flights.pop(key, None)

        flight = asyncio.ensure_future(run())
        self._flights[key] = flight
        return flight

    def clear(self) -> None:
        self._values.clear()


class Caches:
    """One application's caches (two apps in one process, as in tests, never share answers)."""

    def __init__(self) -> None:
        from boucle.tokens import Bearer

        # A revoked token stops working within this many seconds.
        self.tokens = TtlCache[Bearer | None](ttl=10.0)
        # The status board is read far more often than it changes: a list lives 1–2 seconds.
        self.cycles = TtlCache[tuple[bytes, int]](ttl=2.0)
        # Buyers poll their list; an answer lives 2.5–5 s (refreshing fifty lists every second
        # or two cost the event loop its slowest percentile), and this replica forgets them all
        # when a task changes through it: only a change made through another replica waits.
        self.my_tasks = TtlCache[tuple[bytes, int]](ttl=5.0, size=4096)
