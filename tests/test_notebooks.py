"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, offline, in time.

Each is executed with :func:`rtlab._notebooks.execute_notebook` (nbclient; a failing cell
raises with its traceback). The checks then read the executed outputs: no error or warning
on stderr, the pictures and widgets each notebook promises, and the files notebook 01 writes
(valid ``session.update`` JSON for both APIs that loads back).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rtlab._notebooks import execute_notebook
from rtlab.session import Session

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BUDGET_S = 120  # each notebook must run in under 2 minutes
WIDGET = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.slow


def outputs(nb) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def count(nb, mime: str) -> int:
    return sum(mime in out.get("data", {}) for out in outputs(nb))


def text_of(nb) -> str:
    parts = []
    for out in outputs(nb):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run each notebook once; {stem: (notebook, seconds, folder it wrote to)}."""
    results = {}

    def run(path: Path):
        if path.stem not in results:
            out_dir = tmp_path_factory.mktemp(path.stem)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("RTLAB_NOTEBOOK_OUT", str(out_dir))
                started = time.perf_counter()
                nb = execute_notebook(path, out_dir / path.name, timeout_s=BUDGET_S)
                results[path.stem] = (nb, time.perf_counter() - started, out_dir)
        return results[path.stem]

    return run


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_session_builder.ipynb",
        "02_audio_and_vad.ipynb",
        "03_turn_detection_tuning.ipynb",
        "04_parameter_sweeps.ipynb",
        "05_noise_and_telephony.ipynb",
        "06_barge_in_and_echo.ipynb",
        "07_calibrate.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_without_outputs(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    # public API only: no private rtlab modules
    source = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "rtlab._" not in source and "from rtlab._" not in source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_cleanly_and_in_time(path, executed):
    nb, seconds, _ = executed(path)
    assert seconds < BUDGET_S
    for out in outputs(nb):
        assert out["output_type"] != "error"
        if out["output_type"] == "stream" and out["name"] == "stderr":
            assert "Warning" not in out["text"] and "Error" not in out["text"], out["text"]


def test_01_writes_valid_session_json(executed):
    nb, _, out_dir = executed(ROOT / "notebooks" / "01_session_builder.ipynb")
    folder = out_dir / "01_session_builder"
    beta = json.loads((folder / "session_update.beta.json").read_text())
    ga = json.loads((folder / "session_update.ga.json").read_text())
    assert beta["type"] == ga["type"] == "session.update"
    assert ga["session"]["type"] == "realtime" and "audio" in ga["session"]
    assert "input_audio_format" in beta["session"]
    assert Session.load(folder / "session_update.beta.json") == Session.load(
        folder / "session_update.ga.json"
    )
    assert Session.from_event(ga).turn_detection.threshold == 0.55  # what the notebook set
    assert count(nb, WIDGET) == 1  # the SessionBuilder
    assert "Got 1.5" in text_of(nb)


def test_02_shows_formats_and_scores(executed):
    nb, _, _ = executed(ROOT / "notebooks" / "02_audio_and_vad.ipynb")
    text = text_of(nb)
    assert "48,000 bytes/s" in text and "8,000 bytes/s" in text
    assert count(nb, "image/png") >= 2
    assert "FrameScores(model='silero'" in text


def test_03_tells_its_story_with_a_tuner(executed):
    nb, _, _ = executed(ROOT / "notebooks" / "03_turn_detection_tuning.ipynb")
    sources = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert any("rtlab.widgets.Tuner(" in s for s in sources)
    assert count(nb, WIDGET) == 1
    assert count(nb, "image/png") >= 3  # timeline, zoom, comparison
    assert "semantic_vad medium" in text_of(nb)


def test_04_sweeps_and_recommends(executed):
    nb, _, _ = executed(ROOT / "notebooks" / "04_parameter_sweeps.ipynb")
    assert count(nb, "image/png") >= 5  # two heatmaps, Pareto, trade-off, operating points
    assert count(nb, WIDGET) >= 1  # the SweepRunner (and the sweep progress bars)
    text = text_of(nb)
    assert "'type': 'session.update'" in text
    assert "false_cutoff_rate_at_300ms" in text and "smart_turn" in text


def test_05_measures_noise_and_telephony(executed):
    nb, _, _ = executed(ROOT / "notebooks" / "05_noise_and_telephony.ipynb")
    text = text_of(nb)
    assert "babble" in text and "g711_ulaw" in text and "telephony preset" in text
    assert count(nb, "image/png") >= 1


def test_07_calibrates_against_a_server_with_hidden_options(executed):
    import rtlab

    nb, _, out_dir = executed(ROOT / "notebooks" / "07_calibrate.ipynb")
    assert count(nb, "image/png") >= 1
    saved = list(out_dir.rglob("calibration.json"))
    assert saved, "the notebook saves its calibration"
    cal = rtlab.Calibration.load(saved[0])
    assert cal.options.negative_threshold_offset == pytest.approx(0.2)


def test_06_the_agent_interrupts_itself_until_the_echo_is_suppressed(executed):
    nb, _, _ = executed(ROOT / "notebooks" / "06_barge_in_and_echo.ipynb")
    assert count(nb, "image/png") >= 1  # the conversation timeline
    text = text_of(nb)
    assert "self_interruptions" in text and "false_barge_ins" in text
    assert "self-interruptions" in text  # the attenuation table
