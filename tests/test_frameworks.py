"""Voice-agent frameworks against ``rtlab serve``, each written as its own users write it.

Every framework is pointed at the local server by its documented way of choosing the URL
(no patching of its internals), configures the session, streams a real two-turn recording
(two LibriVox utterances with a 700 ms pause) at 5x real time, and must see the user's
turn detected, committed and transcribed, an answer of real speech, and that answer
interrupted by the second turn (``interrupt_response``). The server logs each client event
it receives; the tests check that the framework's own interruption handling reached it.
Only loopback is used.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

import rtlab
from rtlab.realtime import Server

pytestmark = pytest.mark.slow

CHUNK_MS = 100
PACE_S = 0.02  # 100 ms of audio every 20 ms: 5x real time


@pytest.fixture(scope="module")
def track() -> rtlab.Audio:
    return rtlab.datasets.compose(
        ["librivox/0880", "librivox/0930"], gaps_ms=[700], tail_ms=1500
    ).audio


def _chunks(audio: rtlab.Audio) -> list[bytes]:
    pcm = audio.pcm16()
    step = CHUNK_MS * 48  # bytes of 24 kHz int16
    return [pcm[i : i + step] for i in range(0, len(pcm), step)]


@pytest.fixture()
def client_events(caplog) -> list[str]:
    """The client event types the server received, in order (from its debug log)."""
    caplog.set_level(logging.DEBUG, logger="rtlab.realtime.server")
    seen: list[str] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.msg == "client event %s":
                seen.append(str(record.args[0]))

    handler = Grab()
    logging.getLogger("rtlab.realtime.server").addHandler(handler)
    yield seen
    logging.getLogger("rtlab.realtime.server").removeHandler(handler)


def _server_events_ok(kinds: list[str]) -> None:
    """The server side of the story, as the framework received it."""
    for kind in (
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
        "response.output_audio.delta",
        "response.done",
    ):
        assert kind in kinds, (kind, sorted(set(kinds)))
    assert "error" not in kinds, kinds


# -- openai-agents: the realtime runner ------------------------------------------------------


def test_openai_agents_realtime_runner(track, client_events):
    pytest.importorskip("agents.realtime")
    from agents.realtime import RealtimeAgent, RealtimeRunner

    async def main():
        async with Server(response_speed=1.0) as server:
            agent = RealtimeAgent(name="assistant", instructions="Answer briefly.")
            runner = RealtimeRunner(agent)
            session = await runner.run(
                model_config={
                    "url": server.url + "/realtime?model=gpt-realtime",
                    "api_key": "sk-local",
                    "initial_model_settings": {
                        "turn_detection": {"type": "server_vad", "interrupt_response": True},
                        "input_audio_transcription": {"model": "whisper-1"},
                    },
                }
            )
            raw: list[dict] = []
            kinds: list[str] = []
            async with session:

                async def send() -> None:
                    for chunk in _chunks(track):
                        await session.send_audio(chunk)
                        await asyncio.sleep(PACE_S)

                sender = asyncio.ensure_future(send())
                deadline = time.monotonic() + 60
                n_done = 0
                async for event in session:
                    kinds.append(event.type)
                    if event.type == "raw_model_event" and event.data.type == "raw_server_event":
                        raw.append(event.data.data)
                        n_done += event.data.data.get("type") == "response.done"
                    if (n_done >= 2 and sender.done()) or time.monotonic() > deadline:
                        break
                await sender
            return raw, kinds

    raw, kinds = asyncio.run(main())
    server_kinds = [e["type"] for e in raw]
    _server_events_ok(server_kinds)
    done = [e["response"] for e in raw if e["type"] == "response.done"]
    assert [d["status"] for d in done] == ["cancelled", "completed"]
    assert "audio" in kinds and "audio_interrupted" in kinds
    assert "session.update" in client_events
    # its interruption handling: the played part of the cancelled answer is truncated
    assert "conversation.item.truncate" in client_events
    assert client_events.count("input_audio_buffer.append") >= len(_chunks(track))


# -- pipecat: OpenAIRealtimeLLMService in a pipeline --------------------------------------------


def test_pipecat_openai_realtime_llm_service(track, client_events):
    pytest.importorskip("pipecat.services.openai.realtime")
    from pipecat.frames.frames import (
        ErrorFrame,
        InputAudioRawFrame,
        ProposedUserStartedSpeakingFrame,
        TranscriptionFrame,
        TTSAudioRawFrame,
    )
    from pipecat.pipeline.worker import PipelineParams
    from pipecat.services.openai.realtime import events
    from pipecat.services.openai.realtime.llm import OpenAIRealtimeLLMService
    from pipecat.tests.utils import SleepFrame, run_test

    async def main():
        async with Server(response_speed=1.0) as server:
            llm = OpenAIRealtimeLLMService(
                api_key="sk-local",
                base_url=server.url + "/realtime",
                settings=OpenAIRealtimeLLMService.Settings(
                    session_properties=events.SessionProperties(
                        audio=events.AudioConfiguration(
                            input=events.AudioInput(
                                transcription=events.InputAudioTranscription(),
                                turn_detection=events.TurnDetection(),
                            )
                        )
                    )
                ),
            )
            frames: list = [SleepFrame(sleep=1.0)]  # connected and configured
            for chunk in _chunks(track):
                frames += [
                    InputAudioRawFrame(audio=chunk, sample_rate=24000, num_channels=1),
                    SleepFrame(sleep=PACE_S),
                ]
            frames.append(SleepFrame(sleep=8.0))  # the second answer plays out
            return await run_test(
                llm,
                frames_to_send=frames,
                pipeline_params=PipelineParams(
                    audio_in_sample_rate=24000, audio_out_sample_rate=24000
                ),
                start_timeout=10.0,
            )

    down, up = asyncio.run(main())
    every = [*down, *up]
    assert not [f for f in every if isinstance(f, ErrorFrame)]
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert audio and audio[0].sample_rate == 24000
    assert any(isinstance(f, ProposedUserStartedSpeakingFrame) for f in every)
    transcripts = [f.text for f in up if isinstance(f, TranscriptionFrame)]
    assert len(transcripts) == 2 and all(transcripts), transcripts
    assert "session.update" in client_events
    assert "conversation.item.truncate" in client_events  # its barge-in handling


# -- livekit-plugins-openai: RealtimeModel and its session ------------------------------------


def test_livekit_openai_realtime_model(track, client_events):
    """LiveKit's RealtimeSession as an agent's session drives it (no room: the same calls)."""
    pytest.importorskip("livekit.plugins.openai")
    import aiohttp
    from livekit import rtc
    from livekit.plugins import openai as lk_openai
    from openai.types.realtime import AudioTranscription
    from openai.types.realtime.realtime_audio_input_turn_detection import ServerVad

    async def main():
        async with Server(response_speed=1.0) as server, aiohttp.ClientSession() as http:
            model = lk_openai.realtime.RealtimeModel(
                base_url=server.url,
                api_key="sk-local",
                http_session=http,
                input_audio_transcription=AudioTranscription(model="whisper-1"),
                turn_detection=ServerVad(type="server_vad", interrupt_response=True),
            )
            session = model.session()
            raw: list[dict] = []
            said: list[str] = []
            session.on("openai_server_event_received", raw.append)
            session.on("input_audio_transcription_completed", lambda ev: said.append(ev.transcript))

            def barge_in(_ev) -> None:  # what AgentSession does when the user talks over it
                played = [e for e in raw if e["type"] == "response.output_audio.delta"]
                if played:
                    session.truncate(
                        message_id=played[-1]["item_id"],
                        modalities=["audio"],
                        audio_end_ms=50 * len(played),
                    )

            session.on("input_speech_started", barge_in)
            await asyncio.sleep(0.5)
            for chunk in _chunks(track):
                session.push_audio(
                    rtc.AudioFrame(
                        data=chunk,
                        sample_rate=24000,
                        num_channels=1,
                        samples_per_channel=len(chunk) // 2,
                    )
                )
                await asyncio.sleep(PACE_S)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if sum(e["type"] == "response.done" for e in raw) >= 2:
                    break
                await asyncio.sleep(0.1)
            await session.aclose()
            await model.aclose()
            return raw, said

    raw, said = asyncio.run(main())
    _server_events_ok([e["type"] for e in raw])
    done = [e["response"] for e in raw if e["type"] == "response.done"]
    assert [d["status"] for d in done] == ["cancelled", "completed"]
    assert len(said) == 2 and all(said), said
    assert "session.update" in client_events
    assert "conversation.item.truncate" in client_events
