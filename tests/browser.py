"""Headless chromium for the dashboard tests: Debian's /usr/bin/chromium driven by Playwright.

Playwright's own browser download (`playwright install`) is never used: CI installs Debian's
chromium (.ci/run). Without it the browser tests skip, so the README's test command still
passes on a fresh machine. Screenshots land in test-artifacts/browser/ (kept by CI), and
also in $EDGESIM_SCREENSHOTS when set (how docs/screenshots/ is refreshed).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
VIEWPORT = {"width": 1440, "height": 900}


def require_browser():
    """Playwright's async API, or skip the test with the reason."""
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}: install Debian's chromium (apt-get install -y chromium) to run the browser tests")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[browser]'")
    return async_playwright


@dataclass
class Watched:
    """A page and every console error or uncaught exception it produced."""

    page: object
    errors: list[str] = field(default_factory=list)


async def open_page(browser, url: str) -> Watched:
    page = await browser.new_page(viewport=VIEWPORT)
    watched = Watched(page)
    page.on("console", lambda m: m.type == "error" and watched.errors.append(m.text))
    page.on("pageerror", lambda exc: watched.errors.append(f"uncaught: {exc}"))
    await page.goto(url)
    return watched


async def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    if extra := os.environ.get("EDGESIM_SCREENSHOTS"):
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(extra) / path.name)
    return path
