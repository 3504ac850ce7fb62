"""The browser's SigV4 signer (control_panel/sigv4.js) and botocore's SigV4Auth sign alike.

The same requests, the same credentials and the same fixed clock on both sides: the canonical
request, the string to sign and the Authorization header must be identical.
"""

from __future__ import annotations

import datetime
import html
import json
from unittest import mock
from urllib.parse import quote, urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2026, 11, 23, 10, 41, 7)
REGION = "eu-west-3"
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////wEaDH9example+session/token=="
HOST = "https://abc123.execute-api.eu-west-3.amazonaws.com"


def _body(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


CASES = [
    pytest.param("GET", "/prod/counters", {"event_id": "Sample"}, None, id="get-simple"),
    pytest.param(
        "GET",
        "/prod/expired_tokens",
        {"event_id": "Sample", "limit": "50", "cursor": "a b/c+d=e&f"},
        None,
        id="get-reserved-characters",
    ),
    pytest.param(
        "GET",
        "/prod/num_active_tokens",
        {"event_id": "Événement 🎟️", "a-b": "2", "a": "1"},
        None,
        id="get-unicode-and-prefix-keys",
    ),
    pytest.param(
        "GET",
        "/prod/list",
        [("z", "1"), ("a", "2"), ("a", "1"), ("A", "0"), ("empty", "")],
        None,
        id="get-repeated-keys",
    ),
    pytest.param(
        "POST",
        "/prod/increment_serving_counter",
        {},
        _body({"event_id": "Sample", "increment_by": 25}),
        id="post-json",
    ),
    pytest.param(
        "POST", "/prod/reset_initial_state", {}, _body({"event_id": "Fête à Zoë — 日本"}), id="post-unicode"
    ),
    pytest.param(
        "POST",
        "/prod/update_session",
        {"dry": "true"},
        _body({"status": -1, "note": "emoji 😀"}),
        id="post-query-and-emoji",
    ),
    pytest.param("PUT", "/prod/a path/with ümlaut/", {}, "plain text body", id="put-encoded-path"),
    pytest.param("DELETE", "/prod/things/42", {"reason": "~tilde_and-dash.ok*'()!"}, None, id="delete"),
    pytest.param("GET", "/prod//double//slash/./x/../y", {}, None, id="get-dot-segments"),
    pytest.param("GET", "/", {}, None, id="get-root"),
]


def _show_case(page, url, got, expected, canonical) -> None:
    """The case on the page (for its screenshot): the canonical requests and both headers."""
    authorization = got["headers"]["Authorization"]
    same = got["canonicalRequest"] == canonical and authorization == expected["Authorization"]
    page.set_content(
        "<style>body{font:14px system-ui;margin:24px;color:#172033}pre{background:#f3f5fb;padding:12px;"
        "border-radius:8px;white-space:pre-wrap;word-break:break-all}.ok{color:#0f7b52}.bad{color:#b42318}</style>"
        f"<h1 class={'ok' if same else 'bad'}>{'Identical' if same else 'DIFFERENT'}</h1>"
        f"<p><code>{html.escape(url)}</code></p>"
        f"<h2>Browser</h2><pre>{html.escape(got['canonicalRequest'])}\n\n"
        f"{html.escape(got['headers']['Authorization'])}</pre>"
        f"<h2>botocore</h2><pre>{html.escape(canonical)}\n\n{html.escape(expected['Authorization'])}</pre>"
    )


@pytest.fixture
def signer_page(page, static_server):
    page.goto(f"{static_server}/control_panel/sigv4.js")
    return page


def _botocore(method, path, params, body, token):
    url = HOST + quote(path, safe="/")
    # The URL carries the query in strict (RFC 3986) encoding, as the control panel builds it.
    pairs = params.items() if isinstance(params, dict) else params
    if pairs:
        url += "?" + urlencode(list(pairs), quote_via=quote, safe="-_.~")
    request = AWSRequest(method=method, url=url, data=body.encode() if body is not None else None)
    auth = SigV4Auth(Credentials(KEY_ID, SECRET, token), "execute-api", REGION)
    with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED):
        auth.add_auth(request)
    headers = dict(request.headers)
    del request.headers["Authorization"]  # the canonical request as it was when signed
    canonical = auth.canonical_request(request)
    return url, headers, canonical


@pytest.mark.parametrize("token", [None, TOKEN], ids=["long-term", "session-token"])
@pytest.mark.parametrize(("method", "path", "params", "body"), CASES)
def test_browser_signs_like_botocore(signer_page, screenshot, method, path, params, body, token):
    url, expected, canonical = _botocore(method, path, params, body, token)
    got = signer_page.evaluate(
        """async ({url, method, body, token, region, keyId, secret, date}) => {
            const m = await import('/control_panel/sigv4.js');
            const credentials = {accessKeyId: keyId, secretAccessKey: secret};
            if (token) credentials.sessionToken = token;
            return m.signRequest({method, url, body: body ?? undefined, credentials, region,
                                  date: new Date(date)});
        }""",
        {
            "url": url,
            "method": method,
            "body": body,
            "token": token,
            "region": REGION,
            "keyId": KEY_ID,
            "secret": SECRET,
            "date": FIXED.replace(tzinfo=datetime.UTC).isoformat(),
        },
    )
    _show_case(signer_page, url, got, expected, canonical)
    screenshot(signer_page)
    assert got["canonicalRequest"] == canonical
    assert got["headers"]["Authorization"] == expected["Authorization"]
    assert got["headers"]["X-Amz-Date"] == expected["X-Amz-Date"]
    assert got["headers"].get("X-Amz-Security-Token") == expected.get("X-Amz-Security-Token")


def test_query_built_by_the_page_is_the_canonical_query(signer_page, screenshot):
    """buildUrl() encodes the query strictly, so what is sent is exactly what is signed."""
    url = signer_page.evaluate(
        """async () => {
            const m = await import('/control_panel/sigv4.js');
            return m.buildUrl('https://x.example/prod/', '/expired_tokens',
                              {event_id: "a b+c", limit: 5, cursor: null});
        }"""
    )
    assert url == "https://x.example/prod/expired_tokens?event_id=a%20b%2Bc&limit=5"
    screenshot(signer_page)


def test_signing_without_keys_is_refused(signer_page, screenshot):
    message = signer_page.evaluate(
        """async () => {
            const m = await import('/control_panel/sigv4.js');
            try {
                await m.signRequest({method: 'GET', url: 'https://x.example/', credentials: {},
                                     region: 'us-east-1'});
                return 'signed';
            } catch (e) { return e.message; }
        }"""
    )
    assert "access key" in message
    screenshot(signer_page)


def test_signature_report(signer_page, screenshot):
    """Every case signed by the page in one go and by botocore, listed on a page saved as this
    test's screenshot: the report stands on its own, whichever tests ran before it."""
    cases = [(case.values, token) for case in CASES for token in (None, TOKEN)]
    expected = [_botocore(*values, token) for values, token in cases]
    signatures = signer_page.evaluate(
        """async ({requests, region, keyId, secret, date}) => {
            const m = await import('/control_panel/sigv4.js');
            const signed = [];
            for (const {url, method, body, token} of requests) {
                const credentials = {accessKeyId: keyId, secretAccessKey: secret};
                if (token) credentials.sessionToken = token;
                signed.push((await m.signRequest({method, url, body: body ?? undefined, credentials,
                                                  region, date: new Date(date)})).signature);
            }
            return signed;
        }""",
        {
            "requests": [
                {"url": url, "method": values[0], "body": values[3], "token": token}
                for (values, token), (url, _, _) in zip(cases, expected, strict=True)
            ],
            "region": REGION,
            "keyId": KEY_ID,
            "secret": SECRET,
            "date": FIXED.replace(tzinfo=datetime.UTC).isoformat(),
        },
    )
    signed = [
        (values[0], url, token is not None, browser, headers["Authorization"].split("=")[-1])
        for (values, token), (url, headers, _), browser in zip(cases, expected, signatures, strict=True)
    ]
    rows = "".join(
        f"<tr><td>{html.escape(m)}</td><td><code>{html.escape(u.removeprefix(HOST))}</code></td>"
        f"<td>{'yes' if t else 'no'}</td><td><code>{b[:16]}…</code></td><td><code>{o[:16]}…</code></td>"
        f"<td class={'ok' if b == o else 'bad'}>{'identical' if b == o else 'DIFFERENT'}</td></tr>"
        for m, u, t, b, o in signed
    )
    signer_page.set_content(
        "<style>body{font:14px system-ui;margin:24px;color:#172033}table{border-collapse:collapse}"
        "td,th{padding:4px 10px;border-bottom:1px solid #dde2ee;text-align:left}"
        ".ok{color:#0f7b52;font-weight:600}.bad{color:#b42318;font-weight:700}</style>"
        "<h1>SigV4: control_panel/sigv4.js in Chromium vs botocore</h1>"
        f"<p>{len(signed)} requests signed by both, date fixed at {FIXED.isoformat()}Z, region {REGION}.</p>"
        "<table><tr><th>Method</th><th>Path and query</th><th>Session token</th><th>Browser</th>"
        f"<th>botocore</th><th>Result</th></tr>{rows}</table>"
    )
    screenshot(signer_page)
    assert len(signed) == 2 * len(CASES)
    assert [b for *_, b, _ in signed] == [o for *_, o in signed]
