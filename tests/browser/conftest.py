"""Playwright fixtures for the end-to-end tests in a real headless Chromium (Debian's).

One browser serves the whole package; every page opened in a test gets a browser context of its
own (own cookies, so an editor and a reviewer can be logged in side by side). When a test fails,
each of its pages is saved as a screenshot in test-results/.
"""

import contextlib
import re
import shutil
from pathlib import Path

import pytest

# Debian's chromium (/usr/bin/chromium); tests/conftest.py skips these tests when there is none.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Long enough for a cold CKEditor on a loaded CI machine; a passing step takes well under a second.
TIMEOUT_MS = 15_000
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so a fixture can tell that the test failed."""
    report = yield
    setattr(item, f"browser_report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def chromium():
    """One headless Chromium for the browser tests (launching it is the slow part).

    Package scope, not session: Playwright's sync API keeps an asyncio loop running in this
    thread while it is started, which would make Django refuse ORM calls (and async_to_sync) in
    every test that comes after. Inside the package the ORM calls the tests make between browser
    steps are plain synchronous calls all the same, hence DJANGO_ALLOW_ASYNC_UNSAFE.
    """
    from playwright.sync_api import expect, sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            expect.set_options(timeout=TIMEOUT_MS)
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()


@pytest.fixture
def open_page(chromium, live_server, request):
    """A function opening a page in a fresh context on the live server: `open_page(phone=True)`.

    Relative URLs (`page.goto("/admin/")`) go to the live server. The page asks for zh-CN, so the
    site answers in zh-hans, its default language.
    """
    pages = []

    def open_(*, phone: bool = False):
        context = chromium.new_context(
            base_url=live_server.url, locale="zh-CN", **(PHONE if phone else DESKTOP)
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_
    failed = any(
        getattr(getattr(request.node, f"browser_report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for number, page in enumerate(pages, start=1):
            # A page that died must not hide the test's own failure behind another error.
            with contextlib.suppress(Exception):
                page.screenshot(path=RESULTS / f"{name}-{number}.png", full_page=True)
    for page in pages:
        page.context.close()
