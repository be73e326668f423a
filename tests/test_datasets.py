"""rtlab.datasets: the shipped clips, checked against the files themselves; composed tracks."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from rtlab import datasets
from rtlab.annotation import Annotation, read_rttm
from rtlab.audio import Audio
from rtlab.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1] / "datasets"
RATE = 24000
AMI_URIS = [f"trn0{i}" for i in range(1, 10)] + ["dev00", "dev01"]
LIBRI_IDS = ["0870", "0880", "0890", "0920", "0930"]
NAMES = sorted(
    [f"ami-debug/{u}" for u in AMI_URIS]
    + ["ami-lhotse/ES2011a"]
    + [f"librivox/{i}" for i in LIBRI_IDS]
    + ["jfk"]
)


def libri(ident: str, suffix: str) -> Path:
    return ROOT / "librivox_pocketsphinx" / f"sense_and_sensibility_01_austen_64kb-{ident}{suffix}"


def rttm_lines(uri: str) -> list[list[str]]:
    lines = (ROOT / "ami_pyannote_debug" / "debug.rttm").read_text(encoding="utf-8").splitlines()
    return [ln.split() for ln in lines if ln.split()[1] == uri]


@pytest.fixture(scope="module")
def clips() -> dict[str, datasets.Clip]:
    return {clip.name: clip for clip in datasets.load_all()}


# ------------------------------------------------------------------------------ the shipped files


def test_audio_is_byte_for_byte_the_upstream_file():
    manifest = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(e["name"] for e in manifest["clips"]) == NAMES
    for entry in manifest["clips"]:
        digest = hashlib.sha256((ROOT / entry["audio"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], entry["name"]


def test_list_matches_the_files():
    table = datasets.names().set_index("name")
    assert sorted(table.index) == NAMES
    for _name, row in table.iterrows():
        info = sf.info(row["path"])
        assert row["duration_s"] == info.frames / info.samplerate
        assert (row["sample_rate_hz"], row["channels"]) == (info.samplerate, info.channels)
    for uri in AMI_URIS:
        row = table.loc[f"ami-debug/{uri}"]
        assert row["n_turns"] == len(rttm_lines(uri))
        assert row["n_speakers"] == len({ln[7] for ln in rttm_lines(uri)})
        assert (row["kinds"], row["licence"]) == ("speech+turns", "CC BY 4.0")
        assert row["sample_rate_hz"] == 16000 and row["duration_s"] == pytest.approx(30.0, abs=1e-4)
    cut = json.loads((ROOT / "ami_lhotse" / "ami_cuts.json").read_text())[0]
    lhotse = table.loc["ami-lhotse/ES2011a"]
    assert lhotse["n_turns"] == len(cut["supervisions"]) == 2
    assert lhotse["duration_s"] == cut["duration"]
    assert lhotse["speech_s"] == pytest.approx(sum(s["duration"] for s in cut["supervisions"]))
    for ident in LIBRI_IDS:
        row = table.loc[f"librivox/{ident}"]
        marks = [float(ln.split("\t")[0]) for ln in libri(ident, ".lab").read_text().splitlines()]
        assert row["speech_s"] == pytest.approx(marks[1] - marks[0])
        assert (row["kinds"], row["n_turns"], row["licence"]) == (
            "speech+turns+words+transcript",
            1,
            "Public domain",
        )
    jfk = table.loc["jfk"]
    assert (jfk["kinds"], jfk["n_turns"], jfk["sample_rate_hz"], jfk["channels"]) == (
        "transcript",
        0,
        44100,
        2,
    )
    assert np.isnan(jfk["speech_s"])


def test_every_clip_loads_at_24_khz_with_matching_truth(clips):
    assert sorted(clips) == NAMES
    paths = datasets.names().set_index("name")["path"]
    for name, clip in clips.items():
        info = sf.info(paths[name])
        assert isinstance(clip.audio, Audio) and clip.audio.sample_rate_hz == RATE
        assert abs(clip.audio.n_samples - info.frames * RATE / info.samplerate) <= 1
        assert clip.truth.duration_s == clip.audio.duration_s
        if clip.truth.speech_known and len(clip.truth.speech):
            assert clip.truth.speech[-1, 1] <= clip.audio.duration_s + 1e-6


def test_ami_truth_is_the_rttm(clips):
    for uri in AMI_URIS:
        truth = clips[f"ami-debug/{uri}"].truth
        assert sorted((t.start_s, t.speaker) for t in truth.turns) == sorted(
            (float(ln[3]), ln[7]) for ln in rttm_lines(uri)
        )
        per_clip = read_rttm(ROOT / "ami_pyannote_debug" / f"{uri}.rttm")
        np.testing.assert_array_equal(truth.speech, per_clip.speech)
        assert truth.transcript is None and not truth.words
    assert "MÉO069" in clips["ami-debug/trn01"].truth.speakers


def test_librivox_truth_has_lab_speech_words_and_exact_text(clips):
    for ident in LIBRI_IDS:
        truth = clips[f"librivox/{ident}"].truth
        marks = [float(ln.split("\t")[0]) for ln in libri(ident, ".lab").read_text().splitlines()]
        assert truth.speech.tolist() == [marks]
        text = " ".join(libri(ident, ".txt").read_text().split())
        assert truth.transcript == text and truth.turns[0].text == text
        raw = json.loads(libri(ident, ".words.json").read_text())
        assert len(truth.words) == sum(1 for w in raw["w"] if not w["t"].startswith("<"))


def test_jfk_has_a_transcript_and_no_invented_timing(clips):
    truth = clips["jfk"].truth
    assert truth.kinds == ("transcript",) and not truth.speech_known
    assert len(truth.speech) == 0 and truth.turns == () and truth.words == ()
    assert truth.transcript.startswith("And so, my fellow Americans")
    with pytest.raises(ConfigError):
        truth.speech_mask(32)


# ------------------------------------------------------------------------------ names and folder


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("librivox/087", "librivox/0870"), ("ami-debug/trn1", "ami-debug/trn01"), ("JFK", None)],
)
def test_unknown_name_lists_close_matches_and_all_names(typo, suggestion):
    with pytest.raises(ConfigError) as info:
        datasets.load(typo)
    message = str(info.value)
    assert info.value.field == "name" and info.value.value == typo
    if suggestion:
        assert f"Did you mean '{suggestion}'" in message
    assert all(name in message for name in NAMES)


def test_load_all_patterns():
    assert [c.name for c in datasets.load_all("librivox/*")] == [f"librivox/{i}" for i in LIBRI_IDS]
    assert len(datasets.load_all("ami-*")) == 12
    with pytest.raises(ConfigError, match="pattern"):
        datasets.load_all("timit/*")


def test_datasets_folder_comes_from_the_environment(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    (folder / "audio").mkdir(parents=True)
    shutil.copy(libri("0880", ".wav"), folder / "audio" / "a.wav")
    (folder / "audio" / "a.csv").write_text("start_s,end_s,label\n0.25,2.75,speech\n")
    manifest = {
        "clips": [{"name": "me/a", "audio": "audio/a.wav", "truth": {"csv": "audio/a.csv"}}]
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("RTLAB_DATASETS", str(folder))
    assert datasets.root() == folder
    assert datasets.names()["name"].tolist() == ["me/a"]
    clip = datasets.load("me/a")
    assert clip.truth.speech.tolist() == [[0.25, 2.75]]
    monkeypatch.setenv("RTLAB_DATASETS", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="RTLAB_DATASETS") as info:
        datasets.load("librivox/0870")
    assert "missing" in str(info.value)


# ------------------------------------------------------------------------------ utterances


def test_utterances_are_exact_slices_of_single_speaker_turns(clips):
    from pyannote.database.util import load_rttm

    oracle = load_rttm(str(ROOT / "ami_pyannote_debug" / "debug.rttm"))
    expected = 0
    # floor turns from pyannote: support with a 0.5 s collar, one speaker, wholly inside
    for uri in AMI_URIS:
        ann = oracle[uri]
        for seg in ann.get_timeline().support(collar=0.5):
            speakers = set(ann.crop(seg).labels())
            expected += len(speakers) == 1 and seg.start >= 0.05 and seg.end <= 30.0 - 0.05
    got = []
    for uri in AMI_URIS:
        clip = clips[f"ami-debug/{uri}"]
        for part, turn in zip(
            datasets.utterances(clip),
            [
                t
                for t in clip.truth.floor_turns()
                if t.speaker and t.start_s >= 0.05 and t.end_s <= 29.95
            ],
            strict=True,
        ):
            s0, s1 = round(turn.start_s * RATE), round(turn.end_s * RATE)
            np.testing.assert_array_equal(part.audio.samples, clip.audio.samples[s0:s1])
            assert part.truth.turns[0].speaker == turn.speaker
            assert part.truth.turns[0].end_s == part.duration_s
            got.append(part)
    assert len(got) == expected == 10
    assert [p.name for p in datasets.utterances(clips["ami-lhotse/ES2011a"])] == [
        "ami-lhotse/ES2011a#1",
        "ami-lhotse/ES2011a#2",
    ]
    with pytest.raises(ConfigError, match="timed speech"):
        datasets.utterances(clips["jfk"])


# ------------------------------------------------------------------------------ compose


def _pieces(clips):
    return [
        *datasets.utterances(clips["ami-lhotse/ES2011a"]),
        clips["librivox/0880"],
        datasets.utterances(clips["ami-debug/trn07"])[0],
        clips["librivox/0930"],
    ]


def test_compose_places_each_utterance_sample_exactly(clips):
    pieces = _pieces(clips)
    gaps = [700.0, 1234.5, 333.3, 2000.0]
    track = datasets.compose(pieces, gaps_ms=gaps, lead_ms=250, tail_ms=1000)
    samples = track.audio.samples
    assert track.name.startswith("composed/") and len(track.truth.turns) == len(pieces)
    pos = round(250 * RATE / 1000)
    inside = np.zeros(len(samples), dtype=bool)
    for i, (piece, turn) in enumerate(zip(pieces, track.truth.turns, strict=True)):
        s0 = round(piece.truth.speech[0, 0] * RATE)
        s1 = round(piece.truth.speech[-1, 1] * RATE)
        start, end = turn.start_s * RATE, turn.end_s * RATE
        assert start == pytest.approx(round(start), abs=1e-6) and end == pytest.approx(
            round(end), abs=1e-6
        )
        start, end = round(start), round(end)
        assert start == pos and end - start == s1 - s0
        np.testing.assert_array_equal(samples[start:end], piece.audio.samples[s0:s1])
        inside[start:end] = True
        expected_text = (
            piece.truth.transcript or " ".join(t.text for t in piece.truth.turns if t.text) or None
        )
        assert turn.text == expected_text
        # the utterance's speech spans moved with its audio
        speech = track.truth.speech
        placed = speech[(speech[:, 0] >= turn.start_s - 1e-9) & (speech[:, 1] <= turn.end_s + 1e-9)]
        source = piece.truth.crop(s0 / RATE, s1 / RATE).speech
        np.testing.assert_allclose(placed, source + turn.start_s, atol=1e-9)
        pos = end + (round(gaps[i] * RATE / 1000) if i < len(gaps) else 0)
    assert len(samples) == pos + round(1000 * RATE / 1000)
    assert not np.any(samples[~inside])  # digital silence between turns
    assert track.truth.duration_s == track.audio.duration_s
    words = [w.text for w in track.truth.words]
    assert words == [w.text for p in pieces for w in p.truth.words]
    assert track.truth.transcript is None  # the AMI debug turn has no text


def test_compose_gap_forms_are_honoured(clips):
    names = ["librivox/0880", "librivox/0930", "librivox/0890", "librivox/0870"]

    def gaps_of(track):
        turns = track.truth.turns
        return [(b.start_s - a.end_s) * 1000 for a, b in itertools.pairwise(turns)]

    fixed = datasets.compose(names, gaps_ms=600)
    assert gaps_of(fixed) == pytest.approx([600.0] * 3, abs=1000 / RATE)
    drawn = datasets.compose(names, gap_range_ms=(400, 900), seed=3)
    assert all(400 - 1000 / RATE <= g <= 900 + 1000 / RATE for g in gaps_of(drawn))
    assert len({round(g) for g in gaps_of(drawn)}) == 3
    again = datasets.compose(names, gap_range_ms=(400, 900), seed=3)
    assert again.name == drawn.name and again.audio == drawn.audio and again.truth == drawn.truth
    other = datasets.compose(names, gap_range_ms=(400, 900), seed=4)
    assert other.name != drawn.name and gaps_of(other) != gaps_of(drawn)
    listed = datasets.compose(names, gaps_ms=[100, 0, 2500])
    assert gaps_of(listed) == pytest.approx([100, 0, 2500], abs=1000 / RATE)


def test_compose_two_gaps_and_a_range_are_told_apart():
    names = ["librivox/0880", "librivox/0930", "librivox/0890"]
    two = datasets.compose(names, gaps_ms=[400, 900])
    gaps = [b.start_s - a.end_s for a, b in itertools.pairwise(two.truth.turns)]
    assert gaps == pytest.approx([0.4, 0.9], abs=1 / RATE)
    with pytest.warns(DeprecationWarning, match="gap_range_ms"):  # the old spelling of a range
        old = datasets.compose(names, gaps_ms=(400, 900), seed=3)
    assert old.audio == datasets.compose(names, gap_range_ms=(400, 900), seed=3).audio
    with pytest.raises(ConfigError) as info:
        datasets.compose(names, gaps_ms=[400, 900], gap_range_ms=(400, 900))
    assert info.value.field == "gap_range_ms"
    for bad in [(900, 400), [1, 2, 3], 500, "long", (0, 1e308)]:
        with pytest.raises(ConfigError) as info:
            datasets.compose(names, gap_range_ms=bad)
        assert info.value.field == "gap_range_ms"


def test_list_is_a_deprecated_name_of_names():
    with pytest.warns(DeprecationWarning, match="names"):
        table = datasets.list()
    assert table.equals(datasets.names())
    assert "list" not in datasets.__all__


def test_noise_does_not_import_datasets():
    """datasets mixes noise in (imports noise); noise must not import datasets back."""
    import ast

    tree = ast.parse((ROOT.parent / "rtlab" / "noise.py").read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "datasets" not in imported and "rtlab.datasets" not in imported


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gaps_ms": [100, 200]}, "gaps_ms"),
        ({"gaps_ms": -5}, "gaps_ms"),
        ({"gaps_ms": (900, 400)}, "gaps_ms"),
        ({"gaps_ms": "long"}, "gaps_ms"),
        ({"lead_ms": -1}, "lead_ms"),
        ({"noise": "pink"}, "snr_db"),
        ({"snr_db": 10}, "snr_db"),
    ],
)
def test_compose_bad_parameters(kwargs, field):
    with pytest.raises(ConfigError) as info:
        datasets.compose(
            ["librivox/0880", "librivox/0930", "librivox/0890", "librivox/0870"], **kwargs
        )
    assert info.value.field == field


def test_compose_refuses_clips_without_timing():
    with pytest.raises(ConfigError, match="timed speech"):
        datasets.compose(["librivox/0880", "jfk"])
    with pytest.raises(ConfigError, match="clips"):
        datasets.compose([])


def test_compose_mixes_noise_at_the_requested_snr(clips):
    from rtlab import noise

    names = ["librivox/0880", "librivox/0930"]
    clean = datasets.compose(names, gaps_ms=1000, seed=7)
    noisy = datasets.compose(names, gaps_ms=1000, seed=7, noise="pink", snr_db=10.0)
    assert noisy.truth == clean.truth and noisy.name != clean.name
    expected = noise.mix(clean.audio, "pink", snr_db=10.0, seed=7)
    np.testing.assert_array_equal(noisy.audio.samples, expected.samples)
    added = noisy.audio.samples.astype(np.float64) - clean.audio.samples.astype(np.float64)
    speech = clean.audio.samples.astype(np.float64)
    snr = 10 * np.log10(np.sum(speech**2) / np.sum(added**2))
    assert snr == pytest.approx(10.0, abs=0.05)
    lead = added[: round(0.5 * RATE)]  # noise fills the lead-in (and gaps) as well
    assert 0.5 < np.mean(lead**2) / np.mean(added**2) < 2.0
    babble = datasets.compose(names, gaps_ms=1000, seed=7, noise="babble", snr_db=5.0)
    assert noise.snr_db(clean.audio, babble.audio) == pytest.approx(5.0, abs=0.05)
    with pytest.raises(ConfigError, match="noise"):
        datasets.compose(names, noise="traffic", snr_db=5.0)


def test_conversation_reaches_the_length_from_real_utterances():
    track = datasets.conversation(2.0, seed=5)
    assert track.name == "composed/conversation-2min-seed5"
    assert track.duration_s >= 120.0
    turns = track.truth.turns
    assert all(a.end_s < b.start_s for a, b in itertools.pairwise(turns))
    pool = datasets._default_pool()
    assert len(pool) == 5 + 2 + 10
    known = {p.audio.fingerprint for p in pool}
    used = set()
    for turn in turns:
        piece = Audio(track.audio.samples[round(turn.start_s * RATE) : round(turn.end_s * RATE)])
        assert piece.fingerprint in known
        used.add(piece.fingerprint)
    assert len(used) == len(pool)  # 2 minutes use every utterance at least once
    gaps = [(b.start_s - a.end_s) for a, b in itertools.pairwise(turns)]
    assert min(gaps) >= 1.5 - 1 / RATE and max(gaps) <= 3.0 + 1 / RATE
    again = datasets.conversation(2.0, seed=5)
    assert again.audio.fingerprint == track.audio.fingerprint
    assert datasets.conversation(2.0, seed=6).audio.fingerprint != track.audio.fingerprint


def test_clip_repr_and_html(clips):
    clip = clips["ami-lhotse/ES2011a"]
    assert repr(clip) == "Clip('ami-lhotse/ES2011a', 6.00 s, speech+turns+transcript)"
    page = clip._repr_html_()
    assert "<audio" in page and "ABIGAIL" in page
    assert isinstance(clip.truth, Annotation)


def test_clip_checks_its_parts(clips):
    clip = clips["librivox/0880"]
    with pytest.raises(ConfigError, match="audio"):
        datasets.Clip("x", clip.audio.samples, clip.truth)
    with pytest.raises(ConfigError, match="truth"):
        datasets.Clip("x", clip.audio, None)


# --------------------------------------------------------------------------------------
# bad input: a ConfigError naming the field and the value, never a raw exception

HUGE = 10**400  # an int no float can hold


def _check(info, field, value):
    assert info.value.field == field
    assert info.value.value is value or info.value.value == value
    message = str(info.value)
    assert f"'{field}' parameter" in message and repr(value)[:60] in message


@pytest.mark.parametrize("bad", [["librivox/0870"], {"jfk": 1}, 5, None, b"jfk"])
def test_load_rejects_names_that_are_not_str(bad):
    with pytest.raises(ConfigError) as info:
        datasets.load(bad)
    _check(info, "name", bad)


@pytest.mark.parametrize("bad", [5, ["librivox/*"], None, {"ami-*"}])
def test_load_all_rejects_patterns_that_are_not_str(bad):
    with pytest.raises(ConfigError) as info:
        datasets.load_all(bad)
    _check(info, "pattern", bad)


PAIR = ["librivox/0880", "librivox/0930"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"gaps_ms": HUGE}, "gaps_ms"),
        ({"gaps_ms": 1e300}, "gaps_ms"),
        ({"gaps_ms": (0, 1e308)}, "gaps_ms"),
        ({"gaps_ms": (HUGE, HUGE)}, "gaps_ms"),
        ({"gaps_ms": [HUGE]}, "gaps_ms"),
        ({"gaps_ms": {1: 2}}, "gaps_ms"),
        ({"gaps_ms": "500"}, "gaps_ms"),
        ({"gaps_ms": [-1]}, "gaps_ms"),
        ({"seed": -1}, "seed"),
        ({"seed": "x"}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": [1]}, "seed"),
        ({"seed": True}, "seed"),
        ({"lead_ms": HUGE}, "lead_ms"),
        ({"tail_ms": 1e300}, "tail_ms"),
        ({"noise": "white", "snr_db": HUGE}, "snr_db"),
        ({"noise": "white", "snr_db": "5"}, "snr_db"),
        ({"noise": ["white"], "snr_db": 5}, "noise"),
        ({"name": 5}, "name"),
    ],
)
def test_compose_rejects_bad_options(options, field):
    with pytest.raises(ConfigError) as info:
        datasets.compose(PAIR, **options)
    _check(info, field, options[field])


@pytest.mark.parametrize("bad", [5, "librivox/0880", None])
def test_compose_rejects_clips_that_are_not_a_list(bad):
    with pytest.raises(ConfigError) as info:
        datasets.compose(bad)
    _check(info, "clips", bad)


@pytest.mark.parametrize("bad", [5, ["librivox/0880"], None])
def test_compose_rejects_items_that_are_not_clips(bad):
    with pytest.raises(ConfigError) as info:
        datasets.compose(["librivox/0880", bad])
    _check(info, "clips", bad)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"minutes": HUGE}, "minutes"),
        ({"minutes": 1e9}, "minutes"),
        ({"minutes": 0.1, "seed": -1}, "seed"),
        ({"minutes": 0.1, "seed": "x"}, "seed"),
    ],
)
def test_conversation_rejects_bad_options(options, field):
    with pytest.raises(ConfigError) as info:
        datasets.conversation(**options)
    _check(info, field, options[field])


@pytest.mark.parametrize(
    ("args", "options", "field", "value"),
    [
        ((["librivox/0880"],), {}, "clip", ["librivox/0880"]),
        ((5,), {}, "clip", 5),
        (("librivox/0880",), {"min_turn_gap_ms": HUGE}, "min_turn_gap_ms", HUGE),
        (("librivox/0880",), {"min_turn_gap_ms": "x"}, "min_turn_gap_ms", "x"),
    ],
)
def test_utterances_rejects_bad_input(args, options, field, value):
    with pytest.raises(ConfigError) as info:
        datasets.utterances(*args, **options)
    _check(info, field, value)
