"""The console (`{issuer}console/`) in a real browser: Debian's headless Chromium driven by
Selenium against a real `signet serve`, as issue 8 asks. An administrator signs in (through
signet's login page: /authorize with PKCE, issue 9), creates an API
(which also creates its Test Application), creates an application and authorizes it in the API's
Machine to Machine tab with one of two scopes, gets a token in the Test tab, runs the curl commands
the tab shows (the token request and the API call, parsed and replayed with requests) against a
real `signet api` (401 without the token, 200 with it), reads the token in the token debugger
("Signature verified"), rotates a key and revokes the previous one; revoking the key that signed
the console's own token ends its session (the sign-in page says so); signing out ends signet's
session too, so the next sign-in shows the login form again. The page must load without a single
CSP violation or script error, sign-in works from the keyboard alone, and nothing overflows a
390 px wide screen.

With SIGNET_SCREENSHOTS=<dir> (e.g. docs/images) the same run saves console-*.png there for the
README; without it nothing is written outside the test's temporary directory.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex

import pytest
import requests

from conftest import HTTP_TIMEOUT, SignetProcess
from login_page import (failed_login, login_form, management_scopes_sign_in, pkce_pair, query_of,
                        sign_in as sign_in_without_browser)
from serve_fixtures import (DEFAULT_PASSWORD, ServeProcess, Tenant, run_cli,  # noqa: F401
                            start_serve, unique)
# Skips this module when Chromium or Selenium is missing, so it comes before selenium.
from chromium import (PHONE, browser, button, login_page, script_errors,  # noqa: F401
                      submit_login, text_in, visible, wait)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


# --- the browser


def labelled(driver, label: str, scope=None):
    """The form control whose <label> says `label`."""
    root = scope or driver

    def control(_):
        # Label and control are looked up in one attempt, so a re-render between the two makes
        # the wait try again instead of failing on a stale element.
        lab = next((el for el in root.find_elements(
            By.XPATH, f".//label[normalize-space()={json.dumps(label)}]") if el.is_displayed()),
            None)
        return driver.find_element(By.ID, lab.get_attribute("for")) if lab else False

    return wait(driver, control, f"label {label!r}")


def fill(driver, label: str, value: str, scope=None):
    control = labelled(driver, label, scope)
    control.clear()
    control.send_keys(value)
    return control


def nav(driver, label: str):
    driver.find_element(By.XPATH, f"//nav[@id='nav']//a[normalize-space()={json.dumps(label)}]").click()
    visible(driver, By.XPATH, f"//main//h1[normalize-space()={json.dumps(label)}]", f"page {label}")


def confirm(driver, label: str):
    dialog = visible(driver, By.CSS_SELECTOR, "dialog[open]", "the confirmation dialog")
    button(driver, label, dialog).click()
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"), "the dialog to close")


def announced(driver, text: str):
    text_in(driver, By.ID, "status", text)


def screenshot(driver, name: str, height: int | None = None):
    """Saves the window as console-NAME.png in $SIGNET_SCREENSHOTS, if set; with `height`, the
    top of the page in a window that tall."""
    directory = os.environ.get("SIGNET_SCREENSHOTS")
    if directory:
        # Without the last status message, which would hide part of the page.
        driver.execute_script("document.getElementById('status').textContent = ''")
        size = driver.get_window_size()
        if height:
            driver.set_window_size(size["width"], height)
            driver.execute_script("window.scrollTo(0, 0)")
        os.makedirs(directory, exist_ok=True)
        driver.save_screenshot(os.path.join(directory, f"console-{name}.png"))
        if height:
            driver.set_window_size(size["width"], size["height"])


# --- the tenant


def make_admin(serve) -> tuple[str, str]:
    """An administrator, made as an operator does: `signet users create --admin`."""
    email = f"{unique('admin')}@example.com"
    run_cli(serve.data_dir, "users", "create", "--email", email, "--password-stdin", "--admin",
            "--issuer", serve.issuer, stdin=DEFAULT_PASSWORD + "\n")
    return email, DEFAULT_PASSWORD


def sign_in(driver, serve, email: str, password: str):
    """The console's Sign in: to signet's login page and back, signed in. The login page's own
    requests (a favicon it may not have) are not the console's errors."""
    driver.get(serve.url("/console/"))
    button(driver, "Sign in").click()
    submit_login(driver, email, password)
    visible(driver, By.XPATH, "//main//h1[normalize-space()='APIs']", "the APIs page")
    assert not driver.current_url.split("#")[0].endswith(("?", "&")) and "code=" not in \
        driver.current_url, f"the code stayed in the address: {driver.current_url}"
    assert script_errors(driver, expected=("favicon.ico",)) == []


def curl_request(command: str) -> dict:
    """The method, URL, headers and body of a curl command line as the console prints it."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl", command
    request = {"method": "GET", "url": None, "headers": {}, "data": None}
    i = 1
    while i < len(words):
        word = words[i]
        if word in ("--request", "-X"):
            request["method"] = words[i + 1]
            i += 2
        elif word == "--url":
            request["url"] = words[i + 1]
            i += 2
        elif word in ("--header", "-H"):
            name, _, value = words[i + 1].partition(":")
            request["headers"][name.strip()] = value.strip()
            i += 2
        elif word in ("--data", "-d"):
            request["data"] = words[i + 1]
            request["method"] = "POST" if request["method"] == "GET" else request["method"]
            i += 2
        elif not word.startswith("-") and request["url"] is None:
            request["url"] = word
            i += 1
        else:
            raise AssertionError(f"unexpected curl argument {word!r} in {command}")
    return request


def replay(command: str) -> requests.Response:
    r = curl_request(command)
    return requests.request(r["method"], r["url"], headers=r["headers"], data=r["data"],
                            timeout=HTTP_TIMEOUT)


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def code_text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def attacker_code(serve, email: str, password: str) -> str:
    """A code from /authorize for the console's client, never exchanged."""
    session = requests.Session()
    _, challenge = pkce_pair()
    page = session.get(serve.url("/authorize"), params={
        "response_type": "code", "client_id": "signet-console",
        "redirect_uri": serve.issuer + "console/", "scope": "openid",
        "audience": serve.issuer + "api/v2/", "state": "attacker", "code_challenge": challenge,
        "code_challenge_method": "S256"}, allow_redirects=False, timeout=HTTP_TIMEOUT)
    form = login_form(page)
    res = session.post(form.action, data={**form.fields, "email": email, "password": password},
                       allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert res.status_code in (302, 303), res.text[:2000]
    return query_of(res.headers["Location"])["code"]


# --- the tests


def test_console_from_sign_in_to_key_rotation(start_serve, browser, tmp_path):
    serve = start_serve()
    email, password = make_admin(serve)

    # The page itself: served with its CSP, and loading it breaks none of it (sign_in checks).
    sign_in(browser, serve, email, password)

    # An API, which brings its Test Application along.
    identifier = f"https://{unique('messages')}.example/api"
    name = "Messages API"
    button(browser, "Create API").click()
    fill(browser, "Name", name)
    fill(browser, "Identifier", identifier)
    fill(browser, "Permissions (optional)", "read:messages write:messages")
    button(browser, "Create").click()
    application_select = visible(browser, By.ID, "test-application", "the Test tab")
    options = [o.text for o in Select(application_select).options]
    assert any(f"{name} (Test Application)" in o for o in options), options
    # Its secret was seen in this tab, so the tab knows it.
    assert browser.find_element(By.ID, "test-client-secret").get_attribute("value")

    # A second application, whose secret is shown once.
    nav(browser, "Applications")
    button(browser, "Create application").click()
    app_name = unique("Deploy script")
    fill(browser, "Name", app_name)
    button(browser, "Create").click()
    secret_box = visible(browser, By.CSS_SELECTOR, "input[data-secret]", "the new secret")
    app_secret = secret_box.get_attribute("value")
    client_id = labelled(browser, "Client ID").get_attribute("value")
    assert len(app_secret) >= 43 and client_id

    # Authorize it in the API's Machine to Machine tab, with read:messages only.
    nav(browser, "APIs")
    visible(browser, By.LINK_TEXT, name).click()
    visible(browser, By.LINK_TEXT, "Machine to Machine Applications").click()
    row = visible(browser, By.CSS_SELECTOR, f"li[data-client-id='{client_id}']", "the application's row")
    switch = row.find_element(By.CSS_SELECTOR, "input[role=switch]")
    assert not switch.is_selected()
    switch.click()
    announced(browser, "is authorized for")
    row = visible(browser, By.CSS_SELECTOR, f"li[data-client-id='{client_id}'] form.scopes", "its scopes")
    write = labelled(browser, "write:messages", row)
    assert write.is_selected() and labelled(browser, "read:messages", row).is_selected()
    write.click()
    button(browser, "Update", row).click()
    announced(browser, "Updated the permissions")
    screenshot(browser, "m2m")

    # The Test tab: the snippets carry the real values, and the curl shown gets a token.
    visible(browser, By.LINK_TEXT, "Test").click()
    Select(visible(browser, By.ID, "test-application")).select_by_value(client_id)
    assert browser.find_element(By.ID, "test-client-secret").get_attribute("value") == app_secret
    token_curl = code_text(browser, "test-token-request")
    for value in (client_id, app_secret, identifier, serve.issuer + "oauth/token"):
        assert value in token_curl, token_curl
    res = replay(token_curl)
    assert res.status_code == 200, res.text
    assert claims_of(res.json()["access_token"])["scope"] == "read:messages"
    for language, expected in (("cpp", "--client-secret-stdin"), ("python", "requests.post"),
                               ("node", "await fetch")):
        browser.find_element(By.CSS_SELECTOR, f"button[data-language={language}]").click()
        text = code_text(browser, "test-token-request")
        assert expected in text and client_id in text and identifier in text, text
    browser.find_element(By.CSS_SELECTOR, "button[data-language=curl]").click()
    button(browser, "Get token").click()
    response = text_in(browser, By.ID, "test-token-response", "access_token").text
    token = json.loads(response)["access_token"]
    assert claims_of(token)["aud"] == identifier

    # The call to the API with that token works against a real `signet api` for the audience.
    api = SignetProcess(["api", "--issuer", serve.issuer, "--audience", identifier],
                        str(tmp_path)).start()
    try:
        url = fill(browser, "API URL", api.url("/api/private"))
        url.send_keys(Keys.TAB)
        api_curl = text_in(browser, By.ID, "test-api-curl", api.url("/api/private")).text
        screenshot(browser, "test", height=1500)
        call = curl_request(api_curl)
        assert call["headers"]["authorization"] == f"Bearer {token}"
        assert requests.get(call["url"], timeout=HTTP_TIMEOUT).status_code == 401
        assert replay(api_curl).status_code == 200
    finally:
        api.stop()

    # The token debugger checks the signature against the tenant's JWKS.
    button(browser, "Open in the token debugger").click()
    status = text_in(browser, By.ID, "signature-status", "Signature verified")
    assert "bad" not in status.get_attribute("class")
    summary = browser.find_element(By.ID, "token-summary").text
    assert re.search(r"Expires in (23 hours|1 day)", summary), summary
    assert "Issued by this tenant" in summary
    screenshot(browser, "token-debugger")
    # A byte changed in the signature: verification fails.
    box = browser.find_element(By.ID, "token-input")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    box.clear()
    box.send_keys(tampered)
    text_in(browser, By.ID, "signature-status", "Invalid signature")

    # Rotate the RS256 key: the key that signed the token becomes previous.
    nav(browser, "Signing keys")
    header = token.split(".")[0]
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    Select(labelled(browser, "Algorithm")).select_by_value("RS256")
    button(browser, "Rotate").click()
    confirm(browser, "Rotate key")
    announced(browser, "is the current key")
    row = visible(browser, By.XPATH, f"//tr[td/code[text()={json.dumps(kid)}]]", "the old key")
    text_in(browser, By.XPATH, f"//tr[td/code[text()={json.dumps(kid)}]]", "previous")
    screenshot(browser, "keys")
    assert script_errors(browser) == []

    # Revoke it: it leaves the JWKS.
    button(browser, "Revoke", row).click()
    confirm(browser, "Revoke key")
    wait(browser, lambda _: kid not in [k["kid"] for k in requests.get(
        serve.url("/.well-known/jwks.json"), timeout=HTTP_TIMEOUT).json()["keys"]],
        "the revoked key to leave the JWKS")


def test_revoking_the_key_of_the_session_ends_it(start_serve, browser):
    serve = start_serve()
    email, password = make_admin(serve)
    sign_in(browser, serve, email, password)
    nav(browser, "Signing keys")
    Select(labelled(browser, "Algorithm")).select_by_value("RS256")
    button(browser, "Rotate").click()
    confirm(browser, "Rotate key")
    announced(browser, "is the current key")
    # The console's own token was signed by the RS256 key that is now the previous one.
    row = visible(browser, By.XPATH, "//tr[td/span[text()='previous']]", "the previous key")
    button(browser, "Revoke", row).click()
    confirm(browser, "Revoke key")

    def signed_out(driver):
        # The server reloads its keys within a second; until it has, a page still loads, so
        # each look goes to another page (another Management API call).
        if driver.find_elements(By.ID, "login-title"):
            return True
        target = "#/apis" if driver.current_url.endswith("#/logs") else "#/logs"
        driver.find_element(By.CSS_SELECTOR, f"#nav a[href='{target}']").click()
        return False

    wait(browser, signed_out, "the sign-in page after the revocation")
    text_in(browser, By.CSS_SELECTOR, ".login [role=alert]", "sign in again")
    # signet's own session still stands: Sign in comes straight back, without the login form.
    # The console returns to the page it was on when the token was refused (APIs or Logs, as the
    # wait above left it).
    button(browser, "Sign in").click()
    visible(browser, By.XPATH, "//main//h1[normalize-space()='APIs' or normalize-space()='Logs']",
            "the page the console was on, signed in again")
    assert not browser.find_elements(By.ID, "login-title")


def test_a_refused_token_returns_to_the_sign_in_form(start_serve, browser, tmp_path):
    serve = start_serve(metrics=False)
    email, password = make_admin(serve)
    sign_in(browser, serve, email, password)
    # Another tenant (other keys) takes over the address: the console's token is now foreign.
    port = serve.port
    serve.stop()
    other = ServeProcess(tmp_path / "other", str(tmp_path), metrics=False)
    try:
        other.start(port=port)
        browser.find_element(By.CSS_SELECTOR, "#nav a[href='#/applications']").click()
        visible(browser, By.ID, "login-title", "the sign-in form")
        text_in(browser, By.CSS_SELECTOR, ".login [role=alert]", "sign in again")
        assert not browser.find_element(By.ID, "nav").is_displayed()
    finally:
        other.stop()
    assert script_errors(browser, expected=("status of 401",)) == []


def test_sign_in_from_the_keyboard_alone(start_serve, browser):
    serve = start_serve()
    email, password = make_admin(serve)
    browser.get(serve.url("/console/"))
    visible(browser, By.ID, "login-title", "the sign-in page")
    screenshot(browser, "login")
    # The Sign in button has the focus; Enter goes to signet's login page.
    wait(browser, lambda d: d.switch_to.active_element.text == "Sign in",
         "the focus on the Sign in button")
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    # On the login page: email, Tab, password, Enter.
    login_page(browser).click()
    active = browser.switch_to.active_element
    assert active.get_attribute("name") == "email"
    active.send_keys(email, Keys.TAB)
    active = browser.switch_to.active_element
    assert active.get_attribute("name") == "password"
    active.send_keys("wrong password", Keys.ENTER)
    # A refusal is said on the page, which asks again.
    text_in(browser, By.TAG_NAME, "body", "Wrong email or password.")
    secret = visible(browser, By.CSS_SELECTOR, "input[name=password]")
    secret.click()
    secret.send_keys(Keys.CONTROL, "a")
    secret.send_keys(password, Keys.ENTER)
    visible(browser, By.XPATH, "//main//h1[normalize-space()='APIs']", "the APIs page")
    # The focus ring is drawn for keyboard users.
    browser.switch_to.active_element.send_keys(Keys.TAB)
    outline = browser.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # The wrong password's answer is the only failed request.
    assert script_errors(browser, expected=(
        "favicon.ico", "/u/login - Failed to load resource: the server responded with a status "
        "of 401")) == []


def test_sign_out_ends_signets_session_too(start_serve, browser):
    serve = start_serve()
    email, password = make_admin(serve)
    sign_in(browser, serve, email, password)
    button(browser, "Sign out").click()
    # Through {issuer}v2/logout and back to the console, signed out.
    visible(browser, By.ID, "login-title", "the sign-in page after signing out")
    wait(browser, lambda d: d.current_url.startswith(serve.url("/console/")), "the console")
    assert not browser.find_element(By.ID, "nav").is_displayed()
    # The session at signet ended as well: Sign in shows the login form again.
    button(browser, "Sign in").click()
    submit_login(browser, email, password)
    visible(browser, By.XPATH, "//main//h1[normalize-space()='APIs']", "the APIs page")
    assert script_errors(browser, expected=("favicon.ico",)) == []


def test_with_offline_access_the_console_renews_its_token_and_sign_out_revokes_it(start_serve,
                                                                                 browser):
    serve = start_serve()
    email, password = make_admin(serve)
    # Refresh tokens for the Management API, and tokens that are due for renewal a second after
    # they are issued (the console renews a minute before expiry).
    run_cli(serve.data_dir, "apis", "update", serve.issuer + "api/v2/", "--token-lifetime", "61",
            "--allow-offline-access")
    Tenant(serve).sync()
    sign_in(browser, serve, email, password)
    assert serve.metric_sum("signet_tokens_issued_total", grant="refresh_token") == 0

    def renewed(driver):
        # Each page is a Management API call, which renews a token that is due first.
        target = "#/apis" if driver.current_url.endswith("#/logs") else "#/logs"
        driver.find_element(By.CSS_SELECTOR, f"#nav a[href='{target}']").click()
        return serve.metric_sum("signet_tokens_issued_total", grant="refresh_token") >= 1

    wait(browser, renewed, "the console to renew its token with the refresh token")
    nav(browser, "Applications")  # still signed in, with the new token
    assert browser.find_element(By.ID, "nav").is_displayed()
    revocations = serve.metric("signet_revocations_total")
    button(browser, "Sign out").click()
    visible(browser, By.ID, "login-title", "the sign-in page after signing out")
    assert serve.metric("signet_revocations_total") == revocations + 1
    assert script_errors(browser, expected=("favicon.ico",)) == []


def test_an_answer_the_console_did_not_ask_for_is_not_exchanged(start_serve, browser):
    """Login CSRF (RFC 6749 §10.12): a page sends the administrator's browser to the console with
    a code of its own. Without this tab's state the console exchanges nothing, and says so."""
    serve = start_serve()
    email, password = make_admin(serve)
    # A real code, for the attacker's own sign-in, that nobody redeemed yet.
    code = attacker_code(serve, email, password)
    browser.get(serve.url(f"/console/?code={code}&state=forged"))
    text_in(browser, By.CSS_SELECTOR, ".login [role=alert]", "state does not match")
    assert "code=" not in browser.current_url
    assert not browser.find_element(By.ID, "nav").is_displayed()


def test_an_answer_from_another_issuer_is_not_exchanged(start_serve, browser):
    """A mix-up attack (RFC 9207): this tab's state, another authorization server's name."""
    serve = start_serve()
    browser.get(serve.url("/console/"))
    visible(browser, By.ID, "login-title", "the sign-in page")
    browser.execute_script("sessionStorage.setItem('signet-console:sign-in', JSON.stringify("
                           "{state: 'mine', nonce: 'n', verifier: 'v', returnHash: '#/keys'}))")
    browser.get(serve.url("/console/?code=c&state=mine&iss=https%3A%2F%2Felsewhere.example%2F"))
    text_in(browser, By.CSS_SELECTOR, ".login [role=alert]", "comes from https://elsewhere.example/")
    assert browser.current_url == serve.url("/console/#/keys")
    assert not browser.find_element(By.ID, "nav").is_displayed()


def test_an_error_from_authorize_is_shown(start_serve, browser):
    serve = start_serve()
    browser.get(serve.url("/console/?error=access_denied&error_description=The+user+is+blocked"
                          "&state=x"))
    text_in(browser, By.CSS_SELECTOR, ".login [role=alert]", "access_denied (The user is blocked)")
    assert "error=" not in browser.current_url


def test_the_console_fits_a_phone(start_serve, browser):
    serve = start_serve()
    email, password = make_admin(serve)
    browser.set_window_size(*PHONE)
    sign_in(browser, serve, email, password)
    for page in ("APIs", "Applications", "Users", "Signing keys", "Logs",
                 "Authentication API debugger", "Token debugger"):
        nav(browser, page)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        inner = browser.execute_script("return window.innerWidth")
        assert width <= inner, f"{page}: the page is {width} px wide on a {inner} px screen"
    nav(browser, "APIs")
    screenshot(browser, "phone")
    assert script_errors(browser) == []


def test_the_console_is_served_with_its_headers(start_serve):
    serve = start_serve(metrics=False)
    res = requests.get(serve.url("/console"), allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert res.status_code == 308 and res.headers["Location"] == "/console/"
    page = requests.get(serve.url("/console/"), timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    # No inline script or style anywhere: every script and sheet is a file of its own.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert "<style" not in page.text and " style=" not in page.text
    again = requests.get(serve.url("/console/"), headers={"If-None-Match": page.headers["ETag"]},
                         timeout=HTTP_TIMEOUT)
    assert again.status_code == 304 and again.content == b""
    assert requests.get(serve.url("/console/app.js"), timeout=HTTP_TIMEOUT).headers[
        "Content-Type"] == "text/javascript; charset=utf-8"
    assert requests.get(serve.url("/console/nope.js"), timeout=HTTP_TIMEOUT).status_code == 404


def management_token(serve, email: str, password: str) -> str:
    """A Management API token for the administrator, as the console gets one (the login page)."""
    return management_scopes_sign_in(serve.issuer, email, password,
                                     "read:clients update:clients").tokens["access_token"]


def test_users_applications_logs_and_the_authentication_debugger(start_serve, browser):
    serve = start_serve("--lockout-max-failures", "3")
    tenant = Tenant(serve)
    api = tenant.api(scopes=("read:messages", "write:messages"), offline=True)
    email, password = make_admin(serve)
    sign_in(browser, serve, email, password)

    # --- an API's settings and permissions (each write with If-Match)
    visible(browser, By.LINK_TEXT, api["name"]).click()
    fill(browser, "Token lifetime (seconds)", "3600")
    labelled(browser, "Require DPoP: issue tokens only to requests with a DPoP proof").click()
    button(browser, "Save").click()
    announced(browser, "Saved")
    assert tenant.cli_json("apis", "show", api["identifier"])["require_dpop"] is True
    visible(browser, By.LINK_TEXT, "Permissions").click()
    fill(browser, "Permission", "delete:messages")
    fill(browser, "Description", "Delete messages")
    button(browser, "Add").click()
    announced(browser, "Added delete:messages")
    visible(browser, By.CSS_SELECTOR, "button[aria-label='Remove write:messages']").click()
    confirm(browser, "Remove permission")
    announced(browser, "Removed write:messages")
    wait(browser, lambda d: not d.find_elements(
        By.CSS_SELECTOR, "button[aria-label='Remove write:messages']"), "write:messages to go")
    stored = tenant.cli_json("apis", "show", api["identifier"])
    assert stored["token_lifetime"] == 3600, stored
    assert "write:messages" not in json.dumps(stored) and "delete:messages" in json.dumps(stored)

    # --- a user: create, permissions, block, password, lockout, sessions
    nav(browser, "Users")
    button(browser, "Create user").click()
    user_email = f"{unique('ada')}@example.com"
    fill(browser, "Email", user_email)
    fill(browser, "Password", DEFAULT_PASSWORD)
    button(browser, "Create").click()
    visible(browser, By.XPATH, f"//main//h1[normalize-space()={json.dumps(user_email)}]", "the user")
    Select(labelled(browser, "API")).select_by_value(api["identifier"])
    Select(labelled(browser, "Permissions")).select_by_value("read:messages")
    button(browser, "Add permissions").click()
    announced(browser, "Added read:messages")
    remove = visible(browser, By.CSS_SELECTOR, "button[aria-label^='Remove read:messages']")
    remove.click()
    announced(browser, "Removed read:messages")
    wait(browser, lambda d: "The user holds no permissions." in d.page_source, "no permissions")

    button(browser, "Block user").click()
    confirm(browser, "Block user")
    announced(browser, "Blocked")
    visible(browser, By.XPATH, "//h1/following-sibling::span[text()='Blocked']", "the Blocked badge")
    button(browser, "Unblock user").click()
    announced(browser, "Unblocked")

    fill(browser, "New password", "a brand new password 9")
    button(browser, "Set password").click()
    announced(browser, "The password is set")

    # Three wrong passwords on the login page lock the user out from this address; the console
    # shows and clears it.
    for _ in range(3):
        res = failed_login(serve.issuer, user_email, DEFAULT_PASSWORD,
                           audience=serve.issuer + "api/v2/")
        assert res.status_code in (401, 429), res.text[:2000]
        assert "Location" not in res.headers
    # The logs show the wrong passwords (they are the failed-login counters for now, so this
    # comes before clearing them).
    nav(browser, "Logs")
    Select(labelled(browser, "Type")).select_by_value("fp")
    button(browser, "Filter").click()
    wait(browser, lambda d: "#/logs?type=fp" in d.current_url, "the filtered logs")
    cells = wait(browser, lambda d: d.find_elements(By.XPATH, "//tbody/tr/td[2]/code"), "log rows")
    assert {c.text for c in cells} == {"fp"}

    nav(browser, "Users")
    fill(browser, "Search by email or id", user_email.split("@")[0])
    button(browser, "Search").click()
    visible(browser, By.LINK_TEXT, user_email).click()
    text_in(browser, By.TAG_NAME, "main", "127.0.0.1")
    button(browser, "Clear the lockout").click()
    announced(browser, "The lockout is cleared")
    text_in(browser, By.TAG_NAME, "main", "Not locked out from any address.")
    assert sign_in_without_browser(serve.issuer, user_email, "a brand new password 9",
                                   audience=serve.issuer + "api/v2/").token.status_code == 200
    button(browser, "End sessions").click()
    confirm(browser, "End sessions")
    announced(browser, "sessions are ended")

    # --- an application: create, settings with If-Match, a concurrent change, secret, delete
    nav(browser, "Applications")
    button(browser, "Create application").click()
    app_name = unique("Reports")
    fill(browser, "Name", app_name)
    button(browser, "Create").click()
    first_secret = visible(browser, By.CSS_SELECTOR, "input[data-secret]").get_attribute("value")
    client_id = labelled(browser, "Client ID").get_attribute("value")
    visible(browser, By.LINK_TEXT, f"Open {app_name}").click()
    fill(browser, "Name", app_name + " v2")
    labelled(browser, "Require DPoP: refuse token requests without a DPoP proof").click()
    button(browser, "Save").click()
    announced(browser, "Saved")
    assert tenant.cli_json("clients", "show", client_id)["dpop_bound_access_tokens"] is True
    # Someone else renames it meanwhile: the console's next save is refused, not lost.
    admin_token = management_token(serve, email, password)
    res = requests.patch(serve.url(f"/api/v2/clients/{client_id}"), json={"name": "renamed"},
                         headers={"authorization": f"Bearer {admin_token}"}, timeout=HTTP_TIMEOUT)
    assert res.status_code == 200, res.text
    fill(browser, "Name", app_name + " v3")
    button(browser, "Save").click()
    text_in(browser, By.CSS_SELECTOR, "form [role=alert]", "Someone changed this since you opened it")
    button(browser, "Rotate secret").click()
    confirm(browser, "Rotate secret")
    new_secret = visible(browser, By.CSS_SELECTOR, "input[data-secret]").get_attribute("value")
    assert new_secret and new_secret != first_secret
    visible(browser, By.XPATH, "//nav[@class='tabs']//a[normalize-space()='APIs']").click()
    text_in(browser, By.TAG_NAME, "main", "It is not authorized for any API yet.")

    # --- the Authentication API debugger, with the secret this tab knows. It sends no DPoP
    # proof, so the API and the application ticked "Require DPoP" above go back to Bearer (with
    # it, /oauth/token refuses them: tests/e2e/test_dpop_token.py).
    tenant.cli("apis", "update", api["identifier"], "--no-require-dpop")
    tenant.cli("clients", "update", client_id, "--no-require-dpop")
    tenant.cli("grants", "create", "--client-id", client_id, "--audience", api["identifier"],
               "--scopes", "read:messages")
    nav(browser, "Authentication API debugger")
    Select(labelled(browser, "Grant type")).select_by_value("client_credentials")
    client_field = fill(browser, "Client ID", client_id)
    client_field.send_keys(Keys.TAB)  # a change event: the known secret is filled in
    assert labelled(browser, "Client secret").get_attribute("value") == new_secret
    fill(browser, "Audience (API identifier)", api["identifier"])
    button(browser, "Run").click()
    response = text_in(browser, By.ID, "debugger-response", "HTTP 200").text
    assert "access_token" in response and '"scope": "read:messages"' in response
    request = code_text(browser, "debugger-request")
    assert request.startswith("POST /oauth/token HTTP/1.1") and "grant_type=client_credentials" in request
    screenshot(browser, "debugger")
    # A wrong secret: the refusal is shown as it came.
    fill(browser, "Client secret", "not the secret")
    button(browser, "Run").click()
    text_in(browser, By.ID, "debugger-response", "HTTP 401")
    text_in(browser, By.ID, "debugger-response", "invalid_client")

    # The password grant, then the refresh token it brought.
    web = tenant.client(type="regular_web", grant_types="password,refresh_token")
    tenant.cli("users", "permissions", "add", user_email, "--audience", api["identifier"],
               "read:messages")
    Select(labelled(browser, "Grant type")).select_by_value("password")
    fill(browser, "Client ID", web.client_id)
    fill(browser, "Client secret", web.client_secret)
    fill(browser, "Username (email)", user_email)
    fill(browser, "Password", "a brand new password 9")
    fill(browser, "Audience (API identifier)", api["identifier"])
    fill(browser, "Scope (optional)", "read:messages offline_access")
    button(browser, "Run").click()
    text_in(browser, By.ID, "debugger-response", "refresh_token")
    button(browser, "Use the refresh token").click()
    assert Select(labelled(browser, "Grant type")).first_selected_option.get_attribute("value") \
        == "refresh_token"
    button(browser, "Run").click()
    wait(browser, lambda d: "grant_type=refresh_token" in code_text(d, "debugger-request")
         and "HTTP 200" in code_text(d, "debugger-response"), "the refreshed token")

    # --- deleting the application
    nav(browser, "Applications")
    visible(browser, By.LINK_TEXT, "renamed").click()
    button(browser, "Delete application").click()
    confirm(browser, "Delete application")
    announced(browser, "Deleted the application")
    res = requests.get(serve.url(f"/api/v2/clients/{client_id}"),
                       headers={"authorization": f"Bearer {admin_token}"}, timeout=HTTP_TIMEOUT)
    assert res.status_code == 404
    # The only failed requests were the ones the test provoked.
    assert script_errors(browser, expected=("status of 412", "status of 401")) == []


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_the_token_debugger_verifies_every_algorithm(start_serve, browser, alg):
    serve = start_serve()
    tenant = Tenant(serve)
    api, client = tenant.m2m(scopes=("read:messages",), alg=alg)
    tenant.sync()
    res = requests.post(serve.url("/oauth/token"), timeout=HTTP_TIMEOUT, data={
        "grant_type": "client_credentials", "audience": api["identifier"], **client.creds()})
    assert res.status_code == 200, res.text
    token = res.json()["access_token"]
    email, password = make_admin(serve)
    sign_in(browser, serve, email, password)
    nav(browser, "Token debugger")
    box = labelled(browser, "Token")
    box.send_keys(token)
    text_in(browser, By.ID, "signature-status", "Signature verified with the tenant's key")
    assert f"({alg})" in browser.find_element(By.ID, "signature-status").text
    # One bit flipped in the signature's first byte fails verification.
    head, body, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 1
    flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    box.clear()
    box.send_keys(f"{head}.{body}.{flipped}")
    text_in(browser, By.ID, "signature-status", "Invalid signature")
    # Not a JWT at all: said plainly.
    box.clear()
    box.send_keys("not-a-token")
    text_in(browser, By.CSS_SELECTOR, "main [role=alert]", "three parts")
    assert script_errors(browser) == []
