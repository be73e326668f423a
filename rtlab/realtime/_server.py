"""The local Realtime-protocol server (``rtlab serve``), backed by the turn-detection emulator.

It speaks the subset of the Realtime API's websocket protocol that turn detection needs, so
any Realtime client (the official ``openai`` client included) can be pointed at it:

- ``session.update`` (beta and GA shapes) -> ``session.updated`` with the full session;
- ``input_audio_buffer.append`` -> the streaming detector's VAD events
  (``speech_started`` / ``speech_stopped`` / ``committed`` / ``timeout_triggered``);
- every commit (by VAD, or the client's ``input_audio_buffer.commit``) ->
  ``input_audio_buffer.committed`` and the user item (beta ``conversation.item.created``;
  GA ``conversation.item.added`` + ``conversation.item.done``), then, when the session has
  ``input_audio_transcription``, ``conversation.item.input_audio_transcription.completed``
  from the offline transcriber;
- ``input_audio_buffer.clear`` -> ``input_audio_buffer.cleared``;
- a committed turn with ``create_response`` on, or ``response.create`` -> a spoken response
  (``response.created`` ... ``response.done``, see :class:`Server`), cancelled by a
  ``speech_started`` when ``interrupt_response`` is on, or by ``response.cancel``;
- ``conversation.item.create`` / ``truncate`` / ``delete`` / ``retrieve`` -> the API's
  ``conversation.item.*`` answers;
- anything else, or anything it cannot parse -> an ``error`` event; the connection stays open.

CPU-bound work (decoding, Silero scoring, transcription) runs in thread pools, so one
event loop serves many sessions at once, fairly (see :class:`Server`: limits per
connection, scoring in short slices, work of a closed connection dropped at once).

The events equal those of :func:`rtlab.detect` on the same audio (with answers on too: a
committed turn's ``previous_item_id`` names the previous *user* item, as ``detect`` does,
where the API would name the assistant's answer in between), with two differences that come
from streaming: positions (``audio_start_ms`` / ``audio_end_ms``) count all audio
appended on the connection (as the API's do), and a frame is scored only once the audio
after it (the resampler's few ms of look-ahead) has arrived, so an event that ``detect``
fires on the very last frame of a clip comes only when more audio follows. G.711 input is
decoded and resampled as a stream, which can move a boundary by a frame against ``detect``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import ipaddress
import json
import logging
import os
import secrets
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rtlab import _response_events as answers
from rtlab.errors import ConfigError, RtlabError, mask_secrets
from rtlab.realtime import _protocol as proto
from rtlab.realtime import _responses as resp
from rtlab.realtime._batcher import MAX_WAIT_MS, FrameBatcher, WindowBatcher
from rtlab.realtime._schema import Schemas, check, session_shape

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from rtlab.session import Session
    from rtlab.turns import EmulatorOptions

__all__ = ["Server", "ServerThread", "serve", "serve_forever", "start_server"]


#: Largest websocket message read (bytes); a larger one closes the connection (1009) at its
#: header. The API takes 15 MiB; a local emulator serving many clients takes less, so 40
#: clients sending the largest message at once hold at most 80 MiB in flight.
MAX_MESSAGE_BYTES = 2 * 2**20

#: Most audio in one append (decoded bytes, 21.8 s of pcm16); more gets an ``error`` event.
MAX_APPEND_BYTES = 2**20

#: Most audio the input buffer of a connection holds (s): 5.8 MB of 24 kHz int16.
MAX_BUFFER_S = 120.0

#: Messages a connection may have waiting before its socket is no longer read.
MAX_QUEUED_MESSAGES = 4

#: Most audio fed to the detector in one job on the shared pool (samples: 0.5 s).
SLICE_SAMPLES = 12000

#: Most appended audio waiting to be scored before the server reads no more from the client
#: (samples: 1 s); a client sending faster than it is scored is held back by TCP.
MAX_UNSCORED_SAMPLES = 24000

#: Request paths served: the openai client appends ``/realtime`` to its websocket base URL.
PATHS = ("/v1/realtime", "/realtime")

#: Audio kept before an open turn or while idle, so a late ``speech_started`` still has its
#: prefix padding (ms).
_KEEP_IDLE_MS = 5000.0

_SAMPLE_RATE_HZ = 24000


# -- logging that never shows a key ----------------------------------------------------------


def _redact(value: Any) -> Any:
    return mask_secrets(value) if isinstance(value, str) else value


class RedactingLogger(logging.LoggerAdapter):
    """A logger adapter that hides ``Authorization`` header values and API keys.

    ``websockets`` logs every request header at DEBUG level; the server and the recorder
    hand it this adapter, so a key never reaches a log record.
    """

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        if (
            len(args) >= 2
            and isinstance(args[0], str)
            and args[0].lower() in ("authorization", "cookie")
        ):
            args = (args[0], "<redacted>", *args[2:])
        args = tuple(_redact(a) for a in args)
        super().log(level, _redact(msg), *args, **kwargs)


def redacting_logger(name: str) -> RedactingLogger:
    """A :class:`RedactingLogger` over the standard logger ``name``."""
    return RedactingLogger(logging.getLogger(name), {})


log = redacting_logger("rtlab.realtime.server")


# -- the server ----------------------------------------------------------------------------


def check_host(host: str, *, allow_remote: bool) -> None:
    """Refuse a non-loopback bind unless ``allow_remote`` is true.

    Raises
    ------
    ConfigError
        For an address outside 127.0.0.0/8 and ::1 (and other than ``localhost``).

    Examples
    --------
    >>> check_host("127.0.0.1", allow_remote=False)
    >>> check_host("0.0.0.0", allow_remote=False)
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'host' parameter of serve must be a loopback address (127.0.0.1, ::1 or localhost). Got '0.0.0.0'. The server has no authentication: pass allow_remote=True only on a trusted network.
    """  # noqa: E501
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(
            "host",
            host,
            "a loopback address (127.0.0.1, ::1 or localhost)",
            owner="serve",
            fix="The server has no authentication: "
            "pass allow_remote=True only on a trusted network.",
        )


@dataclass(frozen=True)
class Limits:
    """What one connection may send (see :class:`Server`); internal, checked by ``Server``."""

    max_message_bytes: int = MAX_MESSAGE_BYTES
    max_append_bytes: int = MAX_APPEND_BYTES
    max_buffer_s: float = MAX_BUFFER_S

    @property
    def max_append_base64_chars(self) -> int:
        return (self.max_append_bytes + 2) // 3 * 4

    @property
    def max_buffer_samples(self) -> int:
        return int(self.max_buffer_s * _SAMPLE_RATE_HZ)


class FairPool:
    """A thread pool whose free thread goes to the waiting connection that used it least.

    Start-time fair queueing: each job is tagged with the larger of its connection's
    finish tag (the thread time it has used) and the pool's clock (the tag of the last job
    started); the lowest tag runs first. A session streaming at real time stays behind the
    clock, so its next slice runs before those of a client flooding the server, however
    many of them are queued; a new connection starts at the clock, not at zero.
    """

    def __init__(self, n_threads: int) -> None:
        self.executor = ThreadPoolExecutor(n_threads, thread_name_prefix="rtlab-serve")
        self.free = n_threads
        self.clock = 0.0
        self.waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self.n_queued = 0

    async def run(self, owner: Any, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on a thread when ``owner``'s turn comes; charge it the time."""
        loop = asyncio.get_running_loop()
        tag = max(owner.finish_tag, self.clock)
        if self.free > 0 and not self.waiting:
            self.free -= 1
        else:
            turn: asyncio.Future[None] = loop.create_future()
            self.n_queued += 1
            heapq.heappush(self.waiting, (tag, self.n_queued, turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self.release()  # granted, then cancelled: pass the thread on
                raise
        self.clock = max(self.clock, tag)
        started = time.perf_counter()
        try:
            return await loop.run_in_executor(self.executor, fn, *args)
        finally:
            owner.finish_tag = tag + (time.perf_counter() - started)
            self.release()

    def release(self) -> None:
        while self.waiting:
            _, _, turn = heapq.heappop(self.waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


@dataclass(eq=False)
class _ServerState:
    pool: FairPool
    batcher: FrameBatcher | None
    turn_ends: WindowBatcher | None
    detectors: ThreadPoolExecutor | None  # semantic_vad detectors block on turn_ends
    transcriber: ThreadPoolExecutor
    options: EmulatorOptions | None
    limits: Limits
    schemas: Schemas
    response_speed: float | None = 1.0
    connections: set[_Connection] = field(default_factory=set)
    utterances: tuple[resp.Utterance, ...] = ()


class Server:
    """The local Realtime server (``rtlab serve``), backed by the turn-detection emulator.

    ``async with Server() as server:`` runs it on the running event loop; :func:`serve`
    runs it on a background thread for synchronous code and notebooks (``with serve() as
    server:``). Either way, ``server.url`` is the websocket base URL to give a client.

    Parameters
    ----------
    host : str, default "127.0.0.1"
        Address to listen on. Only loopback addresses are allowed unless ``allow_remote``.
    port : int, default 0
        TCP port; 0 picks a free one (read it from ``server.port`` / ``server.url``).
    allow_remote : bool, default False
        Allow a non-loopback ``host``. The server checks no key (it accepts any
        ``Authorization`` and never logs it), so only do this on a trusted network.
    options : EmulatorOptions, optional
        Options of the streaming detector of every connection.
    max_message_bytes : int, default 2 MiB
        Largest websocket message read. A larger one closes the connection (code 1009,
        "message too big") as soon as its header arrives, without reading it: answering it
        would mean holding it in memory. The API itself takes 15 MiB per message.
    max_append_bytes : int, default 1 MiB
        Most audio in one ``input_audio_buffer.append`` (decoded bytes; 1 MiB of pcm16 is
        21.8 s). A larger append gets an ``error`` event (``string_above_max_length``) and
        is dropped; the connection stays open.
    max_buffer_s : float, default 120
        Most audio the input buffer of one connection holds, in seconds. With
        ``turn_detection: null`` an append beyond it gets an ``error`` event
        (``input_audio_buffer_full``) until the client commits or clears; with turn
        detection on, only the last ``max_buffer_s`` of an open turn is kept for its
        transcript.
    max_workers : int, optional
        Threads for decoding and scoring (default: the number of CPUs, at least 2).
    batch_wait_ms : float or None, default 2
        Silero scores the frames of all live sessions together, in batches (one model call
        per frame step for every session with audio waiting): a batch starts at most this
        long after the first audio waits (or at once when the previous batch ends with more
        waiting). ``semantic_vad`` sessions share Smart Turn calls likewise (the windows of
        sessions that pause within 5 ms of each other run as one batch, on two threads of
        their own). ``None`` scores each session on its own, one frame per model call (the
        path before batching, kept for comparison). The events are the same either way.
        Either way a connection reads on while its audio is scored (up to 1 s of audio
        waiting), and answers any other request after the events of the audio before it.
    response_speed : float or None, default 1.0
        How fast a response's audio deltas are sent, in times real time: 1.0 sends each
        100 ms delta 100 ms after the previous one (as if the client played it while it
        arrives, so a barge-in can cancel the response half-way); ``None`` sends them as
        fast as the client reads them. See "Responses" below.

    Notes
    -----
    Fairness: every connection handles its messages one at a time and feeds the detector
    in slices of at most 0.5 s of audio, each a separate job on a shared thread pool
    that gives a free thread to the waiting connection that has used the least thread time
    (start-time fair queueing, :class:`FairPool`), so a client that sends a lot waits
    behind every session that streams at its pace, not the other way round. Websocket
    reads pause once a connection has 4 messages waiting (TCP backpressure), so memory
    per connection is bounded by the limits above. When a client disconnects, its queued
    messages and the rest of its audio are dropped at once. Transcription runs on its own
    thread.

    Responses (the agent talks back): when a turn is committed and the session's
    ``turn_detection.create_response`` is on (the default), or when the client sends
    ``response.create``, the server answers with one of the shipped LibriVox utterances
    (in turn), as the API does: ``response.created``, ``response.output_item.added``,
    the assistant item (GA ``conversation.item.added``, beta ``conversation.item.created``),
    ``response.content_part.added``, 100 ms audio deltas (GA ``response.output_audio.delta``,
    beta ``response.audio.delta``; PCM16 24 kHz, or G.711 for a G.711 output format) with
    the clip's words as transcript deltas at the times they are spoken, then the ``.done``
    events and ``response.done``. A text-only session gets text deltas instead. With
    ``interrupt_response`` on, a ``speech_started`` while a response is being sent cancels
    it: the done events follow at once, ``response.done`` with status ``cancelled``
    (reason ``turn_detected``); ``response.cancel`` does the same (``client_cancelled``).
    ``conversation.item.truncate`` is answered with ``conversation.item.truncated``. One
    response at a time: a commit during a response starts none; ``response.create`` then
    gets the API's ``conversation_already_has_active_response`` error. The idle timeout
    (``idle_timeout_ms``) counts input audio from the end of the last turn, as
    :func:`rtlab.detect` does, not from the end of the response's playback as the API
    does: the server cannot know when the client finished playing (clients that stream
    their microphone without pause see the timeout earlier by the response's length).

    The API shape of a connection is the GA one unless the client sends the header
    ``OpenAI-Beta: realtime=v1`` (the ``openai`` client's ``beta.realtime`` does) or the
    query parameter ``api=beta``; ``api=ga`` forces GA. Paths ``/v1/realtime`` and
    ``/realtime`` are served, with any ``model`` query parameter (echoed in the session).

    Examples
    --------
    >>> import asyncio
    >>> from rtlab.realtime import Server
    >>> async def main():
    ...     async with Server() as server:
    ...         return server.url.startswith("ws://127.0.0.1:")
    >>> asyncio.run(main())
    True
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        options: EmulatorOptions | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        max_append_bytes: int = MAX_APPEND_BYTES,
        max_buffer_s: float = MAX_BUFFER_S,
        max_workers: int | None = None,
        batch_wait_ms: float | None = MAX_WAIT_MS,
        response_speed: float | None = 1.0,
    ) -> None:
        from rtlab import _check

        check_host(host, allow_remote=allow_remote)
        self.host = host
        self._port = _check.integer(port, "port", owner="Server", low=0, high=65535)
        self._limits = Limits(
            max_message_bytes=_check.integer(
                max_message_bytes, "max_message_bytes", owner="Server", low=1024
            ),
            max_append_bytes=_check.integer(
                max_append_bytes, "max_append_bytes", owner="Server", low=2
            ),
            max_buffer_s=_check.number(
                max_buffer_s, "max_buffer_s", owner="Server", low=1.0, high=86400.0, unit="s"
            ),
        )
        self._workers = (
            max(2, os.cpu_count() or 2)
            if max_workers is None
            else _check.integer(max_workers, "max_workers", owner="Server", low=1, high=256)
        )
        self._batch_wait_ms = (
            None
            if batch_wait_ms is None
            else _check.number(
                batch_wait_ms, "batch_wait_ms", owner="Server", low=0.0, high=1000.0, unit="ms"
            )
        )
        self._response_speed = (
            None
            if response_speed is None
            else _check.number(
                response_speed, "response_speed", owner="Server", low=0.01, high=1000.0
            )
        )
        self._options = options
        self._ws_server: Any = None
        self._state: _ServerState | None = None
        # when run by serve() on a background thread
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- what a client needs -----------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port (the one chosen when ``port=0`` was asked, once listening)."""
        return self._port

    @property
    def url(self) -> str:
        """The websocket base URL: pass it as ``websocket_base_url`` to ``openai.AsyncOpenAI``."""
        return _base_url(self.host, self._port)

    @property
    def n_connections(self) -> int:
        """How many clients are connected now."""
        return 0 if self._state is None else len(self._state.connections)

    @property
    def batch_counts(self) -> tuple[int, int]:
        """Silero batches run so far and session slices they scored (``(0, 0)`` unbatched).

        Their ratio is the mean number of sessions scored together.
        """
        batcher = None if self._state is None else self._state.batcher
        return (0, 0) if batcher is None else (batcher.n_batches, batcher.n_scored)

    @property
    def turn_end_batch_counts(self) -> tuple[int, int]:
        """Smart Turn batches run so far and windows they scored (``semantic_vad``)."""
        turn_ends = None if self._state is None else self._state.turn_ends
        return (0, 0) if turn_ends is None else (turn_ends.n_batches, turn_ends.n_windows)

    @property
    def running(self) -> bool:
        """True while the server listens."""
        return self._ws_server is not None

    def __repr__(self) -> str:
        return f"Server(url={self.url!r}, connections={self.n_connections})"

    # -- async: on the running loop ------------------------------------------------------

    async def __aenter__(self) -> Server:
        if self._thread is not None:  # serve() already runs it: `async with serve()` of old
            warnings.warn(
                "`async with serve()` is deprecated: write `async with Server()` (on this loop) "
                "or `with serve()` (on a background thread).",
                DeprecationWarning,
                stacklevel=2,
            )
            return self
        await self._start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.close)
            return
        await self._aclose()

    async def _start(self) -> None:
        from websockets.asyncio.server import serve as ws_serve

        if self._ws_server is not None:
            raise RtlabError(message=f"{self!r} is already running.")
        loop = asyncio.get_running_loop()
        schemas = await loop.run_in_executor(None, Schemas.from_openai)
        utterances = await loop.run_in_executor(None, resp.load_utterances)
        state = _ServerState(
            pool=FairPool(self._workers),
            batcher=None
            if self._batch_wait_ms is None
            else FrameBatcher(min(self._workers, 2), max_wait_ms=self._batch_wait_ms),
            turn_ends=None if self._batch_wait_ms is None else WindowBatcher(),
            detectors=None
            if self._batch_wait_ms is None
            else ThreadPoolExecutor(64, thread_name_prefix="rtlab-serve-semantic"),
            transcriber=ThreadPoolExecutor(1, thread_name_prefix="rtlab-serve-transcribe"),
            options=self._options,
            limits=self._limits,
            schemas=schemas,
            response_speed=self._response_speed,
            utterances=utterances,
        )

        async def handler(ws: Any) -> None:
            await _handle(ws, state)

        try:
            self._ws_server = await ws_serve(
                handler,
                self.host,
                self._port,
                process_request=_process_request,
                max_size=self._limits.max_message_bytes,
                max_queue=MAX_QUEUED_MESSAGES,
                compression=None,
                logger=redacting_logger("rtlab.realtime.server.websockets"),
                server_header="rtlab-serve",
            )
        except OSError as exc:
            _shutdown(state)
            raise ConfigError(
                "port",
                self._port,
                f"a TCP port free on {self.host}",
                owner="serve",
                fix=f"It cannot be bound ({exc.strerror or type(exc).__name__}): stop what "
                "uses it or pick another port (0 picks a free one).",
            ) from exc
        self._state = state
        self._port = int(self._ws_server.sockets[0].getsockname()[1])
        log.info("rtlab serve listening on %s", self.url)

    async def _aclose(self) -> None:
        if self._ws_server is None or self._state is None:
            return
        for connection in list(self._state.connections):
            connection.cancel_tasks()
        self._ws_server.close()
        with contextlib.suppress(Exception):
            await self._ws_server.wait_closed()
        self._ws_server = None
        _shutdown(self._state)

    # -- sync: on a background thread (serve) --------------------------------------------

    def _start_thread(self) -> Server:
        if self._thread is not None or self._ws_server is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="rtlab-serve", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            error, self._error = self._error, None
            self._thread.join(5.0)
            raise error
        return self

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            try:
                await self._start()
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await self._aclose()

        asyncio.run(main())

    def __enter__(self) -> Server:
        return self._start_thread()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop a server started by :func:`serve` and wait (at most ``timeout_s``) for it."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread.join(timeout_s)

    def wait(self) -> None:
        """Block until the server stops (:meth:`close` from another thread, or Ctrl-C).

        ``KeyboardInterrupt`` propagates, so ``with serve() as s: s.wait()`` stops the
        server on Ctrl-C as it leaves the block.
        """
        thread = self._thread
        while thread is not None and thread.is_alive():
            thread.join(0.2)


def _shutdown(state: _ServerState) -> None:
    state.pool.shutdown()
    if state.batcher is not None:
        state.batcher.shutdown()
    if state.turn_ends is not None:
        state.turn_ends.shutdown()
    if state.detectors is not None:
        state.detectors.shutdown(wait=False, cancel_futures=True)
    state.transcriber.shutdown(wait=False, cancel_futures=True)


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"ws://{shown}:{port}/v1"


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allow_remote: bool = False,
    options: EmulatorOptions | None = None,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    max_append_bytes: int = MAX_APPEND_BYTES,
    max_buffer_s: float = MAX_BUFFER_S,
    max_workers: int | None = None,
    batch_wait_ms: float | None = MAX_WAIT_MS,
    response_speed: float | None = 1.0,
) -> Server:
    """Start the local Realtime server on a background thread and return it, listening.

    For notebooks and synchronous code: ``with serve() as server:`` stops it at the end of
    the block (or call ``server.close()``); ``server.wait()`` blocks until Ctrl-C, which
    is what ``rtlab serve`` does. In async code use ``async with Server()`` instead.

    Parameters
    ----------
    host, port, allow_remote, options, max_message_bytes, max_append_bytes, max_buffer_s, max_workers, batch_wait_ms, response_speed
        As for :class:`Server`.

    Returns
    -------
    Server
        ``.url`` is the websocket base URL.

    Raises
    ------
    ConfigError
        For a non-loopback ``host`` without ``allow_remote=True``, a bad limit, or a port
        that cannot be bound (in use).

    Examples
    --------
    >>> from rtlab.realtime import serve
    >>> with serve() as server:
    ...     server.url.startswith("ws://127.0.0.1:")
    True
    """  # noqa: E501
    return Server(
        host,
        port,
        allow_remote=allow_remote,
        options=options,
        max_message_bytes=max_message_bytes,
        max_append_bytes=max_append_bytes,
        max_buffer_s=max_buffer_s,
        max_workers=max_workers,
        batch_wait_ms=batch_wait_ms,
        response_speed=response_speed,
    )._start_thread()


def _process_request(connection: Any, request: Any) -> Any:
    from http import HTTPStatus

    path = urlsplit(request.path).path.rstrip("/")
    if path not in PATHS:
        return connection.respond(
            HTTPStatus.NOT_FOUND,
            f"rtlab serve: no Realtime endpoint at {path!r}; use /v1/realtime.\n",
        )
    try:
        proto.api_from_request(request.path, request.headers)
    except proto.RequestError as exc:
        return connection.respond(HTTPStatus.BAD_REQUEST, f"rtlab serve: {exc}\n")
    return None


# -- deprecated names (issue 11: one way to start the server) -------------------------------


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"rtlab.realtime.{old} is deprecated: use {new}.", DeprecationWarning, stacklevel=3
    )


def start_server(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allow_remote: bool = False,
    options: EmulatorOptions | None = None,
) -> Server:
    """Deprecated: use :func:`serve` (the same call, the same result)."""
    _deprecated("start_server", "serve")
    return serve(host, port, allow_remote=allow_remote, options=options)


def ServerThread(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allow_remote: bool = False,
    options: EmulatorOptions | None = None,
) -> Server:
    """Deprecated: use :func:`serve`, which returns the running :class:`Server`."""
    _deprecated("ServerThread", "serve")
    return serve(host, port, allow_remote=allow_remote, options=options)


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    allow_remote: bool = False,
    options: EmulatorOptions | None = None,
    on_ready: Callable[[str], object] | None = None,
) -> None:
    """Deprecated: use ``with serve(host, port) as server: server.wait()``."""
    _deprecated("serve_forever", "`with serve(...) as server: server.wait()`")
    with (
        contextlib.suppress(KeyboardInterrupt),
        serve(host, port, allow_remote=allow_remote, options=options) as server,
    ):
        if on_ready is not None:
            on_ready(server.url)
        server.wait()


# -- one connection ------------------------------------------------------------------------


async def _handle(ws: Any, state: _ServerState) -> None:
    from websockets.exceptions import ConnectionClosed

    request = ws.request
    api = proto.api_from_request(request.path, request.headers)
    model = proto.model_from_path(request.path, api)
    connection = _Connection(ws, api=api, model=model, state=state)
    state.connections.add(connection)
    log.info("connection opened: api=%s model=%s", api, model)
    try:
        await connection.send(connection.session_event("session.created"))
        async for raw in ws:
            if connection.closed:  # messages still queued when the client left: dropped
                break
            await connection.handle(raw)
    except ConnectionClosed:
        pass
    finally:
        state.connections.discard(connection)
        connection.cancel_tasks()
        log.info("connection closed: %d events sent", connection.n_sent)


class _Connection:
    """The state of one client connection: its session, audio buffer and streaming detector."""

    def __init__(self, ws: Any, *, api: proto.Api, model: str, state: _ServerState) -> None:
        from rtlab.session import Session

        self.ws = ws
        self.api = api
        self.model = model
        self.state = state
        self.session: Session = Session()
        self.session_id = "sess_" + secrets.token_hex(8)
        self.n_sent = 0
        self._n_events = 0
        self._n_items = 0
        self.previous_item_id: str | None = None
        # audio: every sample appended since the connection opened is numbered; the buffer
        # holds samples [buffer_start, total) as chunks
        self.total = 0
        self.buffer: list[np.ndarray] = []
        self.buffer_start = 0
        self.commit_start = 0  # first sample not yet committed or cleared
        # the streaming detector, fed from sample `detector_start` on
        self.detector: Any = None
        self.scorer: Any = None  # the detector's ScoreStream when scoring is batched
        self.detector_start = 0
        self.detector_items: dict[str, str] = {}
        self.open_turn_start: int | None = None  # sample where the open turn's audio starts
        self.turn_spans: dict[str, list[int]] = {}
        self.resampler: tuple[str, proto.G711Resampler] | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.pending: list[tuple[str, np.ndarray]] = []
        # appended audio not yet fed to the detector, and the task feeding it
        self.unscored: list[np.ndarray] = []
        self.n_unscored = 0
        self.scored_total = 0  # samples fed to the detector (numbered as `total`)
        self.scoring: asyncio.Task[None] | None = None
        self.send_lock = asyncio.Lock()
        self.finish_tag = 0.0  # thread time used, for the fair pool
        # the agent's side: the response being sent, one waiting to start, the items
        self.response: _Response | None = None
        self.response_wanted: dict[str, Any] | None = None
        self.n_responses = 0
        self.items: dict[str, dict[str, Any]] = {}  # item id -> item (as last sent)
        self.audio_ms: dict[str, float] = {}  # assistant item id -> audio sent (ms)

    @property
    def closed(self) -> bool:
        """True once the client has gone (or the connection is closing): drop its work."""
        from websockets.protocol import State

        return self.ws.state is not State.OPEN

    # -- ids and sending ---------------------------------------------------------------

    def next_event_id(self) -> str:
        self._n_events += 1
        return f"event_{self._n_events:04d}"

    def next_item_id(self) -> str:
        self._n_items += 1
        return f"item_{self._n_items:04d}"

    async def send(self, event: dict[str, Any]) -> None:
        text = json.dumps(event, allow_nan=False)
        async with self.send_lock:
            await self.ws.send(text)
        self.n_sent += 1

    def session_event(self, kind: Any) -> dict[str, Any]:
        return proto.session_event(
            kind,
            self.next_event_id(),
            self.session,
            self.api,
            session_id=self.session_id,
            model=self.model,
        )

    def error(self, exc: proto.RequestError) -> dict[str, Any]:
        return proto.error_event(
            self.next_event_id(),
            code=exc.code,
            message=str(exc),
            param=exc.param,
            client_event_id=exc.client_event_id,
        )

    def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            task.cancel()

    # -- dispatch ----------------------------------------------------------------------

    async def handle(self, raw: str | bytes) -> None:
        """Answer one client message; every failure becomes an ``error`` event."""
        from websockets.exceptions import ConnectionClosed

        client_event_id: str | None = None
        try:
            if len(raw) > 65536:  # a large message is parsed off the event loop
                event = await self.state.pool.run(self, proto.parse_client_event, raw)
            else:
                event = proto.parse_client_event(raw)
            client_event_id = event.get("event_id")
            kind = event["type"]
            log.debug("client event %s", kind[:80])
            known = self.state.schemas.event_keys[self.api].get(kind, frozenset(event))
            for key in event:
                if key not in known:
                    raise proto.RequestError(
                        "unknown_parameter",
                        f"Unknown parameter: '{key[:80]}'.",
                        param=key[:80],
                        client_event_id=client_event_id,
                    )
            if kind != "input_audio_buffer.append":
                await self.drain()  # after the events of the audio appended before it
            if kind == "input_audio_buffer.append":
                out = await self.append(event)
            elif kind == "session.update":
                out = await self.update_session(event)
            elif kind == "input_audio_buffer.commit":
                out = await self.commit(client_event_id)
            elif kind == "input_audio_buffer.clear":
                out = self.clear()
            elif kind == "response.create":
                out = self.create_response(event)
            elif kind == "response.cancel":
                out = self.client_cancel(event)
            elif kind.startswith("conversation.item."):
                out = self.item_request(kind, event)
            else:
                log.info("unsupported client event %s answered with an error", kind[:80])
                raise proto.RequestError(
                    "unsupported_event",
                    "rtlab serve emulates turn detection and spoken responses: the client "
                    f"event {kind[:80]!r} is not "
                    f"supported (supported: {', '.join(proto.SUPPORTED_CLIENT_EVENTS)}).",
                    param="type",
                    client_event_id=client_event_id,
                )
        except proto.RequestError as exc:
            out = [self.error(exc)]
        except ConnectionClosed:
            raise
        except Exception as exc:  # keep serving: report, log without the message's content
            log.exception("internal error while handling a %s message", type(raw).__name__)
            out = [
                proto.error_event(
                    self.next_event_id(),
                    code="internal_error",
                    message=f"rtlab serve failed on this event ({type(exc).__name__}); "
                    "the session goes on.",
                    client_event_id=client_event_id,
                    error_type="server_error",
                )
            ]
        for server_event in out:
            await self.send(server_event)
        self.start_transcriptions()
        await self.start_response()

    # -- session.update ----------------------------------------------------------------

    async def update_session(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        from rtlab.session import Session

        client_event_id = event.get("event_id")
        payload = event.get("session")
        if not isinstance(payload, dict):
            raise proto.RequestError(
                "invalid_value" if "session" in event else "missing_required_parameter",
                "session.update needs a 'session' object.",
                param="session",
                client_event_id=client_event_id,
            )
        schemas = self.state.schemas
        check(
            payload,
            schemas.session[session_shape(payload, self.api, schemas)],
            "session",
            client_event_id,
        )
        try:
            update = Session.from_event({"type": "session.update", "session": payload}, warn=False)
        except RtlabError as exc:
            field_name = getattr(exc, "field", None)
            raise proto.RequestError(
                "invalid_value",
                str(exc),
                param=f"session.{field_name}" if field_name else "session",
                client_event_id=client_event_id,
            ) from exc
        except (ValueError, TypeError) as exc:
            raise proto.RequestError(
                "invalid_value",
                f"The session is not valid: {str(exc)[:500]}",
                param="session",
                client_event_id=client_event_id,
            ) from exc
        previous = self.session
        changes = {name: getattr(update, name) for name in update.model_fields_set}
        self.session = previous.model_copy(update=changes)
        if not (
            _same(self.session.turn_detection, previous.turn_detection)
            and _same(
                self.session.input_audio_noise_reduction, previous.input_audio_noise_reduction
            )
        ):
            self.restart_detector()  # a new detector from the next append on
        return [self.session_event("session.updated")]

    # -- audio -------------------------------------------------------------------------

    async def append(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        client_event_id = event.get("event_id")
        if "audio" not in event:
            raise proto.RequestError(
                "missing_required_parameter",
                "input_audio_buffer.append needs 'audio' (base64).",
                param="audio",
                client_event_id=client_event_id,
            )
        limits = self.state.limits
        fmt = self.session.input_audio_format
        data = event["audio"]
        if isinstance(data, str) and len(data) > limits.max_append_base64_chars:
            raise proto.RequestError(
                "string_above_max_length",
                f"Invalid 'audio': string too long. Expected a string with maximum length "
                f"{limits.max_append_base64_chars} ({_mib(limits.max_append_bytes)} of audio, "
                f"the most rtlab serve takes in one append), but got a string with length "
                f"{len(data)} instead. Send the audio in smaller chunks.",
                param="audio",
                client_event_id=client_event_id,
            )
        if self.session.turn_detection is None:
            held = self.total - max(self.commit_start, self.buffer_start)
            if held + _samples_in(data, fmt) > limits.max_buffer_samples:
                raise proto.RequestError(
                    "input_audio_buffer_full",
                    f"The input audio buffer holds {proto.ms(held) / 1000:.1f} s of audio; "
                    f"rtlab serve keeps at most {limits.max_buffer_s:g} s per connection. "
                    "Commit (input_audio_buffer.commit) or clear it before appending more.",
                    param="audio",
                    client_event_id=client_event_id,
                )
        resampler = None
        if fmt != "pcm16":
            if self.resampler is None or self.resampler[0] != fmt:
                self.resampler = (fmt, proto.G711Resampler())
            resampler = self.resampler[1]

        def decode() -> np.ndarray:
            samples = proto.decode_audio(data, fmt, client_event_id=client_event_id)
            return samples if resampler is None else resampler.push(samples)

        if fmt == "pcm16" and isinstance(data, str) and len(data) < 65536:
            samples = decode()  # cheap
        else:
            samples = await self.state.pool.run(self, decode)
        if samples.size == 0 or self.closed:
            return []
        self.buffer.append(samples)
        self.total += int(samples.size)
        if self.session.turn_detection is None:
            self.trim()
            return []
        if self.detector is None:
            self.detector_start = self.scored_total = self.total - int(samples.size)
            self.detector_items = {}
            session, options = self.session, self.state.options
            self.detector, self.scorer = await self.state.pool.run(
                self, _make_detector, session, options, self.state.turn_ends
            )
        # scored off this reader: the next message is read while this audio is scored
        self.unscored.append(samples)
        self.n_unscored += int(samples.size)
        if self.scoring is None:
            self.scoring = asyncio.get_running_loop().create_task(self.score_appended())
            self.tasks.add(self.scoring)
            self.scoring.add_done_callback(self.tasks.discard)
        if self.n_unscored > MAX_UNSCORED_SAMPLES:
            await self.drain()  # read no more from this client until its audio is scored
        return []

    async def drain(self) -> None:
        """Wait until every appended sample is scored and its events are sent."""
        while self.scoring is not None:
            await asyncio.wait({self.scoring})

    def take_unscored(self) -> np.ndarray:
        """The next slice (at most ``SLICE_SAMPLES``) of the audio waiting to be scored."""
        import numpy as np

        joined = self.unscored[0] if len(self.unscored) == 1 else np.concatenate(self.unscored)
        part, rest = joined[:SLICE_SAMPLES], joined[SLICE_SAMPLES:]
        self.unscored = [rest] if rest.size else []
        self.n_unscored = int(rest.size)
        return part

    async def score_appended(self) -> None:
        """Feed the appended audio to the detector, a slice at a time, and send its events.

        One task per connection while audio waits. Each slice is one job: on the fair pool,
        or (batched) one request to the shared batcher, which takes one slice per
        connection into each batch, so a connection that sent a lot of audio cannot crowd
        out the others. Audio appended meanwhile joins the next slice.
        """
        from websockets.exceptions import ConnectionClosed

        batcher = self.state.batcher
        semantic = getattr(self.session.turn_detection, "type", None) == "semantic_vad"
        try:
            while self.unscored and not self.closed:
                detector, scorer = self.detector, self.scorer
                part = self.take_unscored()
                if batcher is None:
                    raw_events = await self.state.pool.run(self, detector.feed, part)
                else:
                    probabilities = await batcher.score(self, scorer, part)
                    if self.closed:
                        return
                    if semantic and self.state.detectors is not None:
                        # the turn-end model may run: off the loop, on a thread that waits
                        # for the shared Smart Turn batch (run on the batcher's threads)
                        raw_events = await asyncio.get_running_loop().run_in_executor(
                            self.state.detectors, detector.feed_scored, part, probabilities
                        )
                    else:
                        raw_events = detector.feed_scored(part, probabilities)
                self.scored_total += int(part.size)
                out = [e for raw_event in raw_events for e in self.detector_event(raw_event)]
                self.trim()
                for server_event in out:
                    await self.send(server_event)
                self.start_transcriptions()
                await self.start_response()
        except ConnectionClosed:
            pass
        except Exception as exc:  # keep serving: report, log without the audio
            log.exception("internal error while scoring appended audio")
            error = proto.error_event(
                self.next_event_id(),
                code="internal_error",
                message=f"rtlab serve failed while scoring audio ({type(exc).__name__}); "
                "the session goes on.",
                error_type="server_error",
            )
            with contextlib.suppress(ConnectionClosed):
                await self.send(error)
        finally:
            self.scoring = None

    def detector_event(self, raw_event: dict[str, Any]) -> list[dict[str, Any]]:
        """Renumber a detector event into this connection and add what follows a commit."""
        event = dict(raw_event)
        event["event_id"] = self.next_event_id()
        offset_ms = proto.ms(self.detector_start)
        for name in ("audio_start_ms", "audio_end_ms"):
            if proto.is_finite_number(event.get(name)):
                value = event[name] + offset_ms
                event[name] = round(value) if isinstance(raw_event[name], int) else value
        raw_item = event.get("item_id")
        # every event the detector emits (turns._Writer) names its item with a string id
        assert isinstance(raw_item, str), raw_event
        if raw_item not in self.detector_items:
            self.detector_items[raw_item] = self.next_item_id()
        item_id = event["item_id"] = self.detector_items[raw_item]
        kind = event["type"]
        out = [event]
        turn_detection = self.session.turn_detection
        interrupts = getattr(turn_detection, "interrupt_response", False)
        answers = getattr(turn_detection, "create_response", False)
        if kind == "input_audio_buffer.speech_started" and self.response and interrupts:
            out.extend(self.cancel_response("turn_detected"))
        if kind == "input_audio_buffer.committed" and self.response is None and answers:
            self.response_wanted = {}
        if kind == "input_audio_buffer.speech_started":
            start = self._sample(event.get("audio_start_ms"))
            self.open_turn_start = start
            self.turn_spans[item_id] = [start, self.total]
        elif kind == "input_audio_buffer.speech_stopped":
            end = self._sample(event.get("audio_end_ms"))
            span = self.turn_spans.setdefault(item_id, [self.commit_start, end])
            span[1] = end
            self.open_turn_start = None
        elif kind == "input_audio_buffer.timeout_triggered":
            self.turn_spans[item_id] = [
                self._sample(event.get("audio_start_ms")),
                self._sample(event.get("audio_end_ms")),
            ]
        elif kind == "input_audio_buffer.committed":
            event["previous_item_id"] = self.previous_item_id
            out.extend(self.after_commit(item_id))
            committed = self.turn_spans.pop(item_id, None)
            if committed is not None:
                self.commit_start = max(self.commit_start, committed[1])
                self.transcribe_later(item_id, committed[0], committed[1])
        return out

    def _sample(self, value_ms: Any) -> int:
        if not proto.is_finite_number(value_ms):
            return self.total
        return max(0, min(self.total, round(value_ms * _SAMPLE_RATE_HZ / 1000.0)))

    def after_commit(self, item_id: str) -> list[dict[str, Any]]:
        ids = [self.next_event_id() for _ in range(1 if self.api == "beta" else 2)]
        events = proto.item_created_events(self.api, ids, item_id, self.previous_item_id)
        self.previous_item_id = item_id
        self.items[item_id] = proto.user_item(item_id)
        return events

    async def commit(self, client_event_id: str | None) -> list[dict[str, Any]]:
        start = max(self.commit_start, self.buffer_start)
        n = self.total - start
        if proto.ms(n) < proto.MIN_COMMIT_MS:
            raise proto.RequestError(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{proto.MIN_COMMIT_MS:.0f}ms of audio, but buffer only has "
                f"{proto.ms(n):.2f}ms of audio.",
                client_event_id=client_event_id,
            )
        item_id = self.next_item_id()
        committed = proto.committed_event(self.next_event_id(), item_id, self.previous_item_id)
        out = [committed, *self.after_commit(item_id)]
        self.transcribe_later(item_id, start, self.total)
        self.commit_start = self.total
        self.restart_detector()
        return out

    def clear(self) -> list[dict[str, Any]]:
        self.buffer = []
        self.buffer_start = self.total
        self.commit_start = self.total
        self.restart_detector()
        return [proto.cleared_event(self.next_event_id())]

    def restart_detector(self) -> None:
        self.detector = None
        self.scorer = None
        self.detector_start = self.total
        self.open_turn_start = None
        self.turn_spans.clear()

    def trim(self) -> None:
        """Drop buffered audio no commit or transcription can need any more.

        Without turn detection the client commits: keep everything since the last commit.
        With it, keep the open turn (or the last few seconds while idle).
        """
        if self.session.turn_detection is None:
            keep_from = self.commit_start
        else:
            # from the scored position: audio still waiting may hold a turn's prefix
            keep_from = self.scored_total - int(_KEEP_IDLE_MS * _SAMPLE_RATE_HZ / 1000)
        if self.open_turn_start is not None:
            keep_from = min(keep_from, self.open_turn_start)
        for span in self.turn_spans.values():
            keep_from = min(keep_from, span[0])
        # never more than max_buffer_s (an endless turn keeps only its last part)
        keep_from = max(keep_from, self.total - self.state.limits.max_buffer_samples)
        while self.buffer and self.buffer_start + self.buffer[0].size <= keep_from:
            self.buffer_start += int(self.buffer.pop(0).size)

    def span(self, start: int, end: int) -> np.ndarray:
        import numpy as np

        if not self.buffer:
            return np.zeros(0, dtype=np.int16)
        joined = np.concatenate(self.buffer)
        lo = max(0, start - self.buffer_start)
        hi = max(lo, end - self.buffer_start)
        return joined[lo:hi]

    # -- transcription -----------------------------------------------------------------

    def transcribe_later(self, item_id: str, start: int, end: int) -> None:
        """Queue a transcription of samples [start, end); it starts once the commit is sent."""
        if getattr(self.session, "input_audio_transcription", None) is None:
            return
        self.pending.append((item_id, self.span(start, end)))

    def start_transcriptions(self) -> None:
        loop = asyncio.get_running_loop()
        while self.pending:
            item_id, samples = self.pending.pop(0)
            task = loop.create_task(self._transcribe(item_id, samples))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _transcribe(self, item_id: str, samples: np.ndarray) -> None:
        from websockets.exceptions import ConnectionClosed

        session = self.session
        loop = asyncio.get_running_loop()
        try:
            transcript = await loop.run_in_executor(
                self.state.transcriber, _transcribe_samples, samples, session
            )
            event = proto.transcription_completed_event(
                self.next_event_id(), item_id, transcript, duration_s=samples.size / _SAMPLE_RATE_HZ
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("offline transcription failed: %s", type(exc).__name__)
            event = proto.transcription_failed_event(
                self.next_event_id(),
                item_id,
                f"offline transcription failed ({type(exc).__name__})",
            )
        with contextlib.suppress(ConnectionClosed):
            await self.send(event)

    # -- the agent's side: responses ------------------------------------------------------

    def create_response(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """``response.create``: start a response once this event's answer is sent."""
        if self.response is not None or self.response_wanted is not None:
            active = self.response.id if self.response is not None else "(starting)"
            raise proto.RequestError(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {active}. Wait "
                "until the response is finished before creating a new one.",
                client_event_id=event.get("event_id"),
            )
        options = event.get("response")
        self.response_wanted = options if isinstance(options, dict) else {}
        return []

    def client_cancel(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """``response.cancel``: cancel the response being sent (or answer the API's error)."""
        wanted = event.get("response_id")
        if self.response is None or (wanted is not None and wanted != self.response.id):
            raise proto.RequestError(
                "response_cancel_not_active",
                "Cancellation failed: no active response found.",
                client_event_id=event.get("event_id"),
            )
        return self.cancel_response("client_cancelled")

    async def start_response(self) -> None:
        """Start the response asked for (by a commit or ``response.create``), if any.

        Its first events are sent here, before the next client message is read; a task
        sends the deltas and the done events.
        """
        if self.response_wanted is None or self.response is not None or self.closed:
            self.response_wanted = None
            return
        options, self.response_wanted = self.response_wanted, None
        modalities = options.get("output_modalities") or options.get("modalities")
        if not isinstance(modalities, list):
            modalities = list(self.session.modalities or ("audio",))
        audio = "audio" in modalities
        self.n_responses += 1
        response = _Response(
            id=resp.new_id("resp"),
            item_id=resp.new_id("item"),
            index=self.n_responses - 1,
            names=answers.names(self.api, audio=audio),
            audio=audio,
            previous_item_id=self.previous_item_id,
        )
        self.response = response
        if not self.state.utterances:
            loop = asyncio.get_running_loop()
            self.state.utterances = await loop.run_in_executor(None, resp.load_utterances)
        response.utterance = self.state.utterances[response.index % len(self.state.utterances)]
        names = response.names
        item = answers.assistant_item(response.item_id, names, status="in_progress", text=None)
        self.items[response.item_id] = item
        created = answers.response_object(
            response.id,
            api=self.api,
            status="in_progress",
            output=[],
            audio=audio,
            voice=self.session.voice,
        )
        head = {
            "response_id": response.id,
            "item_id": response.item_id,
            "output_index": 0,
            "content_index": 0,
        }
        for event in (
            {"type": "response.created", "response": created},
            {
                "type": "response.output_item.added",
                "response_id": response.id,
                "output_index": 0,
                "item": item,
            },
            {
                "type": names.item_events[0],
                "previous_item_id": response.previous_item_id,
                "item": item,
            },
            {"type": "response.content_part.added", **head, "part": answers.part(names, "")},
        ):
            await self.send({**event, "event_id": self.next_event_id()})
        task = asyncio.get_running_loop().create_task(self._speak(response))
        response.task = task
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _speak(self, r: _Response) -> None:
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):
            await self._speak_utterance(r)

    async def _speak_utterance(self, r: _Response) -> None:
        utterance = r.utterance
        assert utterance is not None
        names = r.names
        head = {"response_id": r.id, "item_id": r.item_id, "output_index": 0, "content_index": 0}
        loop = asyncio.get_running_loop()
        started = loop.time()
        speed = self.state.response_speed
        step = resp.DELTA_MS * _SAMPLE_RATE_HZ // 1000
        samples = utterance.samples
        fmt = self.session.output_audio_format
        for lo in range(0, samples.size, step):
            hi = min(samples.size, lo + step)
            if r.audio:
                await self.send(
                    {
                        "type": names.delta,
                        "event_id": self.next_event_id(),
                        **head,
                        "delta": resp.encode_audio(samples[lo:hi], fmt),
                    }
                )
            r.sent_samples = hi
            self.audio_ms[r.item_id] = proto.ms(hi)
            words = [w for start_ms, w in utterance.words[r.n_words :] if start_ms < proto.ms(hi)]
            for word in words:
                delta = word if r.n_words == 0 else " " + word
                r.n_words += 1
                r.text += delta
                kind = names.transcript_delta or names.delta
                await self.send(
                    {"type": kind, "event_id": self.next_event_id(), **head, "delta": delta}
                )
            if speed is not None:
                await asyncio.sleep(max(0.0, started + hi / _SAMPLE_RATE_HZ / speed - loop.time()))
        if not r.audio:  # text only: the words not yet sent
            for _, word in utterance.words[r.n_words :]:
                delta = word if r.n_words == 0 else " " + word
                r.n_words += 1
                r.text += delta
                await self.send(
                    {"type": names.delta, "event_id": self.next_event_id(), **head, "delta": delta}
                )
        if self.response is not r:
            return
        self.response = None
        for event in self.response_done(r, "completed", None):
            await self.send(event)

    def cancel_response(self, reason: str) -> list[dict[str, Any]]:
        """Stop the response being sent; the events that close it (``response.done`` last)."""
        r = self.response
        if r is None:
            return []
        self.response = None
        if r.task is not None:
            r.task.cancel()
        return self.response_done(r, "cancelled", reason)

    def response_done(self, r: _Response, status: str, reason: str | None) -> list[dict[str, Any]]:
        names = r.names
        head = {"response_id": r.id, "item_id": r.item_id, "output_index": 0, "content_index": 0}
        text = r.text
        item_status = "completed" if status == "completed" else "incomplete"
        item = answers.assistant_item(r.item_id, names, status=item_status, text=text)
        self.items[r.item_id] = item
        out: list[dict[str, Any]] = []
        if r.audio:
            out.append({"type": names.done, **head})
            out.append({"type": names.transcript_done, **head, "transcript": text})
        else:
            out.append({"type": names.done, **head, "text": text})
        out.append(
            {"type": "response.content_part.done", **head, "part": answers.part(names, text)}
        )
        out.append(
            {
                "type": "response.output_item.done",
                "response_id": r.id,
                "output_index": 0,
                "item": item,
            }
        )
        if self.api == "ga":
            out.append(
                {
                    "type": "conversation.item.done",
                    "previous_item_id": r.previous_item_id,
                    "item": item,
                }
            )
        out.append(
            {
                "type": "response.done",
                "response": answers.response_object(
                    r.id,
                    api=self.api,
                    status=status,
                    output=[item],
                    audio=r.audio,
                    reason=reason,
                    voice=self.session.voice,
                ),
            }
        )
        return [{**event, "event_id": self.next_event_id()} for event in out]

    # -- conversation items ------------------------------------------------------------

    def item_request(self, kind: str, event: dict[str, Any]) -> list[dict[str, Any]]:
        """``conversation.item.create`` / ``truncate`` / ``delete`` / ``retrieve``."""
        client_event_id = event.get("event_id")
        if kind == "conversation.item.create":
            item = event.get("item")
            if not isinstance(item, dict):
                raise proto.RequestError(
                    "missing_required_parameter",
                    "conversation.item.create needs an 'item' object.",
                    param="item",
                    client_event_id=client_event_id,
                )
            item_id = item.get("id") if isinstance(item.get("id"), str) else None
            item = {**item, "id": item_id or resp.new_id("item"), "object": "realtime.item"}
            item.setdefault("status", "completed")
            previous = event.get("previous_item_id", self.previous_item_id)
            self.items[item["id"]] = item
            self.previous_item_id = item["id"]
            kinds = (
                ["conversation.item.created"]
                if self.api == "beta"
                else ["conversation.item.added", "conversation.item.done"]
            )
            return [
                {
                    "type": k,
                    "event_id": self.next_event_id(),
                    "previous_item_id": previous,
                    "item": item,
                }
                for k in kinds
            ]
        item_id = event.get("item_id")
        if not isinstance(item_id, str) or item_id not in self.items:
            # the API's codes: item_retrieve_invalid_item_id (pipecat relies on it), ...
            verb = kind.rsplit(".", 1)[1]
            raise proto.RequestError(
                f"item_{verb}_invalid_item_id"
                if isinstance(item_id, str)
                else "missing_required_parameter",
                f"Conversation item {str(item_id)[:80]!r} not found.",
                param="item_id",
                client_event_id=client_event_id,
            )
        if kind == "conversation.item.delete":
            del self.items[item_id]
            return [
                {
                    "type": "conversation.item.deleted",
                    "event_id": self.next_event_id(),
                    "item_id": item_id,
                }
            ]
        if kind == "conversation.item.retrieve":
            return [
                {
                    "type": "conversation.item.retrieved",
                    "event_id": self.next_event_id(),
                    "item": self.items[item_id],
                }
            ]
        if kind == "conversation.item.truncate":
            return self.truncate(item_id, event)
        raise proto.RequestError(
            "unsupported_event",
            f"rtlab serve does not handle the client event {kind[:80]!r}.",
            param="type",
            client_event_id=client_event_id,
        )

    def truncate(self, item_id: str, event: dict[str, Any]) -> list[dict[str, Any]]:
        client_event_id = event.get("event_id")
        sent_ms = self.audio_ms.get(item_id)
        if sent_ms is None:
            raise proto.RequestError(
                "invalid_value",
                f"Only assistant messages with audio can be truncated; {item_id[:80]!r} "
                "is not one.",
                param="item_id",
                client_event_id=client_event_id,
            )
        content_index = event.get("content_index", 0)
        if content_index != 0:
            raise proto.RequestError(
                "invalid_value",
                "The item has one content part: 'content_index' must be 0.",
                param="content_index",
                client_event_id=client_event_id,
            )
        end_ms = event.get("audio_end_ms")
        if not isinstance(end_ms, int) or isinstance(end_ms, bool) or end_ms < 0:
            raise proto.RequestError(
                "invalid_value",
                "'audio_end_ms' must be a whole number of ms >= 0.",
                param="audio_end_ms",
                client_event_id=client_event_id,
            )
        if end_ms > sent_ms + 1:
            raise proto.RequestError(
                "invalid_value",
                f"Audio content of {sent_ms:.0f}ms is already shorter than {end_ms}ms.",
                param="audio_end_ms",
                client_event_id=client_event_id,
            )
        self.audio_ms[item_id] = float(end_ms)
        return [answers.truncated_event(self.next_event_id(), item_id, 0, end_ms)]


@dataclass(eq=False)
class _Response:
    """A response being sent: its ids, names and how far it got."""

    id: str
    item_id: str
    index: int
    names: answers.Names
    audio: bool
    previous_item_id: str | None
    task: asyncio.Task[None] | None = None
    utterance: resp.Utterance | None = None
    sent_samples: int = 0
    n_words: int = 0
    text: str = ""


def _mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:g} MiB"


def _samples_in(data: Any, audio_format: str) -> int:
    """About how many 24 kHz samples the base64 ``data`` of an append decodes to."""
    if not isinstance(data, str):
        return 0
    n_bytes = len(data) * 3 // 4
    return n_bytes // 2 if audio_format == "pcm16" else n_bytes * 3


def _same(a: Any, b: Any) -> bool:
    """Two config values (pydantic models or None) with the same values, set or defaulted."""
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and a.model_dump() == b.model_dump()


def _make_detector(
    session: Session, options: EmulatorOptions | None, turn_ends: WindowBatcher | None
) -> tuple[Any, Any]:
    """A streaming detector, and a score stream of its VAD model for batched scoring."""
    from rtlab import vad
    from rtlab.turns import Detector, EmulatorOptions

    detector = Detector(session, options=options or EmulatorOptions(), turn_end_model=turn_ends)
    return detector, vad.stream(model=detector.options.vad_model)


def _transcribe_samples(samples: np.ndarray, session: Session) -> str:
    """Transcribe one committed span (24 kHz int16) with the offline transcriber."""
    from rtlab.audio import Audio
    from rtlab.events import EventLog
    from rtlab.transcription import transcribe

    audio = Audio(samples.astype("int16", copy=True), source="rtlab-serve")
    end_ms = float(audio.duration_ms)
    commit = {
        "type": "input_audio_buffer.committed",
        "event_id": "event_0001",
        "previous_item_id": None,
        "item_id": "item_0001",
    }
    done = transcribe(
        audio, EventLog((commit,), (end_ms,), session=session, duration_ms=end_ms), progress=False
    )
    for event in done:
        if event["type"] == "conversation.item.input_audio_transcription.completed":
            return str(event.get("transcript") or "")
    return ""
