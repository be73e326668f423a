"""rtlab.drafting: truth drafted from the recording, checked against hand-made truth."""

from __future__ import annotations

import numpy as np
import pytest

import rtlab
from rtlab import metrics
from rtlab.drafting import draft_truth, save_csv, speech_spans, whole
from rtlab.errors import ConfigError
from rtlab.vad import FrameScores

LIBRIVOX = ["librivox/0870", "librivox/0880", "librivox/0890", "librivox/0920", "librivox/0930"]


@pytest.fixture(scope="module")
def track():
    """Five read utterances with known turn ends and pauses of 0.4 to 1.5 s between them."""
    return rtlab.datasets.compose(LIBRIVOX, gaps_ms=[1500, 400, 1200, 900], tail_ms=1000)


def test_draft_turns_match_the_composed_turns(track):
    draft = draft_truth(track.audio)
    truth = track.truth.turns
    # the 400 ms pause is bridged (< 500 ms), so utterances 2 and 3 make one turn
    assert len(draft.turns) == 4
    expected = [truth[0], (truth[1], truth[2]), truth[3], truth[4]]
    for got, want in zip(draft.turns, expected, strict=True):
        start, end = (want[0].start_s, want[1].end_s) if isinstance(want, tuple) else (
            want.start_s, want.end_s)  # fmt: skip
        assert abs(got.start_s - start) < 0.15, (got, start)
        assert abs(got.end_s - end) < 0.15, (got, end)
    assert draft.duration_s == pytest.approx(track.duration_s)
    assert draft.words == () and draft.transcript is None
    assert draft.source.startswith("draft")
    # smaller bridge: five turns
    assert len(draft_truth(track.audio, bridge_ms=300).turns) == 5


def test_draft_speech_agrees_with_hand_marks():
    clip = rtlab.datasets.load("ami-debug/trn05")
    draft = draft_truth(clip.audio)
    hop_ms = 32.0
    truth = clip.truth.speech_mask(hop_ms)
    mine = draft.speech_mask(hop_ms, n_frames=len(truth))
    agree = float(np.mean(truth == mine))
    assert agree > 0.8, agree


def test_draft_with_words_reads_the_words(track):
    draft = draft_truth(track.audio, words=True)
    assert len(draft.words) > 20
    for w in draft.words:  # every word lies inside a drafted turn
        assert any(t.start_s <= w.start_s and w.end_s <= t.end_s for t in draft.turns), w
    wer = metrics.wer(track.truth.transcript, draft.transcript)
    assert wer < 0.5, (wer, draft.transcript)
    assert draft.turns[0].text and draft.turns[0].text.split()[:3] == ["and", "mr", "john"]


def test_whole_is_one_turn_from_first_to_last_speech():
    clip = rtlab.datasets.load("librivox/0870")
    truth = whole(clip.audio, text=clip.truth.transcript)
    (turn,) = truth.turns
    marks = clip.truth.speech
    assert abs(turn.start_s - marks[0, 0]) < 0.15 and abs(turn.end_s - marks[-1, 1]) < 0.15
    assert turn.text == clip.truth.transcript == truth.transcript
    assert truth.speech[0, 0] == turn.start_s and truth.speech[-1, 1] == turn.end_s
    silent = rtlab.load_audio(np.zeros(24000, dtype=np.int16), sample_rate_hz=24000)
    assert whole(silent).turns == () and whole(silent).speech_known


def test_speech_spans_from_scores():
    p = np.array([0.9, 0.9, 0.2, 0.6, 0.2, 0.7, 0.7, 0.7, 0.7], dtype=np.float32)
    scores = FrameScores(p, hop_ms=32.0, model="x", fingerprint="", duration_ms=280.0)
    assert speech_spans(scores, min_speech_ms=0).tolist() == [
        [0.0, 0.064], [0.096, 0.128], [0.16, 0.28]]  # fmt: skip
    assert speech_spans(scores, threshold=0.8, min_speech_ms=0).tolist() == [[0.0, 0.064]]
    assert speech_spans(scores, min_speech_ms=100).tolist() == [[0.16, 0.28]]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bridge_ms": -1}, "bridge_ms"),
        ({"threshold": 1.5}, "threshold"),
        ({"min_speech_ms": float("nan")}, "min_speech_ms"),
        ({"words": "yes"}, "words"),
        ({"model": "webrtc"}, "model"),
    ],
)
def test_bad_options(kwargs, field):
    audio = rtlab.datasets.load("librivox/0880").audio
    with pytest.raises(ConfigError) as info:
        draft_truth(audio, **kwargs)
    assert info.value.field == field
    with pytest.raises(ConfigError):
        whole(audio, text=3)


def test_save_csv_round_trips_labelled_turns_and_keeps_hand_truth(tmp_path):
    truth = rtlab.datasets.load("ami-debug/trn01").truth
    path = save_csv(truth, tmp_path / "sub" / "trn01.csv")
    back = rtlab.read_annotation(path)
    assert [(t.start_s, t.end_s, t.speaker) for t in back.turns] == [
        (round(t.start_s, 3), round(t.end_s, 3), t.speaker) for t in truth.turns
    ]
    with pytest.raises(ConfigError, match="overwrite"):
        save_csv(truth, path, overwrite=False)
    assert rtlab.read_annotation(path).turns == back.turns
    with pytest.raises(ConfigError, match="Annotation"):
        save_csv("not truth", tmp_path / "x.csv")


def test_draft_saved_is_read_back_as_the_draft(tmp_path):
    clip = rtlab.datasets.load("librivox/0930")
    draft = draft_truth(clip.audio)
    back = rtlab.read_annotation(save_csv(draft, tmp_path / "d.csv"))
    assert [(t.start_s, t.end_s) for t in back.turns] == [
        (round(t.start_s, 3), round(t.end_s, 3)) for t in draft.turns
    ]
