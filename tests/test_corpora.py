"""rtlab.corpora: clips from lhotse, pyannote.database, Hugging Face datasets and folders.

Every fixture is built from the shipped clips: the lhotse manifest shipped with the AMI
excerpt, a database.yml over the shipped AMI wav + RTTM, small in-memory Hugging Face
datasets, and folders of copied clips with truth files in each supported format.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import rtlab
from rtlab import corpora
from rtlab.annotation import read_audacity, read_csv, read_lab, read_rttm
from rtlab.errors import ConfigError

ROOT = rtlab.datasets.root()
AMI = ROOT / "ami_pyannote_debug"
LHOTSE = ROOT / "ami_lhotse"
LIBRIVOX = ROOT / "librivox_pocketsphinx"
LIBRI_0880 = "sense_and_sensibility_01_austen_64kb-0880"


def _spans(truth):
    return [(round(t.start_s, 6), round(t.end_s, 6), t.speaker, t.text) for t in truth.turns]


# --------------------------------------------------------------------------------- lhotse


@pytest.fixture(scope="module")
def cuts():
    lhotse = pytest.importorskip("lhotse")
    manifest = json.loads((LHOTSE / "ami_cuts.json").read_text())
    wav = LHOTSE / "ES2011a.Headset-0-40s-46s.wav"
    manifest[0]["recording"]["sources"][0]["source"] = str(wav)
    return lhotse.CutSet.from_dicts(manifest)


def test_lhotse_cut_matches_the_shipped_clip(cuts):
    (clip,) = corpora.from_lhotse(cuts)
    shipped = rtlab.datasets.load("ami-lhotse/ES2011a")
    assert clip.name == next(iter(cuts)).id
    assert np.array_equal(clip.audio.samples, shipped.audio.samples)
    assert _spans(clip.truth) == _spans(shipped.truth)
    assert clip.truth.speech.tolist() == shipped.truth.speech.tolist()
    assert clip.truth.duration_s == 6.0


def test_lhotse_supervisions_are_clipped_to_the_cut(cuts):
    cut = next(iter(cuts))
    part = cut.truncate(offset=2.0, duration=2.0)  # the first supervision starts before it
    empty = cut.truncate(offset=5.0, duration=1.0, keep_excessive_supervisions=False)
    shifted, silent = corpora.from_lhotse([part, empty])
    assert shifted.duration_s == pytest.approx(2.0)
    assert _spans(shifted.truth) == [
        (0.0, 0.82, "ES2011a.Headset-1", "I'M ABIGAIL CLAFLIN"),
        (1.36, 2.0, "ES2011a.Headset-2", "YOU CAN CALL ME ABBIE"),
    ]
    whole = corpora.from_lhotse(cuts)[0]
    # the stretch of the recording (resampled on its own: equal away from its edges)
    diff = np.abs(shifted.audio.samples.astype(int) - whole.audio.samples[48000:96000])
    assert len(diff) == 48000 and diff[2400:-2400].max() <= 1
    assert not silent.truth.speech_known and silent.truth.kinds == ()


def test_lhotse_refuses_what_is_not_a_cutset(cuts):
    with pytest.raises(ConfigError, match="CutSet"):
        corpora.from_lhotse(str(LHOTSE / "ami_cuts.json"))
    with pytest.raises(ConfigError, match="lhotse cuts"):
        corpora.from_lhotse([{"id": "x"}])
    cut = next(iter(cuts))
    with pytest.raises(ConfigError, match="distinct ids"):
        corpora.from_lhotse([cut, cut])


# ------------------------------------------------------------------------ pyannote.database


@pytest.fixture(scope="module")
def protocol(tmp_path_factory):
    database = pytest.importorskip("pyannote.database")
    folder = tmp_path_factory.mktemp("pyannote")
    (folder / "train.lst").write_text("trn01\ntrn02\n")
    (folder / "test.lst").write_text("dev00\ndev01\n")
    (folder / "test.uem").write_text("dev00 1 2.0 28.0\ndev01 1 0.0 30.000083\n")
    (folder / "database.yml").write_text(
        f"Databases:\n  RtlabDebug: {AMI}/{{uri}}.wav\n"
        "Protocols:\n  RtlabDebug:\n    SpeakerDiarization:\n      Clips:\n"
        "        scope: file\n"
        f"        train:\n          uri: train.lst\n          annotation: {AMI}/debug.rttm\n"
        f"        test:\n          uri: test.lst\n          annotation: {AMI}/debug.rttm\n"
        "          annotated: test.uem\n"
    )
    database.registry.load_database(str(folder / "database.yml"))
    return database.registry.get_protocol("RtlabDebug.SpeakerDiarization.Clips")


def test_pyannote_train_files_match_the_shipped_clips(protocol):
    clips = corpora.from_pyannote(protocol, subset="train")
    assert [c.name for c in clips] == ["trn01", "trn02"]
    for clip in clips:
        shipped = rtlab.datasets.load(f"ami-debug/{clip.name}")
        assert clip.truth == shipped.truth  # source is not compared
        assert np.array_equal(clip.audio.samples, shipped.audio.samples)


# pyannote.database itself warns when it crops a reference to its "annotated" region
@pytest.mark.filterwarnings("ignore:Existing precomputed key:UserWarning")
def test_pyannote_clips_cover_the_annotated_region(protocol):
    dev00, dev01 = corpora.from_pyannote(protocol)  # subset="test"
    shipped = rtlab.datasets.load("ami-debug/dev00")
    assert dev00.duration_s == pytest.approx(26.0)
    assert np.array_equal(dev00.audio.samples, shipped.audio.samples[48000 : 48000 + 624000])
    expected = shipped.truth.crop(2.0, 28.0)
    assert _spans(dev00.truth) == [(s, e, p, None) for s, e, p, _ in _spans(expected)]
    assert dev01.truth == rtlab.datasets.load("ami-debug/dev01").truth


def test_pyannote_bad_subset_or_protocol(protocol):
    with pytest.raises(ConfigError, match="subset"):
        corpora.from_pyannote(protocol, subset="dev")
    with pytest.raises(ConfigError, match="protocol"):
        corpora.from_pyannote(object())


# ---------------------------------------------------------------------- Hugging Face


def test_huggingface_audio_files_with_diarization_columns():
    hf = pytest.importorskip("datasets")
    paths = [str(AMI / "trn01.wav"), str(AMI / "trn02.wav")]
    shipped = [rtlab.datasets.load(f"ami-debug/{n}") for n in ("trn01", "trn02")]
    ds = hf.Dataset.from_dict(
        {
            "audio": paths,
            "timestamps_start": [[t.start_s for t in c.truth.turns] for c in shipped],
            "timestamps_end": [[t.end_s for t in c.truth.turns] for c in shipped],
            "speakers": [[t.speaker for t in c.truth.turns] for c in shipped],
        }
    ).cast_column("audio", hf.Audio())
    clips = corpora.from_huggingface(ds)
    assert [c.name for c in clips] == ["trn01", "trn02"]
    for clip, ref in zip(clips, shipped, strict=True):
        assert np.array_equal(clip.audio.samples, ref.audio.samples)
        assert clip.truth == ref.truth


def test_huggingface_arrays_text_and_spans_without_speakers():
    hf = pytest.importorskip("datasets")
    clip = rtlab.datasets.load(f"librivox/{LIBRI_0880[-4:]}")
    pcm = clip.audio.samples.astype(np.float32) / 32768.0
    ds = hf.Dataset.from_list(
        [
            {
                "audio": {"array": pcm, "sampling_rate": 24000},
                "sentence": clip.truth.transcript,
                "key": "a",
                "starts": [0.25, 1.0],
                "ends": [0.9, 2.7],
            },
            {
                "audio": {"array": pcm[:24000], "sampling_rate": 24000},
                "sentence": "  x  y ",
                "key": "b",
                "starts": [],
                "ends": [],
            },
        ]
    )
    first, second = corpora.from_huggingface(
        ds, starts="starts", ends="ends", text="sentence", name="key"
    )
    assert first.name == "a" and abs(int(first.audio.samples.astype(int).sum())) > 0
    assert np.abs(first.audio.samples.astype(int) - clip.audio.samples).max() <= 1
    # one turn: the spans bridged across the 100 ms pause, with the transcript as its text
    assert _spans(first.truth) == [(0.25, 2.7, None, clip.truth.transcript)]
    assert first.truth.speech.tolist() == [[0.25, 0.9], [1.0, 2.7]]
    assert second.truth.turns == () and second.truth.transcript == "x y"
    # no timing columns: a transcript without timing
    (untimed,) = corpora.from_huggingface(ds.select([0]), text="sentence")
    assert not untimed.truth.speech_known and untimed.truth.transcript == clip.truth.transcript
    assert untimed.name == "row0"


def test_huggingface_bad_input():
    hf = pytest.importorskip("datasets")
    pcm = np.zeros(2400, dtype=np.float32)
    ds = hf.Dataset.from_list(
        [
            {
                "audio": {"array": pcm, "sampling_rate": 24000},
                "timestamps_start": [0.0, 0.05],
                "timestamps_end": [0.05],
                "speakers": ["A", "B"],
            }
        ]
    )
    with pytest.raises(ConfigError, match="as many starts, ends and speakers"):
        corpora.from_huggingface(ds)
    with pytest.raises(ConfigError, match="one split"):
        corpora.from_huggingface(hf.DatasetDict({"test": ds}))
    with pytest.raises(ConfigError, match="'text'"):
        corpora.from_huggingface(ds, text="transcription")
    with pytest.raises(ConfigError, match="'starts'"):
        corpora.from_huggingface(ds, starts="begin")


# ---------------------------------------------------------------------------- folders


@pytest.fixture()
def folder(tmp_path):
    """A folder of shipped clips, each with its truth in another format."""
    shutil.copy(AMI / "trn01.wav", tmp_path / "rttm_call.wav")
    (tmp_path / "rttm_call.rttm").write_text(
        (AMI / "trn01.rttm").read_text().replace("trn01", "rttm_call")
    )
    shutil.copy(AMI / "trn02.wav", tmp_path / "csv_call.wav")
    shutil.copy(AMI / "trn02.turns.csv", tmp_path / "csv_call.csv")
    shutil.copy(LIBRIVOX / f"{LIBRI_0880}.wav", tmp_path / "lab_call.wav")
    shutil.copy(LIBRIVOX / f"{LIBRI_0880}.lab", tmp_path / "lab_call.lab")
    shutil.copy(LIBRIVOX / f"{LIBRI_0880}.txt", tmp_path / "lab_call.txt")
    shutil.copy(LIBRIVOX / f"{LIBRI_0880}.words.csv", tmp_path / "lab_call.words.csv")
    shutil.copy(AMI / "trn03.wav", tmp_path / "audacity_call.wav")
    rows = [f"{t.start_s}\t{t.end_s}\t{t.speaker}" for t in read_rttm(AMI / "trn03.rttm").turns]
    (tmp_path / "audacity_call.txt").write_text("\n".join(rows) + "\n")
    shutil.copy(ROOT / "jfk_whisper" / "jfk.flac", tmp_path / "bare_call.flac")
    (tmp_path / "notes.md").write_text("not audio")
    return tmp_path


def test_folder_reads_each_truth_format_beside_its_audio(folder):
    clips = {c.name: c for c in corpora.from_folder(folder)}
    assert sorted(clips) == ["audacity_call", "bare_call", "csv_call", "lab_call", "rttm_call"]
    assert _spans(clips["rttm_call"].truth) == _spans(read_rttm(AMI / "trn01.rttm"))
    assert _spans(clips["csv_call"].truth) == _spans(read_csv(AMI / "trn02.turns.csv"))
    assert _spans(clips["audacity_call"].truth) == _spans(
        read_audacity(folder / "audacity_call.txt")
    )
    assert clips["audacity_call"].truth.speakers == read_rttm(AMI / "trn03.rttm").speakers
    lab = clips["lab_call"].truth
    shipped = rtlab.datasets.load("librivox/0880").truth
    assert lab.speech.tolist() == shipped.speech.tolist()
    assert lab.transcript == shipped.transcript and lab.turns[0].text == shipped.transcript
    assert lab.words == shipped.words and len(lab.words) > 5
    assert lab.speech.tolist() == read_lab(folder / "lab_call.lab").speech.tolist()
    bare = clips["bare_call"].truth
    assert not bare.speech_known and bare.duration_s == pytest.approx(11.0)
    for clip in clips.values():
        assert clip.truth.duration_s == pytest.approx(clip.duration_s, abs=1e-3)


def test_folder_missing_truth_pattern_and_errors(folder):
    names = [c.name for c in corpora.from_folder(folder, missing="skip")]
    assert "bare_call" not in names and len(names) == 4
    with pytest.raises(ConfigError, match=r"bare_call\.csv"):
        corpora.from_folder(folder, missing="error")
    assert [c.name for c in corpora.from_folder(folder, pattern="csv_*")] == ["csv_call"]
    (folder / "sub").mkdir()
    shutil.move(folder / "csv_call.wav", folder / "sub" / "csv_call.wav")
    shutil.move(folder / "csv_call.csv", folder / "sub" / "csv_call.csv")
    assert "sub/csv_call" in [c.name for c in corpora.from_folder(folder, pattern="**/*")]
    with pytest.raises(ConfigError, match="matching"):
        corpora.from_folder(folder, pattern="*.mp3")
    with pytest.raises(ConfigError, match="existing folder"):
        corpora.from_folder(folder / "nowhere")
    with pytest.raises(ConfigError, match="missing"):
        corpora.from_folder(folder, missing="ignore")
    (folder / "rttm_call.rttm").write_text(
        (AMI / "debug.rttm").read_text()
    )  # several recordings, none named rttm_call
    with pytest.raises(ConfigError, match="rttm_call"):
        corpora.from_folder(folder)


def test_files_with_truth_beside_or_given(folder, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(AMI / "trn04.turns.csv", elsewhere / "hand.csv")
    shutil.copy(AMI / "trn04.wav", elsewhere / "call.wav")
    beside = corpora.from_files([folder / "csv_call.wav", folder / "bare_call.flac"])
    assert [c.name for c in beside] == ["csv_call", "bare_call"]
    assert _spans(beside[0].truth) == _spans(read_csv(AMI / "trn02.turns.csv"))
    assert not beside[1].truth.speech_known
    (given,) = corpora.from_files([elsewhere / "call.wav"], truth=[elsewhere / "hand.csv"])
    assert given.name == "call"
    assert _spans(given.truth) == _spans(read_csv(AMI / "trn04.turns.csv"))
    # an RTTM of several recordings gives the one named like the audio file
    shutil.copy(AMI / "trn05.wav", elsewhere / "trn05.wav")
    (rttm,) = corpora.from_files([elsewhere / "trn05.wav"], truth=[AMI / "debug.rttm"])
    assert rttm.truth == rtlab.datasets.load("ami-debug/trn05").truth
    assert corpora.from_files([folder / "bare_call.flac"], missing="skip") == []
    with pytest.raises(ConfigError, match="one per audio file"):
        corpora.from_files([folder / "csv_call.wav"], truth=[])
    with pytest.raises(ConfigError, match="distinct names"):
        corpora.from_files([folder / "csv_call.wav", elsewhere / "csv_call.wav"])
    with pytest.raises(ConfigError, match="non-empty list"):
        corpora.from_files(str(folder / "csv_call.wav"))
    with pytest.raises(FileNotFoundError):
        corpora.from_files([folder / "nothing.wav"])
