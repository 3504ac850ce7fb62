"""The two browser apps, served as they are deployed to S3, with a generated `config.json`.

On AWS the stacks write each app's `config.json` next to its files; here the runtime answers it
from what it knows (the API addresses, the event id and the region). Only the control panel, and
only here, also gets the local access keys: they sign its private API calls in the browser. They
are keys of a throwaway moto server, but they move the line, so they go only to a browser on this
machine that named this machine: a client from the network (`--host 0.0.0.0`) or a page of
another site whose name was rebound to 127.0.0.1 (its Host header still names that site) gets a
403 that tells the operator to paste the keys `vwr local` printed.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Request, Response

from lambdas.catalog import page_headers

ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class Site:
    prefix: str  # "/waiting-room/"
    directory: Path
    config: Mapping[str, Any]
    # Added to `config` only for a loopback client that called a loopback host name.
    loopback_only: Mapping[str, Any] = field(default_factory=dict)


KEYS_REFUSED = (
    "the local access keys are handed out only to a browser on this machine that calls it "
    "127.0.0.1, [::1] or localhost; paste the keys that `vwr local` printed into the settings"
)


def is_loopback_name(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: a client address, or a Host header with its port."""
    if host.startswith("["):
        name = host.rpartition("]")[0].lstrip("[")
    else:
        name = host if host.count(":") > 1 else host.partition(":")[0]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _from_loopback(request: Request) -> bool:
    return is_loopback_name(request.remote_addr or "") and is_loopback_name(request.host)


def sites(apis: Mapping[str, str], *, event_id: str, region: str, keys: Mapping[str, str]) -> list[Site]:
    """The waiting room page and the control panel, each with its configuration."""
    common = {**apis, "event_id": event_id, "region": region}
    return [
        Site("/waiting-room/", ROOT / "waiting_room_site", common),
        Site("/control-panel/", ROOT / "control_panel", common, loopback_only=keys),
    ]


def serve(site: Site, request: Request) -> Response:
    """A file of the site, its `config.json`, or its `index.html` for the site's root, with the
    headers CloudFront's response headers policy adds (lambdas/catalog.py)."""
    response = _file_or_config(site, request)
    response.headers.update(page_headers(_api_origins(site.config), https=request.scheme == "https"))
    return response


def _api_origins(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The origins of the API addresses in the configuration: the page's `connect-src`."""
    urls = (urlsplit(v) for v in config.values() if isinstance(v, str) and "://" in v)
    return tuple(sorted({f"{u.scheme}://{u.netloc}" for u in urls}))


def _file_or_config(site: Site, request: Request) -> Response:
    relative = request.path[len(site.prefix) :]
    if relative == CONFIG_FILE:
        headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        if site.loopback_only and not _from_loopback(request):
            # The rest of the configuration is no secret: the page still fills in the endpoints.
            body = {"error": KEYS_REFUSED, "config": site.config}
            return Response(json.dumps(body, indent=2), 403, headers)
        return Response(json.dumps({**site.config, **site.loopback_only}, indent=2), 200, headers)
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    try:
        # send_from_directory refuses paths that leave the directory.
        response = send_from_directory(site.directory, relative, request.environ, max_age=0)
    except NotFound:
        return Response("not found\n", 404, {"Content-Type": "text/plain"})
    # The apps change under a developer's hands: let the browser revalidate every time.
    response.headers["Cache-Control"] = "no-cache"
    return response


def find(all_sites: list[Site], request: Request) -> Site | Response | None:
    """The site a path belongs to; a redirect for a site's prefix without its slash."""
    for site in all_sites:
        if request.path.startswith(site.prefix):
            return site
        if request.path == site.prefix.rstrip("/"):
            return redirect(site.prefix, 308)
    return None
