"""The Annotator driven through its child widgets' values and buttons (no browser)."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from PIL import Image

import rtlab
from rtlab.annotation import Annotation, read_annotation
from rtlab.drafting import draft_truth
from rtlab.errors import ConfigError
from rtlab.widgets._annotator import Annotator

CLIP = "ami-lhotse/ES2011a"  # 6 s, two hand-timed turns by two speakers


@pytest.fixture()
def clip():
    return rtlab.datasets.load(CLIP)


def _wav_samples(data: bytes) -> tuple[int, np.ndarray]:
    with wave.open(io.BytesIO(data)) as handle:
        return handle.getframerate(), np.frombuffer(
            handle.readframes(handle.getnframes()), dtype="<i2"
        )


def test_mark_two_turns_by_selection_and_save_reads_back(clip, tmp_path):
    ann = Annotator(clip.audio, path=tmp_path / "es.csv")
    assert ann.value.turns == () and ann.turn_list.options == ()
    image = ann.image.value
    for (start, end), speaker, text in zip(
        [(1.46, 2.82), (3.36, 4.36)],
        ["ES2011a.Headset-1", "ES2011a.Headset-2"],
        ["I'M ABIGAIL CLAFLIN", "YOU CAN CALL ME ABBIE"],
        strict=True,
    ):
        ann.selection.value = (start, end)
        assert (ann.start_s.value, ann.end_s.value) == (start, end)
        ann.speaker.value = speaker
        ann.text.value = text
        ann.add_button.click()
    assert ann.error.value == ""
    assert ann.image.value != image
    assert [(t.start_s, t.end_s, t.speaker, t.text) for t in ann.value.turns] == [
        (t.start_s, t.end_s, t.speaker, t.text) for t in clip.truth.turns
    ]
    assert ann.value.speech.tolist() == clip.truth.speech.tolist()
    assert len(ann.turn_list.options) == 2 and ann.turn_list.value == 1

    ann.save_button.click()
    saved = read_annotation(tmp_path / "es.csv")
    assert saved.turns == ann.value.turns
    assert "saved 2 turns" in ann.status.value
    assert not list(tmp_path.glob(".es.csv.*"))  # no temporary file left


def test_player_plays_exactly_the_selection(clip):
    ann = Annotator(clip.audio)
    ann.selection.value = (1.0, 1.5)
    rate, samples = _wav_samples(ann.player.value)
    assert rate == 24000
    assert np.array_equal(samples, clip.audio.samples[24000:36000])
    ann.start_s.value = 2.0
    ann.end_s.value = 2.25
    assert ann.selection.value == (2.0, 2.25)
    assert np.array_equal(_wav_samples(ann.player.value)[1], clip.audio.samples[48000:54000])


def test_choose_update_nudge_split_delete(clip):
    ann = Annotator(clip)  # starts from the clip's own turns
    assert len(ann.value.turns) == 2
    ann.turn_list.value = 0
    assert ann.selection.value == (1.46, 2.82)
    assert ann.speaker.value == "ES2011a.Headset-1"
    ann.nudge_ms.value = 100
    ann.end_later.click()
    ann.end_later.click()
    ann.start_earlier.click()
    assert ann.selection.value == pytest.approx((1.36, 3.02))
    ann.update_button.click()
    assert (ann.value.turns[0].start_s, ann.value.turns[0].end_s) == (1.36, 3.02)
    assert ann.value.turns[0].text == "I'M ABIGAIL CLAFLIN"

    ann.selection.value = (1.36, 2.0)  # split the chosen turn at the selection's end
    ann.split_button.click()
    spans = [(t.start_s, t.end_s) for t in ann.value.turns]
    assert spans == [(1.36, 2.0), (2.0, 3.02), (3.36, 4.36)]
    assert ann.turn_list.value == 1

    ann.delete_button.click()
    assert [(t.start_s, t.end_s) for t in ann.value.turns] == [(1.36, 2.0), (3.36, 4.36)]
    assert ann.turn_list.value is None


def test_errors_are_shown_not_raised(clip):
    ann = Annotator(clip.audio)
    ann.delete_button.click()
    assert "chosen turn" in ann.error.value and ann.value.turns == ()
    ann.selection.value = (2.0, 2.0)
    ann.add_button.click()
    assert "longer than 0" in ann.error.value and ann.value.turns == ()
    ann.selection.value = (1.0, 2.0)
    ann.add_button.click()
    assert ann.error.value == "" and len(ann.value.turns) == 1
    ann.turn_list.value = 0
    ann.selection.value = (0.5, 3.0)  # end outside the turn: cannot split there
    ann.split_button.click()
    assert "inside the chosen turn" in ann.error.value and len(ann.value.turns) == 1
    ann.start_s.value = 3.5  # start after end: refused, selection unchanged
    assert "start_s" in ann.error.value and ann.selection.value == (0.5, 3.0)


def test_draft_button_gives_the_drafted_turns(clip):
    ann = Annotator(clip.audio, speaker="")
    ann.draft_button.click()
    drafted = draft_truth(clip.audio)
    assert [(t.start_s, t.end_s) for t in ann.value.turns] == [
        (t.start_s, t.end_s) for t in drafted.turns
    ]
    assert all(t.speaker is None for t in ann.value.turns)


def test_assigning_value_loads_turns_and_view_zooms(clip):
    ann = Annotator(clip.audio)
    ann.value = clip.truth
    assert len(ann.turn_list.options) == 2
    before = ann.image.value
    ann.view.value = (1.0, 3.0)
    assert ann.image.value != before
    width, height = Image.open(io.BytesIO(ann.image.value)).size
    assert (width, height) == (880, 224)
    ann.view.value = (2.0, 2.1)  # too narrow: widened to 0.5 s
    assert ann.view.value[1] - ann.view.value[0] == pytest.approx(0.5)


def test_unlabelled_turns_save_as_speech_rows(clip, tmp_path):
    ann = Annotator(clip.audio, speaker="")
    ann.value = Annotation.from_segments([[1.0, 2.0], [3.0, 4.0]], duration_s=6.0)
    path = ann.save(tmp_path / "plain.csv")
    assert path.read_text().splitlines()[1] == "1.000,2.000,speech,"
    assert read_annotation(path).speech.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_bad_arguments(clip):
    with pytest.raises(ConfigError, match="truth"):
        Annotator(clip.audio, truth="x.csv")
    with pytest.raises(ConfigError, match="audio"):
        Annotator(3)
    ann = Annotator(str(rtlab.datasets.root() / "librivox_pocketsphinx" /
                        "sense_and_sensibility_01_austen_64kb-0880.wav"))  # fmt: skip
    assert ann.name == "sense_and_sensibility_01_austen_64kb-0880"
    assert ann.path_text.value == "sense_and_sensibility_01_austen_64kb-0880.csv"
