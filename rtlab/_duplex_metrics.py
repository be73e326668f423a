"""Full-duplex metrics: what went wrong while the agent was speaking.

:func:`duplex_metrics` scores a :class:`~rtlab.duplex.Conversation`'s log against its truth
(:class:`~rtlab.duplex.ConversationTruth`). Definitions (times in the conversation's ms):

* A *cancellation* is a ``response.done`` with status ``cancelled``; its cause is the
  ``speech_started`` emitted at the same time, and the *onset window* is
  ``[emitted_ms - CAUSE_WINDOW_MS, emitted_ms]`` (the detector fires at the end of the first
  speech frame, so what triggered it lies just before).
* ``barge_ins``: cancellations whose onset window overlaps the user's true speech (a real
  turn); ``false_barge_ins``: no user speech but a backchannel in the window, or neither
  and no echo (noise alone); ``self_interruptions``: neither user speech nor a backchannel,
  with residual echo in the window: only echo and noise in the microphone.
* ``barge_in_turns``: true user turns that start while the agent's audio is playing (the
  chances to barge in); ``missed_barge_ins``: those followed by no ``speech_started``
  emitted within ``barge_in_deadline_ms`` (from ``BARGE_IN_SLACK_MS`` before the turn's
  start). Compare configurations by the share missed: an agent that cuts itself short
  leaves fewer chances.
* ``barge_in_latency_ms_median``: for barge-ins, true start of the user's turn (the last
  one starting before the cancelling ``speech_started``) to the end of playback (when the
  agent falls silent).
* ``talk_over_ms``: total time the user's true speech and the agent's playback overlap.
* ``response_latency_ms_median``: for responses answering a user turn that played audio,
  the true end of the user turn that the commit closed (the last one ending before
  ``response.created``) to the first audio played.
* ``idle_timeouts``: ``input_audio_buffer.timeout_triggered`` events.
* ``responses``, ``cancelled_responses``: counts.

The causes need the user's truth: for a conversation simulated on bare audio (unknown user
speech) every cancellation counts as echo or noise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["BARGE_IN_SLACK_MS", "CAUSE_WINDOW_MS", "DUPLEX_METRICS", "duplex_metrics"]

CAUSE_WINDOW_MS = 300.0
BARGE_IN_SLACK_MS = 200.0

DUPLEX_METRICS = (
    "self_interruptions",
    "false_barge_ins",
    "barge_ins",
    "missed_barge_ins",
    "barge_in_turns",
    "barge_in_latency_ms_median",
    "talk_over_ms",
    "response_latency_ms_median",
    "idle_timeouts",
    "responses",
    "cancelled_responses",
)


def overlaps(spans: np.ndarray, lo: float, hi: float) -> bool:
    """Whether any ``[start, end)`` span (seconds, n x 2) overlaps ``[lo, hi]``."""
    if spans.size == 0:
        return False
    return bool(np.any((spans[:, 0] <= hi) & (spans[:, 1] > lo)))


def overlap_s(a: np.ndarray, b: np.ndarray) -> float:
    """Total overlap in seconds between two sets of spans (each a union already)."""
    total = 0.0
    for lo, hi in a:
        if b.size:
            inter = np.minimum(hi, b[:, 1]) - np.maximum(lo, b[:, 0])
            total += float(np.sum(inter[inter > 0]))
    return total


def duplex_metrics(
    log: Any, truth: Any, *, barge_in_deadline_ms: float = 1000.0
) -> dict[str, float]:
    """The duplex metrics of a conversation (see the module notes for definitions).

    Parameters
    ----------
    log : EventLog
        ``Conversation.log``.
    truth : ConversationTruth
        ``Conversation.truth``.
    barge_in_deadline_ms : float, default 1000.0
        How soon after a user turn starts during playback a ``speech_started`` must follow
        for the barge-in not to count as missed.

    Returns
    -------
    dict of str to float
        The keys of :data:`DUPLEX_METRICS`; medians are NaN when there is nothing to measure.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import datasets
    >>> from rtlab.duplex import Agent, Echo, simulate
    >>> from rtlab._duplex_metrics import duplex_metrics
    >>> clip = datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=6000, tail_ms=6000)
    >>> conv = simulate(clip, rtlab.Session(), agent=Agent(think_ms=500))
    >>> m = duplex_metrics(conv.log, conv.truth)
    >>> m["self_interruptions"], m["responses"], round(m["response_latency_ms_median"])
    (0, 2, 1045)
    """
    user_speech = np.asarray(truth.user.speech, float).reshape(-1, 2)
    backs = np.array([[b.start_s, b.end_s] for b in truth.backchannels], float).reshape(-1, 2)
    echo = np.asarray(truth.echo_spans, float).reshape(-1, 2)
    played = [p for p in truth.playback if not math.isnan(p.start_s)]
    play_spans = np.array([[p.start_s, p.end_s] for p in played], float).reshape(-1, 2)

    starts_ms: list[float] = []
    cancels: list[float] = []
    timeouts = 0
    responses = 0
    last_start = -math.inf
    for event, t in zip(log.events, log.emitted_ms, strict=True):
        kind = event["type"]
        if kind == "input_audio_buffer.speech_started":
            starts_ms.append(t)
            last_start = t
        elif kind == "input_audio_buffer.timeout_triggered":
            timeouts += 1
        elif kind == "response.created":
            responses += 1
        elif kind == "response.done" and event["response"].get("status") == "cancelled":
            cancels.append(last_start)

    self_int = false_bi = barge = 0
    for t_ms in cancels:
        lo, hi = (t_ms - CAUSE_WINDOW_MS) / 1000.0, t_ms / 1000.0
        if overlaps(user_speech, lo, hi):
            barge += 1
        elif overlaps(backs, lo, hi) or not overlaps(echo, lo, hi):
            false_bi += 1
        else:
            self_int += 1

    starts = np.array(starts_ms) / 1000.0
    missed = chances = 0
    latencies = []
    for turn in truth.user.turns:
        during = [p for p in played if p.start_s <= turn.start_s < p.end_s]
        if not during:
            continue
        chances += 1
        lo = turn.start_s - BARGE_IN_SLACK_MS / 1000.0
        hi = turn.start_s + barge_in_deadline_ms / 1000.0
        hit = starts[(starts >= lo) & (starts <= hi)]
        if hit.size == 0:
            missed += 1
            continue
        p = during[0]
        if p.status == "cancelled" and p.end_s >= hit[0]:
            latencies.append((p.end_s - turn.start_s) * 1000.0)

    talk_over = overlap_s(user_speech, play_spans) * 1000.0

    ends = np.array([t.end_s for t in truth.user.turns], float)
    response_lat = []
    for p in played:
        before = ends[ends <= p.created_s + 1e-9]
        if before.size == 0 or p.cause != "turn":
            continue
        response_lat.append((p.start_s - float(before.max())) * 1000.0)

    return {
        "self_interruptions": self_int,
        "false_barge_ins": false_bi,
        "barge_ins": barge,
        "missed_barge_ins": missed,
        "barge_in_turns": chances,
        "barge_in_latency_ms_median": float(np.median(latencies)) if latencies else math.nan,
        "talk_over_ms": talk_over,
        "response_latency_ms_median": float(np.median(response_lat)) if response_lat else math.nan,
        "idle_timeouts": timeouts,
        "responses": responses,
        "cancelled_responses": len(cancels),
    }
