"""Pictures of turn detection: timelines, comparisons, event swimlanes and sweep plots.

matplotlib only. Every function takes its data first and options keyword-only, never calls
pyplot's ``show`` and never changes ``rcParams``: colours come from :data:`PALETTE` (the
Okabe–Ito colour-blind-safe set) and font sizes are passed to each text explicitly.

- Single-axes plots (:func:`events`, :func:`sweep_heatmap`, :func:`pareto`,
  :func:`tradeoff`, :func:`operating_points`) draw on ``ax`` or, when it is None, on
  ``plt.gca()``, and return the **Axes**: save with ``ax.figure.savefig("plot.png")``.
- Multi-lane plots (:func:`timeline`, :func:`side_by_side`) return a
  :class:`matplotlib.figure.Figure` built without pyplot (so nothing is left open in
  pyplot's state; a notebook shows the returned Figure): save with
  ``fig.savefig("plot.png")``. Given ``ax``, the lanes take that Axes' place in its figure
  instead.

Only the data is required; every option has a default. The x axis of every time plot is
in seconds.

Examples
--------
>>> import pathlib, tempfile
>>> import rtlab
>>> from rtlab import plot
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> clip = rtlab.datasets.load("librivox/0870")
>>> scores = rtlab.vad.score(clip.audio)
>>> log = rtlab.detect(scores, rtlab.Session())
>>> fig = plot.timeline(clip.audio, log, scores=scores, truth=clip.truth)
>>> [ax.get_ylabel() for ax in fig.axes]
['audio', 'VAD', 'detected', 'truth']
>>> fig.savefig(out / "timeline.png")                 # a Figure: save it directly
>>> table = rtlab.sweep([clip], {"threshold": [0.4, 0.6], "silence_duration_ms": [300, 800]},
...                     progress=False)
>>> from matplotlib.figure import Figure
>>> ax = plot.sweep_heatmap(table, ax=Figure().add_subplot())
>>> ax.figure.savefig(out / "heatmap.png")            # an Axes: save its figure
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rtlab import _plot_lanes as lanes
from rtlab._plot_eot import operating_points
from rtlab._plot_style import FONTSIZE, PALETTE, axes_or_current, style_axes
from rtlab._plot_sweeps import pareto_front, sweep_heatmap, tradeoff
from rtlab.errors import ConfigError
from rtlab.events import (
    COMMITTED,
    SPEECH_STARTED,
    SPEECH_STOPPED,
    TIMEOUT_TRIGGERED,
    TRANSCRIPTION_COMPLETED,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from rtlab.events import EventLog

__all__ = [
    "PALETTE",
    "conversation",
    "events",
    "operating_points",
    "pareto_front",
    "side_by_side",
    "sweep_heatmap",
    "timeline",
    "tradeoff",
]

_LANE_HEIGHT_IN = {"audio": 1.3, "VAD": 1.0, "detected": 1.0, "agent": 0.7, "truth": 0.45}


def _window(duration_s: float, start_s: float | None, end_s: float | None, owner: str):
    start = 0.0 if start_s is None else float(start_s)
    end = duration_s if end_s is None else float(end_s)
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
        raise ConfigError(
            "start_s/end_s",
            (start_s, end_s),
            f"0 <= start_s < end_s (seconds; the audio lasts {duration_s:.2f} s)",
            owner=owner,
        )
    return start, end


def _lane_axes(heights: list[float], *, ax, kwargs: dict[str, Any], hspace: float = 0.08):
    """Create stacked lanes sharing x: a new Figure, or in the place of ``ax`` (lanes
    ``hspace`` of the mean lane height apart)."""
    if ax is None:
        from matplotlib.figure import Figure

        kwargs.setdefault("figsize", (12.0, 0.9 + sum(heights)))
        kwargs.setdefault("dpi", 100)
        kwargs.setdefault("layout", "constrained")
        fig = Figure(**kwargs)
        grid = fig.subplots(
            len(heights), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights}
        )
        return fig, list(grid[:, 0])
    fig = ax.figure
    spec = ax.get_subplotspec().subgridspec(len(heights), 1, height_ratios=heights, hspace=hspace)
    ax.remove()
    axes: list[Axes] = []
    for i in range(len(heights)):
        axes.append(fig.add_subplot(spec[i, 0], sharex=axes[0] if axes else None))
    return fig, axes


def _finish_lanes(fig, axes, start_s: float, end_s: float, *, title: str | None, owns: bool):
    for lane in axes:
        style_axes(lane)
        lane.set_xlim(start_s, end_s)
        lane.yaxis.label.set_size(FONTSIZE["label"])
    for lane in axes[:-1]:
        lane.tick_params(labelbottom=False)
    axes[-1].set_xlabel("time (s)", fontsize=FONTSIZE["label"])
    fig.align_ylabels(axes)
    handles, labels, seen = [], [], set()
    for lane in axes:
        for handle, label in zip(*lane.get_legend_handles_labels(), strict=True):
            if label not in seen:
                seen.add(label)
                handles.append(handle)
                labels.append(label)
    if handles:
        if owns:
            fig.legend(
                handles,
                labels,
                loc="outside lower center",
                ncols=min(len(handles), 6),
                fontsize=FONTSIZE["legend"],
                frameon=False,
            )
        else:
            axes[0].legend(
                handles,
                labels,
                loc="lower left",
                bbox_to_anchor=(0.0, 1.02),
                ncols=min(len(handles), 6),
                fontsize=FONTSIZE["legend"],
                frameon=False,
            )
    if title and owns:
        fig.suptitle(title, fontsize=FONTSIZE["title"])


def _lane_label(ax, text: str) -> None:
    ax.set_ylabel(text, rotation=0, ha="right", va="center", fontsize=FONTSIZE["label"])


def _outcomes(log, truth):
    if truth is None:
        return None
    from rtlab.metrics import turn_outcomes

    return turn_outcomes(log, truth)


_FILE_NAME = re.compile(r"[^/\\+|\[]+\.[A-Za-z0-9]{2,5}(?=$|[+|\[])")
_NOISE_SUFFIX = re.compile(r"\+([^+@|]+)@(-?[0-9.]+)dB")


def _source_name(audio) -> str:
    """The audio's source for a title, readable: a file path without its folders (pictures
    do not depend on paths), ``"+babble@5dB"`` as ``" + babble noise at 5 dB SNR"``."""
    source = str(getattr(audio, "source", "") or "")
    _, sep, tail = source.replace(os.sep, "/").rpartition("/")
    if sep and _FILE_NAME.match(tail):
        source = tail
    return _NOISE_SUFFIX.sub(r" + \1 noise at \2 dB SNR", source)


def _describe_session(log: EventLog) -> str:
    if log.session is None:
        return ""
    detection = log.session.turn_detection
    if detection is not None and detection.type == "server_vad":
        return (
            f"server_vad: threshold {detection.threshold:g}, "
            f"prefix_padding_ms {detection.prefix_padding_ms:g}, "
            f"silence_duration_ms {detection.silence_duration_ms:g}"
        )
    if detection is not None and detection.type == "semantic_vad":
        return f"semantic_vad: eagerness {detection.eagerness}"
    return "turn detection off"


def timeline(
    audio,
    log,
    *,
    scores=None,
    truth=None,
    transcript: Mapping[str, str] | bool | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    mark_outcomes: bool = True,
    max_labels: int = 40,
    title: str | None = None,
    echo=None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Figure:
    """Draw one clip's turn detection as lanes on a shared time axis (seconds).

    Lanes, top to bottom:

    - **audio**: the waveform; for long windows (over 4 samples per pixel column, i.e. more
      than ~0.3 s at 24 kHz per 1/2000 of the width) its min/max envelope;
    - **VAD** (when ``scores`` is given): speech probability per frame and the session's
      threshold line;
    - **detected**: each turn from ``speech_started.audio_start_ms`` to
      ``speech_stopped.audio_end_ms`` split into its prefix padding (sky blue), speech
      (blue) and silence tail (orange, ``silence_duration_ms``); commits as black ticks at
      the time they are emitted; idle timeouts as a purple ✕ over their silent stretch;
      the transcript of each turn above it; with ``truth``, false cut-offs (▼) and false
      turns (■) from :func:`rtlab.metrics.turn_outcomes`;
    - **agent** (when ``truth`` is a simulated conversation's, ``conv.truth`` of
      :func:`rtlab.simulate`): the agent's think time, playback, and the cancelled remainder
      of each interrupted response (hatched);
    - **truth** (when ``truth`` is given): annotated speech, the annotated turns (a row
      per speaker when there are at most four), missed turns (○, hatched).

    ``echo`` (an Audio, e.g. ``conv.echo``) is drawn over the waveform in the agent's colour:
    what of the agent's voice reached the microphone. :func:`conversation` does all of this
    for a simulated conversation.

    Parameters
    ----------
    audio : Audio
        The clip (24 kHz int16).
    log : EventLog
        What turn detection did on it (emulator, live recording or file). Padding and
        silence tail come from ``log.session.turn_detection`` (``server_vad``); for
        ``semantic_vad`` the tail is the audio after the last frame above 0.5 (needs
        ``scores``) and no padding is drawn.
    scores : FrameScores, optional
        Speech probabilities to draw (lane omitted when None).
    truth : Annotation, optional
        Ground truth (lane and outcome markers omitted when None).
    transcript : mapping of item_id to str, or bool, optional
        Text per turn. Default: the log's ``…transcription.completed`` events; a mapping
        adds or replaces texts; False draws none. Texts are shortened to their turn's room
        and hidden (with a note) when more than ``max_labels`` turns are in view.
    start_s, end_s : float, optional
        Zoom window in seconds (default: the whole clip); only what lies inside is labelled.
    mark_outcomes : bool, default True
        With ``truth``, mark false cut-offs, missed and false turns.
    max_labels : int, default 40
        Most transcript / truth texts drawn in the window.
    title : str, optional
        Figure title (default: the audio source and the turn-detection settings).
    ax : matplotlib Axes, optional
        Put the lanes in this Axes' place in its figure (the Axes is removed). Default: a
        new :class:`~matplotlib.figure.Figure` (not registered with pyplot).
    **kwargs
        Passed to :class:`~matplotlib.figure.Figure` (default ``figsize=(12, h)`` with
        ``h`` growing with the lanes, ``dpi=100``, ``layout="constrained"``).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes`` are the lanes, labelled ``audio``, ``VAD``, ``detected``, ``truth``.

    Raises
    ------
    ConfigError
        If the zoom window is empty or negative.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("jfk")
    >>> log = rtlab.detect(clip.audio, rtlab.Session())
    >>> fig = rtlab.plot.timeline(clip.audio, log, start_s=2.0, end_s=6.0)
    >>> [float(x) for x in fig.axes[-1].get_xlim()]
    [2.0, 6.0]

    It is a Figure: save it directly.

    >>> import pathlib, tempfile
    >>> fig.savefig(pathlib.Path(tempfile.mkdtemp()) / "timeline.png", dpi=120)
    """
    start, end = _window(float(audio.duration_s), start_s, end_s, "timeline")
    names = ["audio"] + (["VAD"] if scores is not None else []) + ["detected"]
    conversation = truth if hasattr(truth, "playback") else None  # rtlab.simulate's truth
    if conversation is not None:
        names.append("agent")
        truth = conversation.annotation
    heights = [_LANE_HEIGHT_IN[n] for n in names]
    if truth is not None:
        names.append("truth")
        heights.append(_LANE_HEIGHT_IN["truth"] * len(lanes.truth_rows(truth)))
    owns = ax is None
    fig, axes = _lane_axes(heights, ax=ax, kwargs=kwargs)
    lane = dict(zip(names, axes, strict=True))
    width_in = fig.get_figwidth() * 0.85
    lanes.draw_waveform(lane["audio"], audio, start, end)
    if echo is not None:
        from rtlab._plot_duplex import AGENT_COLOR

        lanes.draw_waveform(
            lane["audio"], echo, start, end, color=AGENT_COLOR, label="echo", overlay=True
        )
    if conversation is not None:
        from rtlab._plot_duplex import draw_agent

        draw_agent(conversation, ax=lane["agent"])
        lane["agent"].set_xlabel("")
        lane["agent"].set_yticks([])
    if scores is not None:
        lanes.draw_probability(lane["VAD"], scores, {"": lanes.threshold_of(log)}, start, end)
    lanes.draw_detections(
        lane["detected"],
        log,
        start,
        end,
        scores=scores,
        transcript=transcript,
        max_labels=max_labels,
        axes_width_in=width_in,
    )
    if truth is not None:
        lanes.draw_truth(
            lane["truth"], truth, start, end, max_labels=max_labels, axes_width_in=width_in
        )
        if mark_outcomes:
            lanes.draw_outcomes(lane["detected"], lane["truth"], _outcomes(log, truth))
    for name, axis in lane.items():
        _lane_label(axis, name)
    if title is None:
        title = " — ".join(p for p in (_source_name(audio), _describe_session(log)) if p)
    _finish_lanes(fig, axes, start, end, title=title, owns=owns)
    return fig


def conversation(conv, *, scores=None, **kwargs: Any) -> Figure:
    """A simulated conversation (:func:`rtlab.simulate`) as a :func:`timeline`.

    The microphone's waveform with the echo over it, the detected turns with the false
    cut-offs, the agent's lane (think time, playback, cancelled remainders hatched) and the
    user's truth, backchannels included.

    Parameters
    ----------
    conv : rtlab.duplex.Conversation
    scores : FrameScores, optional
        The microphone's VAD scores, to draw the VAD lane.
    **kwargs
        Passed to :func:`timeline` (``start_s``, ``end_s``, ``title``, figure options).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import rtlab
    >>> conv = rtlab.simulate(rtlab.datasets.load("librivox/0880"), rtlab.Session(),
    ...                       agent=rtlab.Agent())
    >>> fig = rtlab.plot.conversation(conv)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['audio', 'detected', 'agent', 'truth']
    >>> fig.savefig("conversation.png")  # doctest: +SKIP
    """
    return timeline(
        conv.microphone, conv.log, scores=scores, truth=conv.truth, echo=conv.echo, **kwargs
    )


def side_by_side(
    audio,
    logs: Mapping[str, Any],
    *,
    truth=None,
    scores=None,
    start_s: float | None = None,
    end_s: float | None = None,
    mark_outcomes: bool = True,
    max_labels: int = 40,
    title: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Figure:
    """Stack several configurations' detections against the same audio and truth.

    One lane for the audio, one for the speech probability (when ``scores`` is given, with
    one line per distinct threshold of the ``server_vad`` configurations), one for the
    truth (when given), then one *detected* lane per configuration, drawn as in
    :func:`timeline` (padding, speech, silence tail, commits, timeouts, false cut-offs,
    false turns) and labelled with its name and, with ``truth``, its counts of false
    cut-offs, missed turns and missed ends just above the lane. Missed turns are marked on
    each configuration's own lane.

    Parameters
    ----------
    audio : Audio
        The clip all logs were made from.
    logs : mapping of str to EventLog
        Configuration name → its event log, drawn top to bottom in this order.
    truth : Annotation, optional
        Ground truth for the clip.
    scores : FrameScores, optional
        Speech probabilities to draw with each configuration's threshold.
    start_s, end_s : float, optional
        Zoom window in seconds.
    mark_outcomes : bool, default True
        With ``truth``, mark false cut-offs, missed and false turns per configuration.
    max_labels : int, default 40
        Most transcript texts per lane in the window.
    title : str, optional
        Figure title (default: the audio source).
    ax : matplotlib Axes, optional
        Put the lanes in this Axes' place; default a new Figure.
    **kwargs
        Passed to :class:`~matplotlib.figure.Figure` (``figsize``, ``dpi``, ...).

    Returns
    -------
    matplotlib.figure.Figure
        Lanes labelled ``audio``, ``VAD``, ``truth``, then the configuration names.

    Raises
    ------
    ConfigError
        If ``logs`` is empty or the zoom window is empty.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("librivox/0870")
    >>> vads = {f"silence {ms} ms": rtlab.ServerVad(silence_duration_ms=ms) for ms in (200, 500)}
    >>> logs = {name: rtlab.detect(clip.audio, vad) for name, vad in vads.items()}
    >>> fig = rtlab.plot.side_by_side(clip.audio, logs, truth=clip.truth)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['audio', 'truth', 'silence 200 ms', 'silence 500 ms']

    It is a Figure: save it directly.

    >>> import pathlib, tempfile
    >>> fig.savefig(pathlib.Path(tempfile.mkdtemp()) / "compare.png", dpi=120)
    """
    if not logs:
        raise ConfigError(
            "logs", logs, "a non-empty mapping of name to EventLog", owner="side_by_side"
        )
    start, end = _window(float(audio.duration_s), start_s, end_s, "side_by_side")
    names = ["audio"] + (["VAD"] if scores is not None else [])
    heights = [_LANE_HEIGHT_IN[n] for n in names]
    if truth is not None:
        names.append("truth")
        heights.append(_LANE_HEIGHT_IN["truth"] * len(lanes.truth_rows(truth)))
    config_names = [str(name) for name in logs]
    names += config_names
    heights += [0.8] * len(config_names)
    owns = ax is None
    # room between lanes for the counts written above each configuration's lane
    fig, axes = _lane_axes(heights, ax=ax, kwargs=kwargs, hspace=0.35)
    lane = dict(zip(names, axes, strict=True))
    width_in = fig.get_figwidth() * 0.85
    lanes.draw_waveform(lane["audio"], audio, start, end)
    if scores is not None:
        # server_vad thresholds only (semantic_vad has none to tune), each value once
        thresholds = {
            f"threshold {lanes.threshold_of(log):g}": lanes.threshold_of(log)
            for log in logs.values()
            if log.session is not None
            and log.session.turn_detection is not None
            and log.session.turn_detection.type == "server_vad"
        }
        lanes.draw_probability(lane["VAD"], scores, thresholds, start, end, names=False)
    if truth is not None:
        lanes.draw_truth(
            lane["truth"], truth, start, end, max_labels=max_labels, axes_width_in=width_in
        )
    for name, log in zip(config_names, logs.values(), strict=True):
        target = lane[name]
        lanes.draw_detections(
            target, log, start, end, scores=scores, max_labels=max_labels, axes_width_in=width_in
        )
        outcomes = _outcomes(log, truth) if mark_outcomes else None
        if outcomes is not None:
            lanes.draw_outcomes(target, None, outcomes)
            from rtlab.metrics import score

            n_cut = int((outcomes["outcome"] == "false_cutoff").sum())
            n_missed = int((outcomes["outcome"] == "missed").sum())
            row = score(log, truth)
            ends = f", {int(row['missed_ends'])} of {int(row['n_true_ends'])} ends missed"
            # above the lane, right-aligned: never on the outcome markers inside it
            target.text(
                1.0,
                1.02,
                f"{n_cut} false cut-off{'s' if n_cut != 1 else ''}, {n_missed} missed turns"
                + (ends if row["n_true_ends"] else ""),
                transform=target.transAxes,
                ha="right",
                va="bottom",
                fontsize=FONTSIZE["small"],
                color=PALETTE["false_cutoff"] if n_cut else PALETTE["black"],
                label="_summary",
            )
    for name, axis in lane.items():
        _lane_label(axis, name)
    if title is None:
        title = _source_name(audio) or None
    _finish_lanes(fig, axes, start, end, title=title, owns=owns)
    return fig


_EVENT_ROWS = (
    (SPEECH_STARTED, "speech_started", "^", "speech"),
    (SPEECH_STOPPED, "speech_stopped", "v", "silence"),
    (COMMITTED, "committed", "D", "commit"),
    (TRANSCRIPTION_COMPLETED, "transcription", "s", "truth"),
    (TIMEOUT_TRIGGERED, "timeout", "X", "timeout"),
)


def events(
    log,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    max_labels: int = 60,
    title: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Draw the event sequence as a swimlane: which server event arrives when.

    One row per event type (speech_started, speech_stopped and committed always; then
    transcription, timeout and any other type the log holds), a marker at each event's emitted
    time in seconds, the events of one item joined by a faint line, and for events that
    name an audio time (``audio_start_ms`` / ``audio_end_ms``) a thin line back to it, so
    the lag between the audio and the event shows (``speech_started`` arrives after the
    speech began, by the padding and the detection delay). Item numbers label the
    ``speech_started`` markers when at most ``max_labels`` events are in view.

    Parameters
    ----------
    log : EventLog
        The events (``log.emitted_ms`` gives the x positions).
    start_s, end_s : float, optional
        Time window in seconds (default: all events, or the log's duration).
    max_labels : int, default 60
        Most item labels drawn.
    title : str, optional
        Axes title. Default: "server events" and the log's turn-detection settings (an
        event log does not know its clip: name it here, e.g. ``f"{clip.name}: ..."``).
    ax : matplotlib Axes, optional
        Where to draw; default ``plt.gca()``.
    **kwargs
        Passed to the marker ``scatter`` calls (default ``s=60``, ``zorder=3``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    The plot is drawn on an Axes (here of a new Figure); save it through its figure:

    >>> import pathlib, tempfile
    >>> import rtlab
    >>> from matplotlib.figure import Figure
    >>> clip = rtlab.datasets.load("librivox/0870")
    >>> log = rtlab.detect(clip.audio, rtlab.Session())
    >>> ax = rtlab.plot.events(log, ax=Figure(figsize=(10, 3.5)).add_subplot())
    >>> [t.get_text() for t in ax.get_yticklabels()][:3]
    ['speech_started', 'speech_stopped', 'committed']
    >>> ax.get_title(loc="left")
    'server events — server_vad: threshold 0.5, prefix_padding_ms 300, silence_duration_ms 500'
    >>> ax.figure.savefig(pathlib.Path(tempfile.mkdtemp()) / "events.png")
    """
    ax = axes_or_current(ax)
    kwargs.setdefault("s", 60)
    kwargs.setdefault("zorder", 3)
    present = {e["type"] for e in log.events}
    known = [row[0] for row in _EVENT_ROWS]
    rows = [row for i, row in enumerate(_EVENT_ROWS) if i < 3 or row[0] in present]
    rows += [(t, t.split(".")[-1], "o", "grey") for t in sorted(present - set(known))]
    y_of = {row[0]: len(rows) - 1 - i for i, row in enumerate(rows)}
    times = [t / 1000.0 for t in log.emitted_ms]
    last = max(times, default=0.0)
    duration = float(log.duration_ms) / 1000.0 if getattr(log, "duration_ms", None) else last
    lo = 0.0 if start_s is None else float(start_s)
    hi = max(duration, last) if end_s is None else float(end_s)
    if hi <= lo:
        hi = lo + 1.0
    by_item: dict[Any, list[tuple[float, float]]] = {}
    for event, t in zip(log.events, times, strict=True):
        y = y_of[event["type"]]
        if event.get("item_id") is not None:
            by_item.setdefault(event["item_id"], []).append((t, y))
        for key in ("audio_start_ms", "audio_end_ms"):
            if event.get(key) is not None:
                ax.plot(
                    [float(event[key]) / 1000.0, t],
                    [y, y],
                    color=PALETTE["grey"],
                    linewidth=1.0,
                    alpha=0.7,
                    label="_audio time",
                )
                ax.plot(
                    float(event[key]) / 1000.0,
                    y,
                    marker="|",
                    markersize=8,
                    color=PALETTE["grey"],
                    label="_audio time tick",
                )
    for points in by_item.values():
        points.sort()
        ax.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            color=PALETTE["grey"],
            linewidth=0.6,
            alpha=0.35,
            label="_item",
        )
    for full, short, marker, colour in rows:
        xs = [t for e, t in zip(log.events, times, strict=True) if e["type"] == full]
        if xs:
            ax.scatter(
                xs,
                [y_of[full]] * len(xs),
                marker=marker,
                color=PALETTE[colour],
                edgecolors="black",
                linewidths=0.5,
                label=short,
                **kwargs,
            )
    started = [
        (t, e)
        for e, t in zip(log.events, times, strict=True)
        if e["type"] == _EVENT_ROWS[0][0] and lo <= t <= hi
    ]
    if 0 < len(started) <= max_labels:
        for t, e in started:
            item = str(e.get("item_id", ""))
            ax.annotate(
                item.removeprefix("item_").lstrip("0") or item,
                (t, y_of[_EVENT_ROWS[0][0]]),
                xytext=(0, 8),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=FONTSIZE["small"],
                annotation_clip=True,
            )
    ax.set_yticks([y_of[r[0]] for r in rows], [r[1] for r in rows], fontsize=FONTSIZE["tick"])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("emitted at (s of audio)", fontsize=FONTSIZE["label"])
    if title is None:
        title = " — ".join(p for p in ("server events", _describe_session(log)) if p)
    ax.set_title(title, fontsize=FONTSIZE["title"], loc="left")
    style_axes(ax, grid=True)
    ax.grid(False, axis="y")
    return ax


#: Old names: ``compare`` drew what ``rtlab.compare`` (an Agreement) does not, and ``pareto``
#: drew what ``rtlab.pareto`` (a DataFrame) returns; each name now says one thing.
_RENAMED = {"compare": "side_by_side", "pareto": "pareto_front"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        import warnings

        new = _RENAMED[name]
        warnings.warn(
            f"rtlab.plot.{name} is now rtlab.plot.{new} (rtlab.{name} is another thing); "
            f"the old name will be removed.",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[new]
    raise AttributeError(f"module 'rtlab.plot' has no attribute {name!r}")
