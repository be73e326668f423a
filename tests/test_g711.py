"""rtlab._g711 against the ITU G.711 reference behaviour of the standard library's audioop."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtlab import _g711
from rtlab.errors import AudioFormatError

# audioop is deprecated since 3.11 (removed in 3.13): silence its warning here only.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))
LAWS = ["ulaw", "alaw"]


def ref_encode(pcm: bytes, law: str) -> bytes:
    return getattr(audioop, f"lin2{law}")(pcm, 2)


def ref_decode(codes: bytes, law: str) -> bytes:
    return getattr(audioop, f"{law}2lin")(codes, 2)


def test_audioop_warning_is_silenced_by_the_pyproject_filter() -> None:
    """Importing audioop warns; pyproject's filterwarnings entry (a regex) silences it."""
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    entries = pyproject["tool"]["pytest"]["ini_options"]["filterwarnings"]
    (entry,) = [e for e in entries if "audioop" in e]
    action, message, category = entry.split(":")
    assert (action, category) == ("ignore", "DeprecationWarning")
    loud = "import warnings; warnings.simplefilter('error'); import audioop"
    quiet = (
        "import warnings; warnings.simplefilter('error'); "
        f"warnings.filterwarnings('ignore', {message!r}, DeprecationWarning); import audioop"
    )
    failed = subprocess.run([sys.executable, "-c", loud], capture_output=True, text=True)
    assert failed.returncode != 0 and "DeprecationWarning" in failed.stderr
    assert "audioop" in failed.stderr
    passed = subprocess.run([sys.executable, "-c", quiet], capture_output=True, text=True)
    assert passed.returncode == 0, passed.stderr


@pytest.mark.parametrize("law", LAWS)
def test_encode_every_int16_value_like_audioop(law: str) -> None:
    ours = _g711.encode(ALL_INT16, law)
    assert isinstance(ours, bytes) and len(ours) == 65536
    assert ours == ref_encode(ALL_INT16.tobytes(), law)


@pytest.mark.parametrize("law", LAWS)
def test_decode_every_code_like_audioop(law: str) -> None:
    ours = _g711.decode(ALL_CODES, law)
    assert ours.dtype == np.int16 and ours.shape == (256,)
    assert ours.tobytes() == ref_decode(ALL_CODES, law)
    # the 256 codes decode to 256 distinct levels for A-law, 255 for µ-law (+0 and -0)
    assert len(set(ours.tolist())) == (255 if law == "ulaw" else 256)


@pytest.mark.parametrize("law", LAWS)
def test_decode_odd_lengths_and_buffer_types(law: str) -> None:
    codes = bytes(np.random.default_rng(5).integers(0, 256, 1001, dtype=np.uint8))
    expected = ref_decode(codes, law)
    assert _g711.decode(codes, law).tobytes() == expected
    assert _g711.decode(bytearray(codes), law).tobytes() == expected
    assert _g711.decode(memoryview(codes), law).tobytes() == expected
    assert _g711.decode(np.frombuffer(codes, np.uint8), law).tobytes() == expected
    assert _g711.decode(codes[:1], law).tobytes() == ref_decode(codes[:1], law)
    assert _g711.decode(b"", law).shape == (0,)
    assert _g711.encode(np.zeros(0, np.int16), law) == b""


def test_decode_longer_than_one_block() -> None:
    n = 2 * _g711._DECODE_BLOCK_PAIRS * 2 + 3
    codes = np.random.default_rng(6).integers(0, 256, n, dtype=np.uint8).tobytes()
    assert _g711.decode(codes, "alaw").tobytes() == ref_decode(codes, "alaw")


@settings(max_examples=200, deadline=None)
@given(pcm=st.binary(max_size=4000).map(lambda b: b[: len(b) // 2 * 2]), law=st.sampled_from(LAWS))
def test_random_buffers_round_trip_like_audioop(pcm: bytes, law: str) -> None:
    samples = np.frombuffer(pcm, dtype=np.int16)
    codes = _g711.encode(samples, law)
    assert codes == ref_encode(pcm, law)
    decoded = _g711.decode(codes, law)
    assert decoded.tobytes() == ref_decode(codes, law)
    # decode∘encode is idempotent: decoded levels are fixed points of the quantiser
    assert _g711.encode(decoded, law) == codes
    assert np.array_equal(_g711.decode(_g711.encode(decoded, law), law), decoded)


@settings(max_examples=100, deadline=None)
@given(codes=st.binary(max_size=3000), law=st.sampled_from(LAWS))
def test_random_codes_decode_like_audioop(codes: bytes, law: str) -> None:
    assert _g711.decode(codes, law).tobytes() == ref_decode(codes, law)


def test_quantisation_error_is_bounded_by_the_segment_step() -> None:
    """µ-law's step doubles per segment: the error stays below 1/32 of the magnitude + 16."""
    decoded = _g711.decode(_g711.encode(ALL_INT16, "ulaw"), "ulaw").astype(np.int32)
    error = np.abs(decoded - ALL_INT16.astype(np.int32))
    assert np.all(error <= np.abs(ALL_INT16.astype(np.int32)) // 16 + 16)


def test_bad_law_and_dtype() -> None:
    with pytest.raises(AudioFormatError, match="'ulaw' or 'alaw'"):
        _g711.encode(ALL_INT16, "mulaw")
    with pytest.raises(AudioFormatError, match="law"):
        _g711.decode(ALL_CODES, "g722")
    with pytest.raises(AudioFormatError, match="int16"):
        _g711.encode(np.zeros(4, np.float32), "ulaw")


def test_tables_are_read_only() -> None:
    for law in LAWS:
        for table in (
            _g711._encode_table(law),
            _g711._decode_table(law),
            _g711._decode_pair_table(law),
        ):
            assert not table.flags.writeable
