"""The widgets in a real browser: JupyterLab + headless Chromium driven by Playwright.

Starts JupyterLab (same Python environment) on a free loopback port with a random token
on a copy of ``notebooks/``, in Debian's Chromium with a 1280x800 window (JupyterLab's
file browser open, as a new user sees it):

- notebook 03: runs every cell, waits for the Tuner to render (and checks that no widget
  failed to display), checks that the whole Tuner, its timeline's time axis and truth lanes
  included, fits the window without scrolling, moves the threshold and silence sliders and
  checks that the timeline image and the metrics table change;
- notebook 01: the SessionBuilder's JSON preview sits to the right of its fields and the
  whole builder fits the window;
- a one-cell notebook with a small SweepRunner run: the heatmap axis dropdowns show whole
  parameter names, the heatmap and the Pareto front sit side by side, the Pareto labels
  do not overlap.

Screenshots of each widget go to ``out/screenshots/`` (look at them).

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
VIEWPORT = {"width": 1280, "height": 800}
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


def run_notebook(page, base: str, token: str, name: str, console: list[str]) -> None:
    """Open ``name`` in JupyterLab, run every cell, wait until the last one has output."""
    page.set_default_timeout(WAIT_S * 1000)
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"{base}/lab/tree/{name}?token={token}")
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


def dismiss_toasts(page) -> None:
    """Close JupyterLab's "news?" toast, if shown (it covers the bottom right corner)."""
    with contextlib.suppress(Exception):
        page.locator(".jp-toast-button", has_text="No").first.click(timeout=2000)


def check_outputs(page) -> None:
    """No widget failed to display, no traceback, nothing on stderr that says Error."""
    text = page.locator(".jp-NotebookPanel").text_content() or ""
    assert "Error displaying widget" not in text
    assert "Traceback" not in text
    stderr_mime = "application/vnd.jupyter.stderr"
    stderr = page.locator(
        f".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='{stderr_mime}']"
    ).all_text_contents()
    assert not [t for t in stderr if "Error" in t], stderr


def scroll_to_top(page, locator) -> dict[str, float]:
    """Scroll the notebook so ``locator``'s top is at the top of the notebook's view."""
    locator.scroll_into_view_if_needed()
    top = notebook_view(page)["y"]
    box = None
    for _ in range(20):  # JupyterLab may still scroll to the active cell: settle first
        locator.evaluate("element => element.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        box = locator.bounding_box()
        if box is not None and abs(box["y"] - top) < 30:
            break
    assert box is not None
    return box


def notebook_view(page) -> dict[str, float]:
    """The part of the window the notebook's cells scroll in (below the toolbar)."""
    box = page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first.bounding_box()
    if box is None:  # older JupyterLab: the notebook itself scrolls
        box = page.locator(".jp-NotebookPanel .jp-Notebook").first.bounding_box()
    assert box is not None
    return box


def assert_fits(page, locator, what: str) -> dict[str, float]:
    """``locator`` is seen whole in the notebook's view of the 1280x800 window."""
    box = scroll_to_top(page, locator)
    view = notebook_view(page)
    bottom = view["y"] + view["height"]
    assert box["height"] <= view["height"], (
        f"{what} is {box['height']:.0f} px tall; the notebook shows {view['height']:.0f} px"
    )
    assert box["y"] + box["height"] <= bottom + 1, (what, box, view)
    assert box["x"] + box["width"] <= VIEWPORT["width"], (what, box)
    return box


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


@contextlib.contextmanager
def lab_page(playwright, root: Path, tmp_path: Path, *, failure: str | None = None):
    """JupyterLab on ``root`` and a 1280x800 Chromium page: ``(page, base, token, console)``.

    If the block fails, a full-page screenshot goes to ``SCREENSHOTS / failure``; once the
    browser is closed, no widget error may have reached the browser console.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    with jupyter_lab(root, tmp_path / "jupyter") as (base, token):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport=VIEWPORT)
        try:
            yield page, base, token, console
        except BaseException:
            if failure is not None:
                with contextlib.suppress(Exception):
                    page.screenshot(path=str(SCREENSHOTS / failure), full_page=True)
            raise
        finally:
            browser.close()
    errors = [line for line in console if line.startswith("error") and "widget" in line.lower()]
    assert not errors, errors


def one_cell_notebook(folder: Path, name: str, source: str) -> None:
    """Write a notebook of one code cell (Python 3 kernel) to ``folder / name``."""
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"
    }  # fmt: skip
    nbformat.write(notebook, folder / name)


def test_tuner_in_jupyterlab(playwright_sync, tmp_path):
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    with lab_page(playwright_sync, root, tmp_path, failure="03_failure.png") as (
        page,
        base,
        token,
        console,
    ):
        run_notebook(page, base, token, NOTEBOOK, console)
        page.wait_for_selector(".rtlab-tuner img.rtlab-timeline[src]", state="attached")
        page.wait_for_selector(".rtlab-tuner .rtlab-metrics td.rtlab-now", state="attached")
        dismiss_toasts(page)
        tuner = page.locator(".rtlab-tuner").first
        check_outputs(page)

        # the whole Tuner in the window: sliders, metrics and the timeline to its time axis
        box = assert_fits(page, tuner, "the Tuner")
        page.screenshot(path=str(SCREENSHOTS / "03_tuner_window.png"))
        tuner.screenshot(path=str(SCREENSHOTS / "03_tuner_before.png"))
        image = page.locator(".rtlab-tuner img.rtlab-timeline").first.bounding_box()
        assert image is not None and image["height"] > 250, image  # still readable
        assert image["y"] + image["height"] <= box["y"] + box["height"]
        for control in ("rtlab-threshold", "rtlab-silence"):
            slider = page.locator(f".rtlab-tuner .{control}").first.bounding_box()
            assert slider is not None and slider["y"] >= box["y"], control
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
        assert moved[0] != after[0] and moved[1] != after[1]
        readout_text = page.locator(
            ".rtlab-tuner .rtlab-silence .widget-readout"
        ).first.text_content()
        assert int(readout_text) > 500
        assert "Error displaying widget" not in page.locator(".jp-NotebookPanel").text_content()


def test_session_builder_preview_beside_the_fields(playwright_sync, tmp_path):
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    with lab_page(playwright_sync, root, tmp_path, failure="01_failure.png") as (
        page,
        base,
        token,
        console,
    ):
        run_notebook(page, base, token, "01_session_builder.ipynb", console)
        page.wait_for_selector(".rtlab-session-builder pre.rtlab-json", state="attached")
        dismiss_toasts(page)
        check_outputs(page)
        builder = page.locator(".rtlab-session-builder").first
        box = assert_fits(page, builder, "the SessionBuilder")
        dismiss_toasts(page)
        page.screenshot(path=str(SCREENSHOTS / "01_session_builder.png"))
        builder.screenshot(path=str(SCREENSHOTS / "01_session_builder_widget.png"))
        fields = page.locator(".rtlab-session-builder .rtlab-fields").first.bounding_box()
        preview = page.locator(".rtlab-session-builder pre.rtlab-json").first.bounding_box()
        assert fields is not None and preview is not None
        # beside, not below: the preview starts right of the fields, level with them
        assert preview["x"] >= fields["x"] + fields["width"], (fields, preview)
        assert preview["y"] < fields["y"] + fields["height"], (fields, preview)
        assert preview["y"] + preview["height"] <= box["y"] + box["height"]
        assert preview["width"] >= 280, preview  # the JSON is readable
        # notebook 01 left the threshold at 0.55 after an error: the field and the JSON
        threshold = page.locator(".rtlab-session-builder pre.rtlab-json").first
        assert '"threshold": 0.55' in (threshold.text_content() or "")
        assert page.locator(".rtlab-session-builder .widget-text input").first.is_visible()
        # every section, opened, still fits (the tallest holds the instructions box)
        sections = page.locator(".rtlab-session-builder .rtlab-sections").first
        for title in ("Model and responses", "Tools and limits", "Audio"):
            sections.get_by_text(title, exact=True).first.click()
            page.wait_for_timeout(400)
            assert_fits(page, builder, f"the SessionBuilder with {title} open")
            page.screenshot(path=str(SCREENSHOTS / f"01_session_builder_{title[:5]}.png"))


SWEEP_CELL = """\
import rtlab

runner = rtlab.widgets.SweepRunner(["ami-debug/trn04", "ami-debug/trn05"], progress=False)
runner.threshold_values.value = "0.3, 0.4, 0.5, 0.6, 0.7"
runner.silence_duration_ms_values.value = "200:1400:200"
runner.use_prefix_padding_ms.value = True
runner.run()
runner"""


def test_sweep_runner_reads_at_1280x800(playwright_sync, tmp_path):
    root = tmp_path / "lab"
    one_cell_notebook(root, "sweep.ipynb", SWEEP_CELL)
    with lab_page(playwright_sync, root, tmp_path, failure="sweep_failure.png") as (
        page,
        base,
        token,
        console,
    ):
        run_notebook(page, base, token, "sweep.ipynb", console)
        page.wait_for_selector(".rtlab-sweep-runner img.rtlab-pareto[src]", state="attached")
        dismiss_toasts(page)
        check_outputs(page)
        runner = page.locator(".rtlab-sweep-runner").first
        results = page.locator(".rtlab-sweep-runner .rtlab-results").first
        scroll_to_top(page, results)
        page.screenshot(path=str(SCREENSHOTS / "sweep_runner.png"))
        runner.screenshot(path=str(SCREENSHOTS / "sweep_runner_widget.png"))
        # the axis dropdowns show whole parameter names, not "param_turn_detecti"
        for axis in ("rtlab-x", "rtlab-y"):
            select = page.locator(f".rtlab-sweep-runner .{axis} select").first
            shown = select.evaluate("s => s.options[s.selectedIndex].text")
            assert shown in ("threshold", "silence_duration_ms", "prefix_padding_ms"), shown
            assert select.evaluate("s => s.scrollWidth <= s.clientWidth"), axis
        # heatmap and Pareto front side by side, inside the window
        heatmap = page.locator(".rtlab-sweep-runner img.rtlab-heatmap").first.bounding_box()
        pareto = page.locator(".rtlab-sweep-runner img.rtlab-pareto").first.bounding_box()
        assert heatmap is not None and pareto is not None
        assert pareto["x"] >= heatmap["x"] + heatmap["width"] - 1, (heatmap, pareto)
        assert abs(pareto["y"] - heatmap["y"]) < 40, (heatmap, pareto)
        assert pareto["x"] + pareto["width"] <= VIEWPORT["width"]
        assert_fits(page, results, "the sweep results")


def test_barge_in_notebook_runs_in_jupyterlab(playwright_sync, tmp_path):
    """Notebook 06 (full duplex) run as a user runs it: every cell, pictures, no error."""
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    with lab_page(playwright_sync, root, tmp_path, failure=None) as (page, base, token, console):
        run_notebook(page, base, token, "06_barge_in_and_echo.ipynb", console)
        dismiss_toasts(page)
        check_outputs(page)
        picture = page.locator(".jp-NotebookPanel .jp-OutputArea-output img").first
        picture.wait_for()
        box = scroll_to_top(page, picture)
        assert box["width"] > 600, box  # the conversation's timeline, drawn
        page.screenshot(path=str(SCREENSHOTS / "06_conversation.png"))
        text = page.locator(".jp-NotebookPanel").text_content() or ""
        assert "self_interruptions" in text and "self-interruptions" in text
