"""The Realtime protocol: record the live API, or serve the emulator as a local server.

Recording (:func:`record`, :func:`arecord`, :func:`record_file`)
    Streams a clip through the official ``openai`` client's realtime connection
    (``client.realtime.connect`` for GA, ``client.beta.realtime.connect`` for beta),
    collecting every server event with its receive time into an
    :class:`~rtlab.events.EventLog`, written to JSONL as it arrives. The key comes from
    ``OPENAI_API_KEY`` (or ``api_key=``) and never appears in a log, repr or error.

Serving (:class:`Server`, :func:`serve`)
    A websocket server on loopback that speaks the part of the protocol turn detection
    needs, backed by the streaming emulator (:class:`rtlab.turns.Detector`), with limits
    per connection and fair sharing of the CPU. ``async with Server() as server`` runs it
    on the running event loop; ``with serve() as server`` on a background thread (for
    notebooks and scripts; ``rtlab serve`` on the command line). Point any Realtime
    client at its ``url``; with the ``openai`` client::

        client = openai.AsyncOpenAI(api_key="local", websocket_base_url=server.url)
        async with client.realtime.connect(model="gpt-realtime") as conn: ...

    or simply ``rtlab.realtime.record(audio, session, base_url=server.url, api_key="local")``.
    The server checks no key and never logs the ``Authorization`` header.

Nothing here imports ``openai`` or ``websockets`` until it is used.

Examples
--------
>>> import rtlab
>>> from rtlab.realtime import record, serve
>>> clip = rtlab.datasets.load("librivox/0880")
>>> with serve() as server:
...     log = record(clip.audio, base_url=server.url, api_key="local", realtime=False,
...                  settle_s=0.3)
>>> log.of_type("speech_started")[0]["audio_start_ms"] == (
...     rtlab.detect(clip.audio).of_type("speech_started")[0]["audio_start_ms"])
True
"""

from __future__ import annotations

from rtlab.realtime._record import arecord, default_drain_s, record, record_file

# deprecated (DeprecationWarning when called): start_server, ServerThread -> serve;
# serve_forever -> `with serve(...) as server: server.wait()`
from rtlab.realtime._server import Server, ServerThread, serve, serve_forever, start_server  # noqa: F401

__all__ = [
    "Server",
    "arecord",
    "default_drain_s",
    "record",
    "record_file",
    "serve",
]
