"""Clients that behave exactly as the retired solution's page and control panel (REFERENCE.md).

They know only what those clients knew: base URLs to which they append `/route` (so a trailing
slash would make `//route`), the page's calls and its retries, the panel's SigV4-signed reads and
its reading of `/expired_tokens` as an array whose length it shows. Nothing here knows this
product's additions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests

from local.testing import Runtime

TIMEOUT = 10.0


def route(base_url: str, path: str) -> str:
    """What the retired clients did: the advertised base URL, then `/route`."""
    return base_url + path


@dataclass
class RetiredPage:
    """The waiting-room page, configured by `publicApiUrl`, `eventId` and `commerceApiUrl`."""

    public_api_url: str
    event_id: str
    commerce_api_url: str
    # Status codes of every store call, retries included.
    store_attempts: list[int] = field(default_factory=list)

    def enter(self) -> str:
        answer = requests.post(
            route(self.public_api_url, "/assign_queue_num"), json={"event_id": self.event_id}, timeout=TIMEOUT
        )
        answer.raise_for_status()
        return answer.json()["api_request_id"]

    def queue_number(self, request_id: str, *, within: float = 20.0) -> int:
        deadline = time.monotonic() + within
        while True:
            answer = requests.get(
                route(self.public_api_url, "/queue_num"),
                params={"event_id": self.event_id, "request_id": request_id},
                timeout=TIMEOUT,
            )
            if answer.status_code == 200:
                return int(answer.json()["queue_number"])
            assert time.monotonic() < deadline, f"no queue number: {answer.status_code} {answer.text}"
            time.sleep(0.2)

    def serving_number(self) -> int:
        answer = requests.get(
            route(self.public_api_url, "/serving_num"), params={"event_id": self.event_id}, timeout=TIMEOUT
        )
        answer.raise_for_status()
        return int(answer.json()["serving_counter"])

    def waiting_number(self) -> int:
        answer = requests.get(
            route(self.public_api_url, "/waiting_num"), params={"event_id": self.event_id}, timeout=TIMEOUT
        )
        answer.raise_for_status()
        return int(answer.json()["waiting_num"])

    def access_token(self, request_id: str) -> str:
        answer = requests.post(
            route(self.public_api_url, "/generate_token"),
            json={"event_id": self.event_id, "request_id": request_id},
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    def checkout(self, access_token: str) -> requests.Response:
        return self.store("/checkout", access_token)

    def store(
        self, path: str, access_token: str, *, retries: int = 3, first_delay: float = 0.25
    ) -> requests.Response:
        """`GET {commerceApiUrl}/checkout` (or another store route) with the token as the whole
        `Authorization` header (no `Bearer`), retried three times with exponential back-off."""
        for attempt in range(retries + 1):
            answer = requests.get(
                route(self.commerce_api_url, path), headers={"Authorization": access_token}, timeout=TIMEOUT
            )
            self.store_attempts.append(answer.status_code)
            if answer.ok or attempt == retries:
                return answer
            time.sleep(first_delay * 2**attempt)
        raise AssertionError("unreachable")


@dataclass
class RetiredPanel:
    """The control panel, configured by `publicApiUrl`, `privateApiUrl`, `regionName`, `eventId`,
    signing with the keys typed into its form (SigV4, service `execute-api`)."""

    runtime: Runtime
    public_api_url: str
    private_api_url: str
    event_id: str

    def _private(self, path: str) -> requests.Response:
        return self.runtime.signed(
            "GET", route(self.private_api_url, path), params={"event_id": self.event_id}
        )

    def expired_tokens_shown(self) -> int:
        """The panel's expired-tokens figure: the length of the array `/expired_tokens` returns."""
        answer = self._private("/expired_tokens")
        answer.raise_for_status()
        return len(answer.json())

    def active_tokens_shown(self) -> int:
        answer = self._private("/num_active_tokens")
        answer.raise_for_status()
        return int(answer.json()["active_tokens"])


def retired_page(runtime: Runtime) -> RetiredPage:
    """The page as the sample's query string configures it, from the runtime's advertised URLs."""
    return RetiredPage(runtime.public_api, runtime.event_id, runtime.store_api)


def retired_panel(runtime: Runtime) -> RetiredPanel:
    return RetiredPanel(runtime, runtime.public_api, runtime.private_api, runtime.event_id)
