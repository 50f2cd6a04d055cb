"""Headless Chromium for the site tests, driven by Playwright (never `playwright install`: Debian's chromium).

Set K2DATA_CHROMIUM to another executable; .ci/run sets K2DATA_REQUIRE_BROWSER=1 so that a missing browser
fails there instead of skipping.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions"]


def chromium() -> str:
    found = os.environ.get("K2DATA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("K2DATA_REQUIRE_BROWSER"):
            pytest.fail("no chromium executable: apt-get install chromium (or set K2DATA_CHROMIUM)")
        pytest.skip("no chromium executable (apt-get install chromium)")
    return found


@dataclass
class Visit:
    """What happened while a page was open: console errors, page errors, requests off the file system."""

    errors: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)


@contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium(), args=FLAGS)
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def open_page(instance, path: Path, width: int = 1280, height: int = 800):
    """A page at the given viewport; any request that is not file:// is recorded and refused."""
    visit = Visit()
    page = instance.new_page(viewport={"width": width, "height": height})
    page.on("console", lambda message: visit.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: visit.errors.append(str(error)))

    def guard(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            visit.network.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(path.as_uri(), wait_until="load")
    try:
        yield page, visit
    finally:
        page.close()


def wait_for_charts(page, timeout: float = 15000) -> int:
    """Wait until every chart of the page has rendered; return how many there are."""
    charts = page.locator("[data-chart]")
    count = charts.count()
    for i in range(count):
        charts.nth(i).locator("svg").first.wait_for(timeout=timeout)
    page.wait_for_function("[...document.querySelectorAll('[data-chart]')].every(e => e.dataset.rendered)",
                           timeout=timeout)
    return count
