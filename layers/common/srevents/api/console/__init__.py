"""The web console: plain HTML, CSS and JavaScript served by the API itself (no build step, no other host).

`GET /console` is the page; `GET /console/{asset}` its stylesheet, script modules and icon;
`GET /console/defaults.json` the element's default resource configurations, which the create form fills in.
None of them needs credentials: the page calls only the public instances API, with the secrets the user types
in (kept in the browser's sessionStorage, never in a URL). The page references everything relatively
(`console/console.js`, `instances`; the modules import `./dom.js`), so it works at `/console` locally and
under a stage (`/v1/console`) behind API Gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from srevents.domain.instance_config import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL
from srevents.domain.resources import DEFAULT_POLLER_CONFIGURATION, DEFAULT_RESOURCE_CONFIGS, ELEMENT_KEY

PAGE = "index.html"
JAVASCRIPT = "text/javascript; charset=utf-8"
# The script is native ES modules, no build step: console.js is the entry the page loads with
# <script type="module">, and it imports the others by relative URL (`./dom.js`), which resolves beside it
# under /console/. A module must be served as JavaScript, or the browser refuses it.
MODULES = (
    "console.js",
    "api.js",
    "display.js",
    "dom.js",
    "forms.js",
    "instance-actions.js",
    "messages.js",
    "router.js",
    "session.js",
    "view-create.js",
    "view-instance.js",
    "view-instances.js",
    "view-notification.js",
    "view-signin.js",
)
# Only these files are served, looked up by exact name; anything else under /console/ (another file of the
# package, `..`, a path) is a 404. A new module must be added here (a unit test says so).
ASSETS: dict[str, str] = {
    "console.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
    **dict.fromkeys(MODULES, JAVASCRIPT),
}
PAGE_CONTENT_TYPE = "text/html; charset=utf-8"

# No inline script or style, nothing from another origin, no framing, no form posting anywhere
# (the forms are handled by the script; if it failed, a form must not send secrets anywhere).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str


@cache
def _read(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


def page() -> Asset:
    return Asset(_read(PAGE), PAGE_CONTENT_TYPE)


def asset(name: str) -> Asset | None:
    """A static asset by its file name, or None when there is no such asset."""
    content_type = ASSETS.get(name)
    return None if content_type is None else Asset(_read(name), content_type)


@cache
def defaults() -> dict[str, Any]:
    """What the create form starts from: every resource's default configuration and the default interval."""
    return {
        "element": ELEMENT_KEY,
        "resources": DEFAULT_RESOURCE_CONFIGS,
        "defaultResources": list(DEFAULT_POLLER_CONFIGURATION),
        "refreshInterval": {"default": DEFAULT_INTERVAL, "min": MIN_INTERVAL, "max": MAX_INTERVAL},
    }
