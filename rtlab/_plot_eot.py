"""The eot-bench picture: each detector's latency / false cut-off frontier and its budgets.

To be exposed as ``rtlab.plot.operating_points``. x is the mean end-of-turn latency in ms
(not seconds, unlike the timeline plots: it is a delay, as in eot-bench's report), y the
false cut-off rate in percent of hold spans. The 300 / 600 ms latency budgets are vertical
lines, the 5 / 10 % false cut-off budgets horizontal ones. Latencies here are never negative:
they run from the true silence start to the moment the detector decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rtlab._plot_style import FONTSIZE, PALETTE, axes_or_current, style_axes

_CYCLE = ("blue", "vermillion", "green", "orange", "purple", "sky_blue", "black", "yellow")


def operating_points(
    table: Any,
    *,
    latency_budgets_ms: Sequence[float] = (300.0, 600.0),
    cutoff_budgets: Sequence[float] = (0.05, 0.10),
    all_settings: bool = True,
    ax: Any = None,
    **kwargs: Any,
) -> Any:
    """Plot each detector's frontier (and, faintly, all its settings) with the budget lines.

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`rtlab.eot.benchmark` table (``detector``, ``latency_ms``,
        ``false_cutoff_rate``).
    latency_budgets_ms : sequence of float, default (300, 600)
    cutoff_budgets : sequence of float, default (0.05, 0.10)
    all_settings : bool, default True
        Also draw every setting as a faint dot.
    ax : matplotlib Axes, optional
        Default: the current Axes.
    **kwargs
        Passed to the frontier lines (``linewidth``, ``marker``, ``markersize``, ``alpha``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> t = pd.DataFrame({"detector": ["a", "a", "b"], "latency_ms": [250.0, 700.0, 900.0],
    ...                   "false_cutoff_rate": [0.3, 0.04, 0.2]})
    >>> ax = operating_points(t, ax=Figure().add_subplot())
    >>> ax.get_xlabel(), [line.get_label() for line in ax.get_lines()][:2]
    ('mean end-of-turn latency (ms)', ['a', 'b'])

    It returns the Axes: save it through its figure.

    >>> import pathlib, tempfile
    >>> ax.figure.savefig(pathlib.Path(tempfile.mkdtemp()) / "operating_points.png")
    """
    from rtlab.eot import frontier

    ax = axes_or_current(ax)
    kwargs.setdefault("linewidth", 1.8)
    kwargs.setdefault("marker", "o")
    kwargs.setdefault("markersize", 4)
    front = frontier(table)
    for index, (detector, rows) in enumerate(table.groupby("detector", sort=False)):
        color = PALETTE[_CYCLE[index % len(_CYCLE)]]
        line_kwargs = dict(kwargs)
        line_kwargs.setdefault("color", color)
        points = front[front["detector"] == detector]
        ax.plot(
            points["latency_ms"],
            100 * points["false_cutoff_rate"],
            drawstyle="steps-post" if len(points) > 1 else "default",
            label=str(detector),
            **line_kwargs,
        )
        if all_settings:
            ax.scatter(
                rows["latency_ms"],
                100 * rows["false_cutoff_rate"],
                s=6,
                color=line_kwargs["color"],
                alpha=0.15,
                linewidths=0,
            )
    for i, budget in enumerate(latency_budgets_ms):  # labels one under the other: no overlap
        ax.axvline(budget, color=PALETTE["faint"], linestyle="--", linewidth=0.9)
        ax.annotate(
            f"{budget:g} ms",
            (budget, 1.0 - 0.05 * i),
            xycoords=("data", "axes fraction"),
            xytext=(2, 0),
            textcoords="offset points",
            fontsize=FONTSIZE["small"],
            color=PALETTE["faint"],
            ha="left",
            va="top",
        )
    for budget in cutoff_budgets:
        ax.axhline(100 * budget, color=PALETTE["faint"], linestyle=":", linewidth=0.9)
        ax.annotate(
            f"{100 * budget:g} %",
            (1.0, 100 * budget),
            xycoords=("axes fraction", "data"),
            fontsize=FONTSIZE["small"],
            color=PALETTE["faint"],
            ha="right",
            va="bottom",
        )
    ax.set_xlabel("mean end-of-turn latency (ms)", fontsize=FONTSIZE["label"])
    ax.set_ylabel("false cut-offs (% of hold spans)", fontsize=FONTSIZE["label"])
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=FONTSIZE["legend"], frameon=False)
    style_axes(ax, grid=True)
    return ax
