"""The dashboard: one static page that shows people what a served fake holds, refreshed as it changes.

Owns the page (``dashboard.html``, package data: markup, style and script in one file, no build step) and
which requests get it: ``GET`` (or ``HEAD``) of ``PATH``, and of the server's root ``/`` when ``Accept`` names
``text/html`` - what a browser sends.  Any other request to ``/`` stays the registry's, which answers it 404
as ECR's does (the OCI distribution-spec defines no endpoint outside ``/v2/``), so no client of ECR's API
(``POST /``) or of the registry (which asks ``Accept: */*`` or a manifest type) ever sees the page.

The page reads the control API (``fake_ecr.surfaces.control``: ``health``, ``state``, ``lifecycle/preview``)
every two seconds and builds its DOM from text nodes and attribute values only, so nothing a fake holds
(scan descriptions are free text) is read as markup.  Its Content-Security-Policy admits the page's own
script and style (by hash) and requests to its own origin, nothing else.

Must not import ``fake_ecr.surfaces.handle`` or ``fake_ecr.surfaces.server`` (the server imports this).
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import resources

from werkzeug.wrappers import Request, Response

from fake_ecr.formats.control_api import PREFIX

#: Where the page always is; ``/`` serves it to browsers too.
PATH = f"{PREFIX}dashboard"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


@cache
def _page() -> tuple[bytes, str]:
    """The page's bytes and its Content-Security-Policy (hashes of its inline script and style)."""
    text = resources.files("fake_ecr.surfaces").joinpath("dashboard.html").read_text(encoding="utf-8")
    sources: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(text):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        sources[kind].append(f"'sha256-{digest}'")
    policy = (
        "default-src 'none'; connect-src 'self'; "
        f"script-src {' '.join(sources['script'])}; style-src {' '.join(sources['style'])}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return text.encode(), policy


def wanted(request: Request) -> bool:
    """Whether ``request`` asks for the dashboard: ``PATH``, or ``/`` from a browser (``Accept`` names
    ``text/html`` itself; ``*/*`` is not enough, it is what every HTTP library sends)."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.path == PATH:
        return True
    return request.path == "/" and any(value == "text/html" and q > 0 for value, q in request.accept_mimetypes)


def page() -> Response:
    """The dashboard page, never cached (a new release of fake-ecr may serve another)."""
    body, policy = _page()
    return Response(
        body,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": policy,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
