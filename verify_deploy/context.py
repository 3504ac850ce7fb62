"""What every check of `vwr verify-deploy` is given and gives back.

A check gets a `Context`: the deployment, HTTP to its public and (SigV4-signed) private API, a
progress callback, the list of removals of what the checks created, and what earlier checks of
the journey found. It gives back a `Result`: pass, fail with advice, or skip with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from lambdas.catalog import PAGE_CONTENT_TYPE
from verify_deploy.deployment import Deployment

Status = Literal["pass", "fail", "skip"]
# What every failure caused by the cache looks like from outside, and where to look.
CACHE_ADVICE = (
    "the functions cannot use the cache (Redis/Valkey): see DEPLOY.md pre-flight 1-3 (the users and "
    "user group, TLS, the security group's ports, WRONGPASS/NOAUTH in the InitializeState log)"
)


@dataclass(frozen=True)
class Result:
    status: Status
    detail: str
    advice: str = ""


def passed(detail: str) -> Result:
    return Result("pass", detail)


def failed(detail: str, advice: str) -> Result:
    return Result("fail", detail, advice)


def skipped(reason: str) -> Result:
    return Result("skip", reason)


@dataclass(frozen=True)
class Removal:
    what: str
    remove: Callable[[], None]
    # The throw-away event itself, which --keep leaves for inspection.
    is_event: bool = False


@dataclass
class Options:
    position_timeout: float = 30.0
    event_timeout: float = 30.0
    http_timeout: float = 10.0
    poll_every: float = 0.5


@dataclass
class Context:
    deployment: Deployment
    options: Options = field(default_factory=Options)
    http: requests.Session = field(default_factory=requests.Session)
    # Called with a short line while a check waits (the report shows it as a progress line).
    progress: Callable[[str], None] = lambda _line: None
    # Removals of what the checks created, run last to first (run.py), even on failure or Ctrl-C.
    cleanup: list[Removal] = field(default_factory=list)
    # What the journey found, for the checks after it.
    throwaway_event: str | None = None
    request_id: str | None = None
    queue_number: int | None = None
    access_token: str | None = None
    bus_queue_url: str | None = None

    # -- HTTP ---------------------------------------------------------------------------------------

    def public(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(
            method, self.deployment.public_api + path, timeout=self.options.http_timeout, **kwargs
        )

    def page_post(self, path: str, body: dict[str, Any]) -> requests.Response:
        """A POST to the public API as the waiting room page sends it: JSON as text/plain (no CORS
        preflight), so the check proves the mapping the page relies on."""
        return self.public("POST", path, data=json.dumps(body), headers={"Content-Type": PAGE_CONTENT_TYPE})

    def signed(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> requests.Response:
        """A SigV4-signed call to the private API with the caller's credentials."""
        prepared = requests.Request(method, self.deployment.private_api + path, params=params).prepare()
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = AWSRequest(method=method, url=prepared.url, data=data, headers=headers)
        credentials = self.deployment.session.get_credentials()
        if credentials is None:
            raise NoCredentials()
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", self.deployment.region).add_auth(
            request
        )
        return self.http.request(
            method,
            prepared.url,
            data=data or None,
            headers=dict(request.headers.items()),
            timeout=self.options.http_timeout,
        )


class NoCredentials(Exception):
    def __str__(self) -> str:
        return "no AWS credentials found (environment, profile, SSO or instance role)"


def said(answer: requests.Response) -> str:
    """An answer in a few words: its status and its error, never more than a line."""
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        error = None
    text = f"{answer.status_code}" + (f" {error!r}" if error else "")
    return text[:160]


def server_fault_advice(answer: requests.Response, function: str) -> str:
    if answer.status_code == 503:
        return "the answer was 503: the event's state is being rebuilt, or " + CACHE_ADVICE
    return f"a function failed: see the {function} log group; most often after a deploy, {CACHE_ADVICE}"
