"""Speech spans from VAD scores, shared by rtlab.drafting and ``Annotation.whole``.

Internal: inputs are trusted (the public callers check them). This module imports neither
``rtlab.annotation`` nor ``rtlab.drafting``, so ``Annotation.whole`` can use it without an
import cycle.

Examples
--------
>>> import numpy as np
>>> from rtlab.vad import FrameScores
>>> p = np.array([0, .9, .9, 0, .8, 0, .7, .7, .7, .7], dtype=np.float32)
>>> scores = FrameScores(p, hop_ms=32.0, model="x", fingerprint="", duration_ms=320.0)
>>> speech_spans(scores, threshold=0.5, min_speech_ms=50.0).tolist()
[[0.032, 0.096], [0.192, 0.32]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["scored_spans", "speech_spans", "utterance"]


def speech_spans(scores: Any, *, threshold: float, min_speech_ms: float) -> np.ndarray:
    """``[start_s, end_s)`` runs of frames with probability >= threshold, short runs dropped."""
    on = np.asarray(scores.probabilities) >= threshold
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    hop_s = scores.hop_ms / 1000.0
    keep = (ends - starts) * scores.hop_ms >= min_speech_ms
    spans = np.stack([starts[keep] * hop_s, ends[keep] * hop_s], axis=1).reshape(-1, 2)
    spans = np.minimum(spans, scores.duration_ms / 1000.0)
    return np.round(spans, 9)


def scored_spans(
    audio: Any, *, model: str, threshold: float, min_speech_ms: float
) -> tuple[np.ndarray, Any]:
    """Speech spans of a recording (loaded, scored with the cached VAD) and its Audio."""
    from rtlab import vad
    from rtlab.audio import load_audio

    loaded = load_audio(audio)
    scores = vad.score(loaded, model=model)  # type: ignore[arg-type]
    return speech_spans(scores, threshold=threshold, min_speech_ms=min_speech_ms), loaded


def utterance(
    audio: Any, *, model: str = "silero", threshold: float = 0.5, min_speech_ms: float = 100.0
) -> tuple[np.ndarray, tuple[float, float] | None, float]:
    """For a one-utterance file: (speech spans, (first start, last end) or None, duration_s)."""
    spans, loaded = scored_spans(
        audio, model=model, threshold=threshold, min_speech_ms=min_speech_ms
    )
    extent = (float(spans[0, 0]), float(spans[-1, 1])) if len(spans) else None
    return spans, extent, float(loaded.duration_s)
