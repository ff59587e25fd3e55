"""Debian's headless Chromium driven by Selenium, for the browser tests (the console, the sample
single-page app): the skip when it is not installed, the browser fixture, and waits that say what
they waited for and show the page when they time out.

Import this module before selenium: it skips the importing test module when Chromium,
chromedriver or python3-selenium is missing (scripts/install-deps.sh installs all three).
"""

from __future__ import annotations

import json
import os

import pytest

from conftest import clean_env

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip("Chromium is not installed (/usr/bin/chromium, /usr/bin/chromedriver): "
                "run scripts/install-deps.sh", allow_module_level=True)
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="python3-selenium is not installed: run scripts/install-deps.sh")
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402,E501
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 30.0  # s; an upper bound for a page to react on a loaded machine, not an expected time
DESKTOP = (1280, 900)
PHONE = (390, 844)  # an iPhone 12-15 in CSS pixels


def chromium_options(width: int, height: int):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox",  # CI runs as root, where the sandbox cannot start
                 "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                 # Loopback only: no update checks, sync, translation or other calls home.
                 "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps",
                 "--disable-features=Translate,OptimizationHints,MediaRouter",
                 "--no-proxy-server"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture
def browser(tmp_path):
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, env=clean_env(HOME=str(tmp_path))),
                              options=chromium_options(*DESKTOP))
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, condition, what: str, timeout: float = WAIT):
    try:
        # A page that re-renders while a condition looks at it leaves stale elements behind:
        # that is "not yet", so the condition is simply tried again.
        return WebDriverWait(driver, timeout,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what}; page: {driver.current_url}\n"
                             f"{driver.find_element(By.TAG_NAME, 'body').text[:3000]}") from None


def visible(driver, by, value, what: str | None = None):
    return wait(driver, ec.visibility_of_element_located((by, value)), what or value)


def text_in(driver, by, value, text: str):
    wait(driver, ec.text_to_be_present_in_element((by, value), text), f"{text!r} in {value}")
    return driver.find_element(by, value)


def button(driver, label: str, scope=None):
    """The enabled, visible button whose text is `label`."""
    xpath = f".//button[normalize-space()={json.dumps(label)}]"
    root = scope or driver

    def find(_):
        for b in root.find_elements(By.XPATH, xpath):
            if b.is_displayed() and b.is_enabled():
                return b
        return False

    return wait(driver, find, f"button {label!r}")


def script_errors(driver, expected: tuple[str, ...] = ()) -> list[str]:
    """Errors in the browser's console since the last call (CSP violations, exceptions, failed
    loads), but those that contain one of `expected`."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and not any(e in entry["message"] for e in expected)]


# --- signet's login page (GET /authorize without a session)


def login_page(driver):
    """Waits for signet's login page and returns its email field."""
    return visible(driver, By.CSS_SELECTOR, "input[name=email]", "signet's login page")


def submit_login(driver, email: str, password: str):
    """Fills signet's login page and submits it."""
    field = login_page(driver)
    field.clear()
    field.send_keys(email)
    secret = driver.find_element(By.CSS_SELECTOR, "input[name=password]")
    secret.clear()
    secret.send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
