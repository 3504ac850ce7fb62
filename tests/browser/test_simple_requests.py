"""The pages' POSTs to the waiting room are "simple" cross-origin requests: Chromium sends them
without a CORS preflight, so a visitor costs no OPTIONS request at CloudFront, the WAF and API
Gateway. An API on another origin (a real HTTP server here, not `page.route`, which Chromium
answers without preflights) records every request it is sent, OPTIONS included.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page

from lambdas.catalog import PAGE_CONTENT_TYPE

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type,Authorization",
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
}
ANSWERS = {
    ("GET", "/pow_challenge"): (404, {"error": "no proof of work asked"}),
    ("POST", "/assign_queue_num"): (200, {"api_request_id": "0b7e5a52-3c1d-4f6e-9a8b-7c6d5e4f3a2b"}),
    ("POST", "/generate_token"): (200, {"access_token": "a", "token_type": "Bearer"}),
    ("POST", "/edge_pass"): (200, {"location": "https://shop.test/"}),
    ("POST", "/authorize"): (200, {"redirect_to": "https://client.test/callback?code=c"}),
    ("POST", "/checkout"): (200, {"order": 1}),
}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    content_type: str | None
    body: str


@pytest.fixture
def api() -> Iterator[tuple[str, list[Seen]]]:
    seen: list[Seen] = []

    class Recorder(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            path = self.path.split("?", 1)[0]
            seen.append(Seen(self.command, path, self.headers.get("Content-Type"), body))
            status, answer = (204, None) if self.command == "OPTIONS" else ANSWERS[(self.command, path)]
            self.send_response(status)
            for name, value in CORS.items():
                self.send_header(name, value)
            payload = b"" if answer is None else json.dumps(answer).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_OPTIONS = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_the_pages_posts_need_no_preflight_and_a_bearer_header_does(
    module_page: Page, api: tuple[str, list[Seen]]
) -> None:
    base, seen = api
    module_page.evaluate(
        """async (base) => {
            const { WaitingRoomApi } = await import('/waiting_room_site/js/api.js');
            const { returnTo } = await import('/waiting_room_site/openid/openid.js');
            const room = new WaitingRoomApi({ publicApi: base, storeApi: base, eventId: 'Sample' });
            const requestId = await room.enter();
            await room.generateToken(requestId);
            await room.edgePass(requestId, { address: 'https://shop.test/', signature: 's' });
            await returnTo(base, { client_id: 'shop', state: 'x' }, requestId);
            // The sample shop's own API takes the token in a header: that one is preflighted.
            await room.checkout('a', { item: 1 });
        }""",
        base,
    )
    assert [(s.method, s.path) for s in seen] == [
        ("GET", "/pow_challenge"),
        ("POST", "/assign_queue_num"),
        ("POST", "/generate_token"),
        ("POST", "/edge_pass"),
        ("POST", "/authorize"),
        ("OPTIONS", "/checkout"),
        ("POST", "/checkout"),
    ]
    request_id = ANSWERS[("POST", "/assign_queue_num")][1]["api_request_id"]
    posts = {s.path: s for s in seen if s.method == "POST"}
    assert json.loads(posts["/assign_queue_num"].body) == {"event_id": "Sample"}
    assert json.loads(posts["/generate_token"].body) == {"event_id": "Sample", "request_id": request_id}
    for path in ("/assign_queue_num", "/generate_token", "/edge_pass"):
        assert posts[path].content_type == PAGE_CONTENT_TYPE, posts[path]
    assert posts["/authorize"].content_type.startswith("application/x-www-form-urlencoded")
    assert posts["/checkout"].content_type == "application/json"
    assert module_page.js_errors == []
