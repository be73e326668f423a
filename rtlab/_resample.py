"""24 kHz → 16 kHz for Silero, causal: a frame can be scored the moment its last sample arrives.

Silero runs at 16 kHz, rtlab's audio is 24 kHz. A resampler whose output depends on input
*after* it (a centred filter, such as soxr's) holds back the end of every chunk until more
audio arrives: soxr "HQ" as a stream held back 13–35 ms, so on the local server a frame
ending within that distance of an append's end waited for the next append (100 ms later
with 100 ms appends), one turn-detection event in six.

This one is a polyphase FIR filter applied causally, with :func:`scipy.signal.upfirdn`
(up 2, down 3): output sample ``n`` (at 16 kHz) is ``sum_k h[k] * x2[3n - k]``, where
``x2`` is the input with a zero between samples (48 kHz). It only reads input up to time
``n / 16000`` s, so the 512 samples of a 32 ms frame are complete once the frame's 768
input samples are. The filter is the one :func:`scipy.signal.resample_poly` designs for
this ratio (``firwin(61, 1/3, window=("kaiser", 5.0))``, times 2 for the zero stuffing):
cut-off at 8 kHz, about 55 dB stop-band attenuation, a 61-tap (1.27 ms) span at 48 kHz.
Applied causally it delays the audio by its group delay, 30 taps at 48 kHz = 0.625 ms,
which no 32 ms frame can notice.

Streaming gives exactly the samples of one pass over the whole clip: each output is the
same dot product over the same inputs in the same order, whatever the chunking
(``tests/test_vad.py`` checks this bit for bit).

Smart Turn hears soxr "HQ" instead (:class:`Soxr16k`): its probabilities at mid-sentence
pauses move by up to 0.2 with the filter. :func:`whole` runs a clip through either.
"""

from __future__ import annotations

import numpy as np

UP = 2
DOWN = 3
N_TAPS = 61
KAISER_BETA = 5.0


def design_filter() -> np.ndarray:
    """The anti-aliasing filter (float32, ``N_TAPS`` taps at 48 kHz, DC gain ``UP``)."""
    from scipy.signal import firwin

    return (firwin(N_TAPS, 1.0 / DOWN, window=("kaiser", KAISER_BETA)) * UP).astype(np.float32)


def n_outputs(n_inputs: int) -> int:
    """How many 16 kHz samples ``n_inputs`` 24 kHz samples complete."""
    return 0 if n_inputs <= 0 else (UP * (n_inputs - 1)) // DOWN + 1


class Causal16k:
    """A causal 24 → 16 kHz stream: :meth:`push` int16 chunks, get every completed sample.

    >>> import numpy as np
    >>> stream = Causal16k()
    >>> x = np.ones(768 * 2, np.int16)
    >>> [stream.push(x[:700]).size, stream.push(x[700:]).size]  # 1,536 in, 1,024 out
    [467, 557]
    """

    def __init__(self) -> None:
        from scipy.signal import upfirdn

        self.upfirdn = upfirdn
        self.taps = design_filter()
        self.tail = np.zeros(0, np.float32)  # input from sample `tail_start` on
        self.tail_start = 0
        self.n_in = 0
        self.n_out = 0

    def push(self, samples: np.ndarray, *, last: bool = False) -> np.ndarray:
        """Add int16 samples at 24 kHz; return the 16 kHz samples (float32) they complete.

        ``last`` is accepted for the same call as :class:`Soxr16k`: nothing is held back.
        """
        buffer = np.concatenate([self.tail, to_float(samples)])
        self.n_in += int(np.size(samples))
        end = n_outputs(self.n_in)
        if end == self.n_out:
            self.tail = buffer
            return np.zeros(0, np.float32)
        # `tail_start` is a multiple of DOWN, so output i of this pass is output
        # i + tail_start * UP / DOWN of the whole stream
        offset = self.tail_start * UP // DOWN
        y = self.upfirdn(self.taps, buffer, UP, DOWN)
        out = np.asarray(y[self.n_out - offset : end - offset], np.float32)
        self.n_out = end
        # keep the input the next output's taps reach back to, from a multiple of DOWN
        first_needed = max(0, (DOWN * self.n_out - (N_TAPS - 1)) // UP - 1)
        keep = max(self.tail_start, first_needed // DOWN * DOWN)
        self.tail = buffer[keep - self.tail_start :]
        self.tail_start = keep
        return out


class Soxr16k:
    """soxr "HQ" as a 24 → 16 kHz stream: what Smart Turn hears (pipecat's convention).

    It looks ahead: the last 13–35 ms pushed come out only with later audio or ``last``.
    As a stream it gives exactly the samples ``soxr.resample`` gives in one go.
    """

    def __init__(self) -> None:
        import soxr

        self.stream = soxr.ResampleStream(24000, 16000, 1, dtype="float32", quality="HQ")

    def push(self, samples: np.ndarray, *, last: bool = False) -> np.ndarray:
        """Add int16 samples at 24 kHz (``last``: the end); the 16 kHz samples ready."""
        return np.asarray(self.stream.resample_chunk(to_float(samples), last=last), np.float32)


def to_float(samples: np.ndarray) -> np.ndarray:
    """Int16 samples as float32 in [-1, 1] (divided by 32768)."""
    return np.asarray(samples).astype(np.float32) / np.float32(32768.0)


def whole(samples: np.ndarray, stream: Causal16k | Soxr16k) -> np.ndarray:
    """A whole int16 clip at 24 kHz through ``stream``: float32 at 16 kHz.

    Pushed in 10-s pieces (no float copy of a whole long clip), which gives the samples of
    one pass. With :class:`Causal16k`, ``n_outputs(size)`` of them.

    >>> import numpy as np
    >>> whole(np.zeros(24000, np.int16), Causal16k()).shape
    (16000,)
    """
    samples = np.asarray(samples)
    step = 10 * 24000
    pieces = [np.zeros(0, np.float32)]
    for lo in range(0, samples.size, step):
        pieces.append(stream.push(samples[lo : lo + step], last=lo + step >= samples.size))
    return np.concatenate(pieces)
