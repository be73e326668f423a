"""Hostile or broken audio and annotation files: each is a clear RtlabError, never a hang,
a huge allocation, a raw traceback or a silently empty result (issue 13, findings 3, 5, 6)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import rtlab
from rtlab import load_audio
from rtlab.annotation import read_annotation, read_audacity, read_csv, read_lhotse, read_rttm
from rtlab.errors import AudioFormatError, ConfigError

DATA = Path(__file__).resolve().parents[1] / "datasets"
LIBRI_WAV = DATA / "librivox_pocketsphinx" / "sense_and_sensibility_01_austen_64kb-0880.wav"
JFK_FLAC = DATA / "jfk_whisper" / "jfk.flac"
DEBUG_RTTM = DATA / "ami_pyannote_debug" / "debug.rttm"


def _wav_claiming(rate_hz: int, n_bytes: int) -> bytes:
    """The first ``n_bytes`` of a shipped WAV (real speech) with its header's rate rewritten."""
    data = bytearray(LIBRI_WAV.read_bytes())
    assert data[:4] == b"RIFF" and data[12:16] == b"fmt "
    block_align = int.from_bytes(data[32:34], "little")
    data[24:28] = rate_hz.to_bytes(4, "little")
    data[28:32] = (rate_hz * block_align).to_bytes(4, "little")
    data = data[:n_bytes]
    data[40:44] = (n_bytes - 44).to_bytes(4, "little")  # the data chunk, cut to match
    return bytes(data)


# --------------------------------------------------------------------------- audio


@pytest.mark.parametrize("rate_hz", [1, 10, 999, 800_000])
def test_a_wav_header_rate_out_of_range_is_refused(tmp_path, rate_hz):
    """A 40 KB file saying 1 Hz would otherwise become 20,000 s and 2.85 GB of samples."""
    assert LIBRI_WAV.read_bytes()[36:40] == b"data"  # the canonical 44-byte header
    path = tmp_path / "rate.wav"
    path.write_bytes(_wav_claiming(rate_hz, 40_000))
    with pytest.raises(AudioFormatError) as info:
        load_audio(path)
    assert info.value.field == "src" and info.value.value == str(path)
    assert f"{rate_hz} Hz" in str(info.value) and "[1000, 768000] Hz" in str(info.value)
    with pytest.raises(AudioFormatError) as info:  # the same file as bytes
        load_audio(path.read_bytes())
    assert f"{rate_hz} Hz" in str(info.value) and "format=" not in str(info.value)


def test_a_wav_header_rate_in_range_still_loads(tmp_path):
    path = tmp_path / "rate.wav"
    path.write_bytes(_wav_claiming(8000, 40_000))
    audio = load_audio(path)
    assert audio.duration_s == pytest.approx((40_000 - 44) / 2 / 8000, abs=1e-3)


@pytest.mark.parametrize("fmt", ["pcm16", "g711_ulaw", "g711_alaw"])
@pytest.mark.parametrize(("path", "container"), [(LIBRI_WAV, "WAV"), (JFK_FLAC, "FLAC")])
def test_an_audio_file_passed_as_raw_samples_is_refused(tmp_path, fmt, path, container):
    """Decoding a file's header and compressed frames as samples gives noise, silently."""
    with pytest.raises(AudioFormatError) as info:
        load_audio(path.read_bytes(), format=fmt)
    assert info.value.field == "format" and info.value.value == fmt
    assert f"{container} file" in str(info.value)
    with pytest.raises(AudioFormatError) as info:  # a path with format= reads raw bytes too
        load_audio(path, format=fmt)
    assert info.value.field == "format"


def test_a_file_that_is_not_audio_does_not_blame_a_missing_ffmpeg(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("meeting notes, not a recording\n" * 20)
    with pytest.raises(AudioFormatError) as info:
        load_audio(path)
    message = str(info.value)
    assert info.value.field == "src" and str(path) in message
    assert "ffmpeg" not in message.lower() and "not audio" in message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_says_it_cannot_be_opened(tmp_path):
    path = tmp_path / "locked.wav"
    path.write_bytes(LIBRI_WAV.read_bytes())
    path.chmod(0)
    try:
        with pytest.raises(AudioFormatError, match="cannot be opened") as info:
            load_audio(path)
        assert "ffmpeg" not in str(info.value).lower()
    finally:
        path.chmod(0o600)


# --------------------------------------------------------------------------- annotations


def test_a_csv_field_over_the_csv_limit_is_a_line_error(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text('start_s,end_s,label,text\n0.5,1.0,A,hi\n1.0,2.0,B,"' + "x" * 200_000 + '"\n')
    with pytest.raises(ConfigError) as info:
        read_csv(path)
    assert info.value.field == f"{path}:3"
    assert "Line 3" in str(info.value) and "field larger than field limit" in str(info.value)


@pytest.mark.parametrize("reader", [read_annotation, read_lhotse])
def test_deeply_nested_json_is_a_config_error(tmp_path, reader):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError) as info:
        reader(path)
    assert info.value.field == str(path) and "nested" in str(info.value)


def test_a_label_track_with_a_bad_first_line_is_not_read_as_a_transcript(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("0,5\t1,25\tA\n2.0\t3.0\tB\n3.5\t4.0\tA\n")  # decimal commas on line 1
    with pytest.raises(ConfigError) as info:
        read_annotation(path)
    assert info.value.field == f"{path}:1" and "Line 1" in str(info.value)
    with pytest.raises(ConfigError):
        read_audacity(path)
    prose = tmp_path / "transcript.txt"
    prose.write_text("And so, my fellow Americans,\nask not.\n")
    assert read_annotation(prose).transcript == "And so, my fellow Americans, ask not."


def test_a_huge_sparse_rttm_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "sparse.rttm"
    with open(path, "wb") as f:
        f.truncate(2**30)  # 1 GiB of holes: no disk used, and nothing but NULs to read
    with pytest.raises(ConfigError) as info:
        read_rttm(path)
    assert info.value.field == "path" and str(2**30) in str(info.value)
    assert "MiB" in str(info.value)


def test_an_annotation_with_nul_bytes_is_not_read_as_empty(tmp_path):
    path = tmp_path / "holes.rttm"
    rttm = DEBUG_RTTM.read_bytes()
    path.write_bytes(rttm + b"\0" * 100_000)
    with pytest.raises(ConfigError, match="NUL") as info:
        read_rttm(path)
    assert info.value.field == "path"
    lhotse = tmp_path / "cuts.json"
    lhotse.write_bytes(b"\0" * 1000)
    with pytest.raises(ConfigError, match="NUL"):
        read_annotation(lhotse)
    assert read_annotation(DATA / "ami_lhotse" / "ami_cuts.json").turns  # the real one reads


@pytest.mark.parametrize(
    ("cut", "where"),
    [
        ({"id": "c", "duration": 5.0, "supervisions": 7}, "supervisions"),
        ({"id": "c", "duration": "long", "supervisions": []}, "duration"),
        ({"id": "c", "duration": 5.0, "supervisions": [[0.5, 1.0]]}, "supervisions[0]"),
    ],
)
def test_a_malformed_lhotse_cut_names_the_entry(tmp_path, cut, where):
    path = tmp_path / "cuts.json"
    path.write_text(json.dumps([cut]))
    with pytest.raises(ConfigError) as info:
        read_lhotse(path)
    assert info.value.field == f"{path}:{where}" and str(path) in str(info.value)


# -- folders rtlab cannot write (issue 13) ----------------------------------------------------

UNWRITABLE = "/proc/rtlab-cannot-create-this/cache"  # not even root can create it


def test_an_unwritable_cache_folder_warns_and_still_scores(monkeypatch):
    from rtlab.vad import score

    clip = rtlab.datasets.load("jfk")
    monkeypatch.setenv("RTLAB_CACHE_DIR", UNWRITABLE)
    with pytest.warns(RuntimeWarning, match="RTLAB_CACHE_DIR"):
        scores = score(clip.audio)
    assert scores.n_frames == len(clip.audio.samples) // 768


def test_saving_into_a_folder_that_cannot_be_created_is_a_storage_error():
    from rtlab.errors import StorageError

    with pytest.raises(StorageError, match="rtlab-cannot-create-this") as info:
        rtlab.Session().save(f"{UNWRITABLE}/session.json")
    assert isinstance(info.value, OSError) and isinstance(info.value, rtlab.RtlabError)
