"""rtlab.annotation: readers checked against the shipped files and independent parsers."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtlab.annotation import (
    Annotation,
    Turn,
    read_annotation,
    read_audacity,
    read_csv,
    read_lab,
    read_lhotse,
    read_rttm,
    read_rttm_all,
    read_transcript,
    read_words,
)
from rtlab.errors import ConfigError, RtlabError

ROOT = Path(__file__).resolve().parents[1] / "datasets"
AMI = ROOT / "ami_pyannote_debug"
LIBRI = ROOT / "librivox_pocketsphinx"
DEBUG_RTTM = AMI / "debug.rttm"
URIS = [f"trn0{i}" for i in range(1, 10)] + ["dev00", "dev01"]
LIBRI_IDS = ["0870", "0880", "0890", "0920", "0930"]


def libri(ident: str, suffix: str) -> Path:
    return LIBRI / f"sense_and_sensibility_01_austen_64kb-{ident}{suffix}"


def tiny_rttm(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    """An independent minimal RTTM reader: SPEAKER lines only, start/duration/name."""
    out: dict[str, list[tuple[float, float, str]]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "SPEAKER":
                start = float(parts[3])
                out.setdefault(parts[1], []).append((start, start + float(parts[4]), parts[7]))
    return out


def union(spans):
    """Independent union of intervals (sorted, merged when overlapping or touching)."""
    merged: list[list[float]] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if merged and s <= merged[-1][1] + 1e-9:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


# ------------------------------------------------------------------------------ RTTM


def test_rttm_matches_pyannote_database_loader():
    from pyannote.database.util import load_rttm

    oracle = load_rttm(str(DEBUG_RTTM))
    ours = read_rttm_all(DEBUG_RTTM)
    assert sorted(ours) == sorted(oracle) == sorted(URIS)
    for uri, annotation in ours.items():
        expected = sorted(
            (seg.start, seg.end, label)
            for seg, _, label in oracle[uri].itertracks(yield_label=True)
        )
        got = sorted((t.start_s, t.end_s, t.speaker) for t in annotation.turns)
        assert len(got) == len(expected)
        for (s, e, spk), (s2, e2, spk2) in zip(got, expected, strict=True):
            assert spk == spk2
            assert s == pytest.approx(s2, abs=1e-9) and e == pytest.approx(e2, abs=1e-9)
        support = [(seg.start, seg.end) for seg in oracle[uri].get_timeline().support()]
        np.testing.assert_allclose(annotation.speech, np.array(support).reshape(-1, 2), atol=1e-9)


def test_rttm_turn_counts_equal_line_counts_per_uri():
    lines = DEBUG_RTTM.read_text(encoding="utf-8").splitlines()
    for uri in URIS:
        n_lines = sum(1 for ln in lines if ln.split()[1] == uri)
        assert len(read_rttm(DEBUG_RTTM, uri=uri).turns) == n_lines
        # the per-clip RTTM files hold exactly those lines
        assert read_rttm(AMI / f"{uri}.rttm") == read_rttm(DEBUG_RTTM, uri=uri)
    assert sum(len(a.turns) for a in read_rttm_all(DEBUG_RTTM).values()) == len(lines)


def test_rttm_keeps_unicode_labels_and_overlap():
    trn01 = read_rttm(DEBUG_RTTM, uri="trn01")
    assert "MÉO069" in trn01.speakers
    raw = tiny_rttm(DEBUG_RTTM)["trn01"]
    assert [(t.start_s, t.speaker) for t in trn01.turns] == sorted((s, n) for s, _, n in raw)
    # overlapping turns kept as given, speech is their union
    assert any(b.start_s < a.end_s for a, b in zip(trn01.turns, trn01.turns[1:], strict=False))
    np.testing.assert_allclose(trn01.speech, union([(s, e) for s, e, _ in raw]), atol=1e-9)


def test_rttm_needs_uri_when_several_and_reports_unknown_uri():
    with pytest.raises(ConfigError, match="trn01") as info:
        read_rttm(DEBUG_RTTM)
    assert info.value.field == "uri"
    with pytest.raises(ConfigError, match="dev00"):
        read_rttm(DEBUG_RTTM, uri="trn00")


def test_rttm_skips_comments_and_other_types(tmp_path):
    path = tmp_path / "x.rttm"
    path.write_text(
        ";; a comment\n\nSPKR-INFO f 1 <NA> <NA> <NA> unknown A <NA> <NA>\n"
        "SPEAKER f 1 0.50 1.00 <NA> <NA> A <NA> <NA>\nSPEAKER f 1 2.0 0.5 <NA> <NA> <NA>\n",
        encoding="utf-8",
    )
    a = read_rttm(path)
    assert a.turns == (Turn(0.5, 1.5, "A"), Turn(2.0, 2.5, None))


@pytest.mark.parametrize(
    "bad",
    [
        "SPEAKER f 1 zero 1.0 <NA> <NA> A <NA> <NA>",
        "SPEAKER f 1 0.0 -1.0 <NA> <NA> A <NA> <NA>",
        "SPEAKER f 1 0.0 1.0",
        "SPEAKER f 1 nan 1.0 <NA> <NA> A <NA> <NA>",
    ],
)
def test_malformed_rttm_line_names_file_and_line(tmp_path, bad):
    path = tmp_path / "bad.rttm"
    path.write_text(f"SPEAKER f 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n;; c\n{bad}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_rttm(path)
    assert info.value.field == f"{path}:3"
    assert "Line 3" in str(info.value) and bad in str(info.value)
    assert isinstance(info.value, RtlabError) and isinstance(info.value, ValueError)


# ------------------------------------------------------------------------------ CSV


@pytest.mark.parametrize("uri", URIS)
def test_shipped_csvs_agree_with_rttm(uri):
    turns_csv = AMI / f"{uri}.turns.csv"
    assert turns_csv.read_text(encoding="utf-8").splitlines()[0] == "start_s,end_s,label"
    from_csv, from_rttm = read_csv(turns_csv), read_rttm(DEBUG_RTTM, uri=uri)
    assert [t.speaker for t in from_csv.turns] == [t.speaker for t in from_rttm.turns]
    for a, b in zip(from_csv.turns, from_rttm.turns, strict=True):
        assert abs(a.start_s - b.start_s) <= 5e-4 and abs(a.end_s - b.end_s) <= 5e-4
    speech = read_csv(AMI / f"{uri}.speech.csv")
    assert speech.turns and all(t.speaker is None for t in speech.turns)
    np.testing.assert_allclose(speech.speech, from_rttm.speech, atol=5e-4)


def test_csv_with_and_without_header_are_equal(tmp_path):
    source = AMI / "trn08.turns.csv"
    with_header = read_csv(source)
    body = source.read_text(encoding="utf-8").splitlines()[1:]
    bare = tmp_path / "bare.csv"
    bare.write_text("\n".join(body) + "\n", encoding="utf-8")
    assert read_csv(bare) == with_header
    assert len(with_header.turns) == len(body) == 16


def test_csv_header_columns_found_by_name(tmp_path):
    path = tmp_path / "named.csv"
    path.write_text(
        'text,speaker,end,start\n"hi, there",A,1.5,0.5\nyes,B,3.0,2.0\n', encoding="utf-8"
    )
    a = read_csv(path)
    assert a.turns == (Turn(0.5, 1.5, "A", "hi, there"), Turn(2.0, 3.0, "B", "yes"))
    assert a.transcript == "hi, there yes"


def test_lhotse_turns_csv_matches_cut_manifest():
    cut = json.loads((ROOT / "ami_lhotse" / "ami_cuts.json").read_text())[0]
    a = read_lhotse(ROOT / "ami_lhotse" / "ami_cuts.json")
    expected = [
        (s["start"], s["start"] + s["duration"], s["speaker"], s["text"])
        for s in cut["supervisions"]
    ]
    got = [(t.start_s, t.end_s, t.speaker, t.text) for t in a.turns]
    assert [g[2:] for g in got] == [e[2:] for e in expected]
    np.testing.assert_allclose([g[:2] for g in got], [e[:2] for e in expected], atol=1e-9)
    assert a.duration_s == cut["duration"]
    assert read_csv(ROOT / "ami_lhotse" / "ES2011a.Headset-0-40s-46s.turns.csv") == Annotation(
        a.speech, turns=a.turns, transcript=a.transcript
    )


@pytest.mark.parametrize(
    ("row", "problem"),
    [("1.0,0.5,A", "end before start"), ("x,1.0,A", "not a number"), ("-1,0.5,A", "negative")],
)
def test_malformed_csv_row_names_the_line(tmp_path, row, problem):
    path = tmp_path / "bad.csv"
    path.write_text(f"start_s,end_s,label\n0.0,0.5,A\n\n{row}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_csv(path)
    assert info.value.field == f"{path}:4", problem
    assert "Line 4" in str(info.value)


NOT_SPEAKERS = {
    "speech",
    "silence",
    "sil",
    "<sil>",
    "noise",
    "nonspeech",
    "non-speech",
    "non_speech",
}
labels = (
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=12)
    .map(str.strip)
    .filter(lambda s: s and s.lower() not in NOT_SPEAKERS | {"<noise>"})
)
times = st.floats(min_value=0, max_value=3600, allow_nan=False, allow_infinity=False)


@st.composite
def turn_lists(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    out = []
    for _ in range(n):
        start = draw(times)
        length = draw(st.floats(min_value=1e-3, max_value=60, allow_nan=False))
        text = draw(st.one_of(st.none(), labels))
        out.append(Turn(start, start + length, draw(labels), text))
    return out


@settings(max_examples=60, deadline=None)
@given(turn_lists(), st.booleans())
def test_csv_round_trip(tmp_path_factory, turns, header):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(["start_s", "end_s", "label", "text"])
    for t in turns:
        writer.writerow([repr(t.start_s), repr(t.end_s), t.speaker, t.text or ""])
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    a = read_csv(path)
    assert a.turns == tuple(sorted(turns, key=lambda t: (t.start_s, t.end_s)))
    np.testing.assert_array_equal(a.speech, np.array(union([(t.start_s, t.end_s) for t in turns])))


# ------------------------------------------------------------------------------ Audacity / .lab


@settings(max_examples=60, deadline=None)
@given(turn_lists(), st.booleans())
def test_audacity_round_trip_with_spectral_lines(tmp_path_factory, turns, spectral):
    lines = []
    for t in turns:
        label = t.speaker.replace("\t", " ")
        lines.append(f"{t.start_s!r}\t{t.end_s!r}\t{label}")
        if spectral:
            lines.append("\\\t100.000000\t5000.000000")
    path = tmp_path_factory.mktemp("aud") / "labels.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    a = read_audacity(path)
    expected = sorted(
        (Turn(t.start_s, t.end_s, t.speaker.replace("\t", " ")) for t in turns),
        key=lambda t: (t.start_s, t.end_s),
    )
    assert a.turns == tuple(expected)
    assert read_annotation(path) == a  # .txt with label lines dispatches to Audacity


def test_audacity_speech_labels_derive_turns(tmp_path):
    path = tmp_path / "vad.txt"
    path.write_text(
        "0.0\t1.0\tspeech\n1.2\t2.0\tspeech\n2.0\t3.0\tsilence\n4.0\t5.0\tspeech\n5.5\t5.5\tnote\n"
    )
    a = read_audacity(path)
    assert a.speech.tolist() == [[0.0, 1.0], [1.2, 2.0], [4.0, 5.0]]
    assert [(t.start_s, t.end_s) for t in a.turns] == [(0.0, 2.0), (4.0, 5.0)]


def test_malformed_audacity_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("0.0\t1.0\tA\n2.0\tone\tB\n")
    with pytest.raises(ConfigError, match="Line 2") as info:
        read_audacity(path)
    assert info.value.field.endswith("bad.txt:2")


@pytest.mark.parametrize("ident", LIBRI_IDS)
def test_lab_endpoints_match_an_independent_parse(ident):
    marks = [ln.split("\t") for ln in libri(ident, ".lab").read_text().splitlines() if ln.strip()]
    assert [m[2] for m in marks] == ["speech", "silence"] and all(m[0] == m[1] for m in marks)
    a = read_lab(libri(ident, ".lab"))
    assert a.speech.tolist() == [[float(marks[0][0]), float(marks[1][0])]]
    assert [(t.start_s, t.end_s) for t in a.turns] == [(float(marks[0][0]), float(marks[1][0]))]
    shipped = read_csv(libri(ident, ".speech.csv"))
    np.testing.assert_allclose(shipped.speech, a.speech, atol=5e-4)


def test_lab_final_speech_mark_needs_duration(tmp_path):
    path = tmp_path / "open.lab"
    path.write_text("0.5\t0.5\tspeech\n1.5\t1.5\tsilence\n2.0\t2.0\tspeech\n")
    with pytest.raises(ConfigError, match="duration_s"):
        read_lab(path)
    assert read_lab(path, duration_s=3.0).speech.tolist() == [[0.5, 1.5], [2.0, 3.0]]


# ------------------------------------------------------------------------------ words / transcript


@pytest.mark.parametrize("ident", LIBRI_IDS)
def test_words_json_and_csv_agree(ident):
    raw = json.loads(libri(ident, ".words.json").read_text())
    spoken = [w for w in raw["w"] if not w["t"].startswith("<")]
    a = read_words(libri(ident, ".words.json"))
    assert [w.text for w in a.words] == [w["t"].split("(")[0] for w in spoken]
    np.testing.assert_allclose(
        [(w.start_s, w.end_s) for w in a.words],
        [(w["b"], w["b"] + w["d"]) for w in spoken],
        atol=1e-9,
    )
    assert a.transcript == raw["t"]
    assert a.transcript == " ".join(libri(ident, ".txt").read_text().split())
    b = read_annotation(libri(ident, ".words.csv"))
    assert [w.text for w in b.words] == [w.text for w in a.words]
    np.testing.assert_allclose(
        [(w.start_s, w.end_s) for w in b.words], [(w.start_s, w.end_s) for w in a.words], atol=5e-4
    )
    # speech from the words: pauses between words are non-speech, words lie inside it
    assert a.speech_duration_s <= sum(w.duration_s for w in a.words) + 1e-9
    runs, inside = 0, False  # maximal runs of words not broken by a <sil> token
    for w in raw["w"]:
        is_word = not w["t"].startswith("<")
        runs += is_word and not inside
        inside = is_word
    assert len(a.speech) == runs


def test_transcript_only_has_no_timing():
    a = read_transcript(ROOT / "jfk_whisper" / "jfk.txt")
    assert a.kinds == ("transcript",) and not a.speech_known
    assert a.transcript == " ".join((ROOT / "jfk_whisper" / "jfk.txt").read_text().split())
    with pytest.raises(ConfigError, match="no timing"):
        a.speech_mask(32)
    with pytest.raises(ConfigError):
        a.floor_turns()
    assert read_annotation(ROOT / "jfk_whisper" / "jfk.txt") == a


def test_read_annotation_dispatch():
    assert read_annotation(AMI / "trn04.rttm") == read_rttm(AMI / "trn04.rttm")
    assert read_annotation(DEBUG_RTTM, uri="trn04") == read_rttm(AMI / "trn04.rttm")
    assert read_annotation(libri("0870", ".lab")) == read_lab(libri("0870", ".lab"))
    assert read_annotation(libri("0870", ".words.json")) == read_words(libri("0870", ".words.json"))
    assert read_annotation(ROOT / "ami_lhotse" / "ami_cuts.json") == read_lhotse(
        ROOT / "ami_lhotse" / "ami_cuts.json"
    )
    with pytest.raises(ConfigError, match=r"\.rttm"):
        read_annotation(ROOT / "ami_lhotse" / "ES2011a.Headset-0-40s-46s.wav")
    with pytest.raises(ConfigError, match="existing"):
        read_annotation(ROOT / "nope.rttm")


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "w.json"
    path.write_text('{"w": [\n  {"b": 0.1,, }\n]}')
    with pytest.raises(ConfigError, match="Line 2") as info:
        read_annotation(path)
    assert info.value.field == f"{path}:2"


# ------------------------------------------------------------------------------ speech mask


@pytest.mark.parametrize("hop_ms", [10.0, 20.0, 32.0, 100.0, 250.0])
@pytest.mark.parametrize("uri", URIS)
def test_speech_mask_fraction_within_one_hop_per_span(uri, hop_ms):
    a = read_rttm(DEBUG_RTTM, uri=uri)
    n_frames = math.ceil(30.0 * 1000 / hop_ms)
    mask = a.speech_mask(hop_ms, n_frames)
    assert mask.dtype == bool and mask.shape == (n_frames,)
    frames_s = mask.sum() * hop_ms / 1000
    assert abs(frames_s - a.speech_duration_s) <= len(a.speech) * hop_ms / 1000 + 1e-9
    # centre rule, checked frame by frame with plain Python
    for i in range(0, n_frames, max(1, n_frames // 97)):
        centre = (i + 0.5) * hop_ms / 1000
        assert mask[i] == any(s <= centre < e for s, e in a.speech.tolist())


def test_speech_mask_default_length_and_padding():
    a = Annotation([[0.1, 0.3]], duration_s=1.0)
    assert a.speech_mask(100).tolist() == [False, True, True] + [False] * 7
    assert a.speech_mask(100, 2).tolist() == [False, True]
    assert Annotation([[0.1, 0.35]]).speech_mask(100).tolist() == [False, True, True, False]
    assert Annotation([[0.1, 0.36]]).speech_mask(100).tolist() == [False, True, True, True]
    assert Annotation(np.empty((0, 2)), duration_s=0.5).speech_mask(100).sum() == 0
    for bad in (0, -1, float("nan")):
        with pytest.raises(ConfigError, match="hop_ms"):
            a.speech_mask(bad)
    with pytest.raises(ConfigError, match="n_frames"):
        a.speech_mask(10, -1)


# ------------------------------------------------------------------------------ turns


@pytest.mark.parametrize("gap_ms", [0.0, 200.0, 500.0, 2000.0])
@pytest.mark.parametrize("uri", URIS)
def test_floor_turns_cover_speech_and_respect_the_gap(uri, gap_ms):
    a = read_rttm(DEBUG_RTTM, uri=uri)
    floor = a.floor_turns(gap_ms)
    spans = [(t.start_s, t.end_s) for t in floor]
    assert all(b[0] - a_[1] >= gap_ms / 1000 for a_, b in itertools.pairwise(spans))
    for s, e in a.speech.tolist():  # each speech span lies in exactly one floor turn
        assert sum(1 for fs, fe in spans if fs <= s and e <= fe) == 1
    assert sum(e - s for s, e in spans) >= a.speech_duration_s - 1e-9
    if gap_ms == 0:
        assert spans == [tuple(x) for x in a.speech.tolist()]
    for turn in floor:  # speaker set only when one speaker talks in the floor turn
        inside = {t.speaker for t in a.turns if t.start_s < turn.end_s and t.end_s > turn.start_s}
        assert turn.speaker == (inside.pop() if len(inside) == 1 else None)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            times, st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=30, allow_nan=False))
        ),
        max_size=20,
    ),
    st.floats(min_value=0, max_value=3000, allow_nan=False),
)
def test_from_segments_matches_pyannote_support(pairs, gap_ms):
    from pyannote.core import Segment, Timeline

    segments = [(s, s + d) for s, d in pairs]
    a = Annotation.from_segments(np.array(segments).reshape(-1, 2), min_turn_gap_ms=gap_ms)
    support = Timeline([Segment(s, e) for s, e in segments if e > s]).support()
    assert a.speech.tolist() == [[seg.start, seg.end] for seg in support]
    bridged: list[list[float]] = []  # silences shorter than the gap are bridged
    for seg in support:
        if bridged and seg.start - bridged[-1][1] < gap_ms / 1000:
            bridged[-1][1] = seg.end
        else:
            bridged.append([seg.start, seg.end])
    assert [[t.start_s, t.end_s] for t in a.turns] == bridged


def test_from_segments_with_speakers_keeps_turns_as_given():
    a = Annotation.from_segments(
        [[1.0, 3.0], [0.0, 2.0], [2.5, 2.6]], speakers=["B", "A", "A"], texts=["two", "one", None]
    )
    assert a.turns == (Turn(0.0, 2.0, "A", "one"), Turn(1.0, 3.0, "B", "two"), Turn(2.5, 2.6, "A"))
    assert a.speech.tolist() == [[0.0, 3.0]]
    assert a.transcript == "one two"
    with pytest.raises(ConfigError, match="speakers"):
        Annotation.from_segments([[0, 1]], speakers=["A", "B"])
    with pytest.raises(ConfigError, match="min_turn_gap_ms"):
        Annotation.from_segments([[0, 1]], min_turn_gap_ms=-5)


def test_bad_values_are_config_errors():
    with pytest.raises(ConfigError, match="end_s"):
        Turn(2.0, 1.0)
    with pytest.raises(ConfigError, match="start_s"):
        Turn(-0.1, 1.0)
    with pytest.raises(ConfigError, match="speech"):
        Annotation([[1.0, 0.5]])
    with pytest.raises(ConfigError, match="speech"):
        Annotation([1.0, 2.0, 3.0])
    with pytest.raises(ConfigError, match="turns"):
        Annotation([[0, 1]], turns=[(0, 1)])


# ------------------------------------------------------------------------------ value behaviour


def test_annotation_is_frozen_and_read_only():
    a = read_rttm(DEBUG_RTTM, uri="trn07")
    with pytest.raises(ValueError, match="read-only"):
        a.speech[0, 0] = 5.0
    with pytest.raises(AttributeError):
        a.turns = ()  # type: ignore[misc]
    assert a == read_rttm(AMI / "trn07.rttm")  # source differs, content equal
    assert a != read_rttm(DEBUG_RTTM, uri="trn08")


def test_to_frame_rows_and_columns():
    a = read_words(libri("0930", ".words.json"))
    frame = a.to_frame()
    assert list(frame.columns) == ["kind", "start_s", "end_s", "speaker", "text"]
    counts = frame["kind"].value_counts().to_dict()
    assert counts == {"speech": len(a.speech), "turn": len(a.turns), "word": len(a.words)}
    words = frame[frame["kind"] == "word"]
    assert words["text"].tolist() == a.transcript.split()


def test_crop_moves_and_cuts():
    a = read_rttm(DEBUG_RTTM, uri="trn01")
    part = a.crop(18.0, 23.0)
    assert part.duration_s == 5.0
    np.testing.assert_allclose(part.speech, [[0.705, 1.669], [4.269, 4.726]], atol=1e-9)
    assert [t.speaker for t in part.turns] == ["MEE068", "FEO065"]
    edge = a.crop(29.0, 30.0)
    assert len(edge.turns) == 3 and all(t.start_s == 0.0 for t in edge.turns)


def test_repr_and_html():
    a = read_rttm(DEBUG_RTTM, uri="trn01")
    assert repr(a).startswith("Annotation(4 speech spans (3.34 s), 6 turns by 4 speakers")
    page = a._repr_html_()
    assert page.count("<tr>") == 1 + 4 + 6 and "MÉO069" in page
    many = read_words(libri("0870", ".words.json"))._repr_html_()
    assert "more rows" in many


# --------------------------------------------------------------------------- review fixes


@pytest.mark.parametrize("reader", ["read_rttm", "read_csv", "read_lhotse", "read_audacity"])
def test_a_binary_file_is_a_config_error_not_a_decode_error(reader):
    import rtlab.annotation as annotation

    flac = Path(__file__).resolve().parents[1] / "datasets" / "jfk_whisper" / "jfk.flac"
    with pytest.raises(ConfigError, match="UTF-8 text annotation file"):
        getattr(annotation, reader)(flac)
