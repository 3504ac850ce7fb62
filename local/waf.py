"""`vwr local --waf`: the stack's default WAF rule on the entry route, imitated in the gateway.

The same limit and window as the web ACL's `EntryRateLimitPerIp` rule (lambdas/catalog.py), the
same 429 answer. Off by default: every local visitor (a browser, `vwr load`) shares one address,
so the limit would stop a load test long before the waiting room's own limits show.

AWS WAF counts over a trailing window and acts within seconds; this counts each address's
entries of the last window exactly, which is the rule as written, a little stricter in time.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from lambdas.catalog import ENTRY_RATE_LIMIT_PER_IP, ENTRY_RATE_WINDOW_SECONDS, RATE_LIMITED_ERROR

BLOCKED_BODY = {"error": RATE_LIMITED_ERROR}


class EntryRateLimit:
    def __init__(
        self,
        limit: int = ENTRY_RATE_LIMIT_PER_IP,
        window_seconds: float = ENTRY_RATE_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allows(self, address: str) -> bool:
        """Counts one entry from `address`; False once it made `limit` in the window (a blocked
        request counts too, as in WAF: a client that keeps trying stays blocked)."""
        now = self._clock()
        with self._lock:
            seen = self._seen[address]
            while seen and seen[0] <= now - self.window_seconds:
                seen.popleft()
            seen.append(now)
            if len(seen) > self.limit:
                # Only the newest `limit + 1` times matter: keep memory bounded per address.
                seen.popleft()
                return False
            return True
