"""Browser fixtures: one headless Chromium for the session (Debian's, /usr/bin/chromium, driven
by Playwright; scripts/setup-browser installs it), the explorer's bundle built when stale, and
`serve`, which runs an ASGI app with uvicorn on a free port in a thread for the browser to load."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.types import ASGIApp

from chain.localnode import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BUNDLE = ROOT / "api" / "static" / "explorer" / "chain_check.js"
BUNDLE_SOURCES = [
    ROOT / "web" / "chain_check.js",
    ROOT / "web" / "credits_abi.json",
    ROOT / "package-lock.json",
]


@pytest.fixture(scope="session")
def explorer_bundle() -> Path:
    """api/static/explorer/chain_check.js, (re)built by scripts/build-web when a source is newer."""
    if not BUNDLE.exists() or any(s.stat().st_mtime > BUNDLE.stat().st_mtime for s in BUNDLE_SOURCES):
        subprocess.run([str(ROOT / "scripts" / "build-web")], check=True, cwd=ROOT)
    return BUNDLE


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/setup-browser (as root, it installs Debian's chromium)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (own localStorage and cookies) and page per test."""
    context = browser.new_context(locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Serves `app` on 127.0.0.1 and a free port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
