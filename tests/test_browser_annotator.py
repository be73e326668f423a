"""The Annotator in a real browser: mark two turns of a shipped clip, save, read the CSV back.

JupyterLab (same Python environment, loopback only, random token) serves a temporary folder
holding a one-cell notebook that shows an Annotator on the 6 s AMI excerpt
``ami-lhotse/ES2011a`` *without* its truth. Headless Debian Chromium (Playwright) at
1280x800 runs the cell, then, as a user would: types the first turn's start and end, its
speaker and text, clicks "Add turn"; types the second turn's start and an early end, moves
the selection's end handle with the arrow keys to the true end, clicks "Add turn"; clicks
"Save CSV". The CSV the kernel wrote is read back with :func:`rtlab.read_annotation` and
must hold the clip's two hand-timed turns. The whole Annotator (picture, sliders, player,
fields, turn list) must fit the 1280x800 window without scrolling. Screenshots go to
``out/screenshots/``.

Uses the JupyterLab / Chromium helpers of ``tests/test_browser.py``; skipped like it when
Chromium or playwright is missing.
"""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from test_browser import (
    SCREENSHOTS,
    VIEWPORT,
    WAIT_S,
    assert_fits,
    dismiss_toasts,
    lab_page,
    one_cell_notebook,
    playwright_sync,
)

import rtlab
from rtlab.annotation import read_annotation

CLIP = "ami-lhotse/ES2011a"

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["playwright_sync"]  # the fixture, used by name below

CELL = """\
import rtlab
from rtlab.widgets._annotator import Annotator

clip = rtlab.datasets.load("ami-lhotse/ES2011a")
ann = Annotator(clip.audio, path="annotated.csv", speaker="")
ann"""


def _type_into(page, selector: str, text: str) -> None:
    field = page.locator(selector).first
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _status(page) -> str:
    return page.locator(".rtlab-annotator .rtlab-status").first.text_content() or ""


def _turns(page) -> list[str]:
    return page.locator(".rtlab-annotator .rtlab-turns option").all_text_contents()


def _wait_for(page, predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if predicate():
            return
        page.wait_for_timeout(200)
    pytest.fail(f"timed out waiting for {what}")


def test_annotator_marks_and_saves_turns_in_jupyterlab(playwright_sync, tmp_path):
    root = tmp_path / "lab"
    one_cell_notebook(root, "annotate.ipynb", CELL)
    truth = rtlab.datasets.load(CLIP).truth
    with lab_page(playwright_sync, root, tmp_path, failure="annotator_failure.png") as (
        page,
        base,
        token,
        console,
    ):
        page.set_default_timeout(WAIT_S * 1000)
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.goto(f"{base}/lab/tree/annotate.ipynb?token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        page.get_by_text(re.compile(r"\(ipykernel\) \| Idle")).first.wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.wait_for_selector(".rtlab-annotator img.rtlab-annotator-image[src]")
        page.get_by_text(re.compile(r"\(ipykernel\) \| Idle")).first.wait_for()
        with contextlib.suppress(Exception):  # JupyterLab's "news?" toast, if shown
            page.get_by_role("button", name="No").click(timeout=2000)
        annotator = page.locator(".rtlab-annotator").first
        assert_fits(page, annotator, "the Annotator")
        page.screenshot(path=str(SCREENSHOTS / "annotator_start.png"))
        text = page.locator(".jp-NotebookPanel").text_content() or ""
        assert "Error displaying widget" not in text and "Traceback" not in text
        assert page.locator(".rtlab-annotator audio.rtlab-player").count() == 1

        # turn 1: typed start, end, speaker and text
        first, second = truth.turns
        _type_into(page, ".rtlab-annotator .rtlab-start input", f"{first.start_s:.2f}")
        _type_into(page, ".rtlab-annotator .rtlab-end input", f"{first.end_s:.2f}")
        _type_into(page, ".rtlab-annotator .rtlab-speaker input", first.speaker)
        _type_into(page, ".rtlab-annotator .rtlab-text input", first.text)
        page.locator(".rtlab-annotator button.rtlab-add").first.click()
        _wait_for(page, lambda: len(_turns(page)) == 1, "the first turn in the list")

        # turn 2: typed start, an end 60 ms early moved into place with the arrow keys
        _type_into(page, ".rtlab-annotator .rtlab-start input", f"{second.start_s:.2f}")
        _type_into(page, ".rtlab-annotator .rtlab-end input", f"{second.end_s - 0.06:.2f}")
        _type_into(page, ".rtlab-annotator .rtlab-speaker input", second.speaker)
        _type_into(page, ".rtlab-annotator .rtlab-text input", second.text)
        upper = page.locator(".rtlab-annotator .rtlab-selection .noUi-handle-upper").first
        upper.focus()
        for _ in range(6):  # 10 ms a step
            page.keyboard.press("ArrowRight")
        readout = page.locator(".rtlab-annotator .rtlab-selection .widget-readout").first
        _wait_for(
            page,
            lambda: (readout.text_content() or "").strip().endswith(f"{second.end_s:.2f}"),
            "the selection's end to reach the true end",
        )
        page.wait_for_timeout(1000)  # let the last key's change reach the kernel
        page.locator(".rtlab-annotator button.rtlab-add").first.click()
        _wait_for(page, lambda: len(_turns(page)) == 2, "the second turn in the list")

        page.locator(".rtlab-annotator button.rtlab-save").first.click()
        _wait_for(page, lambda: "saved 2 turns" in _status(page), "the saved status")
        dismiss_toasts(page)  # the news toast, if it came late
        box = assert_fits(page, annotator, "the Annotator with two turns")
        page.screenshot(path=str(SCREENSHOTS / "annotator.png"))
        annotator.screenshot(path=str(SCREENSHOTS / "annotator_widget.png"))
        end_field = page.locator(".rtlab-annotator .rtlab-end input").first
        assert end_field.input_value() == f"{second.end_s:g}"  # no float noise shown
        assert box["width"] <= VIEWPORT["width"]

    saved = read_annotation(root / "annotated.csv")
    assert [(t.start_s, t.end_s, t.speaker, t.text) for t in saved.turns] == [
        (t.start_s, t.end_s, t.speaker, t.text) for t in truth.turns
    ]
    errors = [line for line in console if line.startswith("error") and "widget" in line.lower()]
    assert not errors, errors
