"""A timeline figure that redraws only what a new event log changes (for the Tuner).

:func:`rtlab.plot.timeline` draws the whole picture; redrawing it from scratch takes a few
hundred milliseconds for a 30 s clip, too slow to follow a slider. This keeps one
:func:`~rtlab.plot.timeline` Figure, freezes its layout, renders the parts that do not
depend on the session (waveform, speech probability, ground truth, axes) once into a
background bitmap, and on every update draws only the parts that do (the detected lane, the
threshold line, outcome markers, legend and title) over it with the same lane drawers
``timeline`` uses, then encodes the canvas as PNG.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rtlab import _plot_lanes as lanes
from rtlab._plot_style import FONTSIZE, PALETTE
from rtlab.widgets._common import canvas_png

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.session import Session

_DYNAMIC_LABELS = {"_missed span", "missed turn", "_threshold names"}


def describe(session: Session | None) -> str:
    """One line naming the turn-detection settings of ``session``."""
    detection = session.turn_detection if session is not None else None
    if detection is not None and detection.type == "server_vad":
        text = (
            f"server_vad: threshold {detection.threshold:g}, prefix_padding_ms "
            f"{detection.prefix_padding_ms}, silence_duration_ms {detection.silence_duration_ms}"
        )
        if detection.idle_timeout_ms is not None:
            text += f", idle_timeout_ms {detection.idle_timeout_ms}"
        return text
    if detection is not None and detection.type == "semantic_vad":
        return f"semantic_vad: eagerness {detection.eagerness}"
    return "turn detection off"


class LiveTimeline:
    """One timeline Figure updated in place; :meth:`update` returns the new PNG bytes.

    Parameters
    ----------
    audio : Audio
    scores : FrameScores
    truth : Annotation or None
    log : EventLog
        The first log drawn (its session's turn detection).
    title : str
        Prefix of the title (the clip name); the session settings follow it.
    figsize : (float, float), inches
    dpi : float
    """

    def __init__(self, audio, scores, truth, log, *, title: str, figsize, dpi) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        from rtlab import plot

        self.audio = audio
        self.scores = scores
        self.truth = truth
        self.title_prefix = title
        self.fig = plot.timeline(
            audio, log, scores=scores, truth=truth, title=self._title(log), figsize=figsize, dpi=dpi
        )
        self.canvas = FigureCanvasAgg(self.fig)
        lanes_by_name = {ax.get_ylabel(): ax for ax in self.fig.axes}
        self.ax_vad = lanes_by_name.get("VAD")
        self.ax_detected = lanes_by_name["detected"]
        self.ax_truth = lanes_by_name.get("truth")
        self.start_s, self.end_s = self.ax_detected.get_xlim()
        self._legend()
        self.canvas.draw()  # constrained layout places everything once ...
        self.fig.set_layout_engine("none")  # ... and the positions stay
        self._title_text = self.fig.suptitle(self._title(log), fontsize=FONTSIZE["title"])
        for artist in self._dynamic():
            artist.remove()
        self._title_text.set_animated(True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._backgrounds: dict[tuple[str, ...], Any] = {}
        self.png = b""

    def _title(self, log) -> str:
        return " — ".join(p for p in (self.title_prefix, describe(log.session)) if p)

    def _dynamic(self) -> list[Any]:
        """Artists that depend on the session: removed and redrawn on every update."""
        ax = self.ax_detected
        out = [*ax.collections, *ax.lines, *ax.texts, *ax.patches]
        for other in (self.ax_vad, self.ax_truth):
            if other is None:
                continue
            for artist in other.get_children():
                label = artist.get_label() if hasattr(artist, "get_label") else ""
                if not isinstance(label, str):  # an Axis: its get_label() is a Text
                    continue
                if label in _DYNAMIC_LABELS or (
                    other is self.ax_vad and label.startswith("threshold")
                ):
                    out.append(artist)
        out.extend(self.fig.legends)
        return out

    def _handles(self) -> tuple[list[Any], list[str]]:
        """Every lane's labelled artists, one per label, in lane order."""
        handles, labels, seen = [], [], set()
        for ax in self.fig.axes:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                if label not in seen:
                    seen.add(label)
                    handles.append(handle)
                    labels.append(label)
        return handles, labels

    def _legend(self, handles=None, labels=None):
        """One figure legend of every lane's labelled artists, always in two rows."""
        for legend in list(self.fig.legends):
            legend.remove()
        if handles is None or labels is None:
            handles, labels = self._handles()
        if not handles:
            return None
        return self.fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=max(1, math.ceil(len(handles) / 2)),
            fontsize=FONTSIZE["legend"],
            frameon=False,
        )

    def _background_with_legend(self, handles, labels):
        """The static background with the legend for ``labels`` drawn in (cached per set)."""
        key = tuple(labels)
        bitmap = self._backgrounds.get(key)
        if bitmap is None:
            self.canvas.restore_region(self.background)
            legend = self._legend(handles, labels)
            if legend is not None:
                self.fig.draw_artist(legend)
                legend.remove()
            bitmap = self.canvas.copy_from_bbox(self.fig.bbox)
            if len(self._backgrounds) >= 32:
                self._backgrounds.clear()
            self._backgrounds[key] = bitmap
        return bitmap

    def update(self, log, outcomes=None) -> bytes:
        """Redraw for ``log`` (and its turn outcomes against the truth); return the PNG."""
        for artist in self._dynamic():
            artist.remove()
        lanes.draw_detections(
            self.ax_detected,
            log,
            self.start_s,
            self.end_s,
            scores=self.scores,
            axes_width_in=self.fig.get_figwidth() * 0.85,
        )
        if self.ax_vad is not None:
            self.ax_vad.axhline(
                lanes.threshold_of(log),
                color=PALETTE["threshold"],
                linestyle="--",
                linewidth=1.2,
                label="threshold",  # its value is in the title; one legend entry for all
            )
        if outcomes is not None:
            lanes.draw_outcomes(self.ax_detected, self.ax_truth, outcomes)
        handles, labels = self._handles()
        background = self._background_with_legend(handles, labels)
        drawn = self._dynamic()
        self._title_text.set_text(self._title(log))
        drawn.append(self._title_text)
        self.canvas.restore_region(background)
        for artist in drawn:
            self.fig.draw_artist(artist)
        self.png = canvas_png(self.canvas)
        return self.png
