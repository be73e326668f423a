"""``Annotator``: mark and adjust turns by ear and eye, then save them as a truth CSV."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import traitlets

from rtlab.annotation import Annotation, Turn
from rtlab.errors import ConfigError, RtlabError
from rtlab.widgets._common import figure_png, note_html, show_error

__all__ = ["Annotator"]

_TURN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
_SELECTION_COLOUR = "#d62728"
_NUDGE_MS = (10, 50, 100, 250)
_MIN_VIEW_S = 0.5


def _resolve(audio: Any, truth: Any) -> tuple[Any, Annotation | None, str]:
    """(audio, truth, name) from a Clip, a shipped clip's name, an Audio or a file path."""
    from rtlab import datasets
    from rtlab.audio import Audio, load_audio

    if isinstance(audio, str) and not os.path.exists(audio):
        audio = datasets.load(audio)
    if isinstance(audio, datasets.Clip):
        return audio.audio, truth if truth is not None else audio.truth, audio.name
    if isinstance(audio, str | os.PathLike):
        loaded = load_audio(audio)
        return loaded, truth, Path(audio).stem
    if isinstance(audio, Audio):
        return audio, truth, Path(str(audio.source or "audio")).stem
    raise ConfigError(
        "audio",
        audio,
        "an rtlab Audio, a Clip, a shipped clip's name or an audio file path",
        owner="Annotator",
    )


class Annotator(w.VBox):
    """Mark and adjust the true turns of a recording by ear and eye; save them as CSV.

    The picture shows the waveform of the visible stretch (``view``), the turns as coloured
    bands (one colour per speaker), the selection in red, and the Silero speech probability
    below. Select a stretch by dragging the two handles of ``selection`` (or with the arrow
    keys once a handle has focus: 10 ms a step; or type into ``start_s`` / ``end_s``); the
    audio player under the picture plays exactly the selection. Then:

    - **Add turn**: the selection becomes a new turn, with ``speaker`` and ``text``;
    - **Update**: the chosen turn (in ``turn_list``) takes the selection, speaker and text;
    - **Split**: the chosen turn is cut in two at the selection's end;
    - **Delete**: the chosen turn is removed;
    - the nudge buttons move the selection's start or end by ``nudge_ms``;
    - **Draft from VAD**: replace all turns with :func:`rtlab.drafting.draft_truth`;
    - **Save CSV**: write ``start_s,end_s,speaker,text`` rows to ``path`` (atomically), a
      file :func:`rtlab.read_annotation` reads back as the same turns.

    Choosing a turn in ``turn_list`` puts it into the selection and the view.

    Parameters
    ----------
    audio : Audio, Clip, str or path
        The recording (a shipped clip's name, e.g. ``"ami-debug/trn05"``, or an audio file).
    truth : Annotation, optional
        Turns to start from (a Clip brings its own); e.g. a draft to correct.
    path : str or Path, optional
        Where **Save CSV** writes (default ``"<name>.csv"`` in the working directory).
    speaker : str, default "A"
        The speaker label new turns get (clear it for none).
    figsize : (float, float), default (11, 2.8)
        Size of the picture, inches.
    dpi : float, default 80
        Resolution of the picture.

    Attributes
    ----------
    value : Annotation
        The turns so far (a trait; assign an Annotation to load its turns). ``speech`` is
        the union of the turns.
    selection, start_s, end_s, view, speaker, text, nudge_ms, turn_list, path_text \
: ipywidgets.Widget
        The controls (set ``.value`` to drive the Annotator from code).
    add_button, update_button, split_button, delete_button, draft_button, save_button, \
start_earlier, start_later, end_earlier, end_later : ipywidgets.Button
        The actions (``.click()`` them from code).
    image, player, error, status : ipywidgets.Widget
        The picture (PNG), the audio player of the selection, the error line, the status.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab.widgets._annotator import Annotator
    >>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
    >>> ann = Annotator(clip.audio)
    >>> ann.selection.value = (1.46, 2.82)
    >>> ann.add_button.click()
    >>> [(t.start_s, t.end_s, t.speaker) for t in ann.value.turns]
    [(1.46, 2.82, 'A')]
    """

    value = traitlets.Instance(Annotation)

    def __init__(
        self,
        audio: Any,
        truth: Annotation | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        speaker: str = "A",
        figsize: tuple[float, float] = (11.0, 2.8),
        dpi: float = 80.0,
        **kwargs: Any,
    ) -> None:
        if truth is not None and not isinstance(truth, Annotation):
            raise ConfigError("truth", truth, "an rtlab Annotation or None", owner="Annotator")
        if not isinstance(speaker, str):
            raise ConfigError("speaker", speaker, "a str", owner="Annotator")
        self.audio, start_truth, self.name = _resolve(audio, truth)
        self.duration_s = float(self.audio.duration_s)
        self.rate_hz = int(self.audio.sample_rate_hz)
        self.figsize, self.dpi = figsize, dpi
        self._turns: list[Turn] = list(start_truth.turns) if start_truth is not None else []
        self._syncing = True
        self._scores: Any = None

        d = round(self.duration_s, 3)
        first = (0.0, min(d, 1.0))
        common = {"style": {"description_width": "70px"}}
        self.view = w.FloatRangeSlider(
            value=(0.0, d), min=0.0, max=d, step=0.01, description="view (s)",
            readout_format=".2f", continuous_update=False,
            layout=w.Layout(width="96%"), **common,
        )  # fmt: skip
        self.selection = w.FloatRangeSlider(
            value=first, min=0.0, max=d, step=0.01, description="selection",
            readout_format=".2f", continuous_update=False,
            layout=w.Layout(width="96%"), **common,
        )  # fmt: skip
        self.start_s = w.BoundedFloatText(
            value=first[0], min=0.0, max=d, step=0.01, description="start_s",
            layout=w.Layout(width="170px"), **common,
        )  # fmt: skip
        self.end_s = w.BoundedFloatText(
            value=first[1], min=0.0, max=d, step=0.01, description="end_s",
            layout=w.Layout(width="170px"), **common,
        )  # fmt: skip
        # text fields sync on Enter or leaving the field: no per-keystroke round trips
        self.speaker = w.Text(
            value=speaker, description="speaker", continuous_update=False,
            layout=w.Layout(width="170px"), **common,
        )  # fmt: skip
        self.text = w.Text(
            value="", description="text", placeholder="what is said (optional)",
            continuous_update=False,
            layout=w.Layout(width="300px"), **common,
        )  # fmt: skip
        self.nudge_ms = w.Dropdown(
            options=list(_NUDGE_MS), value=50, description="nudge ms",
            layout=w.Layout(width="160px"), **common,
        )  # fmt: skip
        self.turn_list = w.Select(options=[], rows=6, layout=w.Layout(width="310px"))

        def button(label: str, tip: str, icon: str = "") -> w.Button:
            return w.Button(description=label, tooltip=tip, icon=icon,
                            layout=w.Layout(width="auto"))  # fmt: skip

        self.add_button = button("Add turn", "the selection becomes a new turn", "plus")
        self.update_button = button("Update", "the chosen turn takes the selection", "check")
        self.split_button = button("Split", "cut the chosen turn at the selection's end", "cut")
        self.delete_button = button("Delete", "remove the chosen turn", "trash")
        self.start_earlier = button("◀ start", "move the selection's start earlier")
        self.start_later = button("start ▶", "move the selection's start later")
        self.end_earlier = button("◀ end", "move the selection's end earlier")
        self.end_later = button("end ▶", "move the selection's end later")
        self.draft_button = button("Draft from VAD", "replace all turns with a VAD draft", "magic")
        default_path = Path(path) if path is not None else Path(f"{Path(self.name).name}.csv")
        self.path_text = w.Text(
            value=str(default_path),
            description="CSV",
            layout=w.Layout(width="210px"),
            style={"description_width": "32px"},
        )
        self.save_button = button("Save CSV", "write the turns to the CSV file", "save")
        self.image = w.Image(
            format="png", layout=w.Layout(width="100%", max_width=f"{figsize[0] * dpi:.0f}px")
        )
        self.player = w.Audio(format="wav", autoplay=False, loop=False, controls=True)
        self.error = w.HTML()
        self.status = w.HTML()
        for widget, name in (
            (self.selection, "rtlab-selection"),
            (self.start_s, "rtlab-start"),
            (self.end_s, "rtlab-end"),
            (self.speaker, "rtlab-speaker"),
            (self.text, "rtlab-text"),
            (self.turn_list, "rtlab-turns"),
            (self.add_button, "rtlab-add"),
            (self.update_button, "rtlab-update"),
            (self.split_button, "rtlab-split"),
            (self.delete_button, "rtlab-delete"),
            (self.path_text, "rtlab-path"),
            (self.save_button, "rtlab-save"),
            (self.image, "rtlab-annotator-image"),
            (self.player, "rtlab-player"),
            (self.status, "rtlab-status"),
        ):
            widget.add_class(name)

        header = w.HTML(
            f"<b>Annotate {html.escape(self.name)}</b> ({self.duration_s:.2f} s): select a "
            "stretch, listen, then add or adjust a turn"
        )
        edit = w.VBox(
            [
                w.HBox([self.start_s, self.end_s, self.nudge_ms]),
                w.HBox([self.start_earlier, self.start_later, self.end_earlier, self.end_later]),
                w.HBox([self.speaker, self.text]),
                w.HBox(
                    [
                        self.add_button,
                        self.update_button,
                        self.split_button,
                        self.delete_button,
                        self.draft_button,
                    ]
                ),
            ],
            layout=w.Layout(margin="0 16px 0 0"),
        )
        side = w.VBox([self.turn_list, w.HBox([self.path_text, self.save_button]), self.status])
        super().__init__(
            [
                header,
                self.image,
                self.view,
                self.selection,
                self.player,
                w.HBox([edit, side], layout=w.Layout(flex_flow="row wrap")),
                self.error,
            ],
            **kwargs,
        )
        self.add_class("rtlab-annotator")

        self.value = self._annotation()
        self._refresh_list(None)
        self._set_player()
        self._draw()
        self._syncing = False

        self.view.observe(self._on_view, names="value")
        self.selection.observe(self._on_selection, names="value")
        self.start_s.observe(self._on_edges, names="value")
        self.end_s.observe(self._on_edges, names="value")
        self.turn_list.observe(self._on_choose, names="value")
        self.observe(self._on_value, names="value")
        self.add_button.on_click(lambda _b: self._act(self.add))
        self.update_button.on_click(lambda _b: self._act(self.update))
        self.split_button.on_click(lambda _b: self._act(self.split))
        self.delete_button.on_click(lambda _b: self._act(self.delete))
        self.draft_button.on_click(lambda _b: self._act(self.draft))
        self.save_button.on_click(lambda _b: self._act(self.save))
        for b, edge, sign in (
            (self.start_earlier, "start", -1),
            (self.start_later, "start", 1),
            (self.end_earlier, "end", -1),
            (self.end_later, "end", 1),
        ):
            b.on_click(lambda _b, e=edge, s=sign: self._act(lambda: self.nudge(e, s)))

    def __repr__(self) -> str:
        return f"Annotator({self.name!r}, {len(self._turns)} turns)"

    # ------------------------------------------------------------------------------ actions

    @property
    def chosen(self) -> int | None:
        """Index (in time order) of the turn chosen in ``turn_list``, or None."""
        return self.turn_list.value

    def add(self) -> Turn:
        """Add the selection as a turn (speaker and text from their fields); choose it."""
        turn = self._turn_from_fields()
        self._turns.append(turn)
        self._commit(chosen=turn)
        return turn

    def update(self) -> Turn:
        """Give the chosen turn the selection, speaker and text."""
        index = self._require_chosen("Update")
        turn = self._turn_from_fields()
        self._turns[index] = turn
        self._commit(chosen=turn)
        return turn

    def split(self) -> tuple[Turn, Turn]:
        """Cut the chosen turn in two at the selection's end."""
        index = self._require_chosen("Split")
        old = self._turns[index]
        at = round(float(self.selection.value[1]), 3)
        if not old.start_s < at < old.end_s:
            raise ConfigError(
                "selection",
                at,
                f"an end inside the chosen turn ({old.start_s:.2f}–{old.end_s:.2f} s)",
                owner="Annotator.split",
                fix="Drag the selection's end to where the turn should be cut.",
            )
        first = Turn(old.start_s, at, old.speaker, old.text)
        second = Turn(at, old.end_s, old.speaker, None)
        self._turns[index : index + 1] = [first, second]
        self._commit(chosen=second)
        return first, second

    def delete(self) -> Turn:
        """Remove the chosen turn."""
        index = self._require_chosen("Delete")
        turn = self._turns.pop(index)
        self._commit(chosen=None)
        return turn

    def nudge(self, edge: str, sign: int) -> tuple[float, float]:
        """Move the selection's ``edge`` ("start" or "end") by ``sign`` × ``nudge_ms``."""
        step = sign * self.nudge_ms.value / 1000.0
        lo, hi = self.selection.value
        if edge == "start":
            lo = min(max(0.0, lo + step), hi)
        else:
            hi = max(min(self.duration_s, hi + step), lo)
        self._show_selection(round(lo, 3), round(hi, 3))
        return self.selection.value

    def draft(self) -> Annotation:
        """Replace every turn with a draft from the recording (:func:`draft_truth`)."""
        from rtlab.drafting import draft_truth

        drafted = draft_truth(self.audio)
        label = self.speaker.value.strip() or None
        self._turns = [Turn(t.start_s, t.end_s, label, t.text) for t in drafted.turns]
        self._commit(chosen=None)
        return self.value

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the turns as ``start_s,end_s,speaker,text`` CSV rows (atomically).

        Parameters
        ----------
        path : str or Path, optional
            Default: the ``path_text`` field.

        Returns
        -------
        pathlib.Path
            The file written (by :func:`rtlab.drafting.save_csv`).
            :func:`rtlab.read_annotation` reads the same turns back when every turn has a
            speaker; turns without one are written as ``speech`` rows, which are read back
            with pauses under 500 ms bridged.
        """
        from rtlab.drafting import save_csv

        target = Path(path if path is not None else self.path_text.value.strip())
        if not target.name:
            raise ConfigError("path", str(target), "a file name", owner="Annotator.save")
        save_csv(self.value, target)
        self.status.value = note_html(f"saved {len(self.value.turns)} turns to {target}")
        return target

    # ------------------------------------------------------------------------------ events

    def _act(self, action: Any) -> None:
        try:
            action()
        except RtlabError as exc:
            show_error(self.error, exc)
            return
        show_error(self.error, None)

    def _on_view(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        lo, hi = change["new"]
        if hi - lo < _MIN_VIEW_S:
            hi = min(self.duration_s, lo + _MIN_VIEW_S)
            lo = max(0.0, hi - _MIN_VIEW_S)
            self._syncing = True
            try:
                self.view.value = (lo, hi)
            finally:
                self._syncing = False
        self._draw()

    def _on_selection(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        lo, hi = change["new"]
        self._show_selection(lo, hi)

    def _on_edges(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        lo, hi = float(self.start_s.value), float(self.end_s.value)
        if hi < lo:
            show_error(
                self.error,
                ConfigError("end_s", hi, f"a time >= start_s ({lo:g} s)", owner="Annotator"),
            )
            return
        show_error(self.error, None)
        self._show_selection(lo, hi)

    def _on_choose(self, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] is None:
            return
        turn = self._turns[change["new"]]
        self._syncing = True
        try:
            self.speaker.value = turn.speaker or ""
            self.text.value = turn.text or ""
            lo, hi = self.view.value
            if turn.start_s < lo or turn.end_s > hi:  # bring the turn into view
                pad = max(0.5, 0.2 * turn.duration_s)
                self.view.value = (max(0.0, turn.start_s - pad),
                                   min(self.duration_s, turn.end_s + pad))  # fmt: skip
        finally:
            self._syncing = False
        self._show_selection(turn.start_s, turn.end_s)

    def _on_value(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self._turns = list(change["new"].turns)
        self._refresh_list(None)
        self._draw()

    # ---------------------------------------------------------------------------- internals

    def _turn_from_fields(self) -> Turn:
        lo, hi = (round(float(v), 3) for v in self.selection.value)
        if hi <= lo:
            raise ConfigError(
                "selection", (lo, hi), "a stretch longer than 0 s", owner="Annotator",
                fix="Drag the selection's end after its start.",
            )  # fmt: skip
        speaker = self.speaker.value.strip() or None
        text = " ".join(self.text.value.split()) or None
        return Turn(lo, hi, speaker=speaker, text=text)

    def _require_chosen(self, what: str) -> int:
        if self.chosen is None:
            raise ConfigError(
                "turn_list", None, "a chosen turn", owner=f"Annotator.{what.lower()}",
                fix="Choose a turn in the list first.",
            )  # fmt: skip
        return int(self.chosen)

    def _annotation(self) -> Annotation:
        turns = sorted(self._turns, key=lambda t: (t.start_s, t.end_s))
        spans = np.array([(t.start_s, t.end_s) for t in turns], dtype=np.float64).reshape(-1, 2)
        return Annotation.from_segments(
            spans,
            speakers=[t.speaker for t in turns],
            texts=[t.text for t in turns],
            duration_s=self.duration_s,
            source=f"Annotator({self.name})",
        )

    def _commit(self, *, chosen: Turn | None) -> None:
        """The turns changed: sort them, publish ``value``, refresh the list and picture."""
        self._turns.sort(key=lambda t: (t.start_s, t.end_s))
        self._syncing = True
        try:
            self.value = self._annotation()
        finally:
            self._syncing = False
        index = None
        if chosen is not None:
            index = next(i for i, t in enumerate(self._turns) if t is chosen)
        self._refresh_list(index)
        self._draw()

    def _refresh_list(self, index: int | None) -> None:
        def label(i: int, t: Turn) -> str:
            text = f" “{t.text[:28]}”" if t.text else ""
            return f"{i + 1}. {t.start_s:.2f}–{t.end_s:.2f} s  {t.speaker or '–'}{text}"

        self._syncing = True
        try:
            self.turn_list.options = [(label(i, t), i) for i, t in enumerate(self._turns)]
            self.turn_list.value = index
        finally:
            self._syncing = False

    def _show_selection(self, lo: float, hi: float) -> None:
        lo, hi = round(float(lo), 3), round(float(hi), 3)  # slider steps add float noise
        self._syncing = True
        try:
            self.selection.value = (lo, hi)
            self.start_s.value = lo
            self.end_s.value = hi
        finally:
            self._syncing = False
        self._set_player()
        self._draw()

    def _set_player(self) -> None:
        lo, hi = self.selection.value
        cut = self.audio.samples[round(lo * self.rate_hz) : round(hi * self.rate_hz)]
        from rtlab.audio import Audio

        self.player.value = Audio(cut).wav()

    def _probabilities(self) -> Any:
        if self._scores is None:
            from rtlab import vad

            self._scores = vad.score(self.audio)
        return self._scores

    def _draw(self) -> None:
        from matplotlib.figure import Figure

        lo, hi = self.view.value
        hi = max(hi, lo + 1e-3)
        fig = Figure(figsize=self.figsize, dpi=self.dpi)  # fixed margins: faster than a layout
        wave_ax, vad_ax = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.08}
        )
        fig.subplots_adjust(left=0.045, right=0.99, top=0.91, bottom=0.15)
        i0, i1 = (
            round(lo * self.rate_hz),
            max(round(hi * self.rate_hz), round(lo * self.rate_hz) + 1),
        )
        samples = self.audio.samples[i0:i1].astype(np.float32) / 32768.0
        columns = int(self.figsize[0] * self.dpi)
        if len(samples) > 2 * columns:  # min / max envelope, one pair per pixel column
            usable = len(samples) // columns * columns
            blocks = samples[:usable].reshape(columns, -1)
            t = lo + (np.arange(columns) + 0.5) * (usable / columns) / self.rate_hz
            wave_ax.fill_between(t, blocks.min(axis=1), blocks.max(axis=1), color="#444",
                                 linewidth=0)  # fmt: skip
        else:
            t = lo + np.arange(len(samples)) / self.rate_hz
            wave_ax.plot(t, samples, color="#444", linewidth=0.6)
        speakers = sorted({t.speaker or "" for t in self._turns})
        for i, turn in enumerate(self._turns):
            colour = _TURN_COLOURS[speakers.index(turn.speaker or "") % len(_TURN_COLOURS)]
            chosen = i == self.chosen
            wave_ax.axvspan(turn.start_s, turn.end_s, color=colour,
                            alpha=0.35 if chosen else 0.18, linewidth=0)  # fmt: skip
            if lo <= turn.start_s <= hi:
                wave_ax.annotate(
                    f"{i + 1} {turn.speaker or ''}", (turn.start_s, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(2, -2),
                    textcoords="offset points", va="top", fontsize=8, color=colour,
                )  # fmt: skip
        s0, s1 = self.selection.value
        wave_ax.axvspan(s0, s1, facecolor="none", edgecolor=_SELECTION_COLOUR, linewidth=1.5)
        peak = float(np.max(np.abs(samples))) if len(samples) else 1.0
        wave_ax.set_ylim(-1.05 * max(peak, 1e-3), 1.05 * max(peak, 1e-3))
        wave_ax.set_yticks([])
        wave_ax.set_xlim(lo, hi)
        wave_ax.set_title(
            f"{self.name}: {len(self._turns)} turns; selection {s0:.2f}–{s1:.2f} s",
            fontsize=9, loc="left",
        )  # fmt: skip
        scores = self._probabilities()
        times = scores.times_ms / 1000.0 + scores.hop_ms / 2000.0
        inside = (times >= lo - 0.1) & (times <= hi + 0.1)
        vad_ax.plot(times[inside], scores.probabilities[inside], color="#2ca02c", linewidth=1)
        vad_ax.axhline(0.5, color="#999", linewidth=0.6, linestyle="--")
        vad_ax.axvspan(s0, s1, facecolor="none", edgecolor=_SELECTION_COLOUR, linewidth=1.0)
        vad_ax.set_ylim(0, 1)
        vad_ax.set_ylabel("speech p", fontsize=8)
        vad_ax.set_xlabel("time (s)", fontsize=8)
        vad_ax.tick_params(labelsize=8)
        self.image.value = figure_png(fig)
