"""The authorizer against real RSA keys, served by a real HTTP server on 127.0.0.1.

Each test signs its own tokens; the server counts how often the public key is fetched so the
cache's refresh rules can be checked by number, with a fake clock for the rate-limit window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from lambdas import authorizer
from lambdas.waiting_room.gatekeeper import Gatekeeper, GenerationCache, StateUnavailable
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.keys import SigningKey, generate_key_material, parse_key_material
from lambdas.waiting_room.verification import (
    InvalidToken,
    KeyCache,
    KeysUnavailable,
    Verifier,
    http_fetch,
    keys_url,
    parse_keys,
)

EVENT_ID = "sample-event"
REQUEST_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcde12345/prod/POST/checkout"
API_RESOURCE = "arn:aws:execute-api:eu-west-1:123456789012:abcde12345/prod/*/*"


# Key generation takes tens of milliseconds; two pairs serve the whole module.
@pytest.fixture(scope="module")
def key() -> SigningKey:
    return parse_key_material(generate_key_material())


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return parse_key_material(generate_key_material())


@dataclass
class KeyServer:
    """What the fake public API serves, and what it was asked."""

    document: Any
    status: int = 200
    paths: list[str] = field(default_factory=list)
    url: str = ""
    # What /generation and /session_status answer (lambdas/admission.py).
    generation: int = 0
    # Per event, where an event's generation differs from `generation`.
    generations: dict[str, int] = field(default_factory=dict)
    open_sessions: set[str] = field(default_factory=set)
    state_paths: list[str] = field(default_factory=list)

    @property
    def fetches(self) -> int:
        """Fetches of the public key."""
        return len(self.paths)


@pytest.fixture
def key_server(key: SigningKey) -> Iterator[KeyServer]:
    state = KeyServer(document=key.public_jwk)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route, query = urlsplit(self.path).path.rsplit("/", 1)[-1], parse_qs(urlsplit(self.path).query)
            if route == "generation":
                state.state_paths.append(self.path)
                event = query["event_id"][0]
                document: Any = {"generation": state.generations.get(event, state.generation)}
            elif route == "session_status":
                state.state_paths.append(self.path)
                document = {"open": query["request_id"][0] in state.open_sessions}
            else:
                state.paths.append(self.path)
                document = state.document
            body = json.dumps(document).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # keep the test output quiet
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits for the loop to notice, once per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/prod"
    yield state
    server.shutdown()
    server.server_close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def verifier(key_server: KeyServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Verifier:
    """The handler's verifier, fetching from the local server, on a clock the test moves."""
    cache = KeyCache(http_fetch(keys_url(key_server.url, EVENT_ID)), clock=clock)
    built = Verifier(keys=cache, audience=EVENT_ID, issuer=key_server.url)
    monkeypatch.setattr(authorizer, "_verifier", lambda: built)
    gatekeeper = Gatekeeper(
        EVENT_ID, key_server.url, GenerationCache(_generation_fetch(key_server), clock=clock)
    )
    monkeypatch.setattr(authorizer, "_gatekeeper", lambda: gatekeeper)
    return built


def _generation_fetch(server: KeyServer) -> Any:
    return http_fetch(f"{server.url}/generation?event_id={EVENT_ID}")


def claims(issuer: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "aud": EVENT_ID,
        "sub": REQUEST_ID,
        "queue_position": 42,
        "token_use": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "iss": issuer,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(signer: SigningKey, payload: dict[str, Any], kid: str | None = None) -> str:
    return jwt.encode(payload, signer.private_key, algorithm="RS256", headers={"kid": kid or signer.kid})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None) -> str:
    """A token PyJWT would refuse to make: `alg: none`, or HMAC keyed with a public key."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def request_event(authorization: str | None, header_name: str = "Authorization") -> dict[str, Any]:
    headers = {} if authorization is None else {header_name: authorization}
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers, "httpMethod": "POST"}


def assert_unauthorized(event: dict[str, Any]) -> None:
    with pytest.raises(Exception) as caught:
        authorizer.handler(event, None)
    # API Gateway answers 401 only for exactly this message; any other error becomes a 500.
    assert type(caught.value) is Exception
    assert str(caught.value) == "Unauthorized"


# -- allowed ----------------------------------------------------------------------------------------


def test_valid_token_is_allowed_for_the_whole_api_and_nothing_else(
    verifier: Verifier, key: SigningKey, key_server: KeyServer
) -> None:
    token = sign(key, claims(key_server.url))

    result = authorizer.handler(request_event(f"Bearer {token}"), None)

    assert result["principalId"] == REQUEST_ID
    (statement,) = result["policyDocument"]["Statement"]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": API_RESOURCE}
    assert result["context"]["queue_position"] == 42
    assert all(isinstance(v, str | int | bool) for v in result["context"].values())
    # The key was fetched once, for this event.
    assert key_server.fetches == 1
    assert parse_qs(urlsplit(key_server.paths[0]).query) == {"event_id": [EVENT_ID]}
    assert urlsplit(key_server.paths[0]).path == "/prod/public_key"


def test_keys_are_cached_between_requests(verifier: Verifier, key: SigningKey, key_server: KeyServer) -> None:
    for _ in range(5):
        authorizer.handler(request_event(f"Bearer {sign(key, claims(key_server.url))}"), None)
    assert key_server.fetches == 1


@pytest.mark.parametrize("header_name", ["authorization", "AUTHORIZATION", "Authorization"])
def test_header_name_is_case_insensitive(
    verifier: Verifier, key: SigningKey, key_server: KeyServer, header_name: str
) -> None:
    token = sign(key, claims(key_server.url))
    result = authorizer.handler(request_event(f"bearer {token}", header_name), None)
    assert result["principalId"] == REQUEST_ID


def test_bare_token_and_token_authorizer_event(
    verifier: Verifier, key: SigningKey, key_server: KeyServer
) -> None:
    token = sign(key, claims(key_server.url))
    assert authorizer.handler(request_event(token), None)["principalId"] == REQUEST_ID
    token_event = {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": METHOD_ARN}
    assert authorizer.handler(token_event, None)["principalId"] == REQUEST_ID


def test_jwks_document_is_accepted(key: SigningKey, other_key: SigningKey, key_server: KeyServer) -> None:
    key_server.document = {"keys": [other_key.public_jwk, key.public_jwk]}
    cache = KeyCache(http_fetch(keys_url(key_server.url, EVENT_ID)))
    verifier = Verifier(keys=cache, audience=EVENT_ID, issuer=key_server.url)
    assert verifier.verify(sign(key, claims(key_server.url))).subject == REQUEST_ID
    assert verifier.verify(sign(other_key, claims(key_server.url))).subject == REQUEST_ID
    assert key_server.fetches == 1


def test_verifier_is_built_from_the_environment(
    key: SigningKey, key_server: KeyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENT_ID", EVENT_ID)
    monkeypatch.setenv("PUBLIC_API_URL", key_server.url + "/")
    monkeypatch.setenv("ISSUER", "")
    authorizer._verifier.cache_clear()
    try:
        # With ISSUER empty the issuer is the public API URL as configured.
        token = sign(key, claims(key_server.url + "/"))
        assert authorizer.handler(request_event(f"Bearer {token}"), None)["principalId"] == REQUEST_ID
        monkeypatch.setenv("ISSUER", "https://issuer.example")
        authorizer._verifier.cache_clear()
        assert_unauthorized(request_event(f"Bearer {token}"))
        good = sign(key, claims("https://issuer.example"))
        assert authorizer.handler(request_event(f"Bearer {good}"), None)["principalId"] == REQUEST_ID
    finally:
        authorizer._verifier.cache_clear()


# -- refused ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b", "not-a-jwt", "Bearer x.y.z"],
)
def test_missing_or_malformed_header(
    verifier: Verifier, key_server: KeyServer, authorization: str | None
) -> None:
    assert_unauthorized(request_event(authorization))
    # Garbage is refused on its own looks: it costs no key fetch.
    assert key_server.fetches == 0


def test_no_headers_at_all(verifier: Verifier) -> None:
    assert_unauthorized({"type": "REQUEST", "methodArn": METHOD_ARN, "headers": None})


def test_signed_by_another_key_with_the_same_kid(
    verifier: Verifier, key: SigningKey, other_key: SigningKey, key_server: KeyServer
) -> None:
    forged = sign(other_key, claims(key_server.url), kid=key.kid)
    assert_unauthorized(request_event(f"Bearer {forged}"))


def test_signed_by_another_key_with_its_own_kid(
    verifier: Verifier, other_key: SigningKey, key_server: KeyServer
) -> None:
    forged = sign(other_key, claims(key_server.url))
    assert_unauthorized(request_event(f"Bearer {forged}"))


def test_alg_none_is_refused(verifier: Verifier, key: SigningKey, key_server: KeyServer) -> None:
    token = handmade({"alg": "none", "typ": "JWT", "kid": key.kid}, claims(key_server.url), None)
    assert_unauthorized(request_event(f"Bearer {token}"))
    assert key_server.fetches == 0


def test_hs256_signed_with_the_public_key_is_refused(
    verifier: Verifier, key: SigningKey, key_server: KeyServer
) -> None:
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The classic confusion attack: a verifier that lets the header pick the algorithm would
    # check this HMAC with the public key it holds, and accept it.
    token = handmade({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims(key_server.url), public_pem)
    assert_unauthorized(request_event(f"Bearer {token}"))
    # The same token is refused by the verifier's own signature check, not only the header rule.
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, key=parse_keys(key.public_jwk)[key.kid], algorithms=["RS256"], audience=EVENT_ID)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(lambda now: {"exp": now - 60}, id="expired"),
        pytest.param(lambda now: {"nbf": now + 60}, id="not-yet-valid"),
        pytest.param(lambda now: {"aud": "another-event"}, id="wrong-audience"),
        pytest.param(lambda now: {"aud": [EVENT_ID, "another-event"]}, id="audience-list"),
        pytest.param(lambda now: {"iss": "https://evil.example"}, id="wrong-issuer"),
        pytest.param(lambda now: {"token_use": "id"}, id="id-token"),
        pytest.param(lambda now: {"token_use": "refresh"}, id="refresh-token"),
        pytest.param(lambda now: {"token_use": None}, id="no-token-use"),
        pytest.param(lambda now: {"sub": None}, id="no-subject"),
        pytest.param(lambda now: {"sub": ""}, id="empty-subject"),
        pytest.param(lambda now: {"exp": None}, id="no-exp"),
        pytest.param(lambda now: {"nbf": None}, id="no-nbf"),
        pytest.param(lambda now: {"queue_position": "42"}, id="position-not-an-integer"),
    ],
)
def test_bad_claims_are_refused(
    verifier: Verifier, key: SigningKey, key_server: KeyServer, overrides: Callable[[int], dict[str, Any]]
) -> None:
    # Checked first with the same key and no override, so the refusal is the claim's doing.
    assert authorizer.handler(request_event(sign(key, claims(key_server.url))), None)
    # Times are taken when the test runs, not when it is collected (minutes earlier in a full run).
    token = sign(key, claims(key_server.url, **overrides(int(time.time()))))
    assert_unauthorized(request_event(f"Bearer {token}"))


def test_token_without_kid_is_refused(verifier: Verifier, key: SigningKey, key_server: KeyServer) -> None:
    token = jwt.encode(claims(key_server.url), key.private_key, algorithm="RS256")
    assert_unauthorized(request_event(f"Bearer {token}"))


def test_method_arn_that_names_no_api_is_refused(
    verifier: Verifier, key: SigningKey, key_server: KeyServer
) -> None:
    token = sign(key, claims(key_server.url))
    for arn in ("", "*", "arn:aws:execute-api:eu-west-1:123456789012:*", "arn:aws:s3:::bucket/x/y"):
        event = request_event(f"Bearer {token}")
        event["methodArn"] = arn
        assert_unauthorized(event)


def test_refusals_do_not_log_the_token(verifier: Verifier, key: SigningKey, key_server: KeyServer) -> None:
    # Powertools bound its handler to stdout at import; a second handler with the same formatter
    # sees exactly the JSON lines Lambda would ship to CloudWatch, extras included.
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.service).addHandler(capture)
    try:
        token = sign(key, claims(key_server.url, aud="another-event"))
        assert_unauthorized(request_event(f"Bearer {token}"))
        assert_unauthorized(request_event(f"Bearer {token}x"))
    finally:
        logging.getLogger(logger.service).removeHandler(capture)
    logged = stream.getvalue()
    assert logged.count("token refused") == 2  # the refusals are logged ...
    assert "InvalidAudienceError" in logged
    for part in token.split("."):
        assert part not in logged  # ... without any part of the token
    assert REQUEST_ID not in logged


# -- key refresh --------------------------------------------------------------------------------------


def test_unknown_kid_refreshes_once_then_rate_limits(
    verifier: Verifier, key: SigningKey, other_key: SigningKey, key_server: KeyServer, clock: FakeClock
) -> None:
    authorizer.handler(request_event(sign(key, claims(key_server.url))), None)
    assert key_server.fetches == 1

    clock.now += 60
    assert_unauthorized(request_event(sign(other_key, claims(key_server.url), kid="forged-1")))
    assert key_server.fetches == 2  # exactly one refresh for the unknown kid

    clock.now += 5
    assert_unauthorized(request_event(sign(other_key, claims(key_server.url), kid="forged-2")))
    assert key_server.fetches == 2  # inside the window: no fetch at all

    # Known keys keep working while refreshes are held back.
    authorizer.handler(request_event(sign(key, claims(key_server.url))), None)
    assert key_server.fetches == 2

    clock.now += 10
    assert_unauthorized(request_event(sign(other_key, claims(key_server.url), kid="forged-3")))
    assert key_server.fetches == 3  # the window passed: one more refresh


def test_rotated_key_is_picked_up_by_the_refresh(
    verifier: Verifier, key: SigningKey, other_key: SigningKey, key_server: KeyServer, clock: FakeClock
) -> None:
    authorizer.handler(request_event(sign(key, claims(key_server.url))), None)
    key_server.document = other_key.public_jwk
    clock.now += 60
    result = authorizer.handler(request_event(sign(other_key, claims(key_server.url))), None)
    assert result["principalId"] == REQUEST_ID
    assert key_server.fetches == 2


def test_failed_refresh_keeps_the_known_keys(
    key: SigningKey, key_server: KeyServer, clock: FakeClock
) -> None:
    cache = KeyCache(http_fetch(keys_url(key_server.url, EVENT_ID)), clock=clock, max_age_seconds=100)
    verifier = Verifier(keys=cache, audience=EVENT_ID, issuer=key_server.url)
    token = sign(key, claims(key_server.url))
    verifier.verify(token)
    key_server.status = 503
    clock.now += 200  # past max age: the cache tries to re-read, the server fails
    assert verifier.verify(token).subject == REQUEST_ID
    assert key_server.fetches == 2


def test_no_key_at_all_is_an_outage_not_a_refusal(
    key: SigningKey, key_server: KeyServer, clock: FakeClock
) -> None:
    key_server.status = 503
    cache = KeyCache(http_fetch(keys_url(key_server.url, EVENT_ID)), clock=clock)
    verifier = Verifier(keys=cache, audience=EVENT_ID, issuer=key_server.url)
    token = sign(key, claims(key_server.url))
    with pytest.raises(KeysUnavailable):
        verifier.verify(token)
    # A down public API is not hammered: the next attempt waits for the window.
    with pytest.raises(KeysUnavailable):
        verifier.verify(token)
    assert key_server.fetches == 1
    key_server.status = 200
    clock.now += 10
    assert verifier.verify(token).queue_position == 42


def test_parse_keys_keeps_only_rs256_signing_keys(key: SigningKey, other_key: SigningKey) -> None:
    hmac_key = {"kty": "oct", "kid": "h", "k": b64url(b"secret")}
    rs512 = {**other_key.public_jwk, "kid": "rs512", "alg": "RS512"}
    encryption = {**other_key.public_jwk, "kid": "enc", "use": "enc"}
    keys = parse_keys({"keys": [hmac_key, rs512, encryption, key.public_jwk, "junk"]})
    assert list(keys) == [key.kid]
    with pytest.raises(ValueError):
        parse_keys(["not", "a", "jwk"])


def test_http_fetch_refuses_other_schemes() -> None:
    with pytest.raises(ValueError):
        http_fetch("file:///etc/passwd")


def test_verifier_reports_the_failed_check(
    verifier: Verifier, key: SigningKey, key_server: KeyServer
) -> None:
    with pytest.raises(InvalidToken, match="ExpiredSignatureError"):
        verifier.verify(sign(key, claims(key_server.url, exp=int(time.time()) - 60)))
    with pytest.raises(InvalidToken, match="InvalidAudienceError"):
        verifier.verify(sign(key, claims(key_server.url, aud="x")))


# -- reset and closed sessions (lambdas/waiting_room/gatekeeper.py) ----------------------------------


def test_a_token_issued_before_the_last_reset_is_refused(
    verifier: Verifier, key: SigningKey, key_server: KeyServer, clock: FakeClock
) -> None:
    before = sign(key, claims(key_server.url, generation=0))
    assert authorizer.handler(request_event(before), None)["principalId"] == REQUEST_ID
    key_server.generation = 1_700_000_000_000  # a reset: the generation is its time in ms
    # Within the cache's second the old answer stands; one fetch serves every token of the event.
    assert authorizer.handler(request_event(before), None)["principalId"] == REQUEST_ID
    assert len(key_server.state_paths) == 1
    clock.now += 1.0
    assert_unauthorized(request_event(before))
    after = sign(key, claims(key_server.url, generation=1_700_000_000_000))
    assert authorizer.handler(request_event(after), None)["principalId"] == REQUEST_ID
    assert len(key_server.state_paths) == 2
    # A token without the claim predates generations: it passes only while no reset happened.
    assert_unauthorized(request_event(sign(key, claims(key_server.url))))


def test_a_generation_claim_that_is_not_an_integer_is_refused(
    verifier: Verifier, key: SigningKey, key_server: KeyServer
) -> None:
    for bad in ("5", 1.5, True):
        assert_unauthorized(request_event(sign(key, claims(key_server.url, generation=bad))))


def test_an_unreachable_generation_keeps_the_last_known_and_never_guesses_the_first(
    verifier: Verifier, key: SigningKey, key_server: KeyServer, clock: FakeClock
) -> None:
    token = sign(key, claims(key_server.url))
    assert authorizer.handler(request_event(token), None)["principalId"] == REQUEST_ID
    key_server.status = 503
    clock.now += 1.0
    assert authorizer.handler(request_event(token), None)["principalId"] == REQUEST_ID
    assert len(key_server.state_paths) == 2  # it asked, and kept generation 0 when refused
    fresh = GenerationCache(_generation_fetch(key_server), clock=clock)
    with pytest.raises(StateUnavailable):
        fresh.current()


def test_every_token_of_a_deleted_event_is_refused(
    verifier: Verifier, key: SigningKey, key_server: KeyServer, clock: FakeClock
) -> None:
    key_server.generation = 5
    token = sign(key, claims(key_server.url, generation=5))
    assert authorizer.handler(request_event(token), None)["principalId"] == REQUEST_ID
    key_server.status = 400  # DELETE /events/{event_id}: the public API knows the event no more
    clock.now += 1.0
    assert_unauthorized(request_event(token))
    # Created again, the event starts a new generation: only tokens issued since then pass.
    key_server.status, key_server.generation = 200, 9
    clock.now += 1.0
    assert_unauthorized(request_event(token))
    fresh = sign(key, claims(key_server.url, generation=9))
    assert authorizer.handler(request_event(fresh), None)["principalId"] == REQUEST_ID


def test_deny_closed_sessions_asks_the_public_api_about_this_token(
    verifier: Verifier, key: SigningKey, key_server: KeyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sign(key, claims(key_server.url))
    strict = Gatekeeper(
        EVENT_ID, key_server.url, authorizer._gatekeeper().generation, deny_closed_sessions=True
    )
    monkeypatch.setattr(authorizer, "_gatekeeper", lambda: strict)
    key_server.open_sessions.add(REQUEST_ID)
    assert authorizer.handler(request_event(token), None)["principalId"] == REQUEST_ID
    key_server.open_sessions.clear()  # /update_session closed it
    assert_unauthorized(request_event(token))
    session_queries = [parse_qs(urlsplit(p).query) for p in key_server.state_paths if "session_status" in p]
    assert session_queries[-1] == {"event_id": [EVENT_ID], "request_id": [REQUEST_ID]}
    assert len(session_queries) == 2  # one per authorization; API Gateway's result cache bounds them
    key_server.status = 503  # an outage is not the visitor's fault: not a 401
    with pytest.raises(StateUnavailable):
        authorizer.handler(request_event(token), None)


def test_deny_closed_sessions_is_read_from_the_catalog_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_ID", EVENT_ID)
    monkeypatch.setenv("PUBLIC_API_URL", "https://example.invalid/prod")
    for value, expected in (("true", True), ("", False), ("false", False)):
        monkeypatch.setenv("DENY_CLOSED_SESSIONS", value)
        authorizer._gatekeeper.cache_clear()
        assert authorizer._gatekeeper().deny_closed_sessions is expected
    authorizer._gatekeeper.cache_clear()


# -- one deployment, many events: a token opens only its own event's API ---------------------------


def test_a_token_of_one_event_is_refused_by_another_events_authorizer(
    key: SigningKey, key_server: KeyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Same key, same issuer, each token of its event's current generation: only `aud` differs.
    key_server.generations = {"event-a": 5, "event-b": 9}
    key_server.open_sessions.add(REQUEST_ID)
    monkeypatch.setenv("PUBLIC_API_URL", key_server.url)
    monkeypatch.setenv("ISSUER", "")
    monkeypatch.setenv("DENY_CLOSED_SESSIONS", "true")
    tokens = {
        event: sign(key, claims(key_server.url, aud=event, generation=generation))
        for event, generation in key_server.generations.items()
    }
    try:
        for configured in tokens:
            # The authorizer of `configured`, built from its environment as Lambda builds it.
            monkeypatch.setenv("EVENT_ID", configured)
            authorizer._verifier.cache_clear()
            authorizer._gatekeeper.cache_clear()
            key_server.state_paths.clear()
            for event, token in tokens.items():
                if event == configured:
                    allowed = authorizer.handler(request_event(f"Bearer {token}"), None)
                    assert allowed["context"]["event_id"] == event
                else:
                    assert_unauthorized(request_event(f"Bearer {token}"))
            # The reset and session checks asked about the accepted token's own event only.
            asked = {parse_qs(urlsplit(path).query)["event_id"][0] for path in key_server.state_paths}
            assert asked == {configured}
    finally:
        authorizer._verifier.cache_clear()
        authorizer._gatekeeper.cache_clear()


def test_the_gatekeeper_refuses_a_token_of_another_event(
    key: SigningKey, key_server: KeyServer, clock: FakeClock
) -> None:
    # The verifier refuses such a token first; the gatekeeper does not rely on it, because this
    # event's generation and sessions say nothing about another event's token.
    gatekeeper = Gatekeeper(
        EVENT_ID, key_server.url, GenerationCache(_generation_fetch(key_server), clock=clock)
    )
    own = Verifier(KeyCache(http_fetch(keys_url(key_server.url, EVENT_ID))), EVENT_ID, key_server.url)
    gatekeeper.check(own.verify(sign(key, claims(key_server.url))))
    other = Verifier(KeyCache(http_fetch(keys_url(key_server.url, "event-b"))), "event-b", key_server.url)
    with pytest.raises(InvalidToken, match="another event"):
        gatekeeper.check(other.verify(sign(key, claims(key_server.url, aud="event-b"))))


# -- the issuer's tokens ------------------------------------------------------------------------------


def test_tokens_of_the_issuer_pass_only_as_access_tokens(
    verifier: Verifier, key: SigningKey, key_server: KeyServer
) -> None:
    # The contract between lambdas.waiting_room.tokens and this verifier, checked on real output:
    # if either side drifts (a claim renamed, the kid dropped), this fails.
    from lambdas.waiting_room.records import TokenRecord
    from lambdas.waiting_room.tokens import sign as issue

    now = int(time.time())
    record = TokenRecord(
        request_id=REQUEST_ID,
        event_id=EVENT_ID,
        generation=1,
        position=17,
        issued_at=now,
        expires_at=now + 600,
        issuer=key_server.url,
    )
    issued = issue(record, key, now)
    allowed = authorizer.handler(request_event(f"{issued['token_type']} {issued['access_token']}"), None)
    assert allowed["principalId"] == REQUEST_ID
    assert allowed["context"]["queue_position"] == 17
    for other in ("id_token", "refresh_token"):
        assert_unauthorized(request_event(f"Bearer {issued[other]}"))
