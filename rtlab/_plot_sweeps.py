"""Sweep plots: heatmap of a metric over two parameters, Pareto front, latency/cut-off trade-off.

They take the tidy table of :func:`rtlab.sweep` (one row per configuration and clip) or
the per-configuration table of :func:`rtlab.summarize`; a sweep table is summarised first,
so rates are pooled over clips the same way everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab._plot_style import (
    FONTSIZE,
    PALETTE,
    SEQUENTIAL_CMAP,
    axes_or_current,
    style_axes,
)
from rtlab.errors import ConfigError
from rtlab.sweeps import LATENCY_BUDGET_MS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

#: Metric column → (readable name, unit). Used for axis and colour-bar labels.
METRIC_LABELS = {
    "precision": ("speech precision", "share of frames"),
    "recall": ("speech recall", "share of frames"),
    "f1": ("speech F1", "0–1"),
    "detection_error_rate": ("detection error rate", "share of speech time"),
    "false_cutoff_rate": ("false cut-off rate", "share of true turns"),
    "false_cutoffs": ("false cut-offs", "count"),
    "missed_turn_rate": ("missed turn rate", "share of true turns"),
    "missed_turns": ("missed turns", "count"),
    "false_turns": ("false turns", "count"),
    "n_true_turns": ("true turns", "count"),
    "n_detected_turns": ("detected turns", "count"),
    "latency_ms_median": ("end-of-turn latency, median", "ms"),
    "latency_ms_p90": ("end-of-turn latency, p90", "ms"),
    "onset_clipping_ms_mean": ("onset clipping, mean", "ms"),
    "onset_clipped_rate": ("onset clipped rate", "share of turns"),
    "time_to_commit_ms_median": ("time to commit, median", "ms"),
}

_SHORT = {
    "threshold": "thr",
    "silence_duration_ms": "silence",
    "prefix_padding_ms": "pad",
    "eagerness": "eagerness",
    "idle_timeout_ms": "idle",
    "type": "type",
}


def metric_label(name: str) -> str:
    """``"false_cutoff_rate"`` → ``"false cut-off rate (share of true turns)"``."""
    if name in METRIC_LABELS:
        text, unit = METRIC_LABELS[name]
        return f"{text} ({unit})"
    return name.replace("_", " ")


def param_label(column: str) -> str:
    """``"param_turn_detection.silence_duration_ms"`` → ``"silence duration (ms)"``."""
    leaf = column.removeprefix("param_").split(".")[-1]
    for suffix, unit in (("_ms", "ms"), ("_s", "s"), ("_hz", "Hz")):
        if leaf.endswith(suffix):
            return f"{leaf.removesuffix(suffix).replace('_', ' ')} ({unit})"
    return leaf.replace("_", " ")


def resolve_column(table: pd.DataFrame, name: str, *, field: str, owner: str) -> str:
    """The table column meant by ``name``: exact, ``param_<name>``, or a unique dotted suffix."""
    columns = [str(c) for c in table.columns]
    if name in columns:
        return name
    if f"param_{name}" in columns:
        return f"param_{name}"
    matches = [
        c
        for c in columns
        if c.startswith("param_") and c.removeprefix("param_").endswith("." + name)
    ]
    if len(matches) == 1:
        return matches[0]
    params = [c for c in columns if c.startswith("param_")]
    allowed = "one of " + ", ".join(repr(c) for c in params + list(METRIC_LABELS) if c in columns)
    if matches:
        allowed = f"one unambiguous column, not all of {matches}"
    raise ConfigError(field, name, allowed, owner=owner)


def _summary_columns(
    table: pd.DataFrame, x: str, y: str, *, owner: str
) -> tuple[pd.DataFrame, str, str]:
    """One row per configuration, and the columns ``x`` and ``y`` name in it."""
    from rtlab.sweeps import as_summary

    summary = as_summary(table, owner)
    xcol = resolve_column(summary, x, field="x", owner=owner)
    return summary, xcol, resolve_column(summary, y, field="y", owner=owner)


def _colourbar(ax, mappable, label: str) -> None:
    bar = ax.figure.colorbar(mappable, ax=ax)
    bar.set_label(label, fontsize=FONTSIZE["label"])
    bar.ax.tick_params(labelsize=FONTSIZE["tick"])


def _varying_params(table: pd.DataFrame) -> list[str]:
    return [
        c
        for c in table.columns
        if str(c).startswith("param_") and table[c].astype(str).nunique(dropna=False) > 1
    ]


def _fmt_value(value: Any) -> str:
    if isinstance(value, float | np.floating):
        number = float(value)
        if number.is_integer() and abs(number) >= 10:
            return f"{value:.0f}"
        return f"{value:g}"
    return str(value)


def _fmt_metric(value: float, metric: str) -> str:
    if not np.isfinite(value):
        return "–"
    if "_ms" in metric or abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


_METRIC_SHORT = {
    "latency_ms_median": "latency",
    "latency_ms_p90": "latency p90",
    "false_cutoff_rate": "cut-offs",
    "missed_turn_rate": "missed",
    "time_to_commit_ms_median": "time to commit",
}


def _metric_value_text(value: float, metric: str) -> str:
    """``(1000.0, "latency_ms_median")`` → ``"latency 1000 ms"``; rates as percentages."""
    name, unit = METRIC_LABELS.get(metric, (metric.replace("_", " "), ""))
    name = _METRIC_SHORT.get(metric, name)
    if unit == "ms":
        return f"{name} {_fmt_metric(value, metric)} ms"
    if unit.startswith("share") and np.isfinite(value):
        return f"{name} {value:.0%}"
    return f"{name} {_fmt_metric(value, metric)}"


def _config_text(row: pd.Series, params: Sequence[str]) -> str:
    parts = []
    for column in params:
        leaf = column.removeprefix("param_").split(".")[-1]
        parts.append(f"{_SHORT.get(leaf, leaf)} {_fmt_value(row[column])}")
    return ", ".join(parts)


def _default_rows(summary: pd.DataFrame) -> pd.DataFrame:
    if "is_default" not in summary.columns:
        return summary.iloc[0:0]
    return summary[summary["is_default"].fillna(False).astype(bool)]


def _note_fontsize(ax, n_columns: int, n_chars: int) -> float:
    """The small font size, shrunk (to 5 pt at least) so a note of ``n_chars`` fits a cell."""
    # the colour bar will take about a sixth of the axes' width
    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72.0 * 0.83
    fits = 0.92 * width_pt / max(n_columns, 1) / (0.6 * n_chars)
    return max(5.0, min(float(FONTSIZE["small"]), fits))


def _default_axes(summary: pd.DataFrame, x: str | None, y: str | None) -> tuple[str, str]:
    """``x`` and ``y`` as given, else the varied parameters (silence on x, threshold on y)."""
    if x is not None and y is not None:
        return x, y
    varied = _varying_params(summary)
    chosen = [resolve_column(summary, n, field="x/y", owner="sweep_heatmap") for n in (x, y) if n]
    preferred = ("silence_duration_ms", "threshold")
    order = [c for p in preferred for c in varied if c.endswith(p)]
    order += [c for c in varied if c not in order]
    free = [c for c in order if c not in chosen]
    if len(chosen) + len(free) < 2:
        raise ConfigError(
            "x/y", (x, y), "two parameters that vary in the sweep", owner="sweep_heatmap",
            fix=f"The table varies {len(varied)} parameter(s) ({', '.join(varied) or 'none'}); "
            "draw one with plot.tradeoff or plot.pareto_front instead.",
        )  # fmt: skip
    picked = iter(free)
    return (x if x is not None else next(picked)), (y if y is not None else next(picked))


def _averaged_over(summary: pd.DataFrame, xcol: str, ycol: str, agg: str) -> str:
    """``"mean over prefix_padding_ms 100–500"``: the other varied parameters of each cell."""
    parts = []
    for column in _varying_params(summary):
        if column in (xcol, ycol):
            continue
        values = summary[column].dropna().unique()
        leaf = column.removeprefix("param_").split(".")[-1]
        if len(values) > 2 and all(isinstance(v, int | float | np.number) for v in values):
            shown = f"{_fmt_value(min(values))}–{_fmt_value(max(values))}"
        else:
            shown = ", ".join(_fmt_value(v) for v in sorted(values, key=str))
        parts.append(f"{leaf} {shown}")
    return f"{agg} over {'; '.join(parts)}" if parts else ""


def sweep_heatmap(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    metric: str = "false_cutoff_rate",
    *,
    agg: str = "mean",
    annotate: bool = True,
    mark_default: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Draw a metric over a grid of two sweep parameters, one annotated cell per pair.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (:func:`rtlab.sweep`, summarised first so rates are pooled over
        clips) or a :func:`rtlab.summarize` table.
    x, y : str, optional
        Parameters for the columns and rows: a full column (``"param_turn_detection.threshold"``),
        the dotted path, or its last part (``"silence_duration_ms"``). Default: the
        parameters that vary in the sweep, the silence duration on x and the threshold on y
        when they do, else the first varied ones in column order.
    metric : str, default "false_cutoff_rate"
        Metric column, e.g. ``"false_cutoff_rate"`` or ``"latency_ms_median"``.
    agg : {"mean", "median", "min", "max"}, default "mean"
        How configurations sharing an (x, y) cell (other parameters varied) are combined;
        the title then says over what ("mean over prefix_padding_ms 100–500").
    annotate : bool, default True
        Write each cell's value in it (``–`` for a configuration that failed, NaN), and,
        when the table has ``missed_end_rate``, the share of turn ends the configuration
        never answered ("40% unended", the missed end rate): a cell can show no false
        cut-off only because its detector never ended those turns.
    mark_default : bool, default True
        Outline the cell of the API-default configuration (``is_default``), when present.
    ax : matplotlib Axes, optional
        Where to draw; default ``plt.gca()``.
    **kwargs
        Passed to ``imshow`` (default ``cmap="cividis"``, ``aspect="auto"``).

    Returns
    -------
    matplotlib.axes.Axes
        With a colour bar labelled with the metric and its unit.

    Raises
    ------
    ConfigError
        If a column is unknown or ambiguous, ``agg`` is not allowed, or ``x`` / ``y`` are
        not given and fewer than two parameters vary.

    Examples
    --------
    With no ``x``, ``y`` or ``metric``: the two varied parameters and the false cut-off rate.
    The plot is drawn on an Axes (here of a new Figure); save it through its figure:

    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from rtlab.plot import sweep_heatmap
    >>> table = pd.DataFrame({"config_id": range(4),
    ...     "param_turn_detection.threshold": [0.3, 0.3, 0.7, 0.7],
    ...     "param_turn_detection.silence_duration_ms": [200, 800, 200, 800],
    ...     "false_cutoff_rate": [0.4, 0.1, 0.3, 0.05]})
    >>> ax = sweep_heatmap(table, ax=Figure().add_subplot())
    >>> ax.get_xlabel(), ax.get_ylabel(), [t.get_text() for t in ax.texts]
    ('silence duration (ms)', 'threshold', ['0.40', '0.10', '0.30', '0.05'])
    >>> ax.figure.savefig(pathlib.Path(tempfile.mkdtemp()) / "heatmap.png")
    """
    if agg not in ("mean", "median", "min", "max"):
        raise ConfigError("agg", agg, "'mean', 'median', 'min' or 'max'", owner="sweep_heatmap")
    from rtlab.sweeps import as_summary

    x, y = _default_axes(as_summary(table, "sweep_heatmap"), x, y)
    summary, xcol, ycol = _summary_columns(table, x, y, owner="sweep_heatmap")
    mcol = resolve_column(summary, metric, field="metric", owner="sweep_heatmap")
    values = summary[[xcol, ycol]].copy()
    values["_metric"] = summary[mcol].astype(float)
    grid = (
        values.pivot_table(index=ycol, columns=xcol, values="_metric", aggfunc=agg, dropna=False)
        .sort_index()
        .sort_index(axis=1)
    )
    xs, ys = list(grid.columns), list(grid.index)
    data = grid.to_numpy(dtype=float)
    missed = None  # a metric can look perfect on turns whose end the detector never found
    if mcol != "missed_end_rate" and "missed_end_rate" in summary.columns:
        values["_missed"] = summary["missed_end_rate"].astype(float)
        missed = (
            values.pivot_table(
                index=ycol, columns=xcol, values="_missed", aggfunc=agg, dropna=False
            )
            .reindex(index=ys, columns=xs)
            .to_numpy(dtype=float)
        )
    ax = axes_or_current(ax)
    kwargs.setdefault("cmap", SEQUENTIAL_CMAP)
    kwargs.setdefault("aspect", "auto")
    kwargs.setdefault("origin", "lower")
    kwargs.setdefault("interpolation", "nearest")
    image = ax.imshow(np.ma.masked_invalid(data), **kwargs)
    ax.set_xticks(range(len(xs)), [_fmt_value(v) for v in xs], fontsize=FONTSIZE["tick"])
    ax.set_yticks(range(len(ys)), [_fmt_value(v) for v in ys], fontsize=FONTSIZE["tick"])
    ax.set_xlabel(param_label(xcol), fontsize=FONTSIZE["label"])
    ax.set_ylabel(param_label(ycol), fontsize=FONTSIZE["label"])
    ax.tick_params(length=0)
    if annotate:
        norm, cmap = image.norm, image.get_cmap()
        note_size = _note_fontsize(ax, len(xs), len("100% unended"))
        for i in range(len(ys)):
            for j in range(len(xs)):
                value = data[i, j]
                colour = "black"
                if np.isfinite(value):
                    r, g, b, _ = cmap(norm(value))
                    colour = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
                ax.text(
                    j,
                    i,
                    _fmt_metric(value, mcol),
                    ha="center",
                    va="center",
                    color=colour,
                    fontsize=FONTSIZE["annotation"],
                )
                if missed is not None and missed[i, j] > 0:
                    ax.text(
                        j,
                        i - 0.22,
                        f"{missed[i, j]:.0%} unended",
                        ha="center",
                        va="center",
                        color=colour,
                        fontsize=note_size,
                    )
    if mark_default:
        from matplotlib.patches import Rectangle

        for _, row in _default_rows(summary).iterrows():
            if row[xcol] in xs and row[ycol] in ys:
                j, i = xs.index(row[xcol]), ys.index(row[ycol])
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        fill=False,
                        edgecolor=PALETTE["vermillion"],
                        linewidth=2.5,
                        label="API default",
                    )
                )
                ax.text(
                    j,
                    i + 0.45,
                    "API default",
                    ha="center",
                    va="top",
                    fontsize=FONTSIZE["small"],
                    color=PALETTE["vermillion"],
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "linewidth": 0},
                )
    _colourbar(ax, image, metric_label(mcol))
    pooled = []
    if "n_clips" in summary.columns and len(summary):
        n_clips = int(summary["n_clips"].max())
        pooled.append(f"pooled over {n_clips} clip{'s' if n_clips != 1 else ''}")
    over = _averaged_over(summary, xcol, ycol, agg)
    if over:
        pooled.append(over)
    name = METRIC_LABELS.get(mcol, (mcol,))[0]
    ax.set_title(name, fontsize=FONTSIZE["title"], loc="left", pad=16 if pooled else 6)
    if pooled:  # a subtitle under the title: what each cell pools and averages over
        # an anchored box above the Axes' top-left corner: it belongs to the Axes (cleared
        # with it, counted in its layout) and stays out of ``ax.texts``, the cells' values
        from matplotlib.offsetbox import AnchoredText

        note = AnchoredText(
            "; ".join(pooled),
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            bbox_transform=ax.transAxes,
            frameon=False,
            pad=0.1,
            borderpad=0.0,
            prop={"fontsize": FONTSIZE["annotation"]},
        )
        note.set_label("_averaged over")
        ax.add_artist(note)
    return ax


def _front(summary: pd.DataFrame, xcol: str, ycol: str) -> pd.DataFrame:
    """Rows of ``summary`` not dominated on (x, y), both lower-is-better, sorted by x."""
    from rtlab.sweeps import pareto as pareto_rows

    front = pareto_rows(summary, x=xcol, y=ycol)
    return front.sort_values([xcol, ycol])


def pareto_front(
    table: pd.DataFrame,
    x: str = "latency_ms_median",
    y: str = "false_cutoff_rate",
    *,
    label_front: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Draw every configuration faintly and the Pareto front of (x, y) highlighted.

    Both metrics are lower-is-better. The front (from :func:`rtlab.pareto`) is joined by a
    line and, with ``label_front``, each of its points names the parameters that vary in
    the sweep; the API-default configuration (``is_default``) is a black star.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep or summarize table.
    x, y : str, default "latency_ms_median", "false_cutoff_rate"
        Metric columns for the axes.
    label_front : bool, default True
        Label front points with their parameters (at most 12 labels).
    ax : matplotlib Axes, optional
        Where to draw; default ``plt.gca()``.
    **kwargs
        Passed to the ``scatter`` of all configurations (default grey, ``alpha=0.35``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from rtlab.plot import pareto_front
    >>> table = pd.DataFrame({"config_id": range(4),
    ...     "param_turn_detection.silence_duration_ms": [200, 500, 800, 1200],
    ...     "latency_ms_median": [300.0, 600.0, 900.0, 800.0],
    ...     "false_cutoff_rate": [0.5, 0.2, 0.1, 0.3], "is_default": [False, True, False, False]})
    >>> ax = pareto_front(table, ax=Figure().add_subplot())
    >>> [line.get_label() for line in ax.get_lines()]
    ['Pareto front', 'API default']

    It returns the Axes: save it through its figure.

    >>> import pathlib, tempfile
    >>> ax.figure.savefig(pathlib.Path(tempfile.mkdtemp()) / "pareto.png")
    """
    summary, xcol, ycol = _summary_columns(table, x, y, owner="pareto_front")
    ax = axes_or_current(ax)
    kwargs.setdefault("color", PALETTE["faint"])
    kwargs.setdefault("alpha", 0.35)
    kwargs.setdefault("s", 25)
    kwargs.setdefault("edgecolors", "none")
    kwargs.setdefault("label", "all configurations")
    ax.scatter(summary[xcol], summary[ycol], **kwargs)
    front = _front(summary, xcol, ycol)
    ax.plot(
        front[xcol],
        front[ycol],
        color=PALETTE["front"],
        marker="o",
        markersize=6,
        linewidth=1.8,
        label="Pareto front",
        zorder=3,
    )
    params = _varying_params(summary)
    if label_front and 0 < len(front) <= 12 and params:
        for _, row in front.iterrows():
            ax.annotate(
                _config_text(row, params),
                (row[xcol], row[ycol]),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=FONTSIZE["small"],
                color=PALETTE["black"],
            )
    _mark_default(ax, summary, xcol, ycol)
    _label_metric_axes(ax, xcol, ycol, summary[xcol])
    ax.set_title("Pareto front", fontsize=FONTSIZE["title"], loc="left")
    ax.legend(fontsize=FONTSIZE["legend"], frameon=False)
    return ax


def _mark_default(ax, summary: pd.DataFrame, xcol: str, ycol: str) -> None:
    default = _default_rows(summary)
    if len(default):
        ax.plot(
            default[xcol],
            default[ycol],
            linestyle="none",
            marker="*",
            markersize=16,
            color=PALETTE["default"],
            markeredgecolor="white",
            label="API default",
            zorder=4,
        )


#: Why an end-of-turn latency can be below zero, said wherever one is drawn.
NEGATIVE_LATENCY_NOTE = "below 0: stopped within the 200 ms tolerance before the annotated end"


def _label_metric_axes(ax, xcol: str, ycol: str, xs: Any = None) -> None:
    label = metric_label(xcol)
    if xs is not None and xcol.startswith("latency") and bool((np.asarray(xs) < 0).any()):
        label += "\n" + NEGATIVE_LATENCY_NOTE
    ax.set_xlabel(label, fontsize=FONTSIZE["label"])
    ax.set_ylabel(metric_label(ycol), fontsize=FONTSIZE["label"])
    style_axes(ax, grid=True)


def _session_value(session, column: str) -> Any:
    path = column.removeprefix("param_").split(".")
    try:
        return functools.reduce(getattr, path, session)
    except AttributeError:
        return None


def _recommended_row(summary: pd.DataFrame, recommended) -> pd.Series | None:
    params = [c for c in summary.columns if str(c).startswith("param_")]
    if isinstance(recommended, str | int | np.integer) and "config_id" in summary.columns:
        rows = summary[summary["config_id"] == recommended]
        return rows.iloc[0] if len(rows) else None
    for _, row in summary.iterrows():
        same = True
        for column in params:
            value = _session_value(recommended, column)
            cell = row[column]
            if isinstance(cell, float | np.floating) and isinstance(value, int | float):
                same = bool(np.isclose(float(cell), float(value)))
            else:
                same = str(cell) == str(value)
            if not same:
                break
        if same:
            return row
    return None


def tradeoff(
    table: pd.DataFrame,
    *,
    x: str = "latency_ms_median",
    y: str = "false_cutoff_rate",
    color_by: str | None = None,
    recommended=None,
    max_latency_ms: float | None = LATENCY_BUDGET_MS,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Draw end-of-turn latency against false cut-offs for every configuration.

    Each configuration is a point coloured by one parameter (default: the silence
    duration when it varies, else the first varying parameter); the API default is a
    black star and the recommended configuration is circled and annotated with its
    parameters and numbers. With ``max_latency_ms`` the latency budget is a dashed line.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep or summarize table.
    x, y : str, default "latency_ms_median", "false_cutoff_rate"
        Metric columns for the axes.
    color_by : str, optional
        Parameter to colour by (short names accepted).
    recommended : str, int, Session, or False, optional
        The configuration to annotate: a ``config_id``, a :class:`~rtlab.Session` (matched on
        the ``param_*`` columns), False for none. Default: :func:`rtlab.recommend` of the
        table within ``max_latency_ms`` (a note instead when no configuration fits).
    max_latency_ms : float or None, default :data:`rtlab.sweeps.LATENCY_BUDGET_MS` (1000)
        Latency budget in ms (median end-of-turn latency), drawn as a dashed line and used
        to pick the default recommendation; None draws no budget and recommends nothing
        unless ``recommended`` is given.
    ax : matplotlib Axes, optional
        Where to draw; default ``plt.gca()``.
    **kwargs
        Passed to ``scatter`` (default ``cmap="cividis"``, ``s=40``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from rtlab.plot import tradeoff
    >>> table = pd.DataFrame({"config_id": ["a", "b", "c"],
    ...     "param_turn_detection.silence_duration_ms": [200, 500, 900],
    ...     "latency_ms_median": [300.0, 600.0, 1000.0],
    ...     "false_cutoff_rate": [0.5, 0.2, 0.05], "is_default": [False, True, False]})
    >>> ax = tradeoff(table, recommended="c", ax=Figure().add_subplot())
    >>> ax.texts[0].get_text().splitlines()[:2]
    ['recommended', 'silence 900']

    It returns the Axes, not a Figure: save it through its figure.

    >>> import pathlib, tempfile
    >>> ax.figure.savefig(pathlib.Path(tempfile.mkdtemp()) / "tradeoff.png")
    """
    summary, xcol, ycol = _summary_columns(table, x, y, owner="tradeoff")
    params = _varying_params(summary)
    ccol: str | None
    if color_by is not None:
        ccol = resolve_column(summary, color_by, field="color_by", owner="tradeoff")
    else:
        silence = [c for c in params if c.endswith("silence_duration_ms")]
        ccol = silence[0] if silence else (params[0] if params else None)
    ax = axes_or_current(ax)
    kwargs.setdefault("s", 40)
    kwargs.setdefault("edgecolors", "none")
    kwargs.setdefault("alpha", 0.85)
    kwargs.setdefault("label", "configurations")
    if ccol is not None and np.issubdtype(summary[ccol].dtype, np.number):
        kwargs.setdefault("cmap", SEQUENTIAL_CMAP)
        points = ax.scatter(summary[xcol], summary[ycol], c=summary[ccol].astype(float), **kwargs)
        _colourbar(ax, points, param_label(ccol))
    else:
        kwargs.setdefault("color", PALETTE["blue"])
        ax.scatter(summary[xcol], summary[ycol], **kwargs)
    _mark_default(ax, summary, xcol, ycol)
    if max_latency_ms is not None:
        ax.axvline(
            max_latency_ms,
            color=PALETTE["grey"],
            linestyle="--",
            linewidth=1.2,
            label=f"latency budget {max_latency_ms:g} ms",
        )
    if recommended is None and max_latency_ms is not None:
        within = summary[xcol] <= max_latency_ms if xcol == "latency_ms_median" else None
        if within is not None and not within.any():
            ax.text(
                0.02,
                0.02,
                f"no configuration within {max_latency_ms:g} ms",
                transform=ax.transAxes,
                fontsize=FONTSIZE["annotation"],
                label="_no recommendation",
            )
            recommended = False
        else:
            from rtlab.sweeps import recommend

            recommended = recommend(table, max_latency_ms=max_latency_ms)
    row = (
        None
        if recommended is None or recommended is False
        else _recommended_row(summary, recommended)
    )
    if row is not None:
        ax.plot(
            [row[xcol]],
            [row[ycol]],
            linestyle="none",
            marker="o",
            markersize=16,
            markerfacecolor="none",
            markeredgecolor=PALETTE["recommended"],
            markeredgewidth=2.5,
            label="recommended",
            zorder=5,
        )
        text = f"recommended\n{_config_text(row, params)}\n" if params else "recommended\n"
        text += f"{_metric_value_text(row[xcol], xcol)} · {_metric_value_text(row[ycol], ycol)}"
        # put the note towards the middle of the axes so it stays inside them
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        fx = (row[xcol] - x0) / ((x1 - x0) or 1.0)
        high = (row[ycol] - y0) / ((y1 - y0) or 1.0) > 0.6
        ha = "right" if fx > 0.7 else ("left" if fx < 0.3 else "center")
        ax.annotate(
            text,
            (row[xcol], row[ycol]),
            xytext=({"right": -20, "left": 20, "center": 0}[ha], -36 if high else 36),
            textcoords="offset points",
            ha=ha,
            va="top" if high else "bottom",
            multialignment="left",
            fontsize=FONTSIZE["annotation"],
            color=PALETTE["black"],
            arrowprops={"arrowstyle": "->", "color": PALETTE["recommended"]},
            bbox={
                "boxstyle": "round,pad=0.3",
                "facecolor": "white",
                "edgecolor": PALETTE["recommended"],
            },
        )
    _label_metric_axes(ax, xcol, ycol, summary[xcol])
    ax.set_title("latency against cut-offs", fontsize=FONTSIZE["title"], loc="left")
    ax.legend(fontsize=FONTSIZE["legend"], frameon=False, loc="upper right")
    return ax
