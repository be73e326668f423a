"""Parameter sweeps: many turn-detection configurations × many clips → one tidy table.

:func:`sweep` runs every configuration of a grid on every clip through the local emulator
(:func:`rtlab.detect`) and scores it (:func:`rtlab.metrics.score`); :func:`summarize`
pools the clips per configuration; :func:`pareto` keeps the configurations no other beats on
both latency and false cut-offs; :func:`recommend` picks the one to try.

Grids
-----
A grid is a dict of *dotted session paths* to lists of values, or a list of such dicts (one
per kind of turn detection), exactly like scikit-learn's ``ParameterGrid``: each dict is
expanded to the product of its lists, keys in sorted order, the last key varying fastest;
sub-grids follow one another. :class:`ParameterGrid` does the expansion and knows its size
before anything runs. Short keys are aliases (:data:`ALIASES`):

======================= =======================================
key                     path
======================= =======================================
``threshold``           ``turn_detection.threshold``
``prefix_padding_ms``   ``turn_detection.prefix_padding_ms``
``silence_duration_ms`` ``turn_detection.silence_duration_ms``
``idle_timeout_ms``     ``turn_detection.idle_timeout_ms``
``eagerness``           ``turn_detection.eagerness``
``type``                ``turn_detection.type``
======================= =======================================

Any other path :meth:`rtlab.Session.replace` accepts works too (``input_audio_format``,
``input_audio_noise_reduction.type``, ...). Every configuration is built as
``base.replace(**params)`` before the sweep starts, so a bad value raises
:class:`~rtlab.errors.ConfigError` at once. :func:`sample_grid` draws random configurations
from lists, ranges and ``(low, high)`` intervals instead.

How it runs
-----------
Frame scores are computed once per clip (:func:`rtlab.vad.score_many`, cached on disk;
once per clip and input format / noise reduction when the grid changes those, prepared the
way :func:`rtlab.detect` prepares audio) and shared by every configuration.

``server_vad`` configurations without an idle timeout, scored with the built-in metrics,
go through a batched engine: for one clip, the turns of hundreds of configurations are found
with one set of array operations (configurations that share a threshold share the
speech / silence runs) and the metrics computed the same way, with no event log and no
Python loop over turns or configurations. Its numbers equal
``metrics.score(detect(clip.audio, session), clip.truth)`` up to floating-point rounding
(the tests check every cell). Every other configuration (``semantic_vad``, an idle timeout,
a custom ``metrics`` function) runs :func:`rtlab.detect` and scores the event log, cell by
cell; ``semantic_vad`` runs the Smart Turn model on the clip audio, which the emulator
memoises per clip, so all semantic configurations go to one task.

Configurations are cut into chunks; each task runs one chunk over every clip:

- ``n_jobs=1``: in this process;
- ``n_jobs=k``: ``k`` local worker processes (``concurrent.futures``, spawned, so a script
  needs the usual ``if __name__ == "__main__":`` guard); the scores are sent to each worker
  once, when it starts;
- ``scheduler=client``: a ``dask.distributed.Client``. The scores are scattered once to
  every worker (``client.scatter(..., broadcast=True)``), the chunks mapped over the
  cluster and the results gathered. The table is identical to the local one.

Running on a real cluster
-------------------------
Install rtlab (the same version) in the workers' environment, connect a client and pass
it::

    from dask.distributed import Client
    client = Client("tcp://scheduler-host:8786")   # or Client(SLURMCluster(...)), ...
    table = rtlab.sweep(clips, grid, scheduler=client)

The clips are loaded and scored on the machine that calls :func:`sweep` (so the score
cache there is used); the workers receive the frame scores and the ground truth (plus the
audio, only when the grid has ``semantic_vad`` configurations) and never touch files.

Examples
--------
>>> import rtlab
>>> clips = rtlab.datasets.load_all("ami-debug/trn0[1-3]")
>>> table = rtlab.sweep(clips, {"threshold": [0.4, 0.6], "silence_duration_ms": [300, 800]},
...                     progress=False)
>>> table.shape[0], table["config_id"].nunique()
(12, 4)
>>> len(rtlab.summarize(table))
4
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rtlab import metrics as _metrics
from rtlab.errors import ConfigError, RtlabError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rtlab.annotation import Annotation
    from rtlab.datasets import Clip
    from rtlab.session import Session
    from rtlab.turns import EmulatorOptions
    from rtlab.vad import FrameScores

__all__ = [
    "ALIASES",
    "ParameterGrid",
    "pareto",
    "recommend",
    "sample_grid",
    "session_for",
    "summarize",
    "sweep",
]

#: Short grid keys and the session paths they stand for.
ALIASES: dict[str, str] = {
    "threshold": "turn_detection.threshold",
    "prefix_padding_ms": "turn_detection.prefix_padding_ms",
    "silence_duration_ms": "turn_detection.silence_duration_ms",
    "idle_timeout_ms": "turn_detection.idle_timeout_ms",
    "eagerness": "turn_detection.eagerness",
    "type": "turn_detection.type",
}

_BASE_ATTR = "rtlab.base_session"
_PARAM = "param_"
# metrics pooled over clips by summing
_COUNTS = (
    "false_cutoffs",
    "missed_turns",
    "false_turns",
    "n_true_turns",
    "n_detected_turns",
    "true_speech_ms",
    "false_alarm_ms",
    "missed_speech_ms",
)
# metrics summarised by their median over clips
_MEDIANS = ("latency_ms_median", "latency_ms_p90", "time_to_commit_ms_median")
_TYPE_PATH = "turn_detection.type"


# --------------------------------------------------------------------------------------
# grids


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, so sessions and tables see ints, floats, strs."""
    return value.item() if isinstance(value, np.generic) else value


def _path(key: Any, owner: str) -> str:
    if not isinstance(key, str) or not key:
        raise ConfigError("grid", key, "keys that are dotted session paths (str)", owner=owner)
    return ALIASES.get(key, key)


def _value_list(path: str, values: Any, owner: str) -> tuple[Any, ...]:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise ConfigError(
            path, values, "a list of values to try", owner=owner,
            fix=f"Write [{values!r}] to try one value.",
        )  # fmt: skip
    out = tuple(_plain(v) for v in values)
    if not out:
        raise ConfigError(path, values, "a non-empty list of values", owner=owner)
    return out


class ParameterGrid:
    """The configurations of a grid, in a fixed order, sized before anything runs.

    Parameters
    ----------
    grid : dict or list of dict
        Dotted session paths (or the short keys of :data:`ALIASES`) to lists of values;
        a list of such dicts is the concatenation of their grids. An empty dict is one
        configuration (the base session unchanged).

    Raises
    ------
    rtlab.errors.ConfigError
        If the grid is not a dict or a non-empty list of dicts, a value is not a non-empty
        list, or two keys of one dict name the same path.

    Examples
    --------
    >>> grid = ParameterGrid([{"threshold": [0.3, 0.5], "silence_duration_ms": [200, 800]},
    ...                       {"type": ["semantic_vad"], "eagerness": ["low", "high"]}])
    >>> len(grid)
    6
    >>> grid[1]
    {'turn_detection.silence_duration_ms': 200, 'turn_detection.threshold': 0.5}
    >>> grid[5]
    {'turn_detection.eagerness': 'high', 'turn_detection.type': 'semantic_vad'}
    >>> [key.split(".")[1] for key in grid.keys]
    ['eagerness', 'silence_duration_ms', 'threshold', 'type']
    """

    def __init__(
        self, grid: Mapping[str, Any] | Sequence[Mapping[str, Any]] | ParameterGrid
    ) -> None:
        owner = "ParameterGrid"
        if isinstance(grid, ParameterGrid):
            self._grids: tuple[tuple[tuple[str, tuple[Any, ...]], ...], ...] = grid._grids
            return
        if isinstance(grid, Mapping):
            grids: list[Any] = [grid]
        elif isinstance(grid, Sequence) and not isinstance(grid, str | bytes) and len(grid):
            grids = list(grid)
        else:
            raise ConfigError(
                "grid", grid, "a dict of lists, or a non-empty list of such dicts", owner=owner
            )
        parsed = []
        for sub in grids:
            if not isinstance(sub, Mapping):
                raise ConfigError("grid", sub, "a dict of lists (one per sub-grid)", owner=owner)
            items: dict[str, tuple[Any, ...]] = {}
            for key, values in sub.items():
                path = _path(key, owner)
                if path in items:
                    raise ConfigError(
                        "grid", key, f"one key per path ({path!r} is given twice)", owner=owner
                    )
                items[path] = _value_list(path, values, owner)
            parsed.append(tuple(sorted(items.items())))
        self._grids = tuple(parsed)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every path any sub-grid sets, sorted."""
        return tuple(sorted({key for grid in self._grids for key, _ in grid}))

    def _size(self, grid: tuple[tuple[str, tuple[Any, ...]], ...]) -> int:
        return math.prod(len(values) for _, values in grid)

    def __len__(self) -> int:
        return sum(self._size(grid) for grid in self._grids)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for grid in self._grids:
            keys = [key for key, _ in grid]
            for combo in itertools.product(*(values for _, values in grid)):
                yield dict(zip(keys, combo, strict=True))

    def __getitem__(self, index: int) -> dict[str, Any]:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"ParameterGrid indices must be integers, not {type(index).__name__}")
        n = len(self)
        i = int(index) + n if index < 0 else int(index)
        if not 0 <= i < n:
            raise IndexError(f"ParameterGrid index {index} out of range for {n} configurations")
        for grid in self._grids:
            size = self._size(grid)
            if i < size:
                out = {}
                for key, values in reversed(grid):
                    i, k = divmod(i, len(values))
                    out[key] = values[k]
                return dict(sorted(out.items()))
            i -= size
        raise AssertionError("unreachable")  # pragma: no cover

    def __repr__(self) -> str:
        subs = [{key: list(values) for key, values in grid} for grid in self._grids]
        body = subs[0] if len(subs) == 1 else subs
        return f"ParameterGrid({body!r}) with {len(self)} configurations"


def _interval(path: str, value: tuple[Any, ...], owner: str) -> tuple[str, float, float]:
    ok = len(value) == 2 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    if not ok or value[0] > value[1]:
        raise ConfigError(
            path, value, "a (low, high) tuple of numbers with low <= high", owner=owner
        )
    kind = "int" if all(isinstance(v, numbers.Integral) for v in value) else "float"
    return kind, _plain(value[0]), _plain(value[1])


def sample_grid(
    space: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    n: int,
    *,
    seed: int | None = None,
) -> list[dict[str, list[Any]]]:
    """Draw ``n`` random configurations from a space, as a grid :func:`sweep` accepts.

    Parameters
    ----------
    space : dict or list of dict
        Dotted session paths (or :data:`ALIASES`) to what to draw from: a list, range or
        array (uniform choice), or a ``(low, high)`` *tuple* (uniform in ``[low, high]``:
        integers when both ends are ints, else floats). A list of dicts draws a dict
        uniformly for each configuration.
    n : int >= 1
        Number of configurations.
    seed : int, optional
        Seed of the random generator (``numpy.random.default_rng``); fix it to get the
        same configurations again.

    Returns
    -------
    list of dict
        ``n`` one-configuration grids ``{path: [value]}``. When every entry is a list (a
        finite space) the configurations are distinct, drawn without replacement, in grid
        order; with intervals they are independent draws.

    Raises
    ------
    rtlab.errors.ConfigError
        A malformed space or interval, ``n < 1``, or ``n`` larger than a finite space.

    Examples
    --------
    >>> configs = sample_grid({"threshold": (0.3, 0.8), "silence_duration_ms": (200, 1200)},
    ...                       3, seed=0)
    >>> len(configs), sorted(configs[0])
    (3, ['turn_detection.silence_duration_ms', 'turn_detection.threshold'])
    >>> type(configs[0]["turn_detection.silence_duration_ms"][0]).__name__
    'int'
    >>> len(ParameterGrid(configs))
    3
    """
    owner = "sample_grid"
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ConfigError("n", n, "an int >= 1", owner=owner)
    n = int(n)
    if isinstance(space, Mapping):
        spaces: list[Any] = [space]
    elif isinstance(space, Sequence) and not isinstance(space, str | bytes) and len(space):
        spaces = list(space)
    else:
        raise ConfigError("space", space, "a dict, or a non-empty list of dicts", owner=owner)
    parsed: list[list[tuple[str, str, Any]]] = []
    for sub in spaces:
        if not isinstance(sub, Mapping):
            raise ConfigError("space", sub, "a dict of lists or (low, high) tuples", owner=owner)
        entries = []
        seen: set[str] = set()
        for key, value in sub.items():
            path = _path(key, owner)
            if path in seen:
                raise ConfigError(
                    "space", key, f"one key per path ({path!r} is given twice)", owner=owner
                )
            seen.add(path)
            if isinstance(value, tuple):
                kind, low, high = _interval(path, value, owner)
                entries.append((path, kind, (low, high)))
            else:
                entries.append((path, "choice", _value_list(path, value, owner)))
        parsed.append(sorted(entries, key=lambda entry: entry[0]))
    rng = np.random.default_rng(seed)
    if all(kind == "choice" for entries in parsed for _, kind, _ in entries):
        grid = ParameterGrid([{path: values for path, _, values in entries} for entries in parsed])
        size = len(grid)
        if n > size:
            raise ConfigError(
                "n", n, f"at most {size}, the number of distinct configurations in the space",
                owner=owner, fix="Pass the space to sweep() as a grid to try every one.",
            )  # fmt: skip
        chosen = np.sort(rng.choice(size, size=n, replace=False))
        return [{key: [value] for key, value in grid[int(i)].items()} for i in chosen]
    out = []
    for _ in range(n):
        entries = parsed[int(rng.integers(len(parsed)))] if len(parsed) > 1 else parsed[0]
        config: dict[str, list[Any]] = {}
        for path, kind, data in entries:
            if kind == "choice":
                config[path] = [data[int(rng.integers(len(data)))]]
            elif kind == "int":
                config[path] = [int(rng.integers(data[0], data[1], endpoint=True))]
            else:
                config[path] = [float(rng.uniform(data[0], data[1]))]
        out.append(config)
    return out


# --------------------------------------------------------------------------------------
# what a sweep sends to its workers


@dataclass(frozen=True)
class _MetricSpec:
    """Which metrics a cell computes: built-in names (fast path) or a user function."""

    names: tuple[str, ...] | None
    options: dict[str, Any]
    func: Callable[..., Any] | None


@dataclass(frozen=True)
class _ClipData:
    name: str
    truth: Annotation
    prepared: Any  # metrics._Truth (per min_turn_gap_ms)
    scores: dict[Any, FrameScores]


@dataclass(frozen=True)
class _Payload:
    clips: tuple[_ClipData, ...]
    options: EmulatorOptions
    spec: _MetricSpec


@dataclass(frozen=True)
class _Task:
    config_id: int
    session: Session
    key: Any  # which scores (input format, noise reduction)


def _metric_spec(metrics: Any) -> _MetricSpec:
    owner = "sweep"
    if metrics is None or metrics is _metrics.score:
        return _MetricSpec(_metrics.METRIC_NAMES, {}, None)
    if (
        isinstance(metrics, functools.partial)
        and metrics.func is _metrics.score
        and not metrics.args
    ):
        options = dict(metrics.keywords)
        known = ("collar_ms", "hop_ms", "tolerance_ms", "min_turn_gap_ms")
        for name in options:
            if name not in known:
                raise ConfigError(
                    name, options[name], f"one of {', '.join(known)}", owner="metrics.score"
                )
        _metrics._check_options(
            options.get("collar_ms", 0.0),
            options.get("hop_ms"),
            options.get("tolerance_ms", _metrics.TOLERANCE_MS),
            options.get("min_turn_gap_ms", _metrics.MIN_TURN_GAP_MS),
            "metrics.score",
        )
        return _MetricSpec(_metrics.METRIC_NAMES, options, None)
    if callable(metrics):
        return _MetricSpec(None, {}, metrics)
    if isinstance(metrics, str) or not isinstance(metrics, Iterable):
        raise ConfigError(
            "metrics", metrics, "None, a list of metric names, or a function (log, truth) -> dict",
            owner=owner,
        )  # fmt: skip
    names = tuple(metrics)
    unknown = [name for name in names if name not in _metrics.METRIC_NAMES]
    if unknown or not names:
        raise ConfigError(
            "metrics",
            unknown or names,
            f"names among {', '.join(_metrics.METRIC_NAMES)}",
            owner=owner,
        )
    return _MetricSpec(names, {}, None)


def _score_key(session: Session, options: EmulatorOptions) -> tuple[str, str | None]:
    """What the frame scores depend on besides the audio (as :func:`rtlab.detect` prepares it)."""
    fmt = getattr(session, "input_audio_format", "pcm16") or "pcm16"
    if not options.emulate_input_format:
        fmt = "pcm16"
    reduction = getattr(session, "input_audio_noise_reduction", None)
    return fmt, None if reduction is None else reduction.type


def _fast(session: Session) -> bool:
    detection = session.turn_detection
    return (
        detection is not None
        and detection.type == "server_vad"
        and getattr(detection, "idle_timeout_ms", None) is None
    )


# --------------------------------------------------------------------------------------
# the batched engine: many server_vad configurations on one clip in one set of array ops


def _measure_upto(spans: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Length of the part of sorted, disjoint ``spans`` before each time."""
    if not len(spans) or not len(times):
        return np.zeros(len(times))
    lengths = spans[:, 1] - spans[:, 0]
    before = np.concatenate([[0.0], np.cumsum(lengths)])
    index = np.searchsorted(spans[:, 0], times, side="right") - 1
    safe = np.maximum(index, 0)
    inside = np.clip(times - spans[safe, 0], 0.0, lengths[safe])
    return np.where(index >= 0, before[safe] + inside, 0.0)


def _difference(spans: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """Sorted, disjoint ``spans`` minus sorted, disjoint ``holes``."""
    if not len(holes) or not len(spans):
        return spans
    cuts = np.unique(np.concatenate([spans.ravel(), holes.ravel()]))
    middle = (cuts[:-1] + cuts[1:]) / 2
    keep = _metrics._inside(middle, spans) & ~_metrics._inside(middle, holes)
    pieces = np.stack([cuts[:-1][keep], cuts[1:][keep]], axis=1)
    return _metrics._union(pieces)


def _group_quantiles(
    values: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-group median and 90th percentile (numpy's linear method), NaN for empty groups."""
    median = np.full(n_groups, np.nan)
    p90 = np.full(n_groups, np.nan)
    if not len(values):
        return median, p90
    order = np.lexsort((values, group))
    v, g = values[order], group[order]
    counts = np.bincount(g, minlength=n_groups)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    c, off = counts[has], offsets[has]
    mid = off + (c - 1) // 2
    even = c % 2 == 0
    median[has] = np.where(even, (v[mid] + v[np.minimum(mid + 1, len(v) - 1)]) / 2, v[mid])
    virtual = 0.9 * (c - 1)
    below = np.floor(virtual).astype(np.int64)
    gamma = virtual - below
    a = v[off + below]
    b = v[off + np.minimum(below + 1, c - 1)]
    p90[has] = np.where(gamma >= 0.5, b - (b - a) * (1 - gamma), a + (b - a) * gamma)
    return median, p90


def _firsts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values in a sorted array starts."""
    out = np.ones(values.size, dtype=bool)
    out[1:] = values[1:] != values[:-1]
    return out


def _sorted(values: np.ndarray) -> bool:
    return bool(values.size < 2 or np.all(values[1:] >= values[:-1]))


def _batch_turns(
    scores: FrameScores, params: Sequence[Any], runs: dict[tuple[float, float], Any]
) -> dict[str, np.ndarray]:
    """The turns :func:`rtlab.detect` finds for many server_vad configurations (no idle timeout).

    The emulator's scheduler, vectorised over turns and configurations at once: each
    configuration's onsets and turn-ending pauses are laid end to end, keyed by
    ``config * n_frames + frame``, so one ``searchsorted`` finds, for every configuration,
    the first onset after each pause long enough to end a turn. Configurations sharing a
    threshold share the speech / silence runs.
    """
    from rtlab import turns

    n_cfg = len(params)
    stride = int(scores.probabilities.size) + 2
    onset_parts, onset_cfg, gap_parts, gap_cfg = [], [], [], []
    by_threshold: dict[float, list[int]] = {}
    for k, p in enumerate(params):
        by_threshold.setdefault(p.threshold, []).append(k)
    offset = params[0].offset
    m = params[0].min_frames
    for threshold, members in by_threshold.items():
        if (threshold, offset) not in runs:
            runs[threshold, offset] = turns._runs(scores.probabilities, threshold, offset)
        speech_starts, speech_lengths, silence_starts, silence_lengths = runs[threshold, offset]
        onsets = speech_starts[speech_lengths >= m]
        idx = np.asarray(members, dtype=np.int64)
        onset_parts.append(np.tile(onsets, idx.size))
        onset_cfg.append(np.repeat(idx, onsets.size))
        need = np.asarray([params[k].silence_frames for k in members], dtype=np.int64)
        mask = silence_lengths[None, :] >= need[:, None]
        gap_parts.append(np.broadcast_to(silence_starts, mask.shape)[mask])
        gap_cfg.append(np.broadcast_to(idx[:, None], mask.shape)[mask])
    onsets = np.concatenate(onset_parts)
    cfg_on = np.concatenate(onset_cfg)
    gaps = np.concatenate(gap_parts)
    cfg_gap = np.concatenate(gap_cfg)
    if not (_sorted(cfg_on) and _sorted(cfg_gap)):  # configurations not grouped by threshold
        order_on = np.lexsort((onsets, cfg_on))
        onsets, cfg_on = onsets[order_on], cfg_on[order_on]
        order_gap = np.lexsort((gaps, cfg_gap))
        gaps, cfg_gap = gaps[order_gap], cfg_gap[order_gap]
    segment = np.searchsorted(cfg_gap * stride + gaps, cfg_on * stride + onsets, side="right")
    first = np.ones(onsets.size, dtype=bool)
    first[1:] = (segment[1:] != segment[:-1]) | (cfg_on[1:] != cfg_on[:-1])
    onset, cfg, segment = onsets[first], cfg_on[first], segment[first]
    gap_end = np.cumsum(np.bincount(cfg_gap, minlength=n_cfg))
    closed = segment < gap_end[cfg]
    hop = params[0].hop_ms
    silence_frames = np.asarray([p.silence_frames for p in params], dtype=np.int64)
    prefix = np.asarray([p.prefix_ms for p in params], dtype=np.float64)
    stop_ms = np.full(onset.size, np.nan)
    stop_ms[closed] = np.round((gaps[segment[closed]] + silence_frames[cfg[closed]]) * hop)
    previous = np.concatenate([[0.0], stop_ms[:-1]])
    new_cfg = np.ones(onset.size, dtype=bool)
    new_cfg[1:] = cfg[1:] != cfg[:-1]
    previous[new_cfg] = 0.0
    start_ms = np.round(np.maximum(np.maximum(0.0, np.round(onset * hop) - prefix[cfg]), previous))
    return {
        "cfg": cfg,
        "start_ms": start_ms,
        "emitted_ms": np.round((onset + m) * hop),
        "stop_ms": stop_ms,
        "closed": closed,
    }


def _batch_metrics(
    scores: FrameScores,
    sessions: Sequence[Session],
    params: Sequence[Any],
    truth: Any,
    *,
    collar_ms: float,
    hop_ms: float | None,
    tolerance_ms: float,
    runs: dict[tuple[float, float], Any] | None = None,
) -> dict[str, np.ndarray]:
    """Every metric of :data:`rtlab.metrics.METRIC_NAMES` for many server_vad configurations.

    Array for array the definitions of :mod:`rtlab.metrics` (``_build_detections``,
    ``_durations``, ``_match``), computed for all configurations together; equal to
    ``metrics.score(detect(...))`` up to floating-point rounding (the tests check it).
    """
    n_cfg = len(sessions)
    duration = float(scores.duration_ms)
    t = _batch_turns(scores, params, {} if runs is None else runs)
    cfg, start, closed = t["cfg"], t["start_ms"], t["closed"]
    padding = np.empty(n_cfg)
    silence = np.empty(n_cfg)
    for k, session in enumerate(sessions):
        padding[k], silence[k] = _metrics._padding(session)
    pad = padding[cfg]
    onset = np.where(pad > 0, np.minimum(start + pad, t["emitted_ms"]), start + pad)
    end = np.where(closed, t["stop_ms"], duration)
    speech_end = np.maximum(np.where(closed, end - silence[cfg], end), onset)
    n_detected = np.bincount(cfg, minlength=n_cfg).astype(np.float64)
    out: dict[str, np.ndarray] = {"n_detected_turns": n_detected}
    if not truth.known:
        for name in _metrics.METRIC_NAMES:
            out.setdefault(name, np.full(n_cfg, np.nan))
        return out

    # frame level
    reference = _metrics._union(_metrics._snap(np.clip(truth.speech_ms, 0.0, duration), hop_ms))
    if collar_ms > 0 and len(reference):
        edges = reference.reshape(-1)
        collars = np.stack([edges - collar_ms / 2, edges + collar_ms / 2], axis=1)
        collars = _metrics._union(_metrics._snap(collars, hop_ms))
    else:
        collars = np.empty((0, 2))
    evaluated = _difference(reference, collars)
    hyp = _metrics._snap(np.clip(np.stack([onset, speech_end], axis=1), 0.0, duration), hop_ms)
    if not len(hyp):
        hyp = np.empty((0, 2))
    a, b = hyp[:, 0], hyp[:, 1]
    length = np.maximum(b - a, 0.0) - (_measure_upto(collars, b) - _measure_upto(collars, a))
    correct_each = _measure_upto(evaluated, b) - _measure_upto(evaluated, a)
    detected = np.bincount(cfg, weights=length, minlength=n_cfg)
    correct = np.bincount(cfg, weights=correct_each, minlength=n_cfg)
    true = float(np.sum(evaluated[:, 1] - evaluated[:, 0])) if len(evaluated) else 0.0
    false_alarm = np.maximum(detected - correct, 0.0)
    missed_speech = np.maximum(true - correct, 0.0)
    precision = np.where(detected > 0, correct / np.where(detected > 0, detected, 1.0), 1.0)
    recall = correct / true if true > 0 else np.ones(n_cfg)
    total = precision + recall
    f1 = np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1.0), 0.0)
    if true > 0:
        error_rate = (false_alarm + missed_speech) / true
    else:
        error_rate = np.where(false_alarm + missed_speech > 0, 1.0, 0.0)
    out |= {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "detection_error_rate": error_rate,
        "true_speech_ms": np.full(n_cfg, true),
        "false_alarm_ms": false_alarm,
        "missed_speech_ms": missed_speech,
    }

    # turn level
    turns_ms = truth.turns_ms
    n_true = len(turns_ms)
    t_start, t_end = turns_ms[:, 0], turns_ms[:, 1]
    stops = t["stop_ms"][closed]
    cfg_stop = cfg[closed]
    stop_onset = onset[closed]
    owner = np.searchsorted(t_start, stops, side="left") - 1
    has_owner = owner >= 0
    safe = np.maximum(owner, 0)
    owner_end = np.where(has_owner, t_end[safe] if n_true else np.nan, np.nan)
    is_cut = has_owner & (stops < owner_end - tolerance_ms)
    false_cutoffs = np.bincount(cfg_stop[is_cut], minlength=n_cfg).astype(np.float64)
    width = max(n_true, 1)
    cut_pairs = cfg_stop[is_cut] * width + owner[is_cut]  # sorted: by config, then time
    cut_turns = np.bincount(cut_pairs[_firsts(cut_pairs)] // width, minlength=n_cfg).astype(
        np.float64
    )
    is_end = has_owner & ~is_cut & ~(stop_onset > owner_end)
    if n_true:
        next_start = np.append(t_start[1:], max(duration, t_end[-1]))
        is_end &= stops <= next_start[safe]
    end_index = np.flatnonzero(is_end)
    end_pairs = cfg_stop[end_index] * width + owner[end_index]
    chosen = end_index[_firsts(end_pairs)]
    latency = stops[chosen] - t_end[owner[chosen]] if n_true else np.empty(0)
    lat_median, lat_p90 = _group_quantiles(latency, cfg_stop[chosen], n_cfg)
    # the first detected turn (in time order) whose speech part overlaps each true turn:
    # each detected turn overlaps a run of true turns [lo, hi]; both ends only grow with time
    lo = np.searchsorted(t_end, onset, side="left")  # first true turn ending at or after it
    hi = np.searchsorted(t_start, speech_end, side="right") - 1  # last starting before its end
    stride = n_true + 1
    q_cfg = np.repeat(np.arange(n_cfg, dtype=np.int64), n_true)
    q_turn = np.tile(np.arange(n_true, dtype=np.int64), n_cfg)
    first = np.searchsorted(cfg * stride + hi, q_cfg * stride + q_turn, side="left")
    in_cfg = first < cfg.size
    in_cfg[in_cfg] = cfg[first[in_cfg]] == q_cfg[in_cfg]
    found = in_cfg
    found[found] = lo[first[found]] <= q_turn[found]
    clipped_each = np.maximum(0.0, start[first[found]] - t_start[q_turn[found]])
    n_found = np.bincount(q_cfg[found], minlength=n_cfg).astype(np.float64)
    clip_sum = np.bincount(q_cfg[found], weights=clipped_each, minlength=n_cfg)
    clip_count = np.bincount(q_cfg[found][clipped_each > 0], minlength=n_cfg).astype(np.float64)
    # detected turns over no true speech
    speech = truth.speech_ms
    if len(speech):
        last = np.searchsorted(speech[:, 0], speech_end, side="right") - 1
        overlaps = last >= 0
        overlaps[overlaps] = speech[last[overlaps], 1] >= onset[overlaps]
    else:
        overlaps = np.zeros(onset.size, dtype=bool)
    false_turns = np.bincount(cfg[~overlaps], minlength=n_cfg).astype(np.float64)
    missed = n_true - n_found
    with np.errstate(invalid="ignore", divide="ignore"):
        out |= {
            "false_cutoff_rate": cut_turns / n_true if n_true else np.full(n_cfg, np.nan),
            "false_cutoffs": false_cutoffs,
            "missed_turn_rate": missed / n_true if n_true else np.full(n_cfg, np.nan),
            "missed_turns": missed,
            "false_turns": false_turns,
            "n_true_turns": np.full(n_cfg, float(n_true)),
            "latency_ms_median": lat_median,
            "latency_ms_p90": lat_p90,
            "onset_clipping_ms_mean": np.where(n_found > 0, clip_sum / n_found, np.nan),
            "onset_clipped_rate": np.where(n_found > 0, clip_count / n_found, np.nan),
            # the emulator commits when speech stops: time to commit = latency
            "time_to_commit_ms_median": lat_median.copy(),
        }
    return out


def _cell(clip: _ClipData, task: _Task, payload: _Payload) -> Any:
    """One configuration on one clip through :func:`rtlab.detect` (the general path)."""
    from rtlab.turns import detect

    scores = clip.scores[task.key]
    spec = payload.spec
    log = detect(scores, task.session, options=payload.options)
    if spec.func is not None:
        result = spec.func(log, clip.truth)
        if not hasattr(result, "items"):
            raise TypeError(
                f"the metrics function returned {type(result).__name__}, not a dict or Series"
            )
        return {str(k): float(v) for k, v in result.items()}
    values = _metrics._score_dict(
        log,
        clip.prepared,
        collar_ms=float(spec.options.get("collar_ms", 0.0)),
        hop_ms=spec.options.get("hop_ms"),
        tolerance_ms=float(spec.options.get("tolerance_ms", _metrics.TOLERANCE_MS)),
    )
    assert spec.names is not None
    return tuple(values[name] for name in spec.names)


def _batch(
    clip: _ClipData,
    key: Any,
    tasks: Sequence[_Task],
    payload: _Payload,
    params_by_hop: dict[float, Any],
    runs: dict[tuple[float, float], Any],
) -> list[tuple[float, ...]]:
    from rtlab import turns

    scores = clip.scores[key]
    spec = payload.spec
    params = params_by_hop.get(scores.hop_ms)
    if params is None:
        params = [
            turns._Params(task.session.turn_detection, scores.hop_ms, payload.options)
            for task in tasks
        ]
        params_by_hop[scores.hop_ms] = params
    # callers pass tasks grouped by threshold (see _run_chunk), so no sorting is needed
    values = _batch_metrics(
        scores,
        [task.session for task in tasks],
        params,
        clip.prepared,
        collar_ms=float(spec.options.get("collar_ms", 0.0)),
        hop_ms=spec.options.get("hop_ms"),
        tolerance_ms=float(spec.options.get("tolerance_ms", _metrics.TOLERANCE_MS)),
        runs=runs,
    )
    assert spec.names is not None
    matrix = np.stack([values[name] for name in spec.names], axis=1)
    return [tuple(row) for row in matrix.tolist()]


#: Most configurations one batch holds (bounds the memory of the batched engine).
_BATCH_SIZE = 1024


def _run_chunk(
    payload: _Payload, chunk: Sequence[_Task], on_clip: Callable[[int], None] | None = None
) -> list[tuple[int, int, Any, str | None]]:
    """Run one chunk of configurations over every clip; errors come back as text.

    server_vad configurations without an idle timeout (and the built-in metrics) go through
    the batched engine, clip by clip, in batches grouped by threshold; the rest, and any
    batch that fails, cell by cell. ``on_clip(n)`` is called after the first ``n`` clips.
    """
    out = []
    grouped: dict[Any, list[_Task]] = {}
    single: list[_Task] = []
    for task in chunk:
        if payload.spec.func is None and _fast(task.session):
            grouped.setdefault(task.key, []).append(task)
        else:
            single.append(task)
    batches = []
    for key, tasks in grouped.items():
        tasks.sort(key=lambda task: float(task.session.turn_detection.threshold))
        batches += [
            (key, tasks[i : i + _BATCH_SIZE], {}) for i in range(0, len(tasks), _BATCH_SIZE)
        ]
    for c, clip in enumerate(payload.clips):
        one_by_one = list(single)
        runs: dict[Any, dict[tuple[float, float], Any]] = {}  # per clip: speech / silence runs
        for key, tasks, params in batches:
            try:
                rows = _batch(clip, key, tasks, payload, params, runs.setdefault(key, {}))
            except Exception:  # find the failing cells one by one
                one_by_one += tasks
            else:
                out += [
                    (task.config_id, c, row, None) for task, row in zip(tasks, rows, strict=True)
                ]
        for task in one_by_one:
            try:
                values = _cell(clip, task, payload)
            except Exception as exc:  # reported per cell, re-raised by the caller on request
                out.append((task.config_id, c, None, f"{type(exc).__name__}: {exc}"))
            else:
                out.append((task.config_id, c, values, None))
        if on_clip is not None:
            on_clip(c + 1)
    return out


_WORKER: dict[str, _Payload] = {}


def _init_worker(payload: _Payload) -> None:
    _WORKER["payload"] = payload


def _run_worker_chunk(chunk: Sequence[_Task]) -> list[tuple[int, int, Any, str | None]]:
    return _run_chunk(_WORKER["payload"], chunk)


def _chunks(tasks: list[_Task], n_parts: int) -> list[list[_Task]]:
    """Split tasks into about ``n_parts`` chunks; semantic_vad ones all go in one chunk."""
    semantic = [
        t for t in tasks if getattr(t.session.turn_detection, "type", None) == "semantic_vad"
    ]
    other = [t for t in tasks if getattr(t.session.turn_detection, "type", None) != "semantic_vad"]
    size = max(1, math.ceil(len(other) / max(1, n_parts)))
    chunks = [other[i : i + size] for i in range(0, len(other), size)]
    if semantic:
        chunks.append(semantic)
    return chunks


# --------------------------------------------------------------------------------------
# inputs


def _as_clips(clips: Any) -> list[Clip]:
    from rtlab import datasets

    items = [clips] if isinstance(clips, str) or hasattr(clips, "truth") else list(clips)
    out: list[Any] = []
    for item in items:
        if isinstance(item, str):
            out += (
                datasets.load_all(item)
                if any(ch in item for ch in "*?[")
                else [datasets.load(item)]
            )
        elif all(hasattr(item, name) for name in ("name", "audio", "truth")):
            out.append(item)
        else:
            raise ConfigError("clips", item, "Clips or names of shipped clips", owner="sweep")
    if not out:
        raise ConfigError("clips", clips, "at least one clip", owner="sweep")
    names = [clip.name for clip in out]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigError("clips", twice, "clips with distinct names", owner="sweep")
    return out


def _apply(base: Session, params: Mapping[str, Any], config_id: int) -> Session:
    ordered = dict(sorted(params.items(), key=lambda item: item[0] != _TYPE_PATH))
    try:
        return base.replace(**ordered)
    except RtlabError as exc:
        raise ConfigError(
            getattr(exc, "field", None), getattr(exc, "value", None), getattr(exc, "allowed", None),
            owner="sweep",
            message=f"Configuration {config_id} of the grid ({params}) is not valid: {exc}",
        ) from exc  # fmt: skip


def _default_detection() -> dict[str, Any]:
    from rtlab.presets import api_defaults

    return api_defaults().turn_detection.model_dump()


def _is_default(session: Session, reference: dict[str, Any]) -> bool:
    detection = session.turn_detection
    return detection is not None and detection.model_dump() == reference


def _progress(total: int, enabled: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit="config")


def _check_client(scheduler: Any) -> None:
    if not all(hasattr(scheduler, name) for name in ("scatter", "submit", "gather")):
        raise ConfigError(
            "scheduler", scheduler, "None or a dask.distributed.Client", owner="sweep",
            fix="Connect one with dask.distributed.Client(address) or Client(LocalCluster()).",
        )  # fmt: skip


# --------------------------------------------------------------------------------------
# sweep


def sweep(
    clips: Clip | str | Iterable[Clip | str],
    grid: Mapping[str, Any] | Sequence[Mapping[str, Any]] | ParameterGrid,
    *,
    base: Session | None = None,
    metrics: Sequence[str] | Callable[..., Any] | None = None,
    options: EmulatorOptions | None = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    on_error: Literal["warn", "raise"] = "warn",
    progress: bool = True,
) -> pd.DataFrame:
    """Run every configuration of a grid on every clip and measure it.

    Parameters
    ----------
    clips : Clip, str, or iterable of them
        The clips (names of shipped clips are loaded; a name with ``*``, ``?`` or ``[`` is a
        pattern for :func:`rtlab.datasets.load_all`). Names must be distinct.
    grid : dict, list of dict, or ParameterGrid
        Dotted session paths (or :data:`ALIASES`) to lists of values; a list of dicts for
        several kinds of turn detection. :func:`sample_grid` returns one too.
    base : Session, optional
        The session every configuration starts from (default ``Session()``, the API
        defaults).
    metrics : list of str, function, or None
        None: every metric of :func:`rtlab.metrics.score`. A list of its names keeps those
        columns. ``functools.partial(rtlab.metrics.score, tolerance_ms=300)`` changes its
        options. Any other function ``f(log, truth) -> dict`` (picklable, for workers) is
        called on each :class:`~rtlab.events.EventLog` instead (slower: no fast path).
    options : EmulatorOptions, optional
        Emulator options for every run (default ``EmulatorOptions()``).
    n_jobs : int, default 1
        Local worker processes; ``-1`` = one per CPU. Ignored with ``scheduler``.
    scheduler : dask.distributed.Client, optional
        Run the chunks on this Dask cluster instead (see the module docstring).
    on_error : {"warn", "raise"}, default "warn"
        A cell (configuration × clip) that fails gives NaN metrics and its message in
        ``error``, with one ``RuntimeWarning`` for the sweep; ``"raise"`` re-raises the
        first failure instead.
    progress : bool, default True
        Show ``tqdm`` progress bars (scoring, then configurations).

    Returns
    -------
    pandas.DataFrame
        One row per (configuration, clip), ordered by ``config_id`` then clip: ``config_id``
        (index in the expanded grid), ``clip`` (its name), ``param_<path>`` for every path of
        the grid (None/NaN where a sub-grid does not set it), ``is_default`` (the turn
        detection is the API default), the metric columns, and ``error`` (None or the
        message). ``table.attrs["rtlab.base_session"]`` holds the base session's JSON, for
        :func:`recommend` and :func:`session_for`.

    Raises
    ------
    rtlab.errors.ConfigError
        Before anything runs: a malformed grid, a configuration the session rejects, unknown
        metric names, bad ``n_jobs`` / ``on_error`` / ``scheduler``, no clips.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
    >>> table = rtlab.sweep([clip], {"silence_duration_ms": [200, 500, 1000]}, progress=False)
    >>> columns = ["param_turn_detection.silence_duration_ms", "is_default", "n_detected_turns"]
    >>> table[columns].values.tolist()
    [[200, False, 2.0], [500, True, 1.0], [1000, False, 1.0]]
    """
    import pandas as pd

    from rtlab import turns, vad
    from rtlab.session import Session
    from rtlab.turns import EmulatorOptions

    owner = "sweep"
    base = Session() if base is None else base
    if not isinstance(base, Session):
        raise ConfigError("base", base, "a Session or None (API defaults)", owner=owner)
    options = EmulatorOptions() if options is None else options
    if not isinstance(options, EmulatorOptions):
        raise ConfigError("options", options, "an EmulatorOptions or None", owner=owner)
    if on_error not in ("warn", "raise"):
        raise ConfigError("on_error", on_error, "'warn' or 'raise'", owner=owner)
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, numbers.Integral)
        or not (n_jobs >= 1 or n_jobs == -1)
    ):
        raise ConfigError("n_jobs", n_jobs, "an int >= 1, or -1 for one per CPU", owner=owner)
    if scheduler is not None:
        _check_client(scheduler)
    spec = _metric_spec(metrics)
    expanded = ParameterGrid(grid)
    configs = list(expanded)
    sessions = [_apply(base, params, i) for i, params in enumerate(configs)]
    clip_list = _as_clips(clips)

    # frame scores: once per clip (and per input format / noise reduction in the grid)
    keys = {_score_key(s, options): s for s in reversed(sessions)}
    semantic_keys = {
        _score_key(s, options)
        for s in sessions
        if getattr(s.turn_detection, "type", None) == "semantic_vad"
    }
    scores: list[dict[Any, FrameScores]] = [{} for _ in clip_list]
    for key, session in keys.items():
        prepared = [turns._prepare_audio(clip.audio, session, options) for clip in clip_list]
        computed = vad.score_many(prepared, model=options.vad_model, progress=progress)
        for c, value in enumerate(computed):
            scores[c][key] = value if key in semantic_keys else replace(value, audio=None)
    min_gap = float(spec.options.get("min_turn_gap_ms", _metrics.MIN_TURN_GAP_MS))
    payload = _Payload(
        clips=tuple(
            _ClipData(
                clip.name,
                clip.truth,
                _metrics._prepare_truth(clip.truth, min_turn_gap_ms=min_gap),
                scores[c],
            )
            for c, clip in enumerate(clip_list)
        ),
        options=options,
        spec=spec,
    )
    tasks = [_Task(i, s, _score_key(s, options)) for i, s in enumerate(sessions)]
    results = _execute(payload, tasks, n_jobs=int(n_jobs), scheduler=scheduler, progress=progress)

    failures = [(cid, c, err) for cid, c, _, err in results if err is not None]
    if failures and on_error == "raise":
        cid, c, err = failures[0]
        # run the failing cell here to raise the original exception with its traceback
        _cell_raising(payload, tasks[cid], c, err)

    # the tidy table
    results.sort(key=lambda row: (row[0], row[1]))
    reference = _default_detection()
    default_flags = [_is_default(s, reference) for s in sessions]
    n_rows = len(results)
    data: dict[str, Any] = {
        "config_id": np.fromiter((row[0] for row in results), dtype=np.int64, count=n_rows),
        "clip": pd.Series([clip_list[row[1]].name for row in results], dtype=object),
    }
    for key in expanded.keys:
        column = [configs[row[0]].get(key) for row in results]
        data[_PARAM + key] = pd.Series(column)
    data["is_default"] = np.fromiter(
        (default_flags[row[0]] for row in results), dtype=bool, count=n_rows
    )
    if spec.names is not None:
        matrix = np.full((n_rows, len(spec.names)), np.nan)
        for r, row in enumerate(results):
            if row[2] is not None:
                matrix[r] = row[2]
        metric_frame = pd.DataFrame(matrix, columns=list(spec.names))
    else:
        metric_frame = pd.DataFrame.from_records(
            [row[2] if row[2] is not None else {} for row in results]
        ).astype("float64")
    table = pd.concat([pd.DataFrame(data), metric_frame], axis=1)
    table["error"] = pd.Series([row[3] for row in results], dtype=object)
    table.attrs[_BASE_ATTR] = base.to_json(indent=None)

    if failures:
        cid, c, err = failures[0]
        warnings.warn(
            f"{len(failures)} of {n_rows} sweep cells failed and have NaN metrics (see the "
            f"'error' column); the first: configuration {cid} {configs[cid]} on clip "
            f"{clip_list[c].name!r}: {err}",
            RuntimeWarning,
            stacklevel=2,
        )
    return table


def _cell_raising(payload: _Payload, task: _Task, clip_index: int, message: str) -> None:
    _cell(payload.clips[clip_index], task, payload)
    raise RuntimeError(
        f"Configuration {task.config_id} failed on clip {payload.clips[clip_index].name!r} in a "
        f"worker: {message}"
    )


def _execute(
    payload: _Payload, tasks: list[_Task], *, n_jobs: int, scheduler: Any, progress: bool
) -> list[tuple[int, int, Any, str | None]]:
    """Run all tasks, locally, in processes or on Dask; rows in any order."""
    import os

    results: list[tuple[int, int, Any, str | None]] = []
    with _progress(len(tasks), progress, "sweep") as bar:
        if scheduler is not None:
            from distributed import as_completed

            n_threads = max(1, sum(scheduler.nthreads().values()))
            chunks = _chunks(tasks, 4 * n_threads)
            shared = scheduler.scatter(payload, broadcast=True, hash=False)
            futures = [scheduler.submit(_run_chunk, shared, chunk, pure=False) for chunk in chunks]
            try:
                sizes = {f.key: len(chunk) for f, chunk in zip(futures, chunks, strict=True)}
                for future in as_completed(futures):
                    results += future.result()
                    bar.update(sizes[future.key])
            finally:  # free the scores and results on the cluster
                scheduler.cancel([*futures, shared])
            return results
        workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
        if workers == 1:
            # one chunk: every clip is read once and each batch holds many configurations
            n_clips = len(payload.clips)

            def advance(done: int) -> None:
                bar.update(round(len(tasks) * done / n_clips) - bar.n)

            results += _run_chunk(payload, tasks, on_clip=advance)
            return results
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        chunks = _chunks(tasks, 4 * workers)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(payload,)
        ) as pool:
            for chunk, rows in zip(chunks, pool.map(_run_worker_chunk, chunks), strict=True):
                results += rows
                bar.update(len(chunk))
    return results


# --------------------------------------------------------------------------------------
# reading the table


def _param_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if isinstance(c, str) and c.startswith(_PARAM)]


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration, the clips pooled.

    Counts are summed over clips; rates are pooled (``false_cutoff_rate`` = turns cut off /
    true turns over all clips; ``missed_turn_rate`` likewise; onset clipping weighted by
    the turns detected); frame metrics are recomputed from the summed durations (as
    ``pyannote.metrics`` accumulates); latencies and time-to-commit are the median of the
    per-clip values. Failed cells are left out. Columns that are not rtlab metrics are
    averaged.

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`sweep` table (a summary is returned unchanged).

    Returns
    -------
    pandas.DataFrame
        Ordered by ``config_id``: ``config_id``, ``param_*``, ``is_default``, ``n_clips``,
        ``n_failed``, then the metrics present in the table.

    Examples
    --------
    >>> import rtlab
    >>> table = rtlab.sweep(rtlab.datasets.load_all("ami-debug/trn0[1-3]"),
    ...                     {"threshold": [0.4, 0.6]}, progress=False)
    >>> summary = summarize(table)
    >>> summary["n_clips"].tolist(), summary["n_true_turns"].tolist()
    ([3, 3], [6.0, 6.0])
    """
    import pandas as pd

    if "clip" not in table.columns and "n_clips" in table.columns:
        return table
    for name in ("config_id", "clip"):
        if name not in table.columns:
            raise ConfigError(
                "table", sorted(map(str, table.columns)), "a sweep() table", owner="summarize"
            )
    params = _param_columns(table)
    ok = table["error"].isna() if "error" in table.columns else pd.Series(True, index=table.index)
    groups = table.groupby("config_id", sort=True)
    out = groups[params].first() if params else pd.DataFrame(index=groups.size().index)
    if "is_default" in table.columns:
        out["is_default"] = groups["is_default"].first().astype(bool)
    out["n_clips"] = groups.size()
    out["n_failed"] = (~ok).groupby(table["config_id"]).sum().astype(np.int64)

    good = table[ok]
    work = pd.DataFrame({"config_id": good["config_id"]})
    for name in _COUNTS:
        if name in good.columns:
            work[name] = good[name]
    has = set(good.columns)
    if {"false_cutoff_rate", "n_true_turns"} <= has:
        work["_cut_turns"] = good["false_cutoff_rate"] * good["n_true_turns"]
    if {"missed_turns", "n_true_turns"} <= has:
        matched = good["n_true_turns"] - good["missed_turns"]
        work["_matched"] = matched.where(matched > 0)
        if "onset_clipping_ms_mean" in has:
            work["_onset"] = good["onset_clipping_ms_mean"] * work["_matched"]
        if "onset_clipped_rate" in has:
            work["_clipped"] = good["onset_clipped_rate"] * work["_matched"]
    sums = work.groupby("config_id", sort=True).sum(min_count=1).reindex(out.index)

    def ratio(num: str, den: str) -> pd.Series:
        if num not in sums.columns or den not in sums.columns:
            return pd.Series(np.nan, index=out.index)
        d = sums[den]
        return (sums[num] / d).where(d > 0)

    metrics_out: dict[str, pd.Series] = {}
    if {"true_speech_ms", "false_alarm_ms", "missed_speech_ms"} <= set(sums.columns):
        true, fa, miss = sums["true_speech_ms"], sums["false_alarm_ms"], sums["missed_speech_ms"]
        correct = true - miss
        detected = correct + fa
        precision = (correct / detected).where(detected > 0, 1.0)
        recall = (correct / true).where(true > 0, 1.0)
        f1 = (2 * precision * recall / (precision + recall)).where(precision + recall > 0, 0.0)
        der = ((fa + miss) / true).where(true > 0, ((fa + miss) > 0).astype(float))
        known = true.notna()
        metrics_out |= {
            "precision": precision.where(known),
            "recall": recall.where(known),
            "f1": f1.where(known),
            "detection_error_rate": der.where(known),
        }
    metrics_out["false_cutoff_rate"] = ratio("_cut_turns", "n_true_turns")
    metrics_out["missed_turn_rate"] = ratio("missed_turns", "n_true_turns")
    metrics_out["onset_clipping_ms_mean"] = ratio("_onset", "_matched")
    metrics_out["onset_clipped_rate"] = ratio("_clipped", "_matched")
    for name in _COUNTS:
        if name in sums.columns:
            metrics_out[name] = sums[name]
    medians = [name for name in _MEDIANS if name in has]
    if medians:
        med = good.groupby("config_id", sort=True)[medians].median().reindex(out.index)
        for name in medians:
            metrics_out[name] = med[name]
    skip = {"config_id", "clip", "error", "is_default", *params, *_metrics.METRIC_NAMES}
    extra = [c for c in good.columns if c not in skip and pd.api.types.is_numeric_dtype(good[c])]
    ordered = [name for name in _metrics.METRIC_NAMES if name in has and name in metrics_out]
    for name in ordered:
        out[name] = metrics_out[name].astype("float64")
    if extra:
        means = good.groupby("config_id", sort=True)[extra].mean().reindex(out.index)
        for name in extra:
            out[name] = means[name]
    out = out.reset_index()
    out.attrs = dict(table.attrs)
    return out


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    return summarize(table) if "clip" in table.columns else table


def pareto(
    table: pd.DataFrame, x: str = "latency_ms_median", y: str = "false_cutoff_rate"
) -> pd.DataFrame:
    """The configurations no other beats on both ``x`` and ``y`` (both minimised).

    A configuration is dominated when another one is no worse on both and better on one.
    Configurations with the same ``(x, y)`` do not dominate each other, so ties are all
    kept. Rows where ``x`` or ``y`` is NaN are left out.

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`sweep` table (summarised first) or a :func:`summarize` table.
    x, y : str
        Metric columns to minimise.

    Returns
    -------
    pandas.DataFrame
        Rows of the summary on the front, sorted by ``x`` then ``y``.

    Raises
    ------
    rtlab.errors.ConfigError
        If ``x`` or ``y`` is not a column.

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({"config_id": [0, 1, 2, 3], "n_clips": 1,
    ...                         "latency_ms_median": [300.0, 500.0, 500.0, 900.0],
    ...                         "false_cutoff_rate": [0.5, 0.2, 0.3, 0.2]})
    >>> pareto(summary)["config_id"].tolist()
    [0, 1]
    """
    summary = _summary(table)
    for name, value in (("x", x), ("y", y)):
        if value not in summary.columns:
            raise ConfigError(
                name,
                value,
                f"a column of the table ({', '.join(map(str, summary.columns))})",
                owner="pareto",
            )
    valid = summary[summary[x].notna() & summary[y].notna()]
    ordered = valid.sort_values([x, y], kind="stable")
    xs = ordered[x].to_numpy(dtype=float)
    ys = ordered[y].to_numpy(dtype=float)
    keep = np.zeros(len(ordered), dtype=bool)
    best = math.inf  # lowest y among strictly smaller x
    i = 0
    while i < len(xs):
        j = i
        while j < len(xs) and xs[j] == xs[i]:
            j += 1
        group_min = ys[i:j].min()
        if group_min < best:
            keep[i:j] = ys[i:j] == group_min
            best = group_min
        i = j
    return ordered[keep].reset_index(drop=True)


def _base_of(table: pd.DataFrame, base: Session | None) -> Session:
    from rtlab.session import Session

    if base is not None:
        if not isinstance(base, Session):
            raise ConfigError("base", base, "a Session or None", owner="recommend")
        return base
    text = table.attrs.get(_BASE_ATTR)
    return Session.from_event(json.loads(text)) if text else Session()


def session_for(table: pd.DataFrame, config_id: int, *, base: Session | None = None) -> Session:
    """The session of one configuration of a sweep.

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`sweep` or :func:`summarize` table.
    config_id : int
        The configuration.
    base : Session, optional
        The sweep's base session; default: the one the table remembers
        (``table.attrs["rtlab.base_session"]``, lost when the table went through a CSV
        file), else ``Session()``.

    Returns
    -------
    Session
        ``base.replace(**params)`` with the configuration's ``param_*`` values.

    Raises
    ------
    rtlab.errors.ConfigError
        If there is no such configuration.

    Examples
    --------
    >>> import rtlab
    >>> table = rtlab.sweep("ami-lhotse/ES2011a", {"threshold": [0.3, 0.7]}, progress=False)
    >>> session_for(table, 1).turn_detection
    ServerVad(threshold=0.7)
    """
    import pandas as pd

    rows = (
        table[table["config_id"] == config_id] if "config_id" in table.columns else table.iloc[:0]
    )
    if rows.empty:
        raise ConfigError("config_id", config_id, "a config_id of the table", owner="session_for")
    row = rows.iloc[0]
    params = {}
    for column in _param_columns(table):
        value = row[column]
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        params[column[len(_PARAM) :]] = _plain(value)
    return _apply(_base_of(table, base), params, int(config_id))


def recommend(
    table: pd.DataFrame,
    *,
    max_latency_ms: float,
    metric: str = "false_cutoff_rate",
    max_missed_turn_rate: float | None = None,
    base: Session | None = None,
) -> Session:
    """The configuration to try: the fewest false cut-offs within a latency budget.

    Among configurations whose pooled ``latency_ms_median`` is at most ``max_latency_ms``
    and that miss no more true turns than ``max_missed_turn_rate``, the one with the lowest
    ``metric``; ties go to the lower latency, then the lower ``missed_turn_rate``, then the
    less onset clipping (``onset_clipping_ms_mean``: among configurations that differ only
    in ``prefix_padding_ms`` the longest padding wins), then the lower ``config_id``.

    The missed-turn limit matters: a detector that hears fewer turns (a high threshold)
    also cuts fewer off, so without it the lowest false cut-off rate can belong to a
    configuration that ignores many users.

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`sweep` table (summarised first) or a :func:`summarize` table.
    max_latency_ms : float >= 0
        Latency budget, ms (median end-of-turn latency).
    metric : str, default "false_cutoff_rate"
        Column to minimise.
    max_missed_turn_rate : float in [0, 1] or None, default None
        Highest share of true turns a candidate may miss. None: no more than the API-default
        configuration misses when the table has it (``is_default``), else no limit.
    base : Session, optional
        The sweep's base session (default: the one the table remembers, else ``Session()``).

    Returns
    -------
    Session

    Raises
    ------
    rtlab.errors.ConfigError
        If no configuration has a median latency within the budget (the message names the
        lowest one available), none of those meets the missed-turn limit (the message names
        the lowest rate among them), or ``metric`` is not a column.

    Examples
    --------
    >>> import rtlab
    >>> clips = rtlab.datasets.load_all("ami-debug/trn0[4-8]")
    >>> table = rtlab.sweep(clips, {"silence_duration_ms": [300, 500, 800, 1200]}, progress=False)
    >>> session = recommend(table, max_latency_ms=1500)
    >>> session.turn_detection.silence_duration_ms in (300, 500, 800, 1200)
    True
    """
    owner = "recommend"
    summary = _summary(table)
    latency = "latency_ms_median"
    for name in (latency, metric):
        if name not in summary.columns:
            raise ConfigError(
                "metric" if name == metric else "table",
                name,
                "a metric column of the table",
                owner=owner,
            )
    budget = _metrics._check_ms(max_latency_ms, "max_latency_ms", owner)
    valid = summary[summary[latency].notna() & summary[metric].notna()]
    fits = valid[valid[latency] <= budget]
    if fits.empty:
        best = valid[latency].min() if len(valid) else math.nan
        allowed = (
            f"at least {best:.0f} ms, the lowest median latency in the sweep"
            if math.isfinite(best)
            else "a budget some configuration meets (none has a measured latency)"
        )
        raise ConfigError("max_latency_ms", max_latency_ms, allowed, owner=owner)
    limit = _missed_limit(summary, max_missed_turn_rate)
    if limit is not None and "missed_turn_rate" in fits.columns:
        lowest = fits["missed_turn_rate"].min()
        fits = fits[fits["missed_turn_rate"] <= limit + 1e-12]
        if fits.empty:
            raise ConfigError(
                "max_missed_turn_rate",
                limit,
                f"at least {lowest:.3f}, the lowest missed-turn rate within {budget:.0f} ms",
                owner=owner,
                fix="Raise max_missed_turn_rate or max_latency_ms.",
            )
    keys = [metric, latency]
    keys += [
        name for name in ("missed_turn_rate", "onset_clipping_ms_mean") if name in fits.columns
    ]
    chosen = fits.sort_values([*keys, "config_id"], kind="stable", na_position="last").iloc[0]
    return session_for(summary, int(chosen["config_id"]), base=_base_of(table, base))


def _missed_limit(summary: pd.DataFrame, value: float | None) -> float | None:
    if value is not None:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and 0.0 <= value <= 1.0
        if not ok:
            raise ConfigError(
                "max_missed_turn_rate", value, "a float in [0.0, 1.0] or None", owner="recommend"
            )
        return float(value)
    if "is_default" not in summary.columns or "missed_turn_rate" not in summary.columns:
        return None
    rates = summary.loc[summary["is_default"].astype(bool), "missed_turn_rate"].dropna()
    return float(rates.iloc[0]) if len(rates) else None
