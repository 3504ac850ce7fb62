"""The CDN in front of the public API, as the wiring table's cache policies describe it.

CloudFront keys a cached answer on the method, the path and the query strings the policy names,
keeps it for the policy's TTL, and forwards only those query strings to the origin. Only 200
answers are kept (a 202 "not yet" must reach the origin again), and an answer that says
`Cache-Control: no-store` or `private` is never kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdas.catalog import CachePolicy

# A bound on memory: a burst of distinct visitors must not grow the cache without limit.
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class Cached:
    status: int
    headers: Mapping[str, str]
    body: bytes
    expires_at: float


def forwarded_query(policy: CachePolicy, query: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The query strings CloudFront passes to the origin: those in the cache key, nothing else."""
    return [(name, value) for name, value in query if name in policy.query_keys]


def cache_key(
    method: str, path: str, policy: CachePolicy, query: Sequence[tuple[str, str]]
) -> tuple[Any, ...]:
    # Names sorted, but a repeated name's values kept in their order: API Gateway hands the origin
    # the last one, so `a=1&a=2` and `a=2&a=1` are different requests.
    kept = tuple(sorted(forwarded_query(policy, query), key=lambda pair: pair[0]))
    return (method, path, kept)


def _cacheable(status: int, headers: Mapping[str, str]) -> bool:
    if status != 200:
        return False
    control = next((v for k, v in headers.items() if k.lower() == "cache-control"), "").lower()
    return "no-store" not in control and "private" not in control and "no-cache" not in control


class Cdn:
    """A TTL cache shared by every request, safe across the gateway's threads."""

    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        max_ttl_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: dict[tuple[Any, ...], Cached] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._max_ttl = max_ttl_seconds
        self._clock = clock

    def ttl_of(self, policy: CachePolicy) -> float:
        """How long an answer under this policy is kept: the policy's TTL, under the cap if any."""
        return policy.ttl_seconds if self._max_ttl is None else min(policy.ttl_seconds, self._max_ttl)

    def get(self, key: tuple[Any, ...]) -> Cached | None:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= now:
                del self._entries[key]
                return None
            return entry

    def put(
        self, key: tuple[Any, ...], policy: CachePolicy, status: int, headers: Mapping[str, str], body: bytes
    ) -> bool:
        """Keeps the answer if CloudFront would; says whether it did."""
        ttl = self.ttl_of(policy)
        if ttl <= 0 or not _cacheable(status, headers):
            return False
        now = self._clock()
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._evict(now)
            self._entries[key] = Cached(status, dict(headers), body, now + ttl)
        return True

    def _evict(self, now: float) -> None:
        expired = [key for key, entry in self._entries.items() if entry.expires_at <= now]
        for key in expired:
            del self._entries[key]
        if len(self._entries) >= self._max_entries:
            # Still full of live entries: drop the oldest half rather than refuse to cache.
            for key in list(self._entries)[: len(self._entries) // 2]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
