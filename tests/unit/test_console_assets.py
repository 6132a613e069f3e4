"""The console's static files: exactly the listed ones are served, each with its type and the strict policy.

The script is native ES modules (no build step): the page loads `console.js` with `<script type="module">`
and it imports the others by relative URL. A module the list forgets would be a 404 in the browser only, and
a file the list names by mistake could leak the package's source; both are caught here, without a browser.
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any
from unittest.mock import MagicMock

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from devstack.apigw_events import proxy_event
from srevents.api import console
from srevents.api.app import ApiServices, create_app

CONSOLE_DIR = files(console.__name__)
# Written out in full, so that loosening the policy is a visible change to this test, not a silent one.
STRICT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
IMPORT = re.compile(r"""^import\s*\{[^}]*\}\s*from\s*"\./([\w-]+\.js)";$""", re.MULTILINE)


def _get(path: str) -> dict[str, Any]:
    app = create_app(ApiServices(instances=MagicMock(), poller=MagicMock(), events=MagicMock()))
    return app.resolve(proxy_event("GET", path), LambdaContext())


def _imports(module: str) -> set[str]:
    return set(IMPORT.findall(CONSOLE_DIR.joinpath(module).read_text(encoding="utf-8")))


def test_every_file_of_the_console_is_listed_and_every_listed_file_exists() -> None:
    shipped = {entry.name for entry in CONSOLE_DIR.iterdir() if entry.is_file()}
    assert set(console.ASSETS) == shipped - {"__init__.py", console.PAGE}


def test_the_page_loads_only_the_entry_module() -> None:
    page = CONSOLE_DIR.joinpath(console.PAGE).read_text(encoding="utf-8")
    assert re.findall(r"<script[^>]*>", page) == ['<script type="module" src="console/console.js">']


def test_every_import_is_a_served_module_and_every_module_is_imported() -> None:
    reached: set[str] = set()
    waiting = ["console.js"]
    while waiting:
        module = waiting.pop()
        if module in reached:
            continue
        reached.add(module)
        for imported in _imports(module):
            assert imported in console.MODULES, f"{module} imports {imported}, which is not served"
            waiting.append(imported)
    assert reached == set(console.MODULES), "a listed module nothing imports"


def test_the_only_imports_are_relative_static_ones() -> None:
    # Another origin would break `script-src 'self'`; a bare name ("lodash") needs an import map; a dynamic
    # import() would hide a module from the list above.
    for module in console.MODULES:
        text = CONSOLE_DIR.joinpath(module).read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if line.startswith(("import", "export {", "export *"))]
        assert all(IMPORT.fullmatch(line) for line in lines), (module, lines)
        assert "import(" not in text, module


@pytest.mark.parametrize("asset", sorted(console.ASSETS))
def test_each_file_is_served_with_its_type_and_the_strict_policy(asset: str) -> None:
    response = _get(f"/console/{asset}")
    assert response["statusCode"] == 200
    headers = response["multiValueHeaders"]
    expected = "text/javascript; charset=utf-8" if asset.endswith(".js") else console.ASSETS[asset]
    assert headers["Content-Type"] == [expected]
    assert headers["Content-Security-Policy"] == [STRICT_POLICY]
    assert headers["X-Content-Type-Options"] == ["nosniff"]


def test_the_page_has_the_strict_policy() -> None:
    response = _get("/console")
    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Security-Policy"] == [STRICT_POLICY]


@pytest.mark.parametrize(
    "path",
    [
        "/console/app.py",
        "/console/__init__.py",
        "/console/index.html",  # the page is /console, not a file under it
        "/console/../__init__.py",
        "/console/..%2F__init__.py",
        "/console/%2e%2e%2f__init__.py",
        "/console/..",
        "/console/views/dom.js",
        "/console/DOM.js",
        "/console/dom.mjs",
        "/console/dom.js%00",
        "/console/nothing.js",
    ],
)
def test_an_unknown_or_traversing_name_is_404(path: str) -> None:
    assert _get(path)["statusCode"] == 404
