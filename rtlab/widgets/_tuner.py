"""``Tuner``: sliders for turn detection on one clip, with the timeline and metrics following."""

from __future__ import annotations

import html
import math
import os
import time
from typing import Any

import ipywidgets as w
import traitlets

from rtlab.errors import ConfigError, RtlabError
from rtlab.session import SemanticVad, ServerVad, Session, limits
from rtlab.widgets._common import field_values, figure_png, note_html, show_error
from rtlab.widgets._timeline import LiveTimeline, describe

__all__ = ["Tuner"]

#: Metrics shown in the table: (metric name, label, how to format).
_SHOWN = (
    ("false_cutoffs", "false cut-offs", "count"),
    ("false_cutoff_rate", "false cut-off rate (of true turns)", "rate"),
    ("missed_turns", "missed turns", "count"),
    ("missed_ends", "missed turn ends", "count"),
    ("false_turns", "false turns (no speech)", "count"),
    ("n_detected_turns", "detected turns", "count"),
    ("n_true_turns", "true turns", "count"),
    ("latency_ms_median", "end-of-turn latency, median (ms)", "ms"),
    ("latency_ms_p90", "end-of-turn latency, p90 (ms)", "ms"),
    ("onset_clipping_ms_mean", "onset clipping, mean (ms)", "ms"),
    ("f1", "speech frame F1", "ratio"),
)
_LOWER_IS_BETTER = {
    "missed_ends",
    "self_interruptions",
    "false_barge_ins",
    "missed_barge_ins",
    "response_latency_ms_median",
    "false_cutoffs",
    "false_cutoff_rate",
    "missed_turns",
    "false_turns",
    "latency_ms_median",
    "latency_ms_p90",
    "onset_clipping_ms_mean",
}
_SLIDER = {"description_width": "140px"}
_CELL = "padding:0 6px;line-height:1.35"


def _fmt(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "count":
        return f"{int(value)}"
    if kind == "rate":
        return f"{value:.0%}"
    if kind == "ms":
        return f"{value:.0f}"
    return f"{value:.2f}"


#: With an agent (full duplex): what the agent's half of the conversation did.
_DUPLEX_SHOWN = (
    ("self_interruptions", "self-interruptions", "count"),
    ("false_barge_ins", "false barge-ins", "count"),
    ("missed_barge_ins", "missed barge-ins", "count"),
    ("response_latency_ms_median", "response latency (ms)", "ms"),
)


def _metrics_html(now, start) -> str:
    """A small table: each metric now and for the session the Tuner started with."""
    head = (
        f"<tr><th style='text-align:left;{_CELL}'>metric</th>"
        f"<th style='text-align:right;{_CELL}'>now</th>"
        f"<th style='text-align:right;{_CELL}'>start</th></tr>"
    )
    body = []
    shown = _SHOWN + tuple(m for m in _DUPLEX_SHOWN if m[0] in now.index)
    for name, label, kind in shown:
        a, b = float(now[name]), float(start[name])
        colour = ""
        if name in _LOWER_IS_BETTER and not (math.isnan(a) or math.isnan(b)) and a != b:
            colour = "color:#007a3d;" if a < b else "color:#b00020;"
        body.append(
            f"<tr data-metric='{name}'>"
            f"<td style='text-align:left;{_CELL}'>{html.escape(label)}</td>"
            "<td class='rtlab-now' "
            f"style='text-align:right;{_CELL};font-weight:bold;{colour}'>"
            f"{_fmt(a, kind)}</td>"
            f"<td style='text-align:right;{_CELL};color:#666'>{_fmt(b, kind)}</td></tr>"
        )
    return (
        "<table class='rtlab-metrics' style='border-collapse:collapse;font-size:0.88em;"
        "margin:0'>"
        f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
    )


def _resolve_clip(clip_or_audio: Any, truth: Any) -> tuple[Any, Any, str]:
    """(audio, truth, name) from a Clip, a shipped clip's name or an Audio."""
    from rtlab import datasets
    from rtlab.audio import Audio

    if isinstance(clip_or_audio, str):
        clip_or_audio = datasets.load(clip_or_audio)
    if isinstance(clip_or_audio, datasets.Clip):
        return (
            clip_or_audio.audio,
            truth if truth is not None else clip_or_audio.truth,
            clip_or_audio.name,
        )
    if isinstance(clip_or_audio, Audio):
        return clip_or_audio, truth, os.path.basename(str(clip_or_audio.source or ""))
    raise ConfigError(
        "clip_or_audio",
        clip_or_audio,
        "an rtlab Clip, the name of a shipped clip, or an Audio",
        owner="Tuner",
    )


class Tuner(w.VBox):
    """Sliders for turn detection on one clip; the timeline and the metrics follow every change.

    The clip is scored once (:func:`rtlab.vad.score`, cached); every change builds a new
    :class:`~rtlab.Session`, re-runs only :func:`rtlab.detect` on the cached scores, scores
    the result against the clip's ground truth (:func:`rtlab.metrics.score`) and redraws the
    detection parts of one persistent :func:`rtlab.plot.timeline` figure, shown as a PNG
    image (no ipympl needed; works in any Jupyter front end). On a 30 s clip a change is
    redrawn in well under 100 ms (``benchmarks/bench_tuner.py``).

    The Tuner tunes turn detection only: the scores are those of the clip as given, so the
    session's ``input_audio_format`` and ``input_audio_noise_reduction`` are kept in
    :attr:`value` but not applied here (run :func:`rtlab.detect` on the Audio for them).

    Parameters
    ----------
    clip_or_audio : Clip, str or Audio
        The clip (or a shipped clip's name, e.g. ``"ami-debug/trn05"``), or bare audio.
    session : Session, optional
        Where to start (default ``Session()``, the API defaults). The metrics table compares
        every change with it.
    truth : Annotation, optional
        Ground truth, for bare audio (a Clip brings its own). Without truth there are no
        metrics and no outcome markers.
    scores : FrameScores, optional
        Precomputed scores of the clip (default: :func:`rtlab.vad.score` with
        ``options.vad_model``).
    options : EmulatorOptions, optional
        Passed to :func:`rtlab.detect`.
    figsize : (float, float), default (11, 5)
        Size of the timeline, inches. In the browser the image shrinks (keeping its shape)
        so that the whole Tuner, time axis and truth lanes included, fits the window: a
        1280x800 JupyterLab window shows it without scrolling.
    dpi : float, default 80
        Resolution of the timeline image.
    agent, echo : rtlab.Agent, rtlab.Echo, optional
        Full duplex: with either, every change re-runs the closed-loop conversation
        (:func:`rtlab.simulate`: the agent answers, its voice leaks back through the echo
        path) instead of :func:`rtlab.detect`; the Tuner gains sliders for the echo return
        loss, the canceller's suppression and the echo delay, the timeline shows the
        agent's lane and the echo, and the metrics add self-interruptions, false and missed
        barge-ins and the response latency.

    Attributes
    ----------
    value : Session
        The current session (a trait; assign a Session to load it into the sliders).
    kept : list of Session
        Sessions kept with the Keep button (or :meth:`keep`).
    event_log : EventLog
        The events of the current session.
    metrics_row : pandas.Series or None
        :func:`rtlab.metrics.score` of the current session (None without truth).
    last_redraw_ms : float
        How long the last change took, from the new value to the new image, ms.
    kind, threshold, prefix_padding_ms, silence_duration_ms, idle_timeout, idle_timeout_ms, \
eagerness : ipywidgets.Widget
        The controls (set ``.value`` to drive the Tuner from code).
    return_loss_db, suppression_db, echo_delay_ms : ipywidgets.FloatSlider or None
        The echo path's controls (full duplex only).
    conversation : rtlab.duplex.Conversation or None
        The current simulated conversation (full duplex only).
    image, metrics, error, keep_button, kept_view, status : ipywidgets.Widget
        The timeline image (PNG bytes), the metrics table, the error line, the Keep button,
        the list of kept sessions and the timing line.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab.widgets import Tuner
    >>> tuner = Tuner("ami-debug/trn05")
    >>> int(tuner.metrics_row["false_cutoffs"]) > 0   # the API defaults cut this speaker off
    True
    >>> before = tuner.image.value
    >>> tuner.silence_duration_ms.value = 1000
    >>> tuner.value.turn_detection.silence_duration_ms, tuner.image.value != before
    (1000, True)
    >>> int(tuner.metrics_row["false_cutoffs"])
    0
    >>> tuner.keep() is tuner.value, len(tuner.kept)
    (True, 1)
    """

    value = traitlets.Instance(Session)

    def __init__(
        self,
        clip_or_audio: Any,
        session: Session | None = None,
        *,
        truth: Any = None,
        scores: Any = None,
        options: Any = None,
        figsize: tuple[float, float] = (11.0, 5.0),
        dpi: float = 80.0,
        agent: Any = None,
        echo: Any = None,
        **kwargs: Any,
    ) -> None:
        from rtlab import vad
        from rtlab.turns import EmulatorOptions

        if session is None:
            session = Session()
        if not isinstance(session, Session):
            raise ConfigError("session", session, "an rtlab.Session or None", owner="Tuner")
        self.options = EmulatorOptions() if options is None else options
        if not isinstance(self.options, EmulatorOptions):
            raise ConfigError("options", options, "an EmulatorOptions or None", owner="Tuner")
        self.audio, self.truth, self.name = _resolve_clip(clip_or_audio, truth)
        self.scores = (
            scores if scores is not None else vad.score(self.audio, model=self.options.vad_model)
        )
        self.agent: Any = None
        self.echo_path: Any = None
        self.conversation: Any = None
        self.return_loss_db: Any = None
        self.suppression_db: Any = None
        self.echo_delay_ms: Any = None
        if agent is not None or echo is not None:
            from rtlab.duplex import Agent, Echo

            self.agent = Agent() if agent is None else agent
            self.echo_path = Echo() if echo is None else echo
        self._figsize, self._dpi = figsize, dpi
        self._syncing = True
        self.kept: list[Session] = []
        self.last_redraw_ms = math.nan

        self.kind = w.ToggleButtons(
            options=[
                ("server_vad", "server_vad"),
                ("semantic_vad", "semantic_vad"),
                ("off", "off"),
            ],
            description="turn_detection",
            style={**_SLIDER, "button_width": "auto"},
            tooltips=[
                "voice activity: threshold, padding, silence",
                "a turn-end model decides; tuned by eagerness",
                "no turn detection (the client commits)",
            ],
        )
        common = {"continuous_update": False, "style": _SLIDER}
        defaults = ServerVad()  # the sliders start at the API defaults and span the API ranges
        low, high = limits(ServerVad, "threshold")
        self.threshold = w.FloatSlider(
            value=defaults.threshold,
            min=low,
            max=high,
            step=0.01,
            readout_format=".2f",
            description="threshold",
            layout=w.Layout(width="420px"),
            **common,
        )
        self.prefix_padding_ms = w.IntSlider(
            value=defaults.prefix_padding_ms,
            min=limits(ServerVad, "prefix_padding_ms")[0],
            max=1500,
            step=20,
            description="prefix_padding_ms",
            layout=w.Layout(width="420px"),
            **common,
        )
        self.silence_duration_ms = w.IntSlider(
            value=defaults.silence_duration_ms,
            min=limits(ServerVad, "silence_duration_ms")[0],
            max=3000,
            step=20,
            description="silence_duration_ms",
            layout=w.Layout(width="420px"),
            **common,
        )
        self.idle_timeout = w.Checkbox(
            value=False, description="idle timeout", indent=False, layout=w.Layout(width="110px")
        )
        low, high = limits(ServerVad, "idle_timeout_ms")
        self.idle_timeout_ms = w.IntSlider(
            value=10000,
            min=low,
            max=high,
            step=500,
            description="idle_timeout_ms",
            disabled=True,
            layout=w.Layout(width="306px"),
            **common,
        )
        self.eagerness = w.ToggleButtons(
            options=field_values(SemanticVad, "eagerness"),
            value=SemanticVad().eagerness,
            description="eagerness",
            style={**_SLIDER, "button_width": "70px"},
        )
        # the timeline shrinks (keeping its shape) to leave the controls above it in view:
        # the whole Tuner fits a 1280x800 JupyterLab window
        self.image = w.Image(
            format="png",
            layout=w.Layout(
                width="auto",
                height="auto",
                max_width=f"min(100%, {figsize[0] * dpi:.0f}px)",
                max_height="max(240px, calc(100vh - 390px))",
            ),
        )
        self.metrics = w.HTML()
        self.error = w.HTML()
        self.status = w.HTML()
        self.keep_button = w.Button(
            description="Keep this config",
            icon="bookmark",
            tooltip="Add the current session to tuner.kept",
        )
        self.kept_view = w.HTML()
        self.threshold.add_class("rtlab-threshold")
        self.silence_duration_ms.add_class("rtlab-silence")
        self.image.add_class("rtlab-timeline")
        self.metrics.add_class("rtlab-metrics")

        self._server_box = w.VBox(
            [
                self.threshold,
                self.prefix_padding_ms,
                self.silence_duration_ms,
                w.HBox(
                    [w.Label(layout=w.Layout(width="4px")), self.idle_timeout, self.idle_timeout_ms]
                ),
            ]
        )
        self._semantic_box = w.VBox([self.eagerness])
        echo_box: list[Any] = []
        if self.echo_path is not None:
            suppression = self.echo_path.suppression_db
            self.return_loss_db = w.FloatSlider(
                value=self.echo_path.return_loss_db, min=0, max=40, step=1,
                description="echo return loss (dB)", layout=w.Layout(width="420px"), **common,
            )  # fmt: skip
            self.suppression_db = w.FloatSlider(
                value=60.0 if suppression is None or math.isinf(suppression) else suppression,
                min=0, max=60, step=1, description="canceller (dB)",
                layout=w.Layout(width="420px"), **common,
            )  # fmt: skip
            self.echo_delay_ms = w.FloatSlider(
                value=self.echo_path.delay_ms, min=0, max=500, step=10,
                description="echo delay (ms)", layout=w.Layout(width="420px"), **common,
            )  # fmt: skip
            echo_box = [self.return_loss_db, self.suppression_db, self.echo_delay_ms]
        controls = w.VBox(
            [
                self.kind,
                self._server_box,
                self._semantic_box,
                *echo_box,
                w.HBox([self.keep_button, self.status], layout=w.Layout(align_items="center")),
            ],
            layout=w.Layout(flex="0 0 auto", margin="0 24px 0 0"),
        )
        header = w.HTML(
            f"<b>Turn detection on {html.escape(self.name or 'audio')}</b> "
            f"({self.audio.duration_s:.1f} s)"
        )
        super().__init__(
            [
                header,
                w.HBox([controls, self.metrics], layout=w.Layout(flex_flow="row wrap")),
                self.error,
                self.image,
                self.kept_view,
            ],
            **kwargs,
        )
        self.add_class("rtlab-tuner")

        self._show(session)
        self.value = session
        self.start = session
        self.event_log = self._detect(session)
        self.start_metrics = self._score(self.event_log)
        self.metrics_row = self.start_metrics
        self.timeline = LiveTimeline(
            self.audio,
            self.scores,
            self.truth,
            self.event_log,
            title=self.name,
            figsize=figsize,
            dpi=dpi,
        )
        self._render(self.event_log, self.metrics_row, time.perf_counter())
        self._syncing = False

        for control in (
            self.kind,
            self.threshold,
            self.prefix_padding_ms,
            self.silence_duration_ms,
            self.idle_timeout,
            self.idle_timeout_ms,
            self.eagerness,
            self.return_loss_db,
            self.suppression_db,
            self.echo_delay_ms,
        ):
            if control is not None:
                control.observe(self._on_control, names="value")
        self.keep_button.on_click(lambda _button: self.keep())
        self.observe(self._on_value, names="value")

    def __repr__(self) -> str:
        return f"Tuner({self.name!r}, value={self.value!r})"

    # ------------------------------------------------------------------------------ public

    @property
    def figure(self):
        """The timeline :class:`matplotlib.figure.Figure` (updated in place)."""
        return self.timeline.fig

    def keep(self) -> Session:
        """Add the current session to :attr:`kept` (what the Keep button does) and return it."""
        self.kept.append(self.value)
        items = "".join(f"<li><code>{html.escape(describe(s))}</code></li>" for s in self.kept)
        self.kept_view.value = f"<b>Kept</b> (<code>tuner.kept</code>):<ol>{items}</ol>"
        return self.value

    # ----------------------------------------------------------------------------- events

    def _on_control(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        started = time.perf_counter()
        self._update_visibility()
        try:
            session = self._session_from_controls()
        except RtlabError as exc:
            show_error(self.error, exc)
            return
        self._syncing = True
        try:
            self.value = session
        finally:
            self._syncing = False
        self._redraw(started)

    def _on_value(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        started = time.perf_counter()
        self._syncing = True
        try:
            self._show(change["new"])
        finally:
            self._syncing = False
        self._redraw(started)

    # ---------------------------------------------------------------------------- internals

    def _session_from_controls(self) -> Session:
        current = self.value
        detection = current.turn_detection
        kind = self.kind.value
        if kind == "off":
            return current.replace(turn_detection=None)
        keep: dict[str, Any] = {}  # the response flags the current detection sets
        if detection is not None:
            keep = {
                k: getattr(detection, k)
                for k in ("create_response", "interrupt_response")
                if k in detection.model_fields_set
            }
        if kind == "semantic_vad":
            return current.replace(
                turn_detection=SemanticVad(**keep, eagerness=self.eagerness.value)
            )
        params: dict[str, Any] = {
            **keep,
            "threshold": round(float(self.threshold.value), 4),
            "prefix_padding_ms": int(self.prefix_padding_ms.value),
            "silence_duration_ms": int(self.silence_duration_ms.value),
        }
        if self.idle_timeout.value:
            params["idle_timeout_ms"] = int(self.idle_timeout_ms.value)
        elif isinstance(detection, ServerVad) and "idle_timeout_ms" in detection.model_fields_set:
            params["idle_timeout_ms"] = None
        return current.replace(turn_detection=ServerVad(**params))

    def _show(self, session: Session) -> None:
        """Put ``session`` into the controls (observers off)."""
        detection = session.turn_detection
        server = detection if isinstance(detection, ServerVad) else ServerVad()
        for slider, value in (
            (self.prefix_padding_ms, server.prefix_padding_ms),
            (self.silence_duration_ms, server.silence_duration_ms),
        ):
            if value > slider.max:
                slider.max = int(math.ceil(value / 500.0) * 500)
            slider.value = value
        self.threshold.value = server.threshold
        self.idle_timeout.value = server.idle_timeout_ms is not None
        if server.idle_timeout_ms is not None:
            self.idle_timeout_ms.value = server.idle_timeout_ms
        if isinstance(detection, SemanticVad):
            self.eagerness.value = detection.eagerness
        self.kind.value = "off" if detection is None else detection.type
        self._update_visibility()

    def _update_visibility(self) -> None:
        kind = self.kind.value
        self._server_box.layout.display = "" if kind == "server_vad" else "none"
        self._semantic_box.layout.display = "" if kind == "semantic_vad" else "none"
        self.idle_timeout_ms.disabled = not self.idle_timeout.value

    def _detect(self, session: Session):
        if self.agent is not None:
            import dataclasses

            from rtlab.duplex import simulate

            assert self.return_loss_db is not None and self.suppression_db is not None
            assert self.echo_delay_ms is not None
            echo = dataclasses.replace(
                self.echo_path,
                return_loss_db=float(self.return_loss_db.value),
                suppression_db=float(self.suppression_db.value),
                delay_ms=float(self.echo_delay_ms.value),
            )
            from rtlab._clip import Clip
            from rtlab.annotation import Annotation

            truth = self.truth if self.truth is not None else Annotation.from_segments([])
            user = Clip(self.name or "audio", self.audio, truth)
            self.conversation = simulate(
                user, session, agent=self.agent, echo=echo, options=self.options
            )
            return self.conversation.log
        from rtlab.turns import detect

        return detect(self.scores, session, options=self.options)

    def _score(self, log):
        if self.truth is None:
            return None
        from rtlab import metrics

        if self.conversation is not None:
            return metrics.score(log, self.conversation.truth)
        return metrics.score(log, self.truth)

    def _redraw(self, started: float) -> None:
        try:
            log = self._detect(self.value)
            row = self._score(log)
        except RtlabError as exc:
            show_error(self.error, exc)
            return
        self.event_log, self.metrics_row = log, row
        self._render(log, row, started)

    def _render(self, log, row, started: float) -> None:
        outcomes = None
        if self.conversation is not None:
            from matplotlib.figure import Figure

            from rtlab import plot

            fig = Figure(figsize=self._figsize, dpi=self._dpi, layout="constrained")
            truth = self.conversation.truth if self.truth is not None else None
            plot.timeline(
                self.conversation.microphone, log, truth=truth,
                echo=self.conversation.echo, title=self.name, ax=fig.add_subplot(),
            )  # fmt: skip
            self.image.value = figure_png(fig)
        else:
            if self.truth is not None:
                from rtlab import metrics

                outcomes = metrics.turn_outcomes(log, self.truth)
            self.image.value = self.timeline.update(log, outcomes)
        if row is not None:
            self.metrics.value = _metrics_html(row, self.start_metrics)
        else:
            self.metrics.value = note_html(
                f"{len(log.turns())} turns detected. No ground truth: pass truth= (an "
                "Annotation) for metrics."
            )
        show_error(self.error, None)
        self.last_redraw_ms = (time.perf_counter() - started) * 1000.0
        self.status.value = note_html(f"redrawn in {self.last_redraw_ms:.0f} ms")
