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
go through a batched engine (:mod:`rtlab._sweep_engine`): for one clip, the turns of
hundreds of configurations are found with one set of array operations (configurations that
share a threshold share the speech / silence runs) and the metrics computed the same way,
with no event log and no Python loop over turns or configurations. Its numbers equal
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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rtlab import _check, _detection, _scoring, _sweep_engine
from rtlab import metrics as _metrics
from rtlab.errors import ConfigError, RtlabError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rtlab.annotation import Annotation
    from rtlab.audio import Audio
    from rtlab.datasets import Clip
    from rtlab.duplex import Agent, Backchannels, Echo
    from rtlab.session import Session
    from rtlab.turns import EmulatorOptions
    from rtlab.vad import FrameScores

__all__ = [
    "ALIASES",
    "LATENCY_BUDGET_MS",
    "LATENCY_TIE_MS",
    "ParameterGrid",
    "pareto",
    "recommend",
    "sample_grid",
    "session_for",
    "short_labels",
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

#: The one latency budget (ms of median end-of-turn latency) every rtlab tool uses by
#: default: :func:`recommend`, ``plot.tradeoff``, ``SweepRunner``, the CLI and the demo.
#: 1 s: eot-bench's best published detectors reach a 10 % false cut-off rate at 739-1000 ms
#: (Smart Turn v3.2 739 ms, the silence-only VAD 1000 ms, GPT Realtime 2 824 ms, English).
LATENCY_BUDGET_MS = 1000.0

#: :func:`recommend` counts median latencies within this much of the lowest as equal (ms):
#: one 32 ms frame, the emulator's resolution.
LATENCY_TIE_MS = 32.0

_BASE_ATTR = "rtlab.base_session"
_PARAM = "param_"
# metrics pooled over clips by summing
_COUNTS = (
    "false_cutoffs",
    "missed_turns",
    "false_turns",
    "n_true_turns",
    "n_detected_turns",
    "n_true_ends",
    "missed_ends",
    "true_speech_ms",
    "false_alarm_ms",
    "missed_speech_ms",
    # full duplex (rtlab.simulate): counts and time summed over clips
    "self_interruptions",
    "false_barge_ins",
    "barge_ins",
    "missed_barge_ins",
    "barge_in_turns",
    "talk_over_ms",
    "idle_timeouts",
    "responses",
    "cancelled_responses",
)
# metrics summarised by their median over clips
_MEDIANS = (
    "latency_ms_median",
    "latency_ms_p90",
    "time_to_commit_ms_median",
    "barge_in_latency_ms_median",
    "response_latency_ms_median",
)
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


def _dicts(value: Any, field: str, allowed: str, owner: str) -> list[Any]:
    """A dict as the one sub-grid, or a non-empty list of sub-grids (checked one by one later)."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes) and len(value):
        return list(value)
    raise ConfigError(field, value, allowed, owner=owner)


def _by_path(sub: Any, field: str, allowed: str, owner: str) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` for each key of one sub-grid (a dict), in order; one key per path."""
    if not isinstance(sub, Mapping):
        raise ConfigError(field, sub, allowed, owner=owner)
    seen: set[str] = set()
    for key, value in sub.items():
        path = _path(key, owner)
        if path in seen:
            raise ConfigError(
                field, key, f"one key per path ({path!r} is given twice)", owner=owner
            )
        seen.add(path)
        yield path, value


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
        grids = _dicts(grid, "grid", "a dict of lists, or a non-empty list of such dicts", owner)
        parsed = []
        for sub in grids:
            items = {
                path: _value_list(path, values, owner)
                for path, values in _by_path(
                    sub, "grid", "a dict of lists (one per sub-grid)", owner
                )
            }
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
    n = _check.integer(n, "n", owner=owner, low=1)
    spaces = _dicts(space, "space", "a dict, or a non-empty list of dicts", owner)
    parsed: list[list[tuple[str, str, Any]]] = []
    for sub in spaces:
        entries = []
        for path, value in _by_path(sub, "space", "a dict of lists or (low, high) tuples", owner):
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
                config[path] = [int(rng.integers(int(data[0]), int(data[1]), endpoint=True))]
            else:
                config[path] = [float(rng.uniform(data[0], data[1]))]
        out.append(config)
    return out


# --------------------------------------------------------------------------------------
# what a sweep sends to its workers


@dataclass(frozen=True)
class _MetricSpec:
    """Which metrics a cell computes: the built-in score's (fast path) or a user function's.

    ``builtin``: the metrics are :func:`rtlab.metrics.score`'s ``names`` with ``options``
    (so server_vad cells may go through the batched engine); otherwise ``func`` is called
    on each event log.
    """

    builtin: bool
    names: tuple[str, ...] | None
    options: dict[str, Any]
    func: Callable[..., Any] | None

    @property
    def score_options(self) -> dict[str, Any]:
        """The options of :func:`rtlab.metrics.score` that apply to prepared truth."""
        return {
            "collar_ms": float(self.options.get("collar_ms", 0.0)),
            "hop_ms": self.options.get("hop_ms"),
            "tolerance_ms": float(self.options.get("tolerance_ms", _scoring.TOLERANCE_MS)),
        }


@dataclass(frozen=True)
class _ClipData:
    """A clip as the workers see it, with the memos the sweep keeps while it runs on it."""

    name: str
    truth: Annotation
    prepared: _scoring.Truth  # per min_turn_gap_ms
    scores: dict[Any, FrameScores]
    # per scores key: speech / silence runs per (threshold, hysteresis); Smart Turn answers
    runs: dict[Any, dict[tuple[float, float], Any]] = field(default_factory=dict, compare=False)
    turn_end: dict[tuple[str, int], float] = field(default_factory=dict, compare=False)


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


def _is_builtin_score(metrics: Any) -> bool:
    """Whether ``metrics`` is :func:`rtlab.metrics.score`, or a partial of it with options."""
    if metrics is _metrics.score:
        return True
    return (
        isinstance(metrics, functools.partial)
        and metrics.func is _metrics.score
        and not metrics.args
    )


def _metric_spec(metrics: Any) -> _MetricSpec:
    owner = "sweep"
    if metrics is None or metrics is _metrics.score:
        return _MetricSpec(True, _scoring.METRIC_NAMES, {}, None)
    if _is_builtin_score(metrics):
        options = dict(metrics.keywords)
        known = ("collar_ms", "hop_ms", "tolerance_ms", "min_turn_gap_ms")
        for name in options:
            if name not in known:
                raise ConfigError(
                    name, options[name], f"one of {', '.join(known)}", owner="metrics.score"
                )
        _scoring.check_options(
            options.get("collar_ms", 0.0),
            options.get("hop_ms"),
            options.get("tolerance_ms", _scoring.TOLERANCE_MS),
            options.get("min_turn_gap_ms", _scoring.MIN_TURN_GAP_MS),
            "metrics.score",
        )
        return _MetricSpec(True, _scoring.METRIC_NAMES, options, None)
    if callable(metrics):
        return _MetricSpec(False, None, {}, metrics)
    if isinstance(metrics, str) or not isinstance(metrics, Iterable):
        raise ConfigError(
            "metrics", metrics, "None, a list of metric names, or a function (log, truth) -> dict",
            owner=owner,
        )  # fmt: skip
    names = tuple(metrics)
    unknown = [name for name in names if name not in _scoring.METRIC_NAMES]
    if unknown or not names:
        raise ConfigError(
            "metrics",
            unknown or names,
            f"names among {', '.join(_scoring.METRIC_NAMES)}",
            owner=owner,
        )
    return _MetricSpec(True, names, {}, None)


def _fast(session: Session) -> bool:
    detection = session.turn_detection
    return (
        detection is not None
        and detection.type == "server_vad"
        and getattr(detection, "idle_timeout_ms", None) is None
    )


def _fast_threshold(task: _Task) -> float:
    """The threshold of a task that :func:`_fast` accepted (its batches are sorted by it)."""
    detection = task.session.turn_detection
    assert detection is not None and detection.type == "server_vad", detection  # see _fast
    return float(detection.threshold)


# --------------------------------------------------------------------------------------
# running cells: one by one through detect(), or batched (rtlab._sweep_engine)


def _cell(clip: _ClipData, task: _Task, payload: _Payload) -> Any:
    """One configuration on one clip through :func:`rtlab.detect` (the general path)."""
    scores = clip.scores[task.key]
    spec = payload.spec
    log = _detection.events_from_scores(
        scores,
        task.session,
        payload.options,
        runs=clip.runs.setdefault(task.key, {}),
        turn_end=clip.turn_end,
    )
    if spec.func is not None:
        result = spec.func(log, clip.truth)
        if not hasattr(result, "items"):
            raise TypeError(
                f"the metrics function returned {type(result).__name__}, not a dict or Series"
            )
        return {str(k): float(v) for k, v in result.items()}
    values = _scoring.score_values(log, clip.prepared, **spec.score_options)
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
    scores = clip.scores[key]
    spec = payload.spec
    params = params_by_hop.get(scores.hop_ms)
    if params is None:
        params = [
            _detection.Params(task.session.turn_detection, scores.hop_ms, payload.options)
            for task in tasks
        ]
        params_by_hop[scores.hop_ms] = params
    # callers pass tasks grouped by threshold (see _run_chunk), so no sorting is needed
    values = _sweep_engine.batch_metrics(
        scores,
        [task.session for task in tasks],
        params,
        clip.prepared,
        **spec.score_options,
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
    out: list[tuple[int, int, Any, str | None]] = []
    grouped: dict[Any, list[_Task]] = {}
    single: list[_Task] = []
    for task in chunk:
        if payload.spec.builtin and _fast(task.session):
            grouped.setdefault(task.key, []).append(task)
        else:
            single.append(task)
    batches: list[tuple[Any, list[_Task], dict[float, Any]]] = []
    for key, tasks in grouped.items():
        tasks.sort(key=_fast_threshold)
        batches += [
            (key, tasks[i : i + _BATCH_SIZE], {}) for i in range(0, len(tasks), _BATCH_SIZE)
        ]
    for c, clip in enumerate(payload.clips):
        one_by_one = list(single)
        for key, tasks, params in batches:
            try:
                rows = _batch(clip, key, tasks, payload, params, clip.runs.setdefault(key, {}))
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

    detection = api_defaults().turn_detection
    assert detection is not None  # the API default session always detects turns (server_vad)
    return detection.model_dump()


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
    agent: Agent | None = None,
    echo: Echo | None = None,
    backchannels: Backchannels | None = None,
    noise: Audio | str | None = None,
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

    agent, echo, backchannels, noise : optional
        Full duplex: with an ``agent`` (:class:`rtlab.Agent`), or grid keys ``"agent.*"``
        / ``"echo.*"`` (e.g. ``{"echo.suppression_db": [10, 20, 30]}``, swept like session
        fields), every cell is a closed-loop conversation (:func:`rtlab.simulate`, seed 0)
        measured by :func:`rtlab.metrics.score` on its truth, so the table gains the
        duplex metrics (``self_interruptions``, ``false_barge_ins``, ...). Cells run one by
        one in this process (``n_jobs`` and ``scheduler`` do not apply).

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

    from rtlab import vad
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
    if agent is not None or echo is not None or _duplex_keys(grid):
        return _sweep_conversations(
            clips, grid, base=base, options=options, on_error=on_error, progress=progress,
            agent=agent, echo=echo, backchannels=backchannels, noise=noise,
        )  # fmt: skip
    jobs = "an int >= 1, or -1 for one per CPU"
    n_jobs = _check.integer(n_jobs, "n_jobs", owner=owner, allowed=jobs)
    if n_jobs == 0 or n_jobs < -1:
        raise ConfigError("n_jobs", n_jobs, jobs, owner=owner)
    if scheduler is not None:
        _check_client(scheduler)
    spec = _metric_spec(metrics)
    expanded = ParameterGrid(grid)
    configs = list(expanded)
    sessions = [_apply(base, params, i) for i, params in enumerate(configs)]
    clip_list = _as_clips(clips)

    # frame scores: once per clip (and per input format / noise reduction in the grid)
    # what the scores depend on besides the audio: how detect() prepares it
    keys = {_detection.input_processing(s, options): s for s in reversed(sessions)}
    semantic_keys = {
        _detection.input_processing(s, options)
        for s in sessions
        if getattr(s.turn_detection, "type", None) == "semantic_vad"
    }
    scores: list[dict[Any, FrameScores]] = [{} for _ in clip_list]
    for key, session in keys.items():
        prepared = [_detection.prepare_audio(clip.audio, session, options) for clip in clip_list]
        computed = vad.score_many(prepared, model=options.vad_model, progress=progress)
        for c, value in enumerate(computed):
            scores[c][key] = value if key in semantic_keys else replace(value, audio=None)
    min_gap = float(spec.options.get("min_turn_gap_ms", _scoring.MIN_TURN_GAP_MS))
    payload = _Payload(
        clips=tuple(
            _ClipData(
                clip.name,
                clip.truth,
                _scoring.prepare_truth(clip.truth, min_turn_gap_ms=min_gap),
                scores[c],
            )
            for c, clip in enumerate(clip_list)
        ),
        options=options,
        spec=spec,
    )
    tasks = [_Task(i, s, _detection.input_processing(s, options)) for i, s in enumerate(sessions)]
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
    for path in expanded.keys:
        column = [configs[row[0]].get(path) for row in results]
        data[_PARAM + path] = pd.Series(column)
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
        _warn_failed(len(failures), n_rows, f"{cid} {configs[cid]}", clip_list[c].name, err)
    return table


def _warn_failed(
    n_failed: int, n_rows: int, config: str, clip: str, error: str, *, depth: int = 1
) -> None:
    """The one warning of a sweep whose cells failed (NaN metrics, the error in a column).

    ``depth``: calls between :func:`sweep` and here, so the warning points at its caller.
    """
    warnings.warn(
        f"{n_failed} of {n_rows} sweep cells failed and have NaN metrics (see the 'error' "
        f"column); the first: configuration {config} on clip {clip!r}: {error}",
        RuntimeWarning,
        stacklevel=2 + depth,
    )


#: Grid key prefixes that set the simulated agent and echo path instead of the session.
_DUPLEX_PREFIXES = ("agent.", "echo.")


def _duplex_keys(grid: Any) -> bool:
    subs = grid if isinstance(grid, Sequence) and not isinstance(grid, str) else [grid]
    return any(
        isinstance(key, str) and key.startswith(_DUPLEX_PREFIXES)
        for sub in subs
        if isinstance(sub, Mapping)
        for key in sub
    )


def _sweep_conversations(
    clips: Any,
    grid: Any,
    *,
    base: Session,
    options: EmulatorOptions,
    on_error: str,
    progress: bool,
    agent: Agent | None,
    echo: Echo | None,
    backchannels: Backchannels | None,
    noise: Audio | str | None,
) -> pd.DataFrame:
    """:func:`sweep` in full duplex: one simulated conversation per (configuration, clip)."""
    import dataclasses

    import pandas as pd

    from rtlab.duplex import Agent, Echo, simulate
    from rtlab.metrics import score

    owner = "sweep"
    agent = Agent() if agent is None else agent
    expanded = grid if isinstance(grid, ParameterGrid) else ParameterGrid(grid)
    configs = list(expanded)
    clip_list = _as_clips(clips)
    reference = _default_detection()
    rows: list[dict[str, Any]] = []
    failures: list[tuple[int, str, str]] = []
    bar = _progress(len(configs) * len(clip_list), progress, "sweep")
    for config_id, params in enumerate(configs):
        plain = {k: v for k, v in params.items() if not k.startswith(_DUPLEX_PREFIXES)}
        session = _apply(base, plain, config_id)
        try:
            cell_agent = dataclasses.replace(agent, **_prefixed(params, "agent."))
            cell_echo = _prefixed(params, "echo.")
            cell_echo_value = (
                dataclasses.replace(echo or Echo(), **cell_echo) if cell_echo else echo
            )
        except TypeError as exc:  # an agent.* or echo.* name that does not exist
            raise ConfigError("grid", sorted(params), "agent.* and echo.* keys naming fields "
                              "of rtlab.Agent and rtlab.Echo", owner=owner) from exc  # fmt: skip
        for clip in clip_list:
            row: dict[str, Any] = {"config_id": config_id, "clip": clip.name}
            row |= {_PARAM + path: value for path, value in params.items()}
            row["is_default"] = _is_default(session, reference) and not any(
                k.startswith(_DUPLEX_PREFIXES) for k in params
            )
            try:
                conv = simulate(
                    clip, session, agent=cell_agent, echo=cell_echo_value,
                    backchannels=backchannels, noise=noise, options=options,
                )  # fmt: skip
                row |= score(conv.log, conv.truth).to_dict()
                row["error"] = None
            except RtlabError as exc:
                if on_error == "raise":
                    raise
                failures.append((config_id, clip.name, str(exc)))
                row["error"] = str(exc)
            rows.append(row)
            bar.update(1)
    bar.close()
    table = pd.DataFrame(rows)
    table.attrs[_BASE_ATTR] = base.to_json(indent=None)
    if failures:
        cid, name, err = failures[0]
        _warn_failed(len(failures), len(rows), str(cid), name, err, depth=2)
    return table


def _prefixed(params: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k.removeprefix(prefix): v for k, v in params.items() if k.startswith(prefix)}


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
        run = functools.partial(_run_chunk, payload)  # the payload travels with each chunk
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for chunk, rows in zip(chunks, pool.map(run, chunks), strict=True):
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
    ([3, 3], [7.0, 7.0])
    """
    import pandas as pd

    _check_table(table, "summarize")
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
    durations = ["true_speech_ms", "false_alarm_ms", "missed_speech_ms"]
    if set(durations) <= set(sums.columns):
        pooled = _scoring.frame_values(*(sums[name].to_numpy(dtype=float) for name in durations))
        known = sums["true_speech_ms"].notna()
        for name in ("precision", "recall", "f1", "detection_error_rate"):
            metrics_out[name] = pd.Series(pooled[name], index=sums.index).where(known)
    metrics_out["false_cutoff_rate"] = ratio("_cut_turns", "n_true_turns")
    metrics_out["missed_turn_rate"] = ratio("missed_turns", "n_true_turns")
    metrics_out["missed_end_rate"] = ratio("missed_ends", "n_true_ends")
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
    from rtlab._duplex_metrics import DUPLEX_METRICS

    known = (*_scoring.METRIC_NAMES, *DUPLEX_METRICS)
    skip = {"config_id", "clip", "error", "is_default", *params, *known}
    extra = [c for c in good.columns if c not in skip and pd.api.types.is_numeric_dtype(good[c])]
    ordered = [name for name in known if name in has and name in metrics_out]
    for name in ordered:
        out[name] = metrics_out[name].astype("float64")
    if extra:
        means = good.groupby("config_id", sort=True)[extra].mean().reindex(out.index)
        for name in extra:
            out[name] = means[name]
    out = out.reset_index()
    out.attrs = dict(table.attrs)
    return out


def short_labels(table: Any) -> Any:
    """The table with short parameter names, for display (the data are not changed).

    ``param_turn_detection.silence_duration_ms`` becomes ``silence_duration_ms`` (the
    :data:`ALIASES` key), any other ``param_<path>`` becomes ``<path>``; a short name that
    another column already has keeps its long name. A table of a sweep over the
    ``turn_detection`` knobs then shows its metric columns beside the parameters instead of
    behind long headers. Keep the long names for code (``session_for``, ``recommend`` and
    the plots read them).

    Parameters
    ----------
    table : pandas.DataFrame or pandas.Series
        A :func:`sweep` or :func:`summarize` table (its columns are renamed), or one row of
        one (its index is renamed).

    Returns
    -------
    pandas.DataFrame or pandas.Series
        A renamed copy.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"param_turn_detection.silence_duration_ms": [300, 800],
    ...                       "param_input_audio_format": ["pcm16", "g711_ulaw"],
    ...                       "false_cutoff_rate": [0.4, 0.1]})
    >>> list(short_labels(table).columns)
    ['silence_duration_ms', 'input_audio_format', 'false_cutoff_rate']
    >>> list(short_labels(table.iloc[0]).index)
    ['silence_duration_ms', 'input_audio_format', 'false_cutoff_rate']
    """
    import pandas as pd

    if isinstance(table, pd.Series):
        labels = list(table.index)
    elif isinstance(table, pd.DataFrame):
        labels = list(table.columns)
    else:
        raise ConfigError(
            "table", table, "a pandas.DataFrame or Series from sweep()", owner="short_labels"
        )
    alias_of = {path: key for key, path in ALIASES.items()}
    taken = set(labels)
    rename: dict[Any, str] = {}
    for label in labels:
        if not (isinstance(label, str) and label.startswith(_PARAM)):
            continue
        path = label[len(_PARAM) :]
        short = alias_of.get(path, path)
        if short not in taken:
            rename[label] = short
            taken.add(short)
    if isinstance(table, pd.Series):
        return table.rename(index=rename)
    return table.rename(columns=rename)


def _check_table(table: Any, owner: str) -> None:
    if not hasattr(table, "columns"):
        raise ConfigError(
            "table", table, "a pandas.DataFrame from sweep() or summarize()", owner=owner
        )


def as_summary(table: pd.DataFrame, owner: str = "summarize") -> pd.DataFrame:
    """One row per configuration: :func:`summarize` of a sweep table, a summary as it is."""
    _check_table(table, owner)
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
    summary = as_summary(table, "pareto")
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
    max_latency_ms: float = LATENCY_BUDGET_MS,
    metric: str = "false_cutoff_rate",
    max_missed_turn_rate: float | None = None,
    max_missed_end_rate: float | None = None,
    base: Session | None = None,
) -> Session:
    """The configuration to try: the fewest false cut-offs within a latency budget.

    Among configurations whose pooled ``latency_ms_median`` is at most ``max_latency_ms``
    and that miss no more true turns than ``max_missed_turn_rate`` and no more turn ends than
    ``max_missed_end_rate``, the one with the lowest ``metric``; ties go to the lower
    latency (latencies within one 32 ms frame of the lowest count as equal:
    ``LATENCY_TIE_MS``), then the lower ``missed_end_rate``, then the lower
    ``missed_turn_rate``, then the less onset clipping (``onset_clipping_ms_mean``: among
    configurations that differ only in ``prefix_padding_ms`` the longest padding wins), then
    the lower latency, then the lower ``config_id``.

    The missed-turn limit matters: a detector that hears fewer turns (a high threshold)
    also cuts fewer off, so without it the lowest false cut-off rate can belong to a
    configuration that ignores many users.

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`sweep` table (summarised first) or a :func:`summarize` table.
    max_latency_ms : float >= 0, default :data:`LATENCY_BUDGET_MS` (1000)
        Latency budget, ms (median end-of-turn latency).
    metric : str, default "false_cutoff_rate"
        Column to minimise.
    max_missed_turn_rate : float in [0, 1] or None, default None
        Highest share of true turns a candidate may miss. None: no more than the API-default
        configuration misses when the table has it (``is_default``), else no limit.
    max_missed_end_rate : float in [0, 1] or None, default None
        Highest share of true turn ends a candidate may leave unanswered (``missed_end_rate``:
        no ``speech_stopped`` before the next turn or the end of the audio). None: no limit.
        It is not tied to the API default because on recordings of people talking to each
        other the next speaker often answers within a few hundred ms, so every longer
        silence misses more ends there; a configuration that never ends turns has no
        latency and so never fits a budget, and one that finds only the ends followed by
        long silences has a long latency.
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
    summary = as_summary(table, "recommend")
    config_id = recommended_id(
        summary,
        max_latency_ms=max_latency_ms,
        metric=metric,
        max_missed_turn_rate=max_missed_turn_rate,
        max_missed_end_rate=max_missed_end_rate,
    )
    return session_for(summary, config_id, base=_base_of(table, base))


def recommended_id(
    summary: pd.DataFrame,
    *,
    max_latency_ms: float = LATENCY_BUDGET_MS,
    metric: str = "false_cutoff_rate",
    max_missed_turn_rate: float | None = None,
    max_missed_end_rate: float | None = None,
) -> int:
    """The ``config_id`` :func:`recommend` picks from a summary (its checks and errors)."""
    owner = "recommend"
    latency = "latency_ms_median"
    for name in (latency, metric):
        if name not in summary.columns:
            raise ConfigError(
                "metric" if name == metric else "table",
                name,
                "a metric column of the table",
                owner=owner,
            )
    budget = _check.number(
        max_latency_ms, "max_latency_ms", owner=owner, low=0.0, allowed=_scoring.MS
    )
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
    for column, name, value in (
        ("missed_turn_rate", "max_missed_turn_rate", max_missed_turn_rate),
        ("missed_end_rate", "max_missed_end_rate", max_missed_end_rate),
    ):
        limit = _rate_limit(summary, value, column, name, default=column == "missed_turn_rate")
        if limit is not None and column in fits.columns:
            lowest = fits[column].min()
            fits = fits[fits[column] <= limit + 1e-12]
            if fits.empty:
                raise ConfigError(
                    name,
                    limit,
                    f"at least {lowest:.3f}, the lowest {column.replace('_', ' ')} within "
                    f"{budget:.0f} ms",
                    owner=owner,
                    fix=f"Raise {name} or max_latency_ms.",
                )
    best = fits[fits[metric] <= fits[metric].min() + 1e-12] if fits[metric].notna().any() else fits
    if best[latency].notna().any():  # latencies within one 32 ms frame of the lowest tie
        best = best[best[latency] <= best[latency].min() + LATENCY_TIE_MS]
    keys = [
        name
        for name in ("missed_end_rate", "missed_turn_rate", "onset_clipping_ms_mean")
        if name in best.columns
    ]
    keys.append(latency)
    chosen = best.sort_values([*keys, "config_id"], kind="stable", na_position="last").iloc[0]
    return int(chosen["config_id"])


def _rate_limit(
    summary: pd.DataFrame, value: float | None, column: str, field: str, *, default: bool
) -> float | None:
    """The highest ``column`` a candidate may have: ``value``, else (``default``) the API
    default configuration's, else no limit."""
    if value is not None:
        return _check.number(
            value,
            field,
            owner="recommend",
            low=0.0,
            high=1.0,
            allowed="a float in [0.0, 1.0] or None",
        )
    if not default or "is_default" not in summary.columns or column not in summary.columns:
        return None
    rates = summary.loc[summary["is_default"].astype(bool), column].dropna()
    return float(rates.iloc[0]) if len(rates) else None
