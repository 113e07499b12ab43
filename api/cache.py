"""In-process caches for hot reads: the direction's status board, buyers' lists, tokens."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from services.tokens import Bearer

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
                if len(self._values) >= self.size:  # the oldest goes, not every answer at once
                    self._values.pop(next(iter(self._values)))
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


class TokenCache:
    """Who each token speaks for, as the store said at its access revision of under a second ago.

    Revocations, role and activity changes bump the store's access revision in the same
    transaction. This cache serves only answers looked up at the revision it last read, and
    only while that read is younger than `trust` seconds: it reads the revision again in the
    background from `recheck` seconds on, and past `trust` every request waits for the read.
    So a change made through any replica or the command line reaches this one within `trust`.
    Known and refused tokens live in two LRUs: a flood of made-up tokens evicts only other
    refusals, and at most `lookups` of them query the store at a time.
    """

    def __init__(
        self,
        size: int = 10_000,
        refused_size: int = 10_000,
        recheck: float = 0.5,
        trust: float = 1.0,
        lifetime: float = 60.0,
        lookups: int = 4,
    ) -> None:
        self.size = size
        self.refused_size = refused_size
        self.recheck = recheck
        self.trust = trust
        self.lifetime = lifetime  # even at an unchanged revision, a token is looked up again
        self._known: OrderedDict[str, tuple[int, float, Bearer]] = OrderedDict()
        self._refused: OrderedDict[str, int] = OrderedDict()
        self._revision = -1
        self._checked_at = -math.inf
        self._forgotten_at = -math.inf
        self._check: asyncio.Future[None] | None = None
        self._flights: dict[str, asyncio.Future[Bearer | None]] = {}
        self._lookups = asyncio.Semaphore(lookups)

    async def get(
        self,
        digest: str,
        revision: Callable[[], Awaitable[int]],
        lookup: Callable[[], Awaitable[tuple[int, Bearer | None]]],
    ) -> Bearer | None:
        """The bearer of a token's digest; `lookup` gives the revision it read and the answer."""
        while True:
            age = time.monotonic() - self._checked_at
            if age >= self.recheck and self._check is None:
                self._check = asyncio.ensure_future(self._read(revision))
                # Read in the background: a failure shows when a request next waits for one.
                self._check.add_done_callback(lambda done: done.cancelled() or done.exception())
            if age < self.trust or self._check is None:
                break
            await asyncio.shield(self._check)
        known = self._known.get(digest)
        if known is not None and known[0] == self._revision:
            if time.monotonic() - known[1] < self.lifetime:
                self._known.move_to_end(digest)
                return None if known[2].expired(datetime.now(UTC)) else known[2]
        elif self._refused.get(digest) == self._revision:
            self._refused.move_to_end(digest)
            return None
        flight = self._flights.get(digest)
        if flight is None:
            flight = self._flights[digest] = asyncio.ensure_future(self._look_up(digest, lookup))
        return await asyncio.shield(flight)

    def forget(self) -> None:
        """Wait for a fresh read of the revision before the next answer (a change made here)."""
        self._checked_at = -math.inf
        self._forgotten_at = time.monotonic()

    async def _read(self, revision: Callable[[], Awaitable[int]]) -> None:
        started = time.monotonic()
        try:
            current = await revision()
            if current != self._revision:
                self._known.clear()
                self._refused.clear()
                self._revision = current
            if started > self._forgotten_at:  # a read begun before a change here proves nothing
                self._checked_at = started
        finally:
            self._check = None

    async def _look_up(
        self, digest: str, lookup: Callable[[], Awaitable[tuple[int, Bearer | None]]]
    ) -> Bearer | None:
        try:
            async with self._lookups:
                revision, bearer = await lookup()
            if bearer is None:
                self._refused[digest] = revision
                while len(self._refused) > self.refused_size:
                    self._refused.popitem(last=False)
            else:
                self._known[digest] = (revision, time.monotonic(), bearer)
                while len(self._known) > self.size:
                    self._known.popitem(last=False)
            return bearer
        finally:
            self._flights.pop(digest, None)


class Caches:
    """One application's caches (two apps in one process, as in tests, never share answers)."""

    def __init__(self) -> None:
        self.tokens = TokenCache()
        # The status board is read far more often than it changes: a list lives 1–2 seconds.
        self.cycles = TtlCache[tuple[bytes, int]](ttl=2.0)
        # Buyers poll their list; an answer lives 2.5–5 s (refreshing fifty lists every second
        # or two cost the event loop its slowest percentile), and this replica forgets them all
        # when a task changes through it: only a change made through another replica waits.
        self.my_tasks = TtlCache[tuple[bytes, int]](ttl=5.0, size=4096)
