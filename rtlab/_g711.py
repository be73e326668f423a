"""G.711 µ-law and A-law codecs for 16-bit PCM, vectorised with lookup tables.

The tables are built from the ITU-T G.711 segment rules as the reference C code (and the
standard library's ``audioop`` with ``width=2``) applies them to 16-bit samples:

- µ-law: the sample is shifted right by 2 bits (14-bit magnitude), clipped to 8159, biased
  by 33 and coded as sign, 3-bit segment and 4-bit mantissa, with all bits inverted.
- A-law: the sample is shifted right by 3 bits (13-bit), negative values become
  ``-x - 1``, and sign, segment and mantissa are coded with the even bits inverted (``0x55``).

Encoding looks each sample up in a 65,536-entry table (one code per int16 value); decoding
looks up *pairs* of codes in a 65,536-entry table of two samples each, which halves the
number of lookups. Both are bit-exact with ``audioop.lin2ulaw/ulaw2lin/lin2alaw/alaw2lin``
(checked over every int16 value and every code in ``tests/test_g711.py``). The tables are
built once, on first use (about 2 ms), and are read-only.

Examples
--------
>>> import numpy as np
>>> from rtlab import _g711
>>> codes = _g711.encode(np.array([0, 1000, -1000, 32767], dtype=np.int16), "ulaw")
>>> codes.hex()
'ffce4e80'
>>> _g711.decode(codes, "ulaw").tolist()
[0, 988, -988, 32124]
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np

__all__ = ["LAWS", "decode", "encode"]

LAWS = ("ulaw", "alaw")

# Decoding works on blocks of this many code pairs so that numpy's temporary index array
# stays in cache (measured fastest on 2-core x86 at 2**17 pairs).
_DECODE_BLOCK_PAIRS = 1 << 17


def _check_law(law: str) -> Literal["ulaw", "alaw"]:
    if law not in LAWS:
        from rtlab.errors import AudioFormatError

        raise AudioFormatError("law", law, "'ulaw' or 'alaw'", owner="G.711")
    return law  # type: ignore[return-value]


def _segment(magnitude: np.ndarray, ends: tuple[int, ...]) -> np.ndarray:
    """Index of the first segment end >= magnitude (len(ends) when above all of them)."""
    return np.searchsorted(np.asarray(ends), magnitude, side="left")


def _ulaw_encode_all() -> np.ndarray:
    """Code for every int16 value, indexed by the value's uint16 bit pattern."""
    x = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), 8159) + 33
    seg = _segment(mag, (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF))
    code = (seg << 4) | ((mag >> (seg + 1)) & 0xF)
    code = np.where(seg >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


def _alaw_encode_all() -> np.ndarray:
    x = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32) >> 3
    negative = x < 0
    mask = np.where(negative, 0x55, 0xD5)
    mag = np.where(negative, -x - 1, x)
    seg = _segment(mag, (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF))
    shift = np.maximum(seg, 1)
    code = (seg << 4) | ((mag >> shift) & 0xF)
    code = np.where(seg >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


def _ulaw_decode_all() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _alaw_decode_all() -> np.ndarray:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


@functools.cache
def _encode_table(law: str) -> np.ndarray:
    table = _ulaw_encode_all() if law == "ulaw" else _alaw_encode_all()
    table.setflags(write=False)
    return table


@functools.cache
def _decode_table(law: str) -> np.ndarray:
    table = _ulaw_decode_all() if law == "ulaw" else _alaw_decode_all()
    table.setflags(write=False)
    return table


@functools.cache
def _decode_pair_table(law: str) -> np.ndarray:
    """Two decoded int16 samples per entry, indexed by two codes read as a native uint16."""
    single = _decode_table(law)
    index = np.arange(65536, dtype=np.uint16)
    pair_codes = index.view(np.uint8).reshape(-1, 2)  # each uint16's two bytes, in memory order
    pairs = single[pair_codes].copy()  # (65536, 2) int16: the samples in memory order
    table = pairs.view(np.int32).reshape(-1)
    table.setflags(write=False)
    return table


def encode(samples: np.ndarray, law: str) -> bytes:
    """Encode int16 samples as G.711 codes, one byte per sample.

    Parameters
    ----------
    samples : numpy.ndarray of int16, 1-D
        Linear 16-bit PCM samples (any sample rate; G.711 itself is defined at 8 kHz).
    law : {"ulaw", "alaw"}
        µ-law (North America, Japan) or A-law (Europe, most other countries).

    Returns
    -------
    bytes
        ``len(samples)`` codes, identical to ``audioop.lin2ulaw(pcm, 2)`` /
        ``audioop.lin2alaw(pcm, 2)`` on the same samples.

    Raises
    ------
    rtlab.errors.AudioFormatError
        If ``law`` is not ``"ulaw"`` or ``"alaw"``, or ``samples`` is not int16.
    """
    law = _check_law(law)
    samples = np.asarray(samples)
    if samples.dtype != np.int16:
        from rtlab.errors import AudioFormatError

        raise AudioFormatError("samples", samples.dtype, "an int16 array", owner="G.711 encode")
    index = np.ascontiguousarray(samples, dtype=np.int16).reshape(-1).view(np.uint16)
    return np.take(_encode_table(law), index, mode="wrap").tobytes()


def decode(data: bytes | bytearray | memoryview | np.ndarray, law: str) -> np.ndarray:
    """Decode G.711 codes to int16 samples.

    Parameters
    ----------
    data : bytes-like or numpy.ndarray of uint8
        G.711 codes, one byte per sample.
    law : {"ulaw", "alaw"}
        The law the codes were written with.

    Returns
    -------
    numpy.ndarray of int16, 1-D, writeable
        One sample per code, identical to ``audioop.ulaw2lin(data, 2)`` /
        ``audioop.alaw2lin(data, 2)``.

    Raises
    ------
    rtlab.errors.AudioFormatError
        If ``law`` is not ``"ulaw"`` or ``"alaw"``.
    """
    law = _check_law(law)
    codes = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    codes = np.ascontiguousarray(codes.reshape(-1), dtype=np.uint8)
    n = codes.shape[0]
    out = np.empty(n, dtype=np.int16)
    n_pairs = n // 2
    if n_pairs:
        pairs = codes[: 2 * n_pairs].view(np.uint16)
        out_pairs = out[: 2 * n_pairs].view(np.int32)
        table = _decode_pair_table(law)
        for start in range(0, n_pairs, _DECODE_BLOCK_PAIRS):
            stop = min(start + _DECODE_BLOCK_PAIRS, n_pairs)
            np.take(table, pairs[start:stop], out=out_pairs[start:stop], mode="wrap")
    if n % 2:
        out[-1] = _decode_table(law)[codes[-1]]
    return out
