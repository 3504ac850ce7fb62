"""The two browser apps, served as they are deployed to S3, with a generated `config.json`.

On AWS the stacks write each app's `config.json` next to its files; here the runtime answers it
from what it knows (the API addresses, the event id and the region). Only the control panel, and
only here, also gets the local access keys: they sign its private API calls in the browser, and
they are keys of a throwaway moto server, not of an AWS account.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
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


def sites(apis: Mapping[str, str], *, event_id: str, region: str, keys: Mapping[str, str]) -> list[Site]:
    """The waiting room page and the control panel, each with its configuration."""
    common = {**apis, "event_id": event_id, "region": region}
    return [
        Site("/waiting-room/", ROOT / "waiting_room_site", common),
        Site("/control-panel/", ROOT / "control_panel", {**common, **keys}),
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
        return Response(
            json.dumps(site.config, indent=2),
            200,
            {"Content-Type": "application/json", "Cache-Control": "no-store"},
        )
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
