"""Arithmetic on time spans: ``(n, 2)`` float arrays of ``[start, end)`` rows.

Ground truth (:mod:`rtlab.annotation`), the metrics (:mod:`rtlab.metrics`) and the sweep's
batched engine (:mod:`rtlab._sweep_engine`) all measure speech as sets of spans; these are
the few operations they share, vectorised with numpy. Any unit works (seconds or ms), as
long as all arguments use the same one. "Sorted, disjoint" spans are what :func:`union`
returns.

Examples
--------
>>> import numpy as np
>>> from rtlab import _spans
>>> speech = _spans.union(np.array([[2.0, 3.0], [0.5, 1.0], [0.9, 1.5], [4.0, 4.0]]))
>>> speech.tolist()
[[0.5, 1.5], [2.0, 3.0]]
>>> _spans.inside(np.array([0.4, 0.5, 1.5, 2.5]), speech).tolist()
[False, True, False, True]
>>> _spans.measure_upto(speech, np.array([1.0, 2.5, 9.0])).tolist()
[0.5, 1.5, 2.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["difference", "inside", "measure_upto", "snap", "union"]


def union(spans: np.ndarray) -> np.ndarray:
    """Sorted spans with those that overlap or touch merged; empty ones dropped (a new array)."""
    spans = spans[spans[:, 1] > spans[:, 0]]
    if len(spans) < 2:
        return spans
    spans = spans[np.argsort(spans[:, 0], kind="stable")]
    running_end = np.maximum.accumulate(spans[:, 1])
    new = np.empty(len(spans), dtype=bool)
    new[0] = True
    new[1:] = spans[1:, 0] > running_end[:-1]
    group = np.cumsum(new) - 1
    out = np.empty((int(group[-1]) + 1, 2), dtype=np.float64)
    out[:, 0] = spans[new, 0]
    out[:, 1] = np.maximum.reduceat(spans[:, 1], np.flatnonzero(new))
    return out


def snap(spans: np.ndarray, hop_ms: float | None) -> np.ndarray:
    """Round span edges to frame edges: a frame belongs to a span when its centre does."""
    if hop_ms is None or not len(spans):
        return spans
    first = np.ceil(spans / hop_ms - 0.5 - 1e-9)
    return first * hop_ms


def inside(points: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Whether each point lies in the union of sorted, disjoint ``spans`` (start <= p < end)."""
    if not len(spans):
        return np.zeros(len(points), dtype=bool)
    index = np.searchsorted(spans[:, 0], points, side="right") - 1
    hit = index >= 0
    hit[hit] = points[hit] < spans[index[hit], 1]
    return hit


def measure_upto(spans: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Length of the part of sorted, disjoint ``spans`` before each time."""
    if not len(spans) or not len(times):
        return np.zeros(len(times))
    lengths = spans[:, 1] - spans[:, 0]
    before = np.concatenate([[0.0], np.cumsum(lengths)])
    index = np.searchsorted(spans[:, 0], times, side="right") - 1
    safe = np.maximum(index, 0)
    within = np.clip(times - spans[safe, 0], 0.0, lengths[safe])
    return np.where(index >= 0, before[safe] + within, 0.0)


def difference(spans: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """Sorted, disjoint ``spans`` minus sorted, disjoint ``holes``."""
    if not len(holes) or not len(spans):
        return spans
    cuts = np.unique(np.concatenate([spans.ravel(), holes.ravel()]))
    middle = (cuts[:-1] + cuts[1:]) / 2
    keep = inside(middle, spans) & ~inside(middle, holes)
    pieces = np.stack([cuts[:-1][keep], cuts[1:][keep]], axis=1)
    return union(pieces)
