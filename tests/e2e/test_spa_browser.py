"""The sample single-page app (samples/spa) in a real browser, as issue 9 asks: Debian's headless
Chromium driven by Selenium, a real `signet serve` and a real `signet api`, and the page's own
files served with a generated config.json from 127.0.0.1 on a free port (as `make run` serves them
on http://localhost:3000). A user logs in through signet's login page (/authorize with PKCE),
calls /api/public, /api/private and /api/private-scoped with the token (200, 200, and 200 or 403 as
the user's permissions say), logs out, and logs in again: the login form is back, because logout
ended signet's session. Errors from the authorization server and answers the page did not ask for
are shown, never exchanged.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import urllib.parse
from pathlib import Path

import pytest

from conftest import SignetProcess
from serve_fixtures import Tenant, start_serve, unique  # noqa: F401
# Skips this module when Chromium or Selenium is missing, so it comes before selenium.
from chromium import (browser, button, script_errors, submit_login, text_in,  # noqa: F401
                      wait)
from selenium.webdriver.common.by import By  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "samples/spa"
PATHS = ("/api/public", "/api/private", "/api/private-scoped")
PUBLIC = "Hello from a public endpoint! You don't need to be authenticated to see this."
SCOPED = ("Hello from a private endpoint! You need to be authenticated and have a scope of "
          "read:messages to see this.")
# Failed loads the tests provoke on purpose, or that belong to signet's login page.
EXPECTED_ERRORS = ("status of 401", "status of 403", "favicon.ico")


class StaticFiles:
    """The sample's files and a config.json, served from 127.0.0.1 on a free port by a thread, as
    `python3 -m http.server` serves them in `make run`."""

    def __init__(self, directory: Path):
        self.directory = directory
        for f in SAMPLE.iterdir():
            shutil.copy(f, directory / f.name)
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.origin + "/"

    def configure(self, **config):
        (self.directory / "config.json").write_text(json.dumps(config))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):  # pytest shows failures, not traffic
        pass


class World:
    """signet serve, an API with read:messages and write:messages, the SPA's application, and a
    signet api for the API that lets the page's origin call it."""

    def __init__(self, serve, spa: StaticFiles, log_dir: str):
        self.serve = serve
        self.spa = spa
        self.tenant = Tenant(serve)
        self.api = self.tenant.api(scopes=("read:messages", "write:messages"))
        audience = self.api["identifier"]
        # As the README registers a single-page app.
        app = self.tenant.cli_json(
            "clients", "create", "--name", unique("Sample SPA"), "--type", "spa",
            "--auth-method", "none", "--grant-types", "authorization_code,refresh_token",
            "--callbacks", spa.url, "--logout-urls", spa.url, "--web-origins", spa.origin)
        self.client_id = app["client_id"]
        self.reader = self.tenant.user(permissions={audience: ("read:messages",)})
        self.writer = self.tenant.user(permissions={audience: ("write:messages",)})
        self.tenant.sync()
        self.messages = SignetProcess(["api", "--issuer", serve.issuer, "--audience", audience,
                                       "--cors-origin", spa.origin], log_dir).start()
        spa.configure(issuer=serve.issuer, client_id=self.client_id, audience=audience,
                      api_base=self.messages.base)

    def stop(self):
        self.messages.stop()


@pytest.fixture
def world(start_serve, tmp_path):
    files = tmp_path / "spa"
    files.mkdir()
    spa = StaticFiles(files)
    w = None
    try:
        w = World(start_serve(), spa, str(tmp_path))
        yield w
    finally:
        if w is not None:
            w.stop()
        spa.stop()


# --- the page


def who(driver) -> str:
    return driver.find_element(By.ID, "who").text


def log_in(driver, user):
    button(driver, "Log in").click()
    submit_login(driver, user.email, user.password)
    text_in(driver, By.ID, "who", f"Signed in as {user.email}")


def call(driver, path: str) -> tuple[int, str]:
    """Presses the button for `path` and returns the status and body the page shows."""
    button(driver, f"Call {path}").click()
    status = wait(driver, lambda d: d.find_element(
        By.CSS_SELECTOR, f"[data-status-for='{path}']").get_attribute("data-http-status"),
        f"the answer of {path}")
    body = driver.find_element(By.CSS_SELECTOR, f"[data-body-for='{path}']").text
    # The next call's status must be its own: clear this one.
    driver.execute_script("arguments[0].removeAttribute('data-http-status')",
                          driver.find_element(By.CSS_SELECTOR, f"[data-status-for='{path}']"))
    return int(status), body


# --- the tests


def test_log_in_call_the_api_log_out_and_log_in_again(world, browser):
    browser.get(world.spa.url)
    text_in(browser, By.ID, "who", "Not signed in.")
    # Signed out, the calls carry no token.
    assert call(browser, "/api/public")[0] == 200
    assert call(browser, "/api/private")[0] == 401

    log_in(browser, world.reader)
    # The code left the address bar as soon as the page read it.
    assert browser.current_url == world.spa.url, browser.current_url
    answers = {path: call(browser, path) for path in PATHS}
    assert {path: status for path, (status, _) in answers.items()} == {
        "/api/public": 200, "/api/private": 200, "/api/private-scoped": 200}
    assert json.loads(answers["/api/public"][1]) == {"message": PUBLIC}
    assert json.loads(answers["/api/private-scoped"][1]) == {"message": SCOPED}
    # Nothing of the sign-in stays in the tab's storage, and no token ever went there.
    assert browser.execute_script("return sessionStorage.length + localStorage.length") == 0

    button(browser, "Log out").click()
    text_in(browser, By.ID, "who", "Not signed in.")
    wait(browser, lambda d: d.current_url == world.spa.url, "the way back from logout")
    assert call(browser, "/api/private")[0] == 401

    # The session at signet ended with the logout: the login form asks again.
    button(browser, "Log in").click()
    submit_login(browser, world.reader.email, world.reader.password)
    text_in(browser, By.ID, "who", f"Signed in as {world.reader.email}")
    assert call(browser, "/api/private-scoped")[0] == 200
    assert script_errors(browser, expected=EXPECTED_ERRORS) == []


def test_a_user_without_read_messages_gets_403_on_the_scoped_endpoint(world, browser):
    browser.get(world.spa.url)
    log_in(browser, world.writer)
    assert call(browser, "/api/public")[0] == 200
    assert call(browser, "/api/private")[0] == 200
    status, body = call(browser, "/api/private-scoped")
    assert status == 403
    assert json.loads(body)["error"] == "insufficient_scope"
    assert script_errors(browser, expected=EXPECTED_ERRORS) == []


def test_a_second_log_in_skips_the_form_while_the_session_lasts(world, browser):
    browser.get(world.spa.url)
    log_in(browser, world.reader)
    # A reload forgets the tokens (they live in memory only); signet still knows the browser.
    browser.refresh()
    text_in(browser, By.ID, "who", "Not signed in.")
    button(browser, "Log in").click()
    text_in(browser, By.ID, "who", f"Signed in as {world.reader.email}")
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name=password]")
    assert call(browser, "/api/private-scoped")[0] == 200


def test_an_error_from_the_authorization_server_is_shown(world, browser):
    # A request signet refuses with a redirect back (RFC 6749 §4.1.2.1): response_type=token.
    browser.get(world.spa.url)
    text_in(browser, By.ID, "who", "Not signed in.")
    query = urllib.parse.urlencode({"response_type": "token", "client_id": world.client_id,
                                    "redirect_uri": world.spa.url, "state": "s"})
    browser.get(f"{world.serve.issuer}authorize?{query}")
    alert = text_in(browser, By.ID, "error", "The authorization server refused the sign-in: "
                    "unsupported_response_type")
    assert alert.is_displayed()
    assert browser.current_url == world.spa.url
    text_in(browser, By.ID, "who", "Not signed in.")


def test_an_answer_the_page_did_not_ask_for_is_not_exchanged(world, browser):
    """Login CSRF (RFC 6749 §10.12): another site sends the browser here with a code of its own."""
    browser.get(world.spa.url + "?code=a-code-from-elsewhere&state=forged")
    text_in(browser, By.ID, "error", "its state does not match")
    assert browser.current_url == world.spa.url
    text_in(browser, By.ID, "who", "Not signed in.")
    assert script_errors(browser, expected=EXPECTED_ERRORS) == []


def test_an_answer_from_another_issuer_is_not_exchanged(world, browser):
    """A mix-up attack (RFC 9207): the answer carries this tab's state but names another
    authorization server; its code must not go to this one's token endpoint."""
    browser.get(world.spa.url)
    text_in(browser, By.ID, "who", "Not signed in.")
    browser.execute_script("sessionStorage.setItem('signet-sample-spa:request', JSON.stringify("
                           "{state: 'mine', nonce: 'n', verifier: 'v'}))")
    query = urllib.parse.urlencode({"code": "c", "state": "mine",
                                    "iss": "https://elsewhere.example/"})
    browser.get(f"{world.spa.url}?{query}")
    text_in(browser, By.ID, "error", "comes from https://elsewhere.example/")
    assert browser.current_url == world.spa.url
    assert browser.execute_script("return sessionStorage.length") == 0
    text_in(browser, By.ID, "who", "Not signed in.")
