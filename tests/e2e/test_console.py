"""The web console (GET /console) in a real browser: Debian's headless Chromium, driven by Playwright,
against the local stack started as a user starts it (its command line, real ports, `--no-demo`).

Playwright's own browser download is not used (it cannot work offline): the tests launch the system's
Chromium by path. Without Chromium the browser tests fail in CI (CI=true) and are skipped elsewhere.

`UPDATE_DOCS_SCREENSHOT=1` also writes the instance page at 1280x800 to docs/console.png.
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.seed import SEED_BODY
from srevents.domain.resources import DEFAULT_RESOURCE_CONFIGS
from tests.e2e.conftest import ORG_SECRET, REPO, USER_SECRET, RunningStack, request, start_stack

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As root, with no display and no internet (see the machine notes): no sandbox, no GPU, no background calls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API_KEY = "demo-smartrecruiters-key"  # the key the local stack's simulator accepts
SIGNATURE_KEY = SEED_BODY["configuration"]["event.notification.signature.key"]  # the receiver verifies with it
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}
SLOW = 25_000  # ms: a poll and a delivery through the whole local pipeline


# --- the stack, the browser, a page ---------------------------------------------------------------
@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    running = start_stack()
    yield running
    if running.process.poll() is None:
        try:
            running.stop()
        except Exception:
            running.process.kill()
            running.process.wait(timeout=10)


def _unavailable(reason: str) -> None:
    message = (
        f"the console's browser tests need Chromium and Playwright: {reason}. "
        "Install them with `apt-get install -y chromium` and `make venv` (.ci/run does both)."
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium executable at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"the playwright package is not installed ({error})")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Page:
    """A browser tab on the console, recording what would show a broken page: script errors, CSP violations."""

    def __init__(self, browser: Any, stack: RunningStack) -> None:
        self.stack = stack
        self.context = browser.new_context(viewport=WIDE)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.urls: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("console", self._console)
        self.page.on("request", lambda req: self.urls.append(req.url))

    def _console(self, message: Any) -> None:
        # A refused API call (401, 400) is logged by Chromium as "Failed to load resource"; that is expected.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console error: {message.text}")

    def sign_in(self, organization: str = ORG_SECRET, user: str = USER_SECRET, prefix: str = "") -> None:
        """Signs in with the keyboard only: the first field has focus, Tab moves on, Enter submits."""
        page = self.page
        page.goto(f"{self.stack.api_url}{prefix}/console")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.get_by_label("Organization secret")).to_be_focused()
        page.keyboard.type(organization)
        page.keyboard.press("Tab")
        expect(page.get_by_label("User secret")).to_be_focused()
        page.keyboard.type(user)
        page.keyboard.press("Enter")

    def fits_width(self) -> bool:
        return bool(self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture
def tab(browser: Any, stack: RunningStack) -> Iterator[Page]:
    opened = Page(browser, stack)
    yield opened
    opened.context.close()
    assert not opened.problems, opened.problems
    secrets = (ORG_SECRET, USER_SECRET)
    assert not [u for u in opened.urls if any(s in u for s in secrets)], "a secret went into a URL"


# --- helpers ----------------------------------------------------------------------------------------
def raw_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects; headers lower-cased."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def simulate(stack: RunningStack, resource: str, fields: dict[str, Any]) -> dict[str, Any]:
    status, record = request("POST", f"{stack.simulator_url}/_simulator/{resource}", fields)
    assert status == 201, record
    return record


def instance_body(name: str, callback_url: str, resources: tuple[str, ...] = ("candidates",)) -> dict[str, Any]:
    body = copy.deepcopy(SEED_BODY)
    body["name"] = name
    body["configuration"]["api.key"] = API_KEY
    body["configuration"]["event.notification.callback.url"] = callback_url
    body["configuration"]["event.poller.configuration"] = {r: DEFAULT_RESOURCE_CONFIGS[r] for r in resources}
    return body


def create_instance(stack: RunningStack, body: dict[str, Any]) -> dict[str, Any]:
    status, instance = request("POST", f"{stack.api_url}/instances", body, stack.auth)
    assert status == 200, instance
    return instance


def instance_count(stack: RunningStack) -> int:
    status, instances = request("GET", f"{stack.api_url}/instances", headers=stack.auth)
    assert status == 200, instances
    return len(instances)


class Callback:
    """A callback endpoint of the test's own that answers with whatever status it is told to."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.hits = 0
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                callback.hits += 1
                body = json.dumps({"status": callback.status}).encode()
                self.send_response(callback.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the page is served as it should be (plain HTTP, no browser) ----------------------------------
def test_console_is_served_by_the_api_with_a_strict_policy(stack: RunningStack) -> None:
    for prefix in ("", "/v1"):  # locally at the root, and under the stage as behind API Gateway
        status, headers, body = raw_get(f"{stack.api_url}{prefix}/console")
        assert status == 200
        assert headers["content-type"].startswith("text/html")
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers["x-content-type-options"] == "nosniff"
    html = body.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script"
    assert not re.search(r"\sstyle=|<style", html), "no inline style"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no external assets"

    for asset, content_type in [
        ("console.js", "text/javascript"),
        ("console.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ]:
        status, headers, body = raw_get(f"{stack.api_url}/console/{asset}")
        assert status == 200 and headers["content-type"].startswith(content_type), asset
        assert "content-security-policy" in headers
        assert b"http://" not in body.replace(b"http://www.w3.org/2000/svg", b"") and b"https://" not in body

    status, headers, _ = raw_get(f"{stack.api_url}/console/")
    assert status == 308 and headers["location"] == "../console"
    assert raw_get(f"{stack.api_url}/console/app.py")[0] == 404
    assert raw_get(f"{stack.api_url}/console/..%2F__init__.py")[0] == 404

    status, defaults = request("GET", f"{stack.api_url}/console/defaults.json")
    assert status == 200 and defaults["resources"] == DEFAULT_RESOURCE_CONFIGS

    paths = request("GET", f"{stack.api_url}/openapi.json")[1]["paths"]
    assert {"/console", "/console/{asset}", "/console/defaults.json"} <= set(paths)


# --- in the browser --------------------------------------------------------------------------------
def test_a_wrong_secret_is_refused_with_a_message(tab: Page) -> None:
    # Under the stage prefix, as behind API Gateway: the page's links and API calls are relative.
    tab.sign_in(user="not-the-user-secret-at-all", prefix="/v1")

    error = tab.page.locator("#signin-error")
    expect(error).to_contain_text("wrong User or Organization secret")
    expect(error).to_have_attribute("role", "alert")
    expect(tab.page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert tab.page.evaluate("sessionStorage.length") == 0  # nothing kept from a failed sign-in
    assert f"{tab.stack.api_url}/v1/instances?pageSize=1" in tab.urls  # the sign-in's check: a one-instance page
    assert f"{tab.stack.api_url}/v1/console/console.js" in tab.urls


def test_create_an_instance_poll_and_open_a_delivered_notification(
    tab: Page, stack: RunningStack, tmp_path: Path
) -> None:
    page = tab.page
    tab.sign_in()
    expect(page.get_by_role("heading", name="Instances")).to_be_visible()
    # The secrets live in this tab's sessionStorage only: not in the URL, not in localStorage or cookies.
    assert ORG_SECRET in page.evaluate("JSON.stringify(sessionStorage)")
    assert page.evaluate("localStorage.length") == 0 and tab.context.cookies() == []
    assert ORG_SECRET not in page.url

    # Create an instance with two resources ticked
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create instance").click()
    expect(page.get_by_role("heading", name="Create instance")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Candidates")).to_be_checked()  # the element's default
    assert (
        json.loads(page.get_by_label("Configuration of jobs as JSON").input_value()) == DEFAULT_RESOURCE_CONFIGS["jobs"]
    )
    page.get_by_label("Name", exact=True).fill("Console e2e")
    page.get_by_label("Tags").fill("e2e, console")
    page.get_by_label("SmartRecruiters API key").fill(API_KEY)
    page.get_by_label("Callback URL").fill(stack.receiver_url)
    page.get_by_label("Signature key").fill(SIGNATURE_KEY)
    page.get_by_label("Interval (minutes)").fill("15")
    page.get_by_role("checkbox", name="Jobs").check()
    page.get_by_role("button", name="Create instance").click()

    # The id and the token are shown once
    expect(page.get_by_role("heading", name="Instance created")).to_be_focused()
    instance_id = int(page.locator("#new-instance-id").inner_text())
    assert len(page.locator("#new-token").inner_text()) >= 20
    status, stored = request("GET", f"{stack.api_url}/instances/{instance_id}", headers=stack.auth)
    assert status == 200 and set(stored["configuration"]["event.poller.configuration"]) == {"candidates", "jobs"}
    assert stored["tags"] == ["e2e", "console"]

    # It is listed, with its interval and both resources
    page.get_by_role("link", name="All instances").click()
    listed = page.locator(f"tr[data-instance='{instance_id}']")
    expect(listed.get_by_role("link", name="Console e2e")).to_be_visible()
    expect(listed).to_contain_text("15 min")
    expect(listed).to_contain_text("candidates")
    expect(listed).to_contain_text("jobs")
    expect(listed).to_contain_text("Enabled")

    # A change in SmartRecruiters, then "Poll now"
    candidate = simulate(stack, "candidates", {"firstName": "Console"})
    simulate(stack, "jobs", {"title": "Console Engineer"})
    time.sleep(0.1)
    listed.get_by_role("link", name="Console e2e").click()
    expect(page.get_by_role("heading", name="Console e2e")).to_be_visible()
    expect(page.locator("#no-events")).to_be_visible()
    page.get_by_role("button", name="Poll now").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("Poll requested|new notification"))

    # The notifications appear, delivered; the poller shows what it read
    delivered = page.locator("#events-table tbody tr[data-status='DELIVERED']")
    expect(delivered).to_have_count(2, timeout=SLOW)
    expect(page.locator("#poller-table tr[data-resource='candidates']")).to_contain_text("ok", timeout=SLOW)
    expect(page.locator("#poller-table tr[data-resource='jobs']")).to_contain_text("ok")
    for code in page.locator("#events-table td[data-label='Last response']").all():
        expect(code).to_have_text("200")
    assert tab.fits_width()
    page.mouse.move(0, 0)
    page.screenshot(path=str(tmp_path / "console.png"))
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        shutil.copyfile(tmp_path / "console.png", REPO / "docs" / "console.png")

    # A narrow window: the tables become stacked cards, nothing scrolls sideways
    page.set_viewport_size(NARROW)
    expect(page.get_by_role("button", name="Poll now")).to_be_visible()
    assert tab.fits_width()
    page.screenshot(path=str(tmp_path / "console-narrow.png"), full_page=True)
    page.set_viewport_size(WIDE)

    # A notification opens to its body, the headers sent and every attempt
    delivered.filter(has_text="candidates").get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("^Notification"))).to_be_visible()
    expect(page.locator("#notification-status")).to_have_text("DELIVERED")
    attempts = page.locator("#attempts-table tbody tr")
    expect(attempts).to_have_count(1)
    expect(attempts.first).to_contain_text("200")
    expect(attempts.first).to_contain_text("delivered")
    expect(page.locator(".headers")).to_contain_text("Elements-Webhook-Signature")
    body = json.loads(page.locator("#notification-body").inner_text())
    assert candidate["id"] in {event["objectId"] for event in body["message"]["events"]}
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)  # nothing to retry

    # The receiver got both, signed
    received = stack.wait_for(lambda: len(stack.received()) >= 2 and stack.received(), 10, "two notifications")
    assert all(r["elementsSignatureOk"] for r in received)


def test_a_bad_interval_shows_the_api_message_beside_the_field(tab: Page, stack: RunningStack) -> None:
    page = tab.page
    before = instance_count(stack)
    tab.sign_in()
    expect(page.get_by_role("heading", name="Instances")).to_be_visible()
    page.goto(f"{stack.api_url}/console#/create")
    page.get_by_label("Name", exact=True).fill("Bad interval")
    page.get_by_label("SmartRecruiters API key").fill(API_KEY)
    page.get_by_label("Callback URL").fill(stack.receiver_url)
    interval = page.get_by_label("Interval (minutes)")
    interval.fill("0")
    page.get_by_role("button", name="Create instance").click()

    beside = page.locator("#interval-field .field-error")
    expect(beside).to_have_text(
        'configuration.event.poller.refresh_interval must be a whole number of minutes between 1 and 1440, got "0"'
    )
    expect(interval).to_have_attribute("aria-invalid", "true")
    expect(interval).to_be_focused()
    assert "interval-error" in (interval.get_attribute("aria-describedby") or "")
    assert instance_count(stack) == before  # nothing was created

    # An error inside a resource's JSON lands beside that resource
    interval.fill("15")
    page.get_by_role("checkbox", name="Users").check()
    page.get_by_text("Configuration of users (JSON, for experts)").click()
    users = page.get_by_label("Configuration of users as JSON")
    config = json.loads(users.input_value())
    config["idFeld"] = "id"
    users.fill(json.dumps(config))
    page.get_by_role("button", name="Create instance").click()
    expect(page.locator("#res-users-error")).to_contain_text("configuration.event.poller.configuration.users.idFeld")
    expect(page.locator("#res-users-error")).to_contain_text("idField")  # the closest known key
    expect(users).to_be_focused()
    assert instance_count(stack) == before


def test_a_failed_notification_is_retried_from_its_page(tab: Page, stack: RunningStack) -> None:
    page = tab.page
    callback = Callback(status=500)
    instance = create_instance(stack, instance_body("Flaky callback", callback.url))
    try:
        simulate(stack, "candidates", {"firstName": "Retry"})
        time.sleep(0.1)
        tab.sign_in()
        expect(page.get_by_role("heading", name="Instances")).to_be_visible()
        page.get_by_role("link", name="Flaky callback").click()
        page.get_by_role("button", name="Poll now").click()

        failed = page.locator("#events-table tbody tr[data-status='RETRYING']")
        expect(failed).to_have_count(1, timeout=SLOW)
        expect(failed.locator("td[data-label='Last response']")).to_have_text("500")
        failed.get_by_role("link").click()
        expect(page.locator("#notification-status")).to_have_text("RETRYING")
        expect(page.locator("#attempts-table tbody tr").first).to_contain_text("500")

        callback.status = 200
        page.get_by_role("button", name="Retry").click()
        expect(page.locator("#notification-status")).to_have_text("DELIVERED")
        expect(page.get_by_role("status")).to_contain_text("Retried: DELIVERED")
        manual = page.locator("#attempts-table tbody tr", has_text="manual")
        expect(manual).to_have_count(1)
        expect(manual).to_contain_text("200")
        expect(page.get_by_role("button", name="Retry")).to_have_count(0)
        assert callback.hits >= 2
    finally:
        callback.close()
        request("DELETE", f"{stack.api_url}/instances/{instance['id']}", headers=stack.auth)


def test_disable_enable_and_delete_with_confirmation_by_keyboard(tab: Page, stack: RunningStack) -> None:
    page = tab.page
    instance = create_instance(stack, instance_body("Keyboard only", stack.receiver_url))
    tab.sign_in()
    row = page.locator(f"tr[data-instance='{instance['id']}']")
    expect(row).to_contain_text("Enabled")

    disable = row.get_by_role("button", name=re.compile("^Disable Keyboard only"))
    disable.focus()
    page.keyboard.press("Enter")
    expect(row).to_contain_text("Disabled")
    expect(page.get_by_role("status")).to_contain_text(f"Instance {instance['id']} disabled")
    assert request("GET", f"{stack.api_url}/instances/{instance['id']}", headers=stack.auth)[1]["disabled"] is True
    enable = row.get_by_role("button", name=re.compile("^Enable Keyboard only"))
    expect(enable).to_be_focused()  # focus stays on the control the user pressed
    page.keyboard.press("Enter")
    expect(row).to_contain_text("Enabled")
    assert request("GET", f"{stack.api_url}/instances/{instance['id']}", headers=stack.auth)[1]["disabled"] is False

    # Delete asks first; Escape cancels, and focus returns to the button
    delete = row.get_by_role("button", name=re.compile("^Delete Keyboard only"))
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete instance?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    assert request("GET", f"{stack.api_url}/instances/{instance['id']}", headers=stack.auth)[0] == 200

    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Shift+Tab")  # from Cancel back to the confirming button
    expect(dialog.get_by_role("button", name="Delete instance")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text(f"Instance {instance['id']} (“Keyboard only”) deleted")
    assert request("GET", f"{stack.api_url}/instances/{instance['id']}", headers=stack.auth)[0] == 404


def test_a_deep_link_survives_sign_in_a_refused_secret_signs_out_and_sign_out_clears_the_tab(
    tab: Page, stack: RunningStack
) -> None:
    page = tab.page
    instance = create_instance(stack, instance_body("Deep link", stack.receiver_url))
    try:
        # A link to an instance, opened signed out: sign in first, then that page
        page.goto(f"{stack.api_url}/console#/instances/{instance['id']}")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_label("Organization secret").fill(ORG_SECRET)
        page.get_by_label("User secret").fill(USER_SECRET)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Deep link")).to_be_visible()

        # Secrets the API stops accepting (rotated, revoked): signed out with a message, then back here
        page.evaluate(
            "sessionStorage.setItem('srevents.console.credentials',"
            " JSON.stringify({organization: 'revoked-org-secret', user: 'revoked-user-secret'}))"
        )
        page.get_by_role("button", name="Refresh").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.locator("#alert")).to_contain_text("Signed out: the API refused the secrets")
        assert page.evaluate("sessionStorage.length") == 0
        page.get_by_label("Organization secret").fill(ORG_SECRET)
        page.get_by_label("User secret").fill(USER_SECRET)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Deep link")).to_be_visible()

        # Sign out: the secrets leave the tab, and the page says so
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.locator("#notice")).to_have_text("Signed out. The secrets were removed from this tab.")
        assert page.evaluate("sessionStorage.length") == 0
    finally:
        request("DELETE", f"{stack.api_url}/instances/{instance['id']}", headers=stack.auth)


def test_create_a_webhook_instance_and_see_its_subscription(tab: Page, stack: RunningStack) -> None:
    page = tab.page
    tab.sign_in()

    # Create an instance whose changes arrive by webhook
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create instance").click()
    page.get_by_label("Name", exact=True).fill("Console webhooks")
    page.get_by_label("SmartRecruiters API key").fill(API_KEY)
    page.get_by_label("Callback URL").fill(stack.receiver_url)
    page.get_by_label("Signature key").fill(SIGNATURE_KEY)
    expect(page.get_by_label("Changes arrive by")).to_have_value("polling")
    page.get_by_label("Changes arrive by").select_option("webhook")
    page.get_by_label("Interval (minutes)").fill("1440")
    page.get_by_role("button", name="Create instance").click()
    expect(page.get_by_role("heading", name="Instance created")).to_be_focused()
    instance_id = int(page.locator("#new-instance-id").inner_text())
    stored = request("GET", f"{stack.api_url}/instances/{instance_id}", headers=stack.auth)[1]
    assert stored["configuration"]["event.vendor.type"] == "webhook"

    # Its page shows the active subscription; a change arrives without Poll now and the panel counts it
    page.goto(f"{stack.api_url}/console#/instances/{instance_id}")
    subscription = page.get_by_label("Webhook subscription")
    expect(subscription.locator("[data-fact='status']")).to_contain_text("active")
    expect(subscription.locator("[data-fact='events']")).to_contain_text("candidate.created")
    simulate(stack, "candidates", {"firstName": "Pushed"})
    events_url = f"{stack.api_url}/instances/{instance_id}/events"
    stack.wait_for(
        lambda: [e for e in request("GET", events_url, headers=stack.auth)[1] if e["status"] == "DELIVERED"],
        SLOW / 1000,
        "the pushed change, delivered without a poll",
    )
    page.reload()
    expect(page.locator("#events-table tbody tr[data-status='DELIVERED']")).to_have_count(1)
    expect(page.get_by_label("Webhook subscription").locator("[data-fact='webhook-events']")).to_have_text(
        re.compile("Events by webhook\\s*1")
    )
    assert tab.fits_width()


def test_the_instance_list_pages_with_load_more(tab: Page, stack: RunningStack) -> None:
    # Given more instances than one page of the list shows (50)
    created = [
        create_instance(stack, instance_body(f"Paged {n}", stack.receiver_url) | {"tags": ["paged"]}) for n in range(51)
    ]
    try:
        total = instance_count(stack)
        page = tab.page
        tab.sign_in()
        expect(page.get_by_role("heading", name="Instances")).to_be_visible()
        # (Straight after the sign-in the list request runs beside the console's module downloads, served by
        # the other API container: it once read their event and lost its pageSize. devstack/powertools_threads.py.)
        rows = page.locator("tr[data-instance]")

        # Then the first page shows 50 and offers more; loading the rest shows every instance once
        expect(rows).to_have_count(50)
        more = page.get_by_role("button", name="Load more instances")
        while more.is_visible():
            shown = rows.count()
            more.click()
            expect(rows).not_to_have_count(shown)
        expect(rows).to_have_count(total)
        ids = rows.evaluate_all("rows => rows.map(r => r.dataset.instance)")
        assert len(set(ids)) == total
        expect(page.get_by_role("status")).to_contain_text("more instance(s) loaded")
    finally:  # the module's later tests find their instances on the first page
        for instance in created:
            request("DELETE", f"{stack.api_url}/instances/{instance['id']}", headers=stack.auth)
