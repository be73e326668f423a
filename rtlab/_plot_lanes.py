"""Lane drawers shared by :func:`rtlab.plot.timeline` and :func:`rtlab.plot.side_by_side`.

Each function draws one kind of information on one Axes whose x axis is time in seconds.
Every artist it adds carries a ``label`` (``_``-prefixed ones stay out of legends), so
tests and users can find what was drawn by name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab._plot_style import FONTSIZE, PALETTE
from rtlab._scoring import padding_ms
from rtlab.events import read_turns

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.events import EventLog
    from rtlab.session import SemanticVad, ServerVad

#: Above this many samples (or frames) per pixel column the waveform becomes an envelope.
MAX_BINS = 2000


@dataclass
class DetectedTurn:
    """One detected turn read from an event log (times in seconds)."""

    item_id: str | None
    start_s: float | None = None
    end_s: float | None = None
    commit_s: float | None = None
    transcript: str | None = None


@dataclass
class ParsedLog:
    """The turns, commits and idle timeouts of an event log, in seconds."""

    turns: list[DetectedTurn] = field(default_factory=list)
    timeouts: list[tuple[float, float, float]] = field(default_factory=list)  # start, end, emitted


def parse_log(log) -> ParsedLog:
    """Turns (speech_started → speech_stopped → committed), timeouts and transcripts, in s."""

    def seconds(ms: float) -> float | None:
        return None if math.isnan(ms) else ms / 1000.0

    read = read_turns(log.events, log.emitted_ms)
    turns = [
        DetectedTurn(
            turn.item_id,
            start_s=seconds(turn.start_ms) if turn.started else None,
            end_s=seconds(turn.end_ms),
            commit_s=seconds(turn.committed_at_ms),
            transcript=turn.transcript,
        )
        for turn in read.turns
    ]
    timeouts = [(a / 1000.0, b / 1000.0, t / 1000.0) for a, b, t in read.timeouts]
    return ParsedLog(turns, timeouts)


def _turn_detection(log: EventLog) -> ServerVad | SemanticVad | None:
    """The turn detection of a log's session (None: off, or the session is unknown)."""
    return log.session.turn_detection if log.session is not None else None


def padding_and_tail_ms(log: EventLog) -> tuple[float, float | None]:
    """Prefix padding and silence tail (ms) of a log's turn detection.

    ``server_vad``: ``prefix_padding_ms`` and ``silence_duration_ms``. ``semantic_vad``: the
    emulator's padding (``EmulatorOptions.semantic_prefix_padding_ms``) and a tail of
    ``None``: it varies per turn and is found from the scores when they are given (the
    audio after the last frame above the threshold), else not drawn. Unknown session: 0, None.
    """
    detection = _turn_detection(log)
    if detection is None:
        return 0.0, None
    if detection.type == "semantic_vad":
        from rtlab.turns import EmulatorOptions

        return float(EmulatorOptions().semantic_prefix_padding_ms), None
    return padding_ms(log.session)


def threshold_of(log: EventLog) -> float:
    """The speech threshold of a log's session: ``server_vad``'s, else the semantic one."""
    detection = _turn_detection(log)
    if detection is not None and detection.type == "server_vad":
        return float(detection.threshold)
    from rtlab.turns import EmulatorOptions

    return float(EmulatorOptions().semantic_threshold)


def _bins(n: int, max_bins: int) -> int | None:
    """Values per bin when ``n`` values need an envelope, else None."""
    if n <= 4 * max_bins:
        return None
    return math.ceil(n / max_bins)


def envelope(values: np.ndarray, per_bin: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of ``values`` in consecutive bins of ``per_bin`` (last bin edge-padded)."""
    n_bins = math.ceil(len(values) / per_bin)
    padded = np.pad(values, (0, n_bins * per_bin - len(values)), mode="edge")
    blocks = padded.reshape(n_bins, per_bin)
    return blocks.min(axis=1), blocks.max(axis=1)


def draw_waveform(
    ax,
    audio,
    start_s: float,
    end_s: float,
    *,
    max_bins: int = MAX_BINS,
    color: str | None = None,
    label: str = "waveform",
    overlay: bool = False,
) -> None:
    """The waveform in [-1, 1], or its min/max envelope when there are too many samples.

    ``overlay`` draws over a waveform already there (e.g. the echo in the microphone) and
    keeps its y limits.
    """
    rate = audio.sample_rate_hz
    i0 = max(0, math.floor(start_s * rate))
    i1 = min(len(audio.samples), math.ceil(end_s * rate))
    values = np.asarray(audio.samples[i0:i1], dtype=np.float32) / 32768.0
    per_bin = _bins(len(values), max_bins)
    color = color or PALETTE["waveform"]
    if per_bin is None:
        t = (i0 + np.arange(len(values))) / rate
        ax.plot(t, values, color=color, linewidth=0.6, label=f"_{label}")
        peak = float(np.max(np.abs(values))) if len(values) else 1.0
    else:
        low, high = envelope(values, per_bin)
        t = (i0 + (np.arange(len(low)) + 0.5) * per_bin) / rate
        ax.fill_between(
            t,
            low,
            high,
            color=color,
            linewidth=0,
            label="_envelope" if label == "waveform" else f"_{label}_envelope",
        )
        peak = float(max(np.max(np.abs(low)), np.max(np.abs(high)))) if len(low) else 1.0
    if overlay:
        return
    peak = max(peak, 1e-3) * 1.1
    ax.set_ylim(-peak, peak)
    ax.set_yticks([])


def draw_probability(
    ax,
    scores,
    thresholds: Mapping[str, float],
    start_s: float,
    end_s: float,
    *,
    max_bins: int = MAX_BINS,
    names: bool = True,
) -> None:
    """The per-frame speech probability as a step curve, plus one line per threshold.

    ``thresholds`` maps a name to a threshold; each distinct value is drawn once (legend
    ``threshold <value>``), and with ``names`` the names sharing it are written at its end.
    """
    probs = np.asarray(scores.probabilities, dtype=np.float32)
    hop_s = float(scores.hop_ms) / 1000.0
    f0 = max(0, math.floor(start_s / hop_s))
    f1 = min(len(probs), math.ceil(end_s / hop_s) + 1)
    window = probs[f0:f1]
    per_bin = _bins(len(window), max_bins)
    color = PALETTE["probability"]
    if per_bin is None:
        t = (f0 + np.arange(len(window) + 1)) * hop_s
        ax.stairs(window, t, color=color, linewidth=1.0, label="speech probability", baseline=None)
    else:
        low, high = envelope(window, per_bin)
        t = (f0 + (np.arange(len(low)) + 0.5) * per_bin) * hop_s
        ax.fill_between(
            t, low, high, color=color, alpha=0.8, linewidth=0, label="speech probability"
        )
    styles = ["--", ":", "-.", (0, (5, 1, 1, 1, 1, 1))]
    unique = sorted(set(thresholds.values()))
    for i, value in enumerate(unique):
        ax.axhline(
            value,
            color=PALETTE["threshold"],
            linestyle=styles[i % len(styles)],
            linewidth=1.2,
            label=f"threshold {value:g}",
        )
        sharing = [name for name, v in thresholds.items() if v == value and name]
        if names and sharing:
            ax.text(
                end_s,
                value,
                ", ".join(sharing),
                ha="right",
                va="bottom",
                clip_on=True,
                fontsize=FONTSIZE["small"],
                color=PALETTE["threshold"],
                label="_threshold names",
                bbox={
                    "boxstyle": "square,pad=0.1",
                    "facecolor": "white",
                    "alpha": 0.8,
                    "linewidth": 0,
                },
            )
    ax.set_ylim(-0.03, 1.05)
    ax.set_yticks([0, 0.5, 1])


def _fit_text(text: str, width_s: float, window_s: float, axes_width_in: float) -> str:
    """Shorten ``text`` to what fits in ``width_s`` seconds of the lane (empty if nothing fits)."""
    points = width_s / window_s * axes_width_in * 72.0
    n_chars = int(points / (0.55 * FONTSIZE["annotation"]))
    text = " ".join(text.split())
    if n_chars >= len(text):
        return text
    if n_chars < 4:
        return ""
    return text[: n_chars - 1].rstrip() + "…"


def _visible(a: float, b: float, start_s: float, end_s: float) -> bool:
    return b >= start_s and a <= end_s


def draw_detections(
    ax,
    log,
    start_s: float,
    end_s: float,
    *,
    scores=None,
    transcript: Mapping[str, str] | bool | None = None,
    max_labels: int = 40,
    axes_width_in: float = 10.0,
) -> ParsedLog:
    """Detected turns: prefix padding, speech, silence tail, commits, timeouts, transcripts.

    The lane spans y in [0, 1]: bars at [0.12, 0.52], transcript text above them.
    """
    parsed = parse_log(log)
    padding_ms, tail_ms = padding_and_tail_ms(log)
    end_of_log_s = float(log.duration_ms) / 1000.0 if getattr(log, "duration_ms", None) else end_s
    pads, speech, tails, opens = [], [], [], []
    for turn in parsed.turns:
        if turn.start_s is None:  # a client commit: only its marker is drawn
            continue
        stop = turn.end_s
        if stop is None:
            opens.append((turn.start_s, max(end_of_log_s - turn.start_s, 0.0)))
            continue
        span = max(stop - turn.start_s, 0.0)
        pad = min(padding_ms / 1000.0, span)
        if tail_ms is None and scores is not None:
            tail = _tail_from_scores(scores, turn.start_s + pad, stop, threshold_of(log))
        else:
            tail = (tail_ms or 0.0) / 1000.0
        tail = min(tail, span - pad)
        if pad > 0:
            pads.append((turn.start_s, pad))
        speech.append((turn.start_s + pad, span - pad - tail))
        if tail > 0:
            tails.append((stop - tail, tail))
    bar = (0.12, 0.4)
    ax.broken_barh(pads, bar, color=PALETTE["padding"], linewidth=0, label="prefix padding")
    ax.broken_barh(speech, bar, color=PALETTE["speech"], linewidth=0, label="detected speech")
    ax.broken_barh(tails, bar, color=PALETTE["silence"], linewidth=0, label="silence tail")
    if opens:
        ax.broken_barh(
            opens,
            bar,
            facecolor="none",
            edgecolor=PALETTE["open"],
            hatch="///",
            linewidth=0.8,
            label="not stopped",
        )
    commits = [t.commit_s for t in parsed.turns if t.commit_s is not None]
    ax.vlines(commits, 0.04, 0.6, color=PALETTE["commit"], linewidth=1.3, label="commit")
    if parsed.timeouts:
        ax.broken_barh(
            [(a, max(b - a, 0.0)) for a, b, _ in parsed.timeouts],
            (0.2, 0.24),
            facecolor="none",
            edgecolor=PALETTE["timeout"],
            hatch="xx",
            linewidth=0.8,
            label="_idle silence",
        )
        ax.plot(
            [t for _, _, t in parsed.timeouts],
            [0.32] * len(parsed.timeouts),
            linestyle="none",
            marker="X",
            markersize=9,
            color=PALETTE["timeout"],
            label="idle timeout",
        )
    _draw_transcripts(
        ax,
        parsed,
        start_s,
        end_s,
        transcript=transcript,
        max_labels=max_labels,
        axes_width_in=axes_width_in,
    )
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    return parsed


def _tail_from_scores(scores, speech_from_s: float, stop_s: float, threshold: float) -> float:
    """Seconds between the last frame above ``threshold`` before ``stop_s`` and ``stop_s``."""
    probs = np.asarray(scores.probabilities)
    hop_s = float(scores.hop_ms) / 1000.0
    f0 = max(0, int(speech_from_s / hop_s))
    f1 = min(len(probs), math.ceil(stop_s / hop_s))
    above = np.flatnonzero(probs[f0:f1] >= threshold)
    if len(above) == 0:
        return 0.0
    last_end_s = (f0 + int(above[-1]) + 1) * hop_s
    return max(stop_s - last_end_s, 0.0)


def _draw_transcripts(
    ax,
    parsed: ParsedLog,
    start_s: float,
    end_s: float,
    *,
    transcript: Mapping[str, str] | bool | None,
    max_labels: int,
    axes_width_in: float,
) -> None:
    if transcript is False:
        return
    texts: dict[Any, str] = {}
    for turn in parsed.turns:
        if turn.transcript:
            texts[turn.item_id] = turn.transcript
    if isinstance(transcript, Mapping):
        texts.update(transcript)
    placed = []
    for turn in parsed.turns:
        text = texts.get(turn.item_id)
        a = turn.start_s if turn.start_s is not None else turn.commit_s
        if not text or a is None:
            continue
        b = turn.end_s if turn.end_s is not None else a
        if not _visible(a, b, start_s, end_s):
            continue
        # a turn mostly outside the window is labelled where it mostly is
        if a < start_s and (min(b, end_s) - start_s) < 0.5 * (b - a):
            continue
        placed.append((a, b, text))
    window_s = max(end_s - start_s, 1e-9)
    if len(placed) > max_labels:
        ax.text(
            0.005,
            0.9,
            f"{len(placed)} transcripts in view: zoom in (start_s/end_s) to read them",
            transform=ax.transAxes,
            fontsize=FONTSIZE["small"],
            color=PALETTE["transcript"],
            va="top",
            label="_hidden transcripts",
        )
        return
    for i, (a, b, text) in enumerate(placed):
        # room until the next transcript starts (or the window's end)
        room_end = min(placed[i + 1][0] if i + 1 < len(placed) else end_s, end_s)
        shown = _fit_text(text, max(room_end, b) - max(a, start_s), window_s, axes_width_in)
        if not shown:
            continue
        ax.text(
            max(a, start_s),
            0.6,
            shown,
            fontsize=FONTSIZE["annotation"],
            va="bottom",
            ha="left",
            color=PALETTE["transcript"],
            clip_on=True,
            label="_transcript",
        )


def truth_rows(truth) -> list[str]:
    """Row names of the truth lane: 'speech', then one per speaker (at most 4) or 'turns'.

    An annotation without timing (a transcript only) has the single row 'transcript'.
    """
    if not getattr(truth, "speech_known", True):
        return ["transcript"]
    speakers = sorted({t.speaker for t in truth.turns if t.speaker is not None})
    rows = ["speech"]
    if truth.turns:
        rows += speakers if 0 < len(speakers) <= 4 else ["turns"]
        if "turns" not in rows and any(t.speaker is None for t in truth.turns):
            rows.append("turns")  # unlabelled turns beside labelled ones (composed clips)
    return rows


def draw_truth(
    ax, truth, start_s: float, end_s: float, *, max_labels: int = 40, axes_width_in: float = 10.0
) -> dict[str, float]:
    """Ground-truth speech and turns, one row each (rows from the top); returns row centres."""
    rows = truth_rows(truth)
    n = len(rows)
    centres = {name: n - 1 - i + 0.5 for i, name in enumerate(rows)}
    if rows == ["transcript"]:  # no timing: the reference text, left-aligned in view
        text = _fit_text(truth.transcript or "", end_s - start_s, end_s - start_s, axes_width_in)
        ax.text(
            0.0,
            0.5,
            f"reference: {text}" if text else "(no timing, no transcript)",
            transform=ax.transAxes,
            fontsize=FONTSIZE["annotation"],
            va="center",
            ha="left",
            color=PALETTE["truth"],
            label="_reference",
            clip_on=True,
        )
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        return centres
    speech = np.asarray(truth.speech, dtype=float).reshape(-1, 2)
    ax.broken_barh(
        [(float(a), float(b - a)) for a, b in speech],
        (centres["speech"] - 0.3, 0.6),
        color=PALETTE["truth"],
        alpha=0.55,
        linewidth=0,
        label="true speech",
    )
    by_row: dict[str, list[tuple[float, float]]] = {}
    for turn in truth.turns:
        row = turn.speaker if turn.speaker in centres else "turns"
        by_row.setdefault(row, []).append((turn.start_s, turn.end_s - turn.start_s))
    first = True
    for row, spans in by_row.items():
        ax.broken_barh(
            spans,
            (centres[row] - 0.3, 0.6),
            facecolor=PALETTE["truth"],
            edgecolor=PALETTE["black"],
            linewidth=0.4,
            label="true turns" if first else "_true turns",
        )
        first = False
    visible = [t for t in truth.turns if t.text and _visible(t.start_s, t.end_s, start_s, end_s)]
    if 0 < len(visible) <= max_labels:
        window_s = max(end_s - start_s, 1e-9)
        for turn in visible:
            row = turn.speaker if turn.speaker in centres else "turns"
            shown = _fit_text(
                turn.text, turn.end_s - max(turn.start_s, start_s), window_s, axes_width_in
            )
            if shown:
                ax.text(
                    max(turn.start_s, start_s),
                    centres[row],
                    shown,
                    fontsize=FONTSIZE["small"],
                    va="center",
                    ha="left",
                    color="white",
                    clip_on=True,
                    label="_truth text",
                )
    ax.set_ylim(0, n)
    ax.set_yticks([centres[r] for r in rows], rows, fontsize=FONTSIZE["small"])
    ax.tick_params(axis="y", length=0)
    return centres


OUTCOME_STYLE = {
    "false_cutoff": {"marker": "v", "label": "false cut-off", "y": 0.82},
    "false_turn": {"marker": "s", "label": "false turn", "y": 0.82},
    "missed": {"marker": "o", "label": "missed turn", "y": 0.5},
}


def draw_outcomes(ax_detected, ax_truth, outcomes) -> None:
    """Mark false cut-offs and false turns on the detection lane, missed turns on the truth lane."""
    if outcomes is None or len(outcomes) == 0:
        return
    for kind, style in OUTCOME_STYLE.items():
        rows = outcomes[outcomes["outcome"] == kind]
        if len(rows) == 0:
            continue
        target = ax_truth if kind == "missed" and ax_truth is not None else ax_detected
        # on the truth lane: the 'speech' row (the top one); on a detection lane: fixed heights
        y = style["y"] if target is ax_detected else target.get_ylim()[1] - 0.5
        if kind == "missed":
            spans = [
                (float(a), float(b) - float(a))
                for a, b in zip(rows["start_s"], rows["end_s"], strict=True)
                if np.isfinite(a) and np.isfinite(b)
            ]
            target.broken_barh(
                spans,
                (0, target.get_ylim()[1]),
                facecolor="none",
                edgecolor=PALETTE[kind],
                hatch="\\\\",
                linewidth=1.0,
                label="_missed span",
            )
        target.plot(
            rows["time_s"].to_numpy(dtype=float),
            np.full(len(rows), y),
            linestyle="none",
            marker=style["marker"],
            markersize=10,
            markerfacecolor=PALETTE[kind] if kind != "missed" else "white",
            markeredgecolor=PALETTE[kind] if kind == "missed" else "black",
            markeredgewidth=1.5 if kind == "missed" else 0.6,
            label=style["label"],
            zorder=5,
        )
