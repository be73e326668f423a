"""``SessionBuilder``: every field of a realtime session as a form, with a live JSON preview."""

from __future__ import annotations

import contextlib
import json
import warnings
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets
from pydantic import BaseModel

from rtlab._io import atomic_write
from rtlab.errors import ConfigError, RtlabError
from rtlab.session import (
    NoiseReduction,
    SemanticVad,
    ServerVad,
    Session,
    Tracing,
    Transcription,
)
from rtlab.widgets._common import (
    UNSET,
    error_label,
    field_values,
    hint,
    json_block,
    note_html,
    parse_text,
    show_error,
    text_of,
)

__all__ = ["SessionBuilder"]

_STYLE = {"description_width": "170px"}
_MODEL_FIELDS = ("model", "modalities", "instructions", "voice", "speed", "temperature")


def _wide() -> w.Layout:
    return w.Layout(width="calc(100% - 8px)", max_width="440px")


def _field_row(widget: w.Widget, label: w.HTML) -> w.VBox:
    """A field with its error label under it (the label takes no room while empty)."""
    label.layout.display = "none"
    label.layout.margin = "0 0 4px 174px"
    return w.VBox([widget, label])


def _tip(cls: type[BaseModel], name: str) -> str:
    return cls.model_fields[name].description or ""


def _text(
    cls: type[BaseModel],
    name: str,
    placeholder: str | None = None,
    *,
    label: str | None = None,
    area: bool = False,
    rows: int = 3,
) -> w.Text:
    """A text field for one model field: its hint as placeholder, its description as tooltip."""
    common = {
        "description": label or name,
        "placeholder": hint(cls, name) if placeholder is None else placeholder,
        "tooltip": _tip(cls, name),
        "style": _STYLE,
    }
    if area:
        height = f"{1.6 * rows + 0.6:.1f}em"
        layout = w.Layout(width="calc(100% - 8px)", max_width="440px", height=height)
        return w.Textarea(**common, layout=layout)
    return w.Text(**common, layout=_wide())


def _combo(cls: type[BaseModel], name: str, placeholder: str, *, label: str | None = None) -> Any:
    """A free text field that offers the field's examples (model names, voices)."""
    return w.Combobox(
        options=field_values(cls, name),
        placeholder=placeholder,
        description=label or name,
        tooltip=_tip(cls, name),
        ensure_option=False,
        style=_STYLE,
        layout=_wide(),
    )


def _choices(
    cls: type[BaseModel], name: str, first: list[tuple[str, str]] | None = None
) -> w.Dropdown:
    """A dropdown of a Literal field's values after ``first`` (default: unset, with its hint)."""
    values = [(value, value) for value in field_values(cls, name)]
    return w.Dropdown(
        options=[*(first or [(hint(cls, name), "")]), *values],
        description=name,
        tooltip=_tip(cls, name),
        style=_STYLE,
        layout=_wide(),
    )


def _milliseconds(name: str) -> w.IntText:
    """A ServerVad duration, starting at its default."""
    return w.IntText(
        value=ServerVad.model_fields[name].default,
        step=50,
        description=name,
        tooltip=f"{_tip(ServerVad, name)} ({hint(ServerVad, name)})",
        style=_STYLE,
        layout=_wide(),
    )


def _flag(name: str) -> w.Checkbox:
    """A response flag of turn detection, starting at its default."""
    default = ServerVad.model_fields[name].default
    return w.Checkbox(value=default, description=name, tooltip=_tip(ServerVad, name), indent=False)


def _heading(text: str) -> w.HTML:
    return w.HTML(f"<b>{text}</b>", layout=w.Layout(margin="10px 0 2px 0"))


def _json_field(text: str, field: str, owner: str, allowed: str) -> Any:
    """Parse a JSON text field; a syntax error becomes a ConfigError naming the field."""
    text = text.strip()
    if not text:
        return UNSET
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            field,
            text,
            allowed,
            owner=owner,
            message=f"The '{field}' parameter of {owner} must be {allowed}: the text is not "
            f"valid JSON ({exc.msg}, line {exc.lineno}, column {exc.colno}).",
        ) from exc


class SessionBuilder(w.VBox):
    """A form for every field of a :class:`rtlab.Session`, with a live ``session.update`` preview.

    The form is a view of :class:`~rtlab.Session`: every change builds a new session with the
    core validation. A value the session rejects is shown under its field (the
    :class:`~rtlab.errors.ConfigError` message, naming the value and what is allowed) and
    :attr:`value` keeps the last valid session. The preview shows the beta or GA
    ``session.update`` event (``api`` toggle), the fields one API drops, a button that copies
    the JSON in the browser, and a button that saves it.

    Three states per field, as in :class:`~rtlab.Session`: a blank text field or a
    ``default`` choice is *unset* (left out of the payload); ``off (null)`` / ``null`` sends
    JSON ``null`` where the API allows it (turn detection, transcription, noise reduction,
    tracing, ``idle_timeout_ms``); anything else is a value.

    Parameters
    ----------
    session : Session, optional
        The session to start from (default ``Session()``: nothing set). Its ``id`` (assigned
        by the server, never sent) is not shown or kept.

    Attributes
    ----------
    value : Session
        The current session (a trait: ``builder.observe(callback, names="value")``). Assign a
        Session to load it into the form.
    errors : dict of str to str
        The current error per field path, e.g. ``{"turn_detection.threshold": "..."}``.
    event : dict or None
        The previewed ``session.update`` event (None if the chosen API rejects the session).
    model, modalities, instructions, voice, input_audio_format, output_audio_format, \
transcription, transcription_model, transcription_language, transcription_prompt, \
turn_detection, threshold, prefix_padding_ms, silence_duration_ms, idle_timeout_ms, \
eagerness, create_response, interrupt_response, noise_reduction, speed, tracing, \
tracing_workflow_name, tracing_group_id, tracing_metadata, tools, tool_choice, temperature, \
max_response_output_tokens, api, save_path : ipywidgets.Widget
        The fields (set their ``.value`` to drive the form from code).
    error_labels : dict of str to ipywidgets.HTML
        The error label under each field, by field path (``"session"``: errors that
        involve several fields); shown only while it holds an error.
    sections : ipywidgets.Accordion
        The fields in one section per group (turn detection first and open); a section
        whose fields hold an error has ⚠ in its title. The preview sits beside them, so
        the builder fits a 1280x800 JupyterLab window.
    preview, notes, copy_button, save_button, save_status : ipywidgets.Widget
        The JSON preview, notes about dropped fields, the copy button (an HTML button that
        copies in the browser), the save button and its status line.

    Examples
    --------
    >>> from rtlab.widgets import SessionBuilder
    >>> builder = SessionBuilder()
    >>> builder.turn_detection.value = "server_vad"
    >>> builder.silence_duration_ms.value = 800
    >>> builder.value
    Session(turn_detection=ServerVad(silence_duration_ms=800))
    >>> builder.threshold.value = 1.5
    >>> builder.errors["turn_detection.threshold"]
    "The 'threshold' parameter of ServerVad must be a float in [0.0, 1.0]. Got 1.5."
    >>> builder.value.turn_detection.threshold
    0.5
    >>> builder.threshold.value = 0.7
    >>> builder.api.value = "ga"
    >>> builder.event["session"]["audio"]["input"]["turn_detection"]["threshold"]
    0.7
    """

    value = traitlets.Instance(Session)

    def __init__(self, session: Session | None = None, **kwargs: Any) -> None:
        if session is None:
            session = Session()
        if not isinstance(session, Session):
            raise ConfigError(
                "session", session, "an rtlab.Session or None", owner="SessionBuilder"
            )
        self._syncing = True
        self.errors: dict[str, str] = {}
        self.event: dict[str, Any] | None = None

        # model and response ------------------------------------------------------------
        self.model = _combo(Session, "model", "server default")
        self.modalities = w.Dropdown(
            options=[
                ("default (text + audio)", ""),
                ("text + audio", "text,audio"),
                ("text only", "text"),
            ],
            description="modalities",
            style=_STYLE,
            layout=_wide(),
        )
        self.instructions = _text(Session, "instructions", "server default", area=True, rows=3)
        self.voice = _combo(Session, "voice", "server default")
        self.speed = _text(Session, "speed")
        self.temperature = _text(Session, "temperature")
        self.max_response_output_tokens = _text(Session, "max_response_output_tokens")
        # audio -------------------------------------------------------------------------
        self.input_audio_format = _choices(Session, "input_audio_format")
        self.output_audio_format = _choices(Session, "output_audio_format")
        self.noise_reduction = _choices(
            NoiseReduction, "type", [("default (off)", ""), ("off (null)", "off")]
        )
        self.noise_reduction.description = "noise_reduction"
        # turn detection ----------------------------------------------------------------
        self.turn_detection = w.ToggleButtons(
            options=[
                ("default", ""),
                ("server_vad", "server_vad"),
                ("semantic_vad", "semantic_vad"),
                ("off (null)", "off"),
            ],
            tooltips=[
                "unset: the server keeps its turn detection (server_vad by default)",
                "voice activity: threshold, padding, silence",
                "a turn-end model decides; tuned by eagerness",
                "no turn detection: the client commits the audio",
            ],
            description="",
            style={"button_width": "auto"},
        )
        defaults = ServerVad()
        self.threshold = w.FloatText(
            value=defaults.threshold,
            step=0.05,
            description="threshold",
            tooltip=f"{_tip(ServerVad, 'threshold')} ({hint(ServerVad, 'threshold')})",
            style=_STYLE,
            layout=_wide(),
        )
        self.prefix_padding_ms = _milliseconds("prefix_padding_ms")
        self.silence_duration_ms = _milliseconds("silence_duration_ms")
        self.idle_timeout_ms = _text(ServerVad, "idle_timeout_ms")
        self.eagerness = w.Dropdown(
            options=field_values(SemanticVad, "eagerness"),
            value=SemanticVad().eagerness,
            description="eagerness",
            tooltip=_tip(SemanticVad, "eagerness"),
            style=_STYLE,
            layout=_wide(),
        )
        self.create_response = _flag("create_response")
        self.interrupt_response = _flag("interrupt_response")
        # transcription -----------------------------------------------------------------
        self.transcription = w.Dropdown(
            options=[("default (off)", ""), ("off (null)", "off"), ("on", "on")],
            description="transcription",
            style=_STYLE,
            layout=_wide(),
        )
        self.transcription_model = _combo(Transcription, "model", "unset", label="model")
        self.transcription_language = _text(Transcription, "language")
        self.transcription_prompt = _text(Transcription, "prompt")
        # tracing -----------------------------------------------------------------------
        self.tracing = w.Dropdown(
            options=[
                ("default (off)", ""),
                ("off (null)", "off"),
                ("auto", "auto"),
                ("custom", "custom"),
            ],
            description="tracing",
            style=_STYLE,
            layout=_wide(),
        )
        self.tracing_workflow_name = _text(Tracing, "workflow_name")
        self.tracing_group_id = _text(Tracing, "group_id")
        self.tracing_metadata = _text(Tracing, "metadata", area=True, rows=2)
        # tools -------------------------------------------------------------------------
        self.tools = _text(
            Session,
            "tools",
            'unset (JSON list, e.g. [{"name": "get_weather", "description": "...", '
            '"parameters": {"type": "object", "properties": {}}}])',
            area=True,
            rows=4,
        )
        self.tool_choice = _combo(Session, "tool_choice", hint(Session, "tool_choice"))
        # preview and export -------------------------------------------------------------
        self.api = w.ToggleButtons(
            options=[("beta", "beta"), ("GA", "ga")],
            value="beta",
            description="",
            tooltips=[
                "the beta Realtime API's session.update",
                "the generally available Realtime API's session.update",
            ],
            style={"button_width": "56px"},
        )
        self.preview = w.HTML()
        self.notes = w.HTML()
        self.copy_button = w.HTML()
        self.save_path = w.Text(
            value="session_update.json",
            description="file",
            style={"description_width": "40px"},
            layout=w.Layout(width="260px"),
        )
        self.save_button = w.Button(description="Save", icon="save", tooltip="Write the JSON above")
        self.save_status = w.HTML()

        self._fields: dict[str, w.Widget] = {
            "model": self.model,
            "modalities": self.modalities,
            "instructions": self.instructions,
            "voice": self.voice,
            "speed": self.speed,
            "temperature": self.temperature,
            "max_response_output_tokens": self.max_response_output_tokens,
            "input_audio_format": self.input_audio_format,
            "output_audio_format": self.output_audio_format,
            "input_audio_noise_reduction": self.noise_reduction,
            "turn_detection": self.turn_detection,
            "turn_detection.threshold": self.threshold,
            "turn_detection.prefix_padding_ms": self.prefix_padding_ms,
            "turn_detection.silence_duration_ms": self.silence_duration_ms,
            "turn_detection.idle_timeout_ms": self.idle_timeout_ms,
            "turn_detection.eagerness": self.eagerness,
            "turn_detection.create_response": self.create_response,
            "turn_detection.interrupt_response": self.interrupt_response,
            "input_audio_transcription": self.transcription,
            "input_audio_transcription.model": self.transcription_model,
            "input_audio_transcription.language": self.transcription_language,
            "input_audio_transcription.prompt": self.transcription_prompt,
            "tracing": self.tracing,
            "tracing.workflow_name": self.tracing_workflow_name,
            "tracing.group_id": self.tracing_group_id,
            "tracing.metadata": self.tracing_metadata,
            "tools": self.tools,
            "tool_choice": self.tool_choice,
        }
        self.error_labels: dict[str, w.HTML] = {path: error_label() for path in self._fields}
        self.error_labels["session"] = error_label()
        for label in self.error_labels.values():
            label.layout.flex = "0 0 auto"
            label.layout.display = "none"
        rows = {
            path: _field_row(widget, self.error_labels[path])
            for path, widget in self._fields.items()
        }

        self._server_box = w.VBox(
            [
                rows[f"turn_detection.{name}"]
                for name in (
                    "threshold",
                    "prefix_padding_ms",
                    "silence_duration_ms",
                    "idle_timeout_ms",
                )
            ]
        )
        self._semantic_box = w.VBox([rows["turn_detection.eagerness"]])
        self._response_box = w.VBox(
            [
                w.HBox(
                    [
                        w.Label(layout=w.Layout(width="174px")),
                        self.create_response,
                        self.interrupt_response,
                    ]
                ),
                self.error_labels["turn_detection.create_response"],
                self.error_labels["turn_detection.interrupt_response"],
            ]
        )
        self._transcription_box = w.VBox(
            [rows[f"input_audio_transcription.{name}"] for name in ("model", "language", "prompt")]
        )
        self._tracing_box = w.VBox(
            [rows[f"tracing.{name}"] for name in ("workflow_name", "group_id", "metadata")]
        )
        # the fields in one section per group (one open at a time), the preview beside them:
        # the whole builder fits a 1280x800 JupyterLab window
        self._groups: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("Turn detection", ("turn_detection",)),
            ("Audio", ("input_audio_format", "output_audio_format", "input_audio_noise_reduction")),
            ("Input transcription", ("input_audio_transcription",)),
            ("Model and responses", _MODEL_FIELDS),
            ("Tools and limits", ("tools", "tool_choice", "max_response_output_tokens")),
            ("Tracing", ("tracing",)),
        )
        sections = {
            "Turn detection": [
                rows["turn_detection"],
                self._server_box,
                self._semantic_box,
                self._response_box,
            ],
            "Audio": [
                rows["input_audio_format"],
                rows["output_audio_format"],
                rows["input_audio_noise_reduction"],
            ],
            "Input transcription": [rows["input_audio_transcription"], self._transcription_box],
            "Model and responses": [rows[name] for name in _MODEL_FIELDS],
            "Tools and limits": [
                rows["tools"],
                rows["tool_choice"],
                rows["max_response_output_tokens"],
            ],
            "Tracing": [rows["tracing"], self._tracing_box],
        }
        self.sections = w.Accordion(
            children=[w.VBox(sections[title]) for title, _paths in self._groups],
            titles=[title for title, _paths in self._groups],
            selected_index=0,
            layout=w.Layout(width="calc(100% - 6px)"),
        )
        self.sections.add_class("rtlab-sections")
        form = w.VBox(
            [self.sections, self.error_labels["session"]],
            layout=w.Layout(flex="1 1 52%", min_width="400px", max_width="560px"),
        )
        form.add_class("rtlab-fields")
        side = w.VBox(
            [
                w.HBox(
                    [
                        w.HTML("<b>session.update</b>", layout=w.Layout(margin="0 8px 0 0")),
                        self.api,
                        self.copy_button,
                    ],
                    layout=w.Layout(align_items="center", flex_flow="row wrap"),
                ),
                self.notes,
                self.preview,
                w.HBox([self.save_path, self.save_button]),
                self.save_status,
            ],
            layout=w.Layout(flex="1 1 48%", min_width="300px", margin="0 0 0 12px"),
        )
        side.add_class("rtlab-preview")
        super().__init__(
            [w.HBox([form, side], layout=w.Layout(flex_flow="row nowrap", width="100%"))],
            **kwargs,
        )
        self.add_class("rtlab-session-builder")

        for widget in self._fields.values():
            widget.observe(self._on_field, names="value")
        self.api.observe(self._on_api, names="value")
        self.save_button.on_click(self._on_save)
        self._show(session)
        self._syncing = False
        self.value = self._build(session)
        self._update_preview()
        self.observe(self._on_value, names="value")

    def __repr__(self) -> str:
        return f"SessionBuilder(value={self.value!r})"

    # ----------------------------------------------------------------------------- events

    def _on_field(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self._refresh()

    def _on_api(self, change: dict[str, Any]) -> None:
        self._update_preview()

    def _on_value(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self._show(change["new"])
        finally:
            self._syncing = False
        self._refresh()

    def _on_save(self, button: w.Button | None = None) -> None:
        with contextlib.suppress(RtlabError, OSError):  # shown in save_status
            self.save()

    # ------------------------------------------------------------------------------ public

    @property
    def json(self) -> str:
        """The previewed ``session.update`` event as JSON text ("" when there is none)."""
        return json_block(self.event) if self.event is not None else ""

    def save(self, path: str | Path | None = None) -> Path:
        """Write the previewed ``session.update`` event (the chosen API's shape) as JSON.

        Parameters
        ----------
        path : str or Path, optional
            Where to write (default: the ``file`` field). Written atomically.

        Returns
        -------
        Path
            The file written. :meth:`rtlab.Session.load` reads it back.

        Raises
        ------
        ConfigError
            When the chosen API rejects the session (the reason is in ``notes``).
        """
        target = Path(path if path is not None else self.save_path.value.strip() or "session.json")
        if self.event is None:
            error = ConfigError(
                "api",
                self.api.value,
                "an API that accepts this session",
                owner="SessionBuilder.save",
                message=f"Nothing to save: the {self.api.value} API rejects this session "
                "(see the notes).",
            )
            show_error(self.save_status, error)
            raise error
        try:
            with atomic_write(target, "w", encoding="utf-8") as handle:
                handle.write(self.json + "\n")
        except OSError as exc:
            show_error(self.save_status, f"Could not write {target}: {exc.strerror or exc}")
            raise
        self.save_status.value = note_html(
            f"Saved the {self.api.value} session.update to {target.resolve()}"
        )
        return target

    # ---------------------------------------------------------------------------- internals

    def _refresh(self) -> None:
        """Rebuild the session from the fields, show errors, update value and preview."""
        self._update_visibility()
        data, errors = self._collect()
        session = None
        if not errors:
            try:
                session = Session(**data)
            except RtlabError as exc:
                where = exc.field if exc.field in self.error_labels else "session"
                errors[where] = str(exc)
        self.errors = errors
        for path, label in self.error_labels.items():
            show_error(label, errors.get(path))
            label.layout.display = "" if path in errors else "none"
        self._update_titles()
        if session is not None:
            self._syncing = True
            try:
                self.value = session
            finally:
                self._syncing = False
        self._update_preview()

    def _build(self, fallback: Session) -> Session:
        data, errors = self._collect()
        if errors:
            return fallback
        try:
            return Session(**data)
        except RtlabError:
            return fallback

    def _collect(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The Session keyword arguments the fields stand for, and the errors found."""
        data: dict[str, Any] = {}
        errors: dict[str, str] = {}

        def check(path: str, build: Any) -> Any:
            try:
                return build()
            except RtlabError as exc:
                errors[path] = str(exc)
                return UNSET

        def top(name: str, value: Any) -> None:
            if value is UNSET:
                return
            if check(name, lambda: Session(**{name: value})) is not UNSET:
                data[name] = value

        def stripped(widget: w.Widget) -> Any:
            text = widget.value.strip()
            return text if text else UNSET

        top("model", stripped(self.model))
        top("modalities", self.modalities.value.split(",") if self.modalities.value else UNSET)
        top("instructions", self.instructions.value if self.instructions.value.strip() else UNSET)
        top("voice", stripped(self.voice))
        for name in ("speed", "temperature", "max_response_output_tokens"):
            top(name, parse_text(getattr(self, name).value))
        for name in ("input_audio_format", "output_audio_format"):
            choice = getattr(self, name).value
            top(name, choice or UNSET)
        top("tool_choice", stripped(self.tool_choice))
        tools = check(
            "tools",
            lambda: _json_field(
                self.tools.value,
                "tools",
                "Session",
                "a JSON list of function tools ({'name': ..., ...})",
            ),
        )
        top("tools", tools)

        # nested configurations: each parameter is checked alone, so its error sits by it
        def nested(head: str, cls: type, params: dict[str, Any]) -> Any:
            ok = True
            for key, value in params.items():
                if check(f"{head}.{key}", lambda k=key, v=value: cls(**{k: v})) is UNSET:
                    ok = False
            if not ok:
                return UNSET
            return check(head, lambda: cls(**params))

        kind = self.turn_detection.value
        if kind == "off":
            data["turn_detection"] = None
        elif kind == "server_vad":
            params = {
                "threshold": self.threshold.value,
                "prefix_padding_ms": self.prefix_padding_ms.value,
                "silence_duration_ms": self.silence_duration_ms.value,
                "create_response": self.create_response.value,
                "interrupt_response": self.interrupt_response.value,
            }
            idle = parse_text(self.idle_timeout_ms.value)
            if idle is not UNSET:
                params["idle_timeout_ms"] = idle
            top("turn_detection", nested("turn_detection", ServerVad, params))
        elif kind == "semantic_vad":
            params = {
                "eagerness": self.eagerness.value,
                "create_response": self.create_response.value,
                "interrupt_response": self.interrupt_response.value,
            }
            top("turn_detection", nested("turn_detection", SemanticVad, params))

        choice = self.transcription.value
        if choice == "off":
            data["input_audio_transcription"] = None
        elif choice == "on":
            params = {}
            for key in ("model", "language", "prompt"):
                text = getattr(self, f"transcription_{key}").value.strip()
                if text:
                    params[key] = text
            top(
                "input_audio_transcription",
                nested("input_audio_transcription", Transcription, params),
            )

        choice = self.noise_reduction.value
        if choice == "off":
            data["input_audio_noise_reduction"] = None
        elif choice:
            top(
                "input_audio_noise_reduction",
                nested("input_audio_noise_reduction", NoiseReduction, {"type": choice}),
            )

        choice = self.tracing.value
        if choice == "off":
            data["tracing"] = None
        elif choice == "auto":
            data["tracing"] = "auto"
        elif choice == "custom":
            params = {}
            for key in ("workflow_name", "group_id"):
                text = getattr(self, f"tracing_{key}").value.strip()
                if text:
                    params[key] = text
            metadata = check(
                "tracing.metadata",
                lambda: _json_field(
                    self.tracing_metadata.value, "metadata", "Tracing", "a JSON object"
                ),
            )
            if metadata is not UNSET:
                params["metadata"] = metadata
            if "tracing.metadata" not in errors:
                top("tracing", nested("tracing", Tracing, params))
        return data, errors

    def _show(self, session: Session) -> None:
        """Put ``session`` into the fields (observers must be off: ``_syncing``)."""
        is_set = session.model_fields_set
        payload = session.to_dict()

        def put(widget: w.Widget, value: Any) -> None:
            widget.value = value

        put(self.model, session.model if "model" in is_set else "")
        if "modalities" in is_set:
            put(self.modalities, "text,audio" if "audio" in session.modalities else "text")
        else:
            put(self.modalities, "")
        put(self.instructions, session.instructions or "" if "instructions" in is_set else "")
        put(self.voice, session.voice if "voice" in is_set else "")
        for name in ("speed", "temperature", "max_response_output_tokens"):
            put(getattr(self, name), text_of(getattr(session, name)) if name in is_set else "")
        for name in ("input_audio_format", "output_audio_format"):
            put(getattr(self, name), getattr(session, name) if name in is_set else "")
        put(self.tool_choice, session.tool_choice if "tool_choice" in is_set else "")
        put(self.tools, json_block(payload["tools"]) if "tools" in is_set else "")

        detection = session.turn_detection
        server = detection if isinstance(detection, ServerVad) else ServerVad()
        put(self.threshold, server.threshold)
        put(self.prefix_padding_ms, server.prefix_padding_ms)
        put(self.silence_duration_ms, server.silence_duration_ms)
        idle_set = "idle_timeout_ms" in server.model_fields_set
        put(self.idle_timeout_ms, text_of(server.idle_timeout_ms) if idle_set else "")
        put(self.eagerness, detection.eagerness if isinstance(detection, SemanticVad) else "auto")
        common = detection if detection is not None else server
        put(self.create_response, common.create_response)
        put(self.interrupt_response, common.interrupt_response)
        if "turn_detection" not in is_set:
            put(self.turn_detection, "")
        else:
            put(self.turn_detection, "off" if detection is None else detection.type)

        transcription = session.input_audio_transcription
        if "input_audio_transcription" not in is_set:
            put(self.transcription, "")
        else:
            put(self.transcription, "off" if transcription is None else "on")
        for key in ("model", "language", "prompt"):
            value = getattr(transcription, key, None) if transcription is not None else None
            put(getattr(self, f"transcription_{key}"), value or "")

        noise = session.input_audio_noise_reduction
        if "input_audio_noise_reduction" not in is_set:
            put(self.noise_reduction, "")
        else:
            put(self.noise_reduction, "off" if noise is None else noise.type)

        tracing = session.tracing
        if "tracing" not in is_set:
            put(self.tracing, "")
        elif tracing is None:
            put(self.tracing, "off")
        elif tracing == "auto":
            put(self.tracing, "auto")
        else:
            put(self.tracing, "custom")
        custom = tracing if isinstance(tracing, Tracing) else None
        put(self.tracing_workflow_name, (custom.workflow_name if custom else None) or "")
        put(self.tracing_group_id, (custom.group_id if custom else None) or "")
        metadata = custom.metadata if custom else None
        put(self.tracing_metadata, json.dumps(metadata, ensure_ascii=False) if metadata else "")
        self._update_visibility()

    def _update_titles(self) -> None:
        """Each section's title: its name, ⚠ when one of its fields has an error."""
        for index, (title, heads) in enumerate(self._groups):
            bad = any(path.split(".")[0] in heads for path in self.errors)
            self.sections.set_title(index, f"⚠ {title}" if bad else title)

    def _update_visibility(self) -> None:
        def shown(box: w.Box, visible: bool) -> None:
            box.layout.display = "" if visible else "none"

        kind = self.turn_detection.value
        shown(self._server_box, kind == "server_vad")
        shown(self._semantic_box, kind == "semantic_vad")
        shown(self._response_box, kind in ("server_vad", "semantic_vad"))
        shown(self._transcription_box, self.transcription.value == "on")
        shown(self._tracing_box, self.tracing.value == "custom")

    def _update_preview(self) -> None:
        import html

        api = self.api.value
        notes: list[str] = []
        if self.errors:
            notes.append("Fix the fields marked ⚠: the preview shows the last valid session.")
        event = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                event = self.value.to_event(api=api)
            except RtlabError as exc:
                notes.append(str(exc))
        notes.extend(str(item.message) for item in caught)
        self.event = event
        self.notes.value = "<br>".join(note_html(text) for text in notes)
        if event is None:
            self.preview.value = ""
            self.copy_button.value = ""
            return
        text = json_block(event)
        self.preview.value = (
            "<pre class='rtlab-json' style='font-size:0.85em;line-height:1.35;"
            "max-height:max(200px, calc(100vh - 390px));"
            "overflow:auto;background:#f6f8fa;padding:8px;border-radius:4px;margin:4px 0'>"
            f"{html.escape(text)}</pre>"
        )
        self.copy_button.value = (
            "<button class='jupyter-widgets jupyter-button widget-button rtlab-copy' "
            "title='Copy the JSON to the clipboard' "
            f"data-json='{html.escape(text, quote=True)}' "
            "onclick='navigator.clipboard.writeText(this.dataset.json).then(() => {"
            'this.textContent = "Copied ✓"; '
            'setTimeout(() => {this.textContent = "Copy JSON";}, 1500);'
            "})'>Copy JSON</button>"
        )
