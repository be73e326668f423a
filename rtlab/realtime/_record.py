"""Recording a Realtime server's events for a clip through the official ``openai`` client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rtlab.errors import ConfigError, ProtocolError, RtlabError, mask_secrets
from rtlab.realtime import _protocol as proto

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.audio import Audio
    from rtlab.events import EventLog
    from rtlab.session import Session

__all__ = ["arecord", "record", "record_file"]

#: Seconds to wait for ``session.created`` / ``session.updated`` before streaming.
HANDSHAKE_TIMEOUT_S = 15.0

#: With ``realtime=False``: seconds (plus the audio's duration) to wait for the server to
#: work through every append before the drain starts.
CATCH_UP_TIMEOUT_S = 30.0


#: The key sent to a server on this machine (``rtlab serve``) when none is set: the local
#: server checks no key, and a real key has no business travelling there.
LOCAL_PLACEHOLDER_KEY = "rtlab-local"


def is_loopback(base_url: str | None) -> bool:
    """Whether a URL's host is this machine (``localhost`` or a loopback address)."""
    if not base_url:
        return False
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure: bool) -> None:
    """Refuse to send a key over plain ``ws://`` (or ``http://``) to a non-loopback host.

    Raises
    ------
    ConfigError
        For ``ws://`` / ``http://`` to anything but a loopback address, unless
        ``allow_insecure``; for a scheme that is not ws, wss, http or https.

    Examples
    --------
    >>> check_url("wss://api.openai.com/v1", allow_insecure=False)
    >>> check_url("ws://127.0.0.1:8765/v1", allow_insecure=False)
    >>> check_url("ws://192.168.1.20:8765/v1", allow_insecure=False)
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'base_url' parameter of record must be a wss:// URL, or ws:// to a loopback address (127.0.0.1, ::1, localhost). Got 'ws://192.168.1.20:8765/v1'. Over plain ws:// the API key travels in clear text; pass allow_insecure=True (CLI: --allow-insecure) only on a network you trust.
    """  # noqa: E501
    from urllib.parse import urlsplit

    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("ws", "wss", "http", "https"):
        raise ConfigError("base_url", url, "a ws:// or wss:// URL", owner="record")
    if scheme in ("wss", "https") or allow_insecure or is_loopback(url):
        return
    raise ConfigError(
        "base_url",
        url,
        "a wss:// URL, or ws:// to a loopback address (127.0.0.1, ::1, localhost)",
        owner="record",
        fix="Over plain ws:// the API key travels in clear text; pass allow_insecure=True "
        "(CLI: --allow-insecure) only on a network you trust.",
    )


def _effective_url(client: Any) -> str:
    """The websocket base URL the ``openai`` client will connect to (as it derives it)."""
    explicit = getattr(client, "websocket_base_url", None)
    if explicit is not None:
        return str(explicit)
    base = str(getattr(client, "base_url", "https://api.openai.com/v1"))
    return base


def _mask_event(value: Any, key: str) -> Any:
    """A server event with every key, bearer token and ``sk-...`` string masked."""
    if isinstance(value, str):
        return mask_secrets(value, key if len(key) >= 8 else None)
    if isinstance(value, dict):
        return {k: _mask_event(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_event(v, key) for v in value]
    return value


def partial_path(out: str | os.PathLike[str]) -> Path:
    """Where :func:`record` streams the log before it is complete: ``log.partial.jsonl``.

    Examples
    --------
    >>> partial_path("runs/log.jsonl").as_posix()
    'runs/log.partial.jsonl'
    """
    path = Path(out)
    return path.with_name(f"{path.stem}.partial{path.suffix or '.jsonl'}")


def _api_key(api_key: str | None, base_url: str | None = None) -> str:
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
    if key:
        return key
    if is_loopback(base_url):
        return LOCAL_PLACEHOLDER_KEY
    raise ConfigError(
        message=(
            "Recording the live Realtime API needs an API key: set the OPENAI_API_KEY "
            "environment variable (or pass api_key=... in Python). To try the recorder "
            "offline, run `rtlab serve` and pass its URL as base_url (CLI: --base-url)."
        ),
        field="OPENAI_API_KEY",
        value=None,
        allowed="an OpenAI API key",
    )


def _check_api(api: str) -> proto.Api:
    if api not in proto.API_VALUES:
        raise ConfigError("api", api, "'ga' or 'beta'", owner="record")
    return api  # type: ignore[return-value]


def default_drain_s(session: Session) -> float:
    """How long :func:`record` waits at most for events after the last audio was sent (s).

    The turn detection's own wait (``silence_duration_ms`` for server_vad, the eagerness
    cap for semantic_vad: 8 / 4 / 2 s for low / medium / high) plus 3 s, or 3 s with turn
    detection off; 10 s more when the session asks for transcripts.
    """
    from rtlab.turns import EAGERNESS_MAX_WAIT_MS

    td = session.turn_detection
    wait_s = 0.0
    if td is not None and getattr(td, "type", None) == "semantic_vad":
        eagerness = str(getattr(td, "eagerness", "auto"))
        wait_s = EAGERNESS_MAX_WAIT_MS.get(eagerness, EAGERNESS_MAX_WAIT_MS["auto"]) / 1000.0
    elif td is not None:
        wait_s = float(getattr(td, "silence_duration_ms", 500) or 0) / 1000.0
    extra = 10.0 if getattr(session, "input_audio_transcription", None) is not None else 0.0
    return wait_s + 3.0 + extra


class _JsonlStream:
    """The log while recording, beside the final file: a header line marked ``"partial":
    true``, then one event line per event, flushed. The final file replaces nothing until
    the recording is complete; then this one is removed."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.handle: IO[str] | None = path.open("w", encoding="utf-8")
        self.write({**header, "partial": True})

    def write(self, obj: dict[str, Any]) -> None:
        if self.handle is not None:
            self.handle.write(json.dumps(obj, allow_nan=False) + "\n")
            self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _append_payloads(audio: Audio, chunk_ms: float, audio_format: str) -> list[str]:
    """The base64 audio of each ``input_audio_buffer.append``, in the session's format."""
    out = []
    for event in audio.append_events(chunk_ms=chunk_ms, format=audio_format):
        out.append(event["audio"] if isinstance(event, dict) else str(event))
    return out


async def arecord(
    audio: Audio | str | os.PathLike[str],
    session: Session | None = None,
    *,
    api: str = "ga",
    model: str | None = None,
    realtime: bool = True,
    out: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    chunk_ms: float = 100.0,
    drain_s: float | None = None,
    settle_s: float = 1.0,
    allow_insecure: bool = False,
) -> EventLog:
    """Record the server events of a Realtime session fed with ``audio`` (async :func:`record`).

    See :func:`record` for the parameters.
    """
    from rtlab.audio import Audio, load_audio
    from rtlab.events import EventLog
    from rtlab.session import Session

    api = _check_api(api)
    if base_url is not None:
        check_url(base_url, allow_insecure=allow_insecure)
    key = _api_key(api_key, base_url)
    if not isinstance(audio, Audio):
        audio = load_audio(audio)
    if session is None:
        session = Session()
    if not isinstance(session, Session):
        raise ConfigError(
            "session", type(session).__name__, "an rtlab Session or None", owner="record"
        )
    if not (isinstance(chunk_ms, int | float) and 10 <= chunk_ms <= 5000):
        raise ConfigError("chunk_ms", chunk_ms, "a number of ms in [10, 5000]", owner="record")
    if drain_s is not None and not (isinstance(drain_s, int | float) and 0 <= drain_s <= 600):
        raise ConfigError(
            "drain_s", drain_s, "a number of seconds in [0, 600], or None", owner="record"
        )
    model = model or proto.DEFAULT_MODEL[api]
    drain = default_drain_s(session) if drain_s is None else float(drain_s)
    payloads = _append_payloads(audio, chunk_ms, session.input_audio_format)
    update_event = session.to_event(api=api)

    events: list[dict[str, Any]] = []
    times: list[float] = []
    pending: list[tuple[dict[str, Any], float]] = []  # received before the first append
    stream: _JsonlStream | None = None
    t0: float | None = None
    n_sent = 0
    last_event_at = time.monotonic()
    state: dict[str, Any] = {
        "committed": set(),
        "transcribed": set(),
        "updated": None,
        "error": None,
        "n_answers": 0,  # session.updated and error events: the answers to session.update
    }
    header = {
        "type": "rtlab.event_log",
        "version": 1,
        "source": "realtime",
        "duration_ms": float(audio.duration_ms),
        "n_events": None,
        "session": json.loads(session.to_json()),
    }

    def keep(event: dict[str, Any], received: float) -> None:
        nonlocal last_event_at
        last_event_at = received
        kind = event.get("type")
        if kind == "input_audio_buffer.committed":
            state["committed"].add(event.get("item_id"))
        elif kind in (
            "conversation.item.input_audio_transcription.completed",
            "conversation.item.input_audio_transcription.failed",
        ):
            state["transcribed"].add(event.get("item_id"))
        elif kind in ("session.updated", "transcription_session.updated"):
            state["n_answers"] += 1
            if state["updated"] is None:
                state["updated"] = event
        elif kind == "error":
            state["n_answers"] += 1
            if state["error"] is None:
                state["error"] = event
        if t0 is None:
            pending.append((event, received))
            return
        emitted = (received - t0) * 1000.0
        append(event, max(emitted, times[-1]) if times else emitted)

    def append(event: dict[str, Any], emitted: float) -> None:
        event = _mask_event(event, key)
        events.append(event)
        times.append(emitted)
        if stream is not None:
            stream.write({"emitted_ms": emitted, "event": event})

    client = _client(key, base_url)
    check_url(_effective_url(client), allow_insecure=allow_insecure)  # OPENAI_BASE_URL too
    connect = _connect(client, api, model)
    failure: str | None = None
    try:
        conn = await connect.__aenter__()
    except Exception as exc:
        # the cause is not chained: a server may echo the key in its answer
        failure = f"{type(exc).__name__}: {_scrub(str(exc), key)}"
    if failure is not None:
        await _close_quietly(client)
        raise ProtocolError(
            "base_url",
            _public_url(base_url),
            None,
            message=f"Could not open a Realtime connection to {_public_url(base_url)} ({failure}).",
        )
    try:

        async def receive() -> None:
            while True:
                raw = await conn.recv_bytes()
                received = time.monotonic()
                try:
                    event = json.loads(raw)
                except ValueError:
                    event = {
                        "type": "rtlab.unparsed",
                        "data": _scrub(bytes(raw).decode("utf-8", "replace"), key),
                    }
                if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                    event = {"type": "rtlab.unparsed", "data": event}
                keep(event, received)

        receiver = asyncio.get_running_loop().create_task(receive())
        try:
            await conn.send(update_event)
            deadline = time.monotonic() + HANDSHAKE_TIMEOUT_S
            while state["updated"] is None and state["error"] is None:
                if receiver.done() or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.005)
            if state["updated"] is None:
                reason = "no session.updated before the timeout"
                if state["error"] is not None:
                    err = state["error"].get("error") or {}
                    reason = f"{err.get('code')}: {err.get('message')}"
                elif receiver.done() and receiver.exception() is not None:
                    reason = f"the connection closed ({type(receiver.exception()).__name__})"
                raise ProtocolError(
                    "session",
                    None,
                    None,
                    message=f"The server did not accept the session: {_scrub(reason, key)}",
                )
            # stream
            t0 = time.monotonic()
            if out is not None:
                stream = _JsonlStream(partial_path(out), header)
            for event, received in pending:
                append(event, (received - t0) * 1000.0)
            pending.clear()
            step_s = chunk_ms / 1000.0
            for index, data in enumerate(payloads):
                if realtime:
                    delay = t0 + index * step_s - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                if receiver.done():
                    break
                await conn.input_audio_buffer.append(audio=data)
                n_sent += 1
            if session.turn_detection is None and not receiver.done():
                await conn.input_audio_buffer.commit()
            if not realtime and not receiver.done():
                # the server may still be working through the appends: the same session sent
                # once more is answered only after all of them (events are handled in order)
                n_answers = state["n_answers"]
                await conn.send(update_event)
                deadline = time.monotonic() + CATCH_UP_TIMEOUT_S + audio.duration_s
                while state["n_answers"] == n_answers and not receiver.done():
                    if time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.01)
            # drain: until quiet (and every commit transcribed, if asked) or the bound
            sent_at = time.monotonic()
            wants_transcripts = getattr(session, "input_audio_transcription", None) is not None
            min_wait = _min_wait_s(session) if realtime else 0.0
            while not receiver.done():
                now = time.monotonic()
                if now - sent_at >= drain:
                    break
                quiet = now - max(last_event_at, sent_at) >= settle_s
                waiting = wants_transcripts and not state["committed"] <= state["transcribed"]
                if quiet and not waiting and now - sent_at >= min_wait:
                    break
                await asyncio.sleep(0.02)
        except (RtlabError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a closed connection's reason may echo the key
            failure = f"{type(exc).__name__}: {_scrub(str(exc), key)}"
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver
        if failure is not None:
            raise ProtocolError(
                "connection",
                None,
                None,
                message=f"The Realtime connection failed while recording ({failure}); the "
                f"{len(events)} events received so far are in "
                f"{partial_path(out) if out is not None else 'no file (out=None)'}.",
            )
    finally:
        with contextlib.suppress(Exception):
            await connect.__aexit__(None, None, None)
        await _close_quietly(client)
        if stream is not None:
            stream.close()
    log = EventLog(
        tuple(events),
        tuple(times),
        session=session,
        source="realtime",
        duration_ms=float(audio.duration_ms),
    )
    if n_sent < len(payloads):  # the partial file stays, marked partial; out is untouched
        raise ProtocolError(
            "connection",
            f"closed after {n_sent} of {len(payloads)} audio chunks",
            None,
            message=f"The server closed the connection after {n_sent} of {len(payloads)} audio "
            "chunks "
            f"and {len(events)} events"
            + (f"; they are saved in {partial_path(out)}." if out is not None else "."),
        )
    if out is not None:
        log.to_jsonl(out)  # atomically, then the partial stream goes
        with contextlib.suppress(FileNotFoundError):
            partial_path(out).unlink()
    return log


def _min_wait_s(session: Session) -> float:
    td = session.turn_detection
    if td is None:
        return 0.0
    return float(getattr(td, "silence_duration_ms", 0) or 0) / 1000.0


def _client(key: str, base_url: str | None) -> Any:
    import openai

    kwargs: dict[str, Any] = {"api_key": key, "max_retries": 0}
    if base_url is not None:
        kwargs["websocket_base_url"] = base_url
    return openai.AsyncOpenAI(**kwargs)


def _connect(client: Any, api: proto.Api, model: str) -> Any:
    from rtlab.realtime._server import redacting_logger

    options: dict[str, Any] = {"logger": redacting_logger("rtlab.realtime.client.websockets")}
    if api == "ga":
        return client.realtime.connect(model=model, websocket_connection_options=options)
    return client.beta.realtime.connect(model=model, websocket_connection_options=options)


async def _close_quietly(client: Any) -> None:
    with contextlib.suppress(Exception):
        await client.close()


def _public_url(base_url: str | None) -> str:
    return base_url if base_url is not None else "the OpenAI Realtime API"


def _scrub(text: str, key: str) -> str:
    """Remove the key from a text that goes into an error or a log."""
    return mask_secrets(text, key)


def record(
    audio: Audio | str | os.PathLike[str],
    session: Session | None = None,
    *,
    api: str = "ga",
    model: str | None = None,
    realtime: bool = True,
    out: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    chunk_ms: float = 100.0,
    drain_s: float | None = None,
    settle_s: float = 1.0,
    allow_insecure: bool = False,
) -> EventLog:
    """Stream a clip to a Realtime server and record every server event it sends.

    Connects with the official ``openai`` client (``AsyncOpenAI().realtime.connect`` for GA,
    ``.beta.realtime.connect`` for beta), sends the session as ``session.update``, waits
    for ``session.updated``, streams the audio as ``input_audio_buffer.append`` events in
    the session's input format (then ``input_audio_buffer.commit`` if turn detection is
    off), waits for the last events, and closes the connection.

    Parameters
    ----------
    audio : Audio or path
        The clip (a path is read with :func:`rtlab.load_audio`).
    session : Session, optional
        The configuration to send (default ``Session()``, the API defaults).
    api : {"ga", "beta"}, default "ga"
        Which API shape to speak.
    model : str, optional
        Realtime model (default ``gpt-realtime`` for GA, ``gpt-4o-realtime-preview`` for beta).
    realtime : bool, default True
        Send the audio at real time (one chunk every ``chunk_ms``); ``False`` sends it as
        fast as the server takes it, then sends the session once more: its
        ``session.updated`` (the last event of the log) comes after the server has handled
        every append, so no event is cut off however far behind the server runs.
    out : path, optional
        JSONL file for the log. While recording, each event is appended as it arrives to
        ``<name>.partial.jsonl`` beside it (flushed line by line; its header says
        ``"partial": true``, and :meth:`EventLog.read_jsonl` warns when reading it), so a
        crash loses nothing received and never touches a previous ``out``. At the end the
        complete log is written to ``out`` atomically and the partial file removed.
    base_url : str, optional
        Websocket base URL of another server speaking the protocol, e.g. the ``url`` of
        :func:`rtlab.realtime.serve` (``"ws://127.0.0.1:8765/v1"``). Default: the
        OpenAI API. The key is sent only over ``wss://`` or to a loopback address.
    api_key : str, optional
        The key; default the ``OPENAI_API_KEY`` environment variable. It is sent only in
        the connection's ``Authorization`` header: never logged, written or shown in errors.
    chunk_ms : float in [10, 5000], default 100
        Audio per append event, in ms.
    drain_s : float in [0, 600], optional
        Most seconds to wait for events after the last audio was sent (default
        :func:`default_drain_s` of the session).
    settle_s : float, default 1.0
        Stop waiting once no event came for this many seconds (and every committed item
        has its transcription, if the session asks for transcripts).
    allow_insecure : bool, default False
        Allow sending the key over plain ``ws://`` to a host that is not loopback (it
        travels in clear text: only on a network you trust).

    Returns
    -------
    EventLog
        Every server event in arrival order, ``source="realtime"``, with ``emitted_ms`` =
        receive time in ms since the first append was sent (events received before it,
        ``session.created`` and ``session.updated``, have negative times).

    Raises
    ------
    ConfigError
        No key, a bad option, or a ``ws://`` URL to a remote host without
        ``allow_insecure``.
    ProtocolError
        The connection could not be opened, or the server rejected the session.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import datasets
    >>> from rtlab.realtime import record, serve
    >>> clip = datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=[700], tail_ms=1000)
    >>> with serve() as server:
    ...     log = record(clip.audio, rtlab.Session(), base_url=server.url, api_key="local",
    ...                  realtime=False, settle_s=0.3)
    >>> log.turns()[["start_ms", "end_ms"]].values.tolist()
    [[212.0, 3584.0], [3584.0, 7008.0]]
    >>> emulated = rtlab.detect(clip.audio, rtlab.Session())
    >>> log.turns()[["start_ms", "end_ms"]].equals(emulated.turns()[["start_ms", "end_ms"]])
    True
    """
    coroutine = arecord(
        audio,
        session,
        api=api,
        model=model,
        realtime=realtime,
        out=out,
        base_url=base_url,
        api_key=api_key,
        chunk_ms=chunk_ms,
        drain_s=drain_s,
        settle_s=settle_s,
        allow_insecure=allow_insecure,
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # a loop runs in this thread (a notebook): run on a fresh loop in a worker thread
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="rtlab-record"
    ) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def record_file(
    path: str | os.PathLike[str],
    session_path: str | os.PathLike[str] | None,
    out_path: str | os.PathLike[str],
    *,
    api: str = "ga",
    model: str | None = None,
    realtime: bool = True,
    base_url: str | None = None,
    api_key: str | None = None,
    allow_insecure: bool = False,
) -> EventLog:
    """``rtlab record FILE --session S.json --out log.jsonl``: record a file with a saved session.

    Parameters
    ----------
    path : path
        The audio file.
    session_path : path or None
        A session JSON (``Session.save``, a ``session.update`` event or a bare session
        dict, either API shape); ``None`` for the API defaults.
    out_path : path
        Where the JSONL log goes (streamed, then replaced atomically).
    api, model, realtime, base_url, api_key, allow_insecure
        As for :func:`record`.

    Returns
    -------
    EventLog
    """
    from rtlab.session import Session

    if session_path is None:
        session = Session()
    else:
        text = Path(session_path).read_text(encoding="utf-8")
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise ConfigError(
                "session_path", str(session_path), "a JSON file with a session", owner="record_file"
            ) from exc
        session = Session.from_event(payload, warn=False)
    return record(
        path,
        session,
        api=api,
        model=model,
        realtime=realtime,
        out=out_path,
        base_url=base_url,
        api_key=api_key,
        allow_insecure=allow_insecure,
    )
