"""The Tuner in a real browser: JupyterLab + headless Chromium driven by Playwright.

Starts JupyterLab (same Python environment) on a free loopback port with a random token
on a copy of ``notebooks/``, opens notebook 03 in Debian's Chromium, runs every cell, waits
for the Tuner to render (and checks that no widget failed to display), moves the threshold
and silence sliders and checks that the timeline image and the metrics table change.
Screenshots go to ``out/screenshots/``.

Skipped (with the reason) when ``/usr/bin/chromium`` or the ``playwright`` package is
missing; ``make test`` installs Chromium first (``make browser``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = "03_turn_detection_tuning.ipynb"
SCREENSHOTS = ROOT / "out" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WAIT_S = 120  # the longest any single wait may take

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
        return int(response.status)


def _wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            if _get(url) == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {WAIT_S} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def jupyter_lab(root_dir: Path, work: Path):
    """Run JupyterLab on a free port; yield (base_url, token); shut it down afterwards."""
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ)
    for name, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_DATA_DIR_UNUSED", "data"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        (work / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(work / sub)
    env.pop("JUPYTER_DATA_DIR_UNUSED")
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    log = work / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--IdentityProvider.token={token}",
        "--ServerApp.ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    with log.open("w") as handle:
        process = subprocess.Popen(
            command,
            cwd=root_dir,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}/api/status?token={token}", process, log)
        yield base, token
    finally:
        with contextlib.suppress(OSError, urllib.error.URLError):
            request = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10)  # loopback only
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _tuner_state(page) -> tuple[str, str]:
    """The timeline image's src and the metrics table's 'now' column."""
    src = page.locator(".rtlab-tuner img.rtlab-timeline").first.get_attribute("src") or ""
    # textContent, not innerText: JupyterLab skips rendering cells out of view
    now = page.locator(".rtlab-tuner .rtlab-metrics td.rtlab-now").all_text_contents()
    return src, " | ".join(now)


def _wait_change(page, before: tuple[str, str]) -> tuple[str, str]:
    deadline = time.monotonic() + WAIT_S
    state = _tuner_state(page)
    while time.monotonic() < deadline:
        state = _tuner_state(page)
        if state[0] != before[0] and state[1] != before[1]:
            return state
        page.wait_for_timeout(250)
    return state


@pytest.fixture(scope="module")
def playwright_sync():
    if not CHROMIUM.exists():
        pytest.skip(
            "no /usr/bin/chromium (install it with `make browser` or apt-get install chromium)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    with sync_api.sync_playwright() as playwright:
        yield playwright


def test_tuner_in_jupyterlab(playwright_sync, tmp_path):
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    with jupyter_lab(root, tmp_path / "jupyter") as (base, token):
        browser = playwright_sync.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.set_default_timeout(WAIT_S * 1000)
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
            # the kernel is up when the status bar says "Python 3 (ipykernel) | Idle"
            page.get_by_text(re.compile(r"\(ipykernel\) \| Idle")).first.wait_for()

            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            # every cell has run once the last code cell shows its output and the kernel idles
            page.wait_for_function(
                "() => { const cells = document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell');"
                " const last = cells[cells.length - 1];"
                " return last && last.querySelector('.jp-OutputArea-output') !== null; }"
            )
            page.get_by_text(re.compile(r"\(ipykernel\) \| Idle")).first.wait_for()
            page.wait_for_selector(".rtlab-tuner img.rtlab-timeline[src]", state="attached")
            page.wait_for_selector(".rtlab-tuner .rtlab-metrics td.rtlab-now", state="attached")
            with contextlib.suppress(Exception):  # JupyterLab's "news?" toast, if shown
                page.get_by_role("button", name="No").click(timeout=2000)
            tuner = page.locator(".rtlab-tuner").first
            tuner.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            tuner.screenshot(path=str(SCREENSHOTS / "03_tuner_before.png"))
            text = page.locator(".jp-NotebookPanel").text_content()
            assert "Error displaying widget" not in text
            assert "Traceback" not in text
            stderr_mime = "application/vnd.jupyter.stderr"
            stderr = page.locator(
                f".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='{stderr_mime}']"
            ).all_text_contents()
            assert not [t for t in stderr if "Error" in t], stderr
            before = _tuner_state(page)
            assert before[0] and before[1], before

            # 1. type a new threshold into the slider's readout, as a user would
            readout = page.locator(".rtlab-tuner .rtlab-threshold .widget-readout").first
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("0.30")
            page.keyboard.press("Enter")
            after = _wait_change(page, before)
            tuner.screenshot(path=str(SCREENSHOTS / "03_tuner_threshold_0.30.png"))
            assert after[0] != before[0], "the timeline image did not change"
            assert after[1] != before[1], "the metrics did not change"

            # 2. move the silence slider with the keyboard (its handle focused)
            handle = page.locator(".rtlab-tuner .rtlab-silence .noUi-handle").first
            handle.focus()
            for _ in range(25):  # 25 steps of 20 ms: 500 → 1000 ms
                page.keyboard.press("ArrowRight")
            moved = _wait_change(page, after)
            page.wait_for_timeout(1500)  # let the last key's redraw arrive
            moved = _tuner_state(page)
            tuner.screenshot(path=str(SCREENSHOTS / "03_tuner_silence_moved.png"))
            page.screenshot(path=str(SCREENSHOTS / "03_notebook_after.png"), full_page=True)
            assert moved[0] != after[0] and moved[1] != after[1]
            readout_text = page.locator(
                ".rtlab-tuner .rtlab-silence .widget-readout"
            ).first.text_content()
            assert int(readout_text) > 500
            assert "Error displaying widget" not in page.locator(".jp-NotebookPanel").text_content()
        except BaseException:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(SCREENSHOTS / "03_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    errors = [line for line in console if line.startswith("error") and "widget" in line.lower()]
    assert not errors, errors
