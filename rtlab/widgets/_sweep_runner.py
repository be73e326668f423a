"""``SweepRunner``: choose parameters and ranges, sweep, see heatmap and Pareto, tune a row."""

from __future__ import annotations

import html
import math
import time
import warnings
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from rtlab.errors import ConfigError, RtlabError
from rtlab.session import Session
from rtlab.sweeps import LATENCY_BUDGET_MS
from rtlab.widgets._common import error_label, figure_png, note_html, parse_text, row, show_error

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["SweepRunner", "parse_values"]

#: Parameters offered, with the values checked and filled in at start.
_PARAMETERS = (
    ("threshold", True, "0.3, 0.4, 0.5, 0.6, 0.7"),
    ("silence_duration_ms", True, "200, 300, 500, 700, 1000, 1500"),
    ("prefix_padding_ms", False, "100, 300, 500"),
    ("eagerness", False, "low, medium, high"),
)
_METRICS = (
    "false_cutoff_rate",
    "latency_ms_median",
    "latency_ms_p90",
    "missed_turn_rate",
    "false_turns",
    "onset_clipping_ms_mean",
    "f1",
    "detection_error_rate",
)
_STYLE = {"description_width": "150px"}
_AXIS = {"description_width": "52px"}
_MAX_PARETO_LABELS = 8


def parse_values(text: str, *, field: str = "values") -> list[Any]:
    """Read a list of sweep values: ``"0.3, 0.5, 0.7"`` or ``"200:1200:100"`` (stop included).

    Parameters
    ----------
    text : str
        Comma-separated values (numbers or words), or ``start:stop:step`` with numbers.
    field : str
        The parameter, for the error message.

    Returns
    -------
    list
        Numbers as ``int`` when whole in the text, else ``float``; words as ``str``.

    Raises
    ------
    ConfigError
        Empty text, a malformed range, or a step that is not positive.

    Examples
    --------
    >>> parse_values("0.3, 0.5,0.7")
    [0.3, 0.5, 0.7]
    >>> parse_values("200:800:200")
    [200, 400, 600, 800]
    >>> parse_values("low, high")
    ['low', 'high']
    """
    allowed = "comma-separated values (0.3, 0.5) or start:stop:step (200:1200:100)"
    text = text.strip()
    if ":" in text:
        parts = [parse_text(p) for p in text.split(":")]
        if len(parts) != 3 or not all(
            isinstance(p, int | float) and math.isfinite(p) for p in parts
        ):
            raise ConfigError(field, text, allowed + " with finite numbers", owner="SweepRunner")
        start, stop, step = parts
        if step <= 0 or stop < start:
            raise ConfigError(
                field, text, allowed + " with step > 0 and start <= stop", owner="SweepRunner"
            )
        span = (stop - start) / step + 1e-9
        if not span < 1000:
            raise ConfigError(field, text, "at most 1000 values", owner="SweepRunner")
        count = math.floor(span) + 1
        values = [start + i * step for i in range(count)]
        if all(isinstance(p, int) for p in parts):
            return [int(v) for v in values]
        return [round(float(v), 10) for v in values]
    items = [parse_text(item) for item in text.split(",")]
    from rtlab.widgets._common import UNSET

    if not items or any(item is UNSET for item in items):
        raise ConfigError(field, text, allowed, owner="SweepRunner")
    return items


def _config_label(row_: Any, params: list[str]) -> str:
    def value(column: str) -> str:
        v = row_[column]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return f"{column.rsplit('.', 1)[-1]}={v}"

    shown = [
        value(c)
        for c in params
        if row_[c] is not None and not (isinstance(row_[c], float) and math.isnan(row_[c]))
    ]
    latency = row_.get("latency_ms_median", math.nan)
    rate = row_.get("false_cutoff_rate", math.nan)
    numbers = (
        f"latency {latency:.0f} ms, cut-offs {rate:.0%}"
        if not (math.isnan(latency) or math.isnan(rate))
        else ""
    )
    return f"#{int(row_['config_id'])}: {', '.join(shown)} → {numbers}"


def _resolve_clips(clips: Any) -> list[Any]:
    from rtlab import datasets

    if isinstance(clips, str | datasets.Clip):
        clips = [clips]
    out = []
    for item in clips:
        if isinstance(item, str):
            if any(ch in item for ch in "*?["):
                out.extend(datasets.load_all(item))
            else:
                out.append(datasets.load(item))
        elif isinstance(item, datasets.Clip):
            out.append(item)
        else:
            raise ConfigError(
                "clips", item, "rtlab Clips or names of shipped clips", owner="SweepRunner"
            )
    if not out:
        raise ConfigError("clips", clips, "at least one clip", owner="SweepRunner")
    return out


class SweepRunner(w.VBox):
    """Choose turn-detection parameters and ranges, run :func:`rtlab.sweep`, pick a result.

    Tick the parameters to sweep and type their values (``0.3, 0.5, 0.7`` or
    ``200:1200:100``); the size of the grid and any value the session rejects are shown as
    you type. **Run** sweeps every configuration over every clip (progress bar), then shows
    the heatmap of a metric over two parameters (:func:`rtlab.plot.sweep_heatmap`), the
    Pareto front of latency against false cut-offs (:func:`rtlab.plot.pareto_front`), the
    recommended configuration within a latency budget (:func:`rtlab.recommend`) and the
    front's rows; **Load into Tuner** opens the chosen row in a :class:`Tuner` on the
    chosen clip (or updates the linked one).

    Parameters
    ----------
    clips : Clip, str or list of them
        The clips (shipped clips by name; a name with ``*`` is a pattern, e.g.
        ``"ami-debug/*"``).
    base : Session, optional
        The session every configuration starts from (default ``Session()``).
    tuner : Tuner, optional
        A Tuner to load rows into (default: one is made on first load).
    options : EmulatorOptions, optional
        Passed to :func:`rtlab.sweep` and to the Tuner.
    progress : bool, default True
        Show the sweep's progress bar.

    Attributes
    ----------
    table, summary : pandas.DataFrame or None
        The last sweep (:func:`rtlab.sweep`) and its :func:`rtlab.summarize`.
    grid : list of dict
        The grid the controls describe now.
    tuner : Tuner or None
        The linked Tuner.
    use_threshold, threshold_values, use_silence_duration_ms, silence_duration_ms_values, \
use_prefix_padding_ms, prefix_padding_ms_values, use_eagerness, eagerness_values : \
ipywidgets.Widget
        The parameter controls.
    run_button, x, y, metric, max_latency_ms, rows, clip, load_button : ipywidgets.Widget
        The other controls.
    size, status, progress, heatmap, pareto, recommendation : ipywidgets.Widget
        What is shown. The heatmap's axis dropdowns show short parameter names
        (``silence_duration_ms``, from :func:`rtlab.sweeps.short_labels`); their values are
        the table's columns.
    pareto_labels : list of matplotlib.text.Annotation
        The numbers (``#12``, as in ``rows``) on the Pareto front's points: at most eight,
        none covering another.
    error_labels : dict of str to ipywidgets.HTML
        The error label of each parameter's values.

    Examples
    --------
    >>> from rtlab.widgets import SweepRunner
    >>> runner = SweepRunner(["ami-debug/trn04", "ami-debug/trn05"], progress=False)
    >>> runner.threshold_values.value = "0.4, 0.6"
    >>> runner.silence_duration_ms_values.value = "300:900:300"
    >>> runner.grid
    [{'threshold': [0.4, 0.6], 'silence_duration_ms': [300, 600, 900]}]
    >>> table = runner.run()
    >>> len(table), len(runner.summary)
    (12, 6)
    >>> tuner = runner.load(int(runner.rows.value))
    >>> tuner.value == runner.session_for(int(runner.rows.value))
    True
    """

    def __init__(
        self,
        clips: Any,
        *,
        base: Session | None = None,
        tuner: Any = None,
        options: Any = None,
        progress: bool = True,
        **kwargs: Any,
    ) -> None:
        self.clips = _resolve_clips(clips)
        self.base = Session() if base is None else base
        if not isinstance(self.base, Session):
            raise ConfigError("base", base, "an rtlab.Session or None", owner="SweepRunner")
        self.options = options
        self.tuner = tuner
        self.show_progress = progress
        self.pareto_labels: list[Any] = []  # the front's numbers drawn on the Pareto plot
        self.table: pd.DataFrame | None = None  # the last sweep's table, and its summary
        self.summary: pd.DataFrame | None = None
        self.grid: list[dict[str, list[Any]]] = []
        self.errors: dict[str, str] = {}

        self.error_labels: dict[str, w.HTML] = {}
        param_rows = []
        for name, checked, values in _PARAMETERS:
            use = w.Checkbox(
                value=checked, description=name, indent=False, layout=w.Layout(width="190px")
            )
            text = w.Text(value=values, layout=w.Layout(width="300px"))
            setattr(self, f"use_{name}", use)
            setattr(self, f"{name}_values", text)
            self.error_labels[name] = error_label()
            param_rows.append(row(w.HBox([use, text]), self.error_labels[name]))
            use.observe(self._on_grid, names="value")
            text.observe(self._on_grid, names="value")
        self.size = w.HTML()
        self.run_button = w.Button(description="Run sweep", icon="play", button_style="primary")
        self.status = w.HTML()
        self.progress = w.Output()
        # the axes offer short names ("silence_duration_ms"); their values are the columns
        axis = {"style": _AXIS, "layout": w.Layout(width="240px")}
        self.x = w.Dropdown(description="x axis", tooltip="the heatmap's x axis", **axis)
        self.y = w.Dropdown(description="y axis", tooltip="the heatmap's y axis", **axis)
        self.metric = w.Dropdown(
            options=list(_METRICS), value="false_cutoff_rate", description="metric", **axis
        )
        # heatmap and Pareto front side by side at any width
        picture = {"width": "auto", "height": "auto"}
        self.heatmap = w.Image(format="png", layout=w.Layout(**picture, max_width="57%"))
        self.pareto = w.Image(
            format="png",
            layout=w.Layout(**picture, max_width="calc(43% - 8px)", margin="0 0 0 8px"),
        )
        self.max_latency_ms = w.IntText(
            value=int(LATENCY_BUDGET_MS), step=100, description="latency budget (ms)", style=_STYLE
        )
        self.recommendation = w.HTML()
        self.rows = w.Select(
            description="Pareto rows",
            rows=7,
            style=_STYLE,
            layout=w.Layout(width="calc(100% - 8px)", max_width="760px"),
        )
        self.clip = w.Dropdown(
            options=[c.name for c in self.clips], description="tune on", style=_STYLE
        )
        if tuner is not None and getattr(tuner, "name", None) in self.clip.options:
            self.clip.value = tuner.name
        self.load_button = w.Button(description="Load into Tuner", icon="sliders", disabled=True)
        self.tuner_box = w.VBox([tuner] if tuner is not None else [])

        self.run_button.on_click(lambda _b: self._on_run())
        self.load_button.on_click(lambda _b: self._on_load())
        for control in (self.x, self.y, self.metric):
            control.observe(lambda _c: self._draw(), names="value")
        self.max_latency_ms.observe(lambda _c: self._recommend(), names="value")

        for widget, name in (
            (self.x, "rtlab-x"),
            (self.y, "rtlab-y"),
            (self.metric, "rtlab-metric"),
            (self.heatmap, "rtlab-heatmap"),
            (self.pareto, "rtlab-pareto"),
            (self.rows, "rtlab-rows"),
        ):
            widget.add_class(name)
        self._results = w.VBox(
            [
                w.HBox([self.x, self.y, self.metric], layout=w.Layout(flex_flow="row wrap")),
                w.HBox(
                    [self.heatmap, self.pareto],
                    layout=w.Layout(flex_flow="row nowrap", align_items="flex-start"),
                ),
                w.HBox(
                    [self.max_latency_ms, self.recommendation],
                    layout=w.Layout(flex_flow="row wrap", align_items="center"),
                ),
                self.rows,
                w.HBox([self.clip, self.load_button]),
            ],
            layout=w.Layout(display="none"),
        )
        self._results.add_class("rtlab-results")
        names = ", ".join(c.name for c in self.clips[:6]) + (" …" if len(self.clips) > 6 else "")
        super().__init__(
            [
                w.HTML(
                    f"<b>Parameter sweep</b> over {len(self.clips)} clip(s): {html.escape(names)}"
                ),
                *param_rows,
                self.size,
                w.HBox([self.run_button, self.status], layout=w.Layout(align_items="center")),
                self.progress,
                self._results,
                self.tuner_box,
            ],
            **kwargs,
        )
        self.add_class("rtlab-sweep-runner")
        self._on_grid()

    def __repr__(self) -> str:
        return f"SweepRunner({len(self.clips)} clips, grid={self.grid!r})"

    # ------------------------------------------------------------------------------ public

    def run(self):
        """Run the sweep the controls describe (what the Run button does); return the table.

        Raises
        ------
        ConfigError
            When a parameter's values are invalid (also shown next to it).
        """
        import rtlab

        self._on_grid()
        if self.errors:
            first = next(iter(self.errors.values()))
            raise ConfigError(message=f"Fix the sweep values first: {first}")
        started = time.perf_counter()
        self.progress.outputs = ()
        self.run_button.disabled = True
        try:
            with warnings.catch_warnings(record=True) as caught, self.progress:
                warnings.simplefilter("always")
                table = rtlab.sweep(
                    self.clips,
                    self.grid,
                    base=self.base,
                    options=self.options,
                    progress=self.show_progress,
                )
        finally:
            self.run_button.disabled = False
        self.table = table
        self.summary = summary = rtlab.summarize(table)
        notes = [
            f"{len(summary)} configurations × {len(self.clips)} clips in "
            f"{time.perf_counter() - started:.1f} s"
        ]
        notes += [str(item.message) for item in caught]
        self.status.value = "<br>".join(note_html(n) for n in notes)
        params = _varying(summary)
        from rtlab.sweeps import short_labels

        labels = list(short_labels(summary[params]).columns)
        self.x.options = list(zip(labels, params, strict=True))
        self.y.options = list(zip(labels, params, strict=True))
        if params:
            silence = [p for p in params if p.endswith("silence_duration_ms")]
            self.x.value = silence[0] if silence else params[0]
            others = [p for p in params if p != self.x.value]
            # threshold before the rest: prefix padding does not move turn ends
            others.sort(key=lambda p: not p.endswith("threshold"))
            self.y.value = others[0] if others else params[0]
        self._results.layout.display = ""
        self._draw()
        self._recommend()
        return table

    def session_for(self, config_id: int) -> Session:
        """The session of one configuration of the last sweep."""
        from rtlab.sweeps import session_for

        if self.table is None:
            raise ConfigError(
                "config_id", config_id, "a row of a sweep: press Run first", owner="SweepRunner"
            )
        return session_for(self.table, config_id, base=self.base)

    def load(self, config_id: int | None = None):
        """Open a configuration in the Tuner (what Load into Tuner does) and return the Tuner.

        Parameters
        ----------
        config_id : int, optional
            Default: the row selected in ``rows``.
        """
        from rtlab.widgets._tuner import Tuner

        if config_id is None:
            config_id = self.rows.value
        session = self.session_for(int(config_id))
        name = self.clip.value
        if self.tuner is not None and getattr(self.tuner, "name", None) == name:
            self.tuner.value = session
        else:
            clip = next(c for c in self.clips if c.name == name)
            self.tuner = Tuner(clip, session, options=self.options)
            self.tuner_box.children = [self.tuner]
        return self.tuner

    # ---------------------------------------------------------------------------- internals

    def _on_run(self) -> None:
        try:
            self.run()
        except RtlabError as exc:
            show_error(self.status, exc)

    def _on_load(self) -> None:
        try:
            self.load()
        except RtlabError as exc:
            show_error(self.status, exc)

    def _on_grid(self, change: Any = None) -> None:
        """Read the controls into ``grid``; check every value against the base session."""
        from rtlab.sweeps import ALIASES, ParameterGrid

        errors: dict[str, str] = {}
        server: dict[str, list[Any]] = {}
        semantic: dict[str, list[Any]] = {}
        for name, _checked, _values in _PARAMETERS:
            if not getattr(self, f"use_{name}").value:
                continue
            try:
                values = parse_values(getattr(self, f"{name}_values").value, field=name)
                kind = "semantic_vad" if name == "eagerness" else "server_vad"
                for value in values:
                    self.base.replace(**{"turn_detection.type": kind, ALIASES[name]: value})
            except RtlabError as exc:
                errors[name] = str(exc)
                continue
            (semantic if name == "eagerness" else server)[name] = values
        grid: list[dict[str, list[Any]]] = []
        if semantic:
            if server:
                grid.append({"type": ["server_vad"], **server})
            grid.append({"type": ["semantic_vad"], **semantic})
        elif server:
            grid.append(server)
        self.errors = errors
        for name, label in self.error_labels.items():
            show_error(label, errors.get(name))
        self.grid = grid
        if not grid:
            self.size.value = note_html("Tick at least one parameter.")
            self.run_button.disabled = True
            return
        n = len(ParameterGrid(grid))
        self.run_button.disabled = bool(errors)
        text = f"{n} configurations × {len(self.clips)} clips = {n * len(self.clips)} runs"
        if semantic:
            text += " (semantic_vad runs the turn-end model: slower)"
        self.size.value = note_html(text)

    def _draw(self) -> None:
        if self.summary is None:
            return
        from matplotlib.figure import Figure

        from rtlab import plot

        fig = Figure(figsize=(7.0, 4.2), dpi=80, layout="constrained")
        ax = fig.add_subplot()
        try:
            x, y = self.x.value, self.y.value
            if x and y and x != y:
                plot.sweep_heatmap(self.summary, x=x, y=y, metric=self.metric.value, ax=ax)
            else:
                plot.tradeoff(self.summary, ax=ax)
        except RtlabError as exc:
            show_error(self.status, exc)
            return
        self.heatmap.value = figure_png(fig)
        fig = Figure(figsize=(5.2, 4.2), dpi=80, layout="constrained")
        ax = plot.pareto_front(self.summary, label_front=False, ax=fig.add_subplot())
        self.pareto_labels = _label_front(ax, self.summary)
        self.pareto.value = figure_png(fig)

    def _recommend(self) -> None:
        import rtlab
        from rtlab.sweeps import recommended_id

        if self.summary is None:
            return
        front = rtlab.pareto(self.summary)
        params = [c for c in self.summary.columns if c.startswith("param_")]
        options = [(_config_label(r, params), int(r["config_id"])) for _, r in front.iterrows()]
        best_id = None
        try:
            best_id = recommended_id(self.summary, max_latency_ms=self.max_latency_ms.value)
        except RtlabError as exc:
            show_error(self.recommendation, exc)
        else:
            chosen = self.summary[self.summary["config_id"] == best_id]
            label = _config_label(chosen.iloc[0], params)
            self.recommendation.value = (
                f"<b>Recommended</b> within {self.max_latency_ms.value} ms: "
                f"<code>{html.escape(label)}</code>"
            )
            if best_id not in [v for _, v in options]:
                options.append((label, best_id))
        options = [(("★ " if v == best_id else "") + text, v) for text, v in options]
        self.rows.options = options
        if options:
            self.rows.value = best_id if best_id is not None else options[0][1]
        self.load_button.disabled = not options


def _label_front(ax: Any, summary: pd.DataFrame) -> list[Any]:
    """Number the Pareto front's points ("#12", as in the rows list) without overlaps.

    Configurations at the same point share one label (``#19 +2``: #19 and two more).
    Labels alternate above and below the line; at most ``_MAX_PARETO_LABELS`` are drawn,
    spread over the front (both ends included), and a label that would cover one already
    placed is left out. Returns the labels drawn.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import rtlab

    xy = ["latency_ms_median", "false_cutoff_rate"]
    front = rtlab.pareto(summary).dropna(subset=xy).sort_values([*xy, "config_id"])
    if front.empty:
        return []
    # configurations at the same point share one label: "#19 +2"
    more = front.groupby(xy)["config_id"].transform("size") - 1
    front = front.assign(_more=more).drop_duplicates(subset=xy)
    order = list(range(len(front)))
    if len(order) > _MAX_PARETO_LABELS:  # spread over the front: both ends, then between
        step = (len(order) - 1) / (_MAX_PARETO_LABELS - 1)
        order = sorted({round(i * step) for i in range(_MAX_PARETO_LABELS)})
    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    ax.figure.draw_without_rendering()  # settle the layout before measuring
    kept: list[Any] = []
    boxes: list[Any] = []
    for n, i in enumerate(order):
        row_ = front.iloc[i]
        above = n % 2 == 0
        more = int(row_["_more"])
        text = ax.annotate(
            f"#{int(row_['config_id'])}" + (f" +{more}" if more else ""),
            (row_["latency_ms_median"], row_["false_cutoff_rate"]),
            xytext=(5, 5) if above else (5, -11),
            textcoords="offset points",
            fontsize=8,
            color="#333",
        )
        box = text.get_window_extent(renderer).expanded(1.1, 1.2)
        if any(box.overlaps(other) for other in boxes):
            text.remove()
            continue
        boxes.append(box)
        kept.append(text)
    return kept


def _varying(summary: pd.DataFrame) -> list[str]:
    """The ``param_*`` columns of a summary that take more than one value (but the type)."""
    params = [c for c in summary.columns if c.startswith("param_")]
    return [
        c
        for c in params
        if c != "param_turn_detection.type" and summary[c].nunique(dropna=True) > 1
    ]
