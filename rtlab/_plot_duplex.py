"""The agent's lane of a full-duplex timeline: think time, playback, the cancelled remainder.

:func:`draw_agent` draws one :class:`~rtlab.duplex.ConversationTruth`'s responses on an Axes
whose x axis is time in seconds. Every artist carries a ``label`` (``_``-prefixed ones stay
out of legends) so tests and callers can find what was drawn.
"""

from __future__ import annotations

import math
from typing import Any

from rtlab._plot_style import PALETTE, axes_or_current

__all__ = ["AGENT_COLOR", "draw_agent"]

AGENT_COLOR = PALETTE["purple"]


def draw_agent(
    truth_or_conversation: Any,
    *,
    ax: Any = None,
    y: float = 0.0,
    height: float = 0.8,
    **kwargs: Any,
) -> Any:
    """Draw the agent's responses as a lane.

    Per response: the think time (``response.created`` to the first audio) as a thin light
    bar labelled ``"think"``; the audio played as a solid bar ``"playback"``; for a
    cancelled response, the part that was never played (``end_s`` to ``planned_end_s``) as a
    hatched outline ``"cancelled"`` with a cross at the cut.

    Parameters
    ----------
    truth_or_conversation : ConversationTruth or Conversation
    ax : matplotlib Axes, optional
        Drawn on ``plt.gca()`` when None.
    y, height : float
        Vertical position and height of the lane (data units).
    **kwargs
        Passed to the playback bars (``color`` etc.).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> import rtlab
    >>> from rtlab.duplex import Agent, simulate
    >>> from rtlab._plot_duplex import draw_agent
    >>> conv = simulate(rtlab.datasets.load("librivox/0870"), rtlab.Session(), agent=Agent())
    >>> ax = draw_agent(conv, ax=Figure().subplots())
    >>> sorted({c.get_label() for c in ax.collections})
    ['playback', 'think']
    """
    truth = getattr(truth_or_conversation, "truth", truth_or_conversation)
    ax = axes_or_current(ax)
    kwargs.setdefault("color", AGENT_COLOR)
    kwargs.setdefault("alpha", 0.85)
    first = {"think": True, "playback": True, "cancelled": True}

    def label(name: str) -> str:
        if first[name]:
            first[name] = False
            return name
        return f"_{name}"

    for p in truth.playback:
        start = p.start_s if not math.isnan(p.start_s) else p.created_s
        if start > p.created_s:
            ax.broken_barh(
                [(p.created_s, start - p.created_s)],
                (y + height * 0.35, height * 0.3),
                color=PALETTE["open"],
                alpha=0.5,
                label=label("think"),
            )
        if math.isnan(p.start_s):
            ax.plot([p.created_s], [y + height / 2], "x", color=kwargs["color"], label="_cut")
            continue
        if p.end_s > p.start_s:
            ax.broken_barh(
                [(p.start_s, p.end_s - p.start_s)], (y, height), label=label("playback"), **kwargs
            )
        if p.status == "cancelled" and p.planned_end_s > p.end_s:
            ax.broken_barh(
                [(p.end_s, p.planned_end_s - p.end_s)],
                (y, height),
                facecolor="none",
                edgecolor=kwargs["color"],
                hatch="///",
                linewidth=0.8,
                label=label("cancelled"),
            )
            ax.plot([p.end_s], [y + height / 2], "x", color="black", label="_cut")
    ax.set_xlabel("time (s)")
    return ax
