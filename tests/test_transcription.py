"""rtlab.transcribe: per-turn cuts, the offline backend's accuracy on shipped clips, the damage a
badly cut turn does, event shapes (checked against the openai package's types), and the openai
backend against a local HTTP stub (request shape; the key never leaks)."""

from __future__ import annotations

import email.parser
import email.policy
import http.server
import io
import json
import logging
import threading
import traceback
import wave

import jiwer
import numpy as np
import pytest
from openai.types.beta.realtime import (
    ConversationItemInputAudioTranscriptionCompletedEvent as BetaCompleted,
)
from openai.types.realtime import (
    ConversationItemInputAudioTranscriptionCompletedEvent as GaCompleted,
)

import rtlab
from rtlab import datasets, metrics, transcription
from rtlab.errors import ConfigError, RtlabError
from rtlab.events import EventLog

LIBRIVOX = ["librivox/0870", "librivox/0880", "librivox/0890", "librivox/0920", "librivox/0930"]
COMPLETED = "conversation.item.input_audio_transcription.completed"
#: The whole utterance is one turn: a silence longer than any pause inside the clips ends it.
WHOLE = rtlab.ServerVad(silence_duration_ms=1500)
#: No prefix padding and a high threshold: speech_started comes late and the first word is cut.
CLIPPED = rtlab.ServerVad(silence_duration_ms=1500, prefix_padding_ms=0, threshold=0.9)


def with_trailing_silence(audio, seconds=2.0):
    """The clip followed by digital silence, as a live stream goes on after the user stops."""
    zeros = np.zeros(round(seconds * audio.sample_rate_hz), dtype=np.int16)
    return rtlab.Audio(np.concatenate([audio.samples, zeros]), source=audio.source)


def transcripts(log):
    return [e["transcript"] for e in log if e["type"] == COMPLETED]


def pooled_wer(references, hypotheses):
    norm = metrics.normalize_text
    return jiwer.wer([norm(r) for r in references], [norm(h) for h in hypotheses])


@pytest.fixture(scope="module")
def decoded():
    """Every LibriVox clip and JFK, decoded once whole and once with the onset clipped."""
    out = {}
    for name in [*LIBRIVOX, "jfk"]:
        clip = datasets.load(name)
        audio = with_trailing_silence(clip.audio)
        scores = rtlab.vad.score(audio)
        whole = rtlab.transcribe(audio, rtlab.detect(scores, WHOLE))
        clipped = (
            rtlab.transcribe(audio, rtlab.detect(scores, CLIPPED)) if name in LIBRIVOX else None
        )
        out[name] = (clip, audio, whole, clipped)
    return out


# -- the offline backend on real speech ------------------------------------------------------


@pytest.mark.slow
def test_offline_wer_on_whole_utterances(decoded, record_property):
    refs, hyps = [], []
    for name, (clip, _, whole, _) in decoded.items():
        texts = transcripts(whole)
        assert len(texts) == 1, name  # the whole utterance is one committed turn
        assert texts[0], name
        error = metrics.wer(clip.truth.transcript, texts[0])
        record_property(f"wer {name}", round(error, 3))
        print(f"WER {name}: {error:.3f}  {texts[0]!r}")
        if name in LIBRIVOX:
            refs.append(clip.truth.transcript)
            hyps.append(texts[0])
        else:
            assert error < 0.7, name  # JFK: a 1961 recording with crowd noise
    librivox = pooled_wer(refs, hyps)
    record_property("wer librivox pooled", round(librivox, 3))
    print(f"WER librivox pooled: {librivox:.3f}")
    assert librivox < 0.5


@pytest.mark.slow
def test_too_little_prefix_padding_clips_the_first_word(decoded):
    whole_hyps, clipped_hyps, refs = [], [], []
    first_right = {"whole": 0, "clipped": 0}
    for name in LIBRIVOX:
        clip, _, whole, clipped = decoded[name]
        words = [w for w in clip.truth.words if w.text not in ("<sil>", "<s>", "</s>")]
        first_word = words[0]
        (start,) = [e["audio_start_ms"] for e in clipped if e["type"].endswith("speech_started")]
        (whole_start,) = [
            e["audio_start_ms"] for e in whole if e["type"].endswith("speech_started")
        ]
        # the clipped turn starts inside the first word, the whole one before it
        assert whole_start / 1000 <= first_word.start_s < start / 1000, name
        reference = metrics.normalize_text(clip.truth.transcript).split()
        for key, log, bucket in (("whole", whole, whole_hyps), ("clipped", clipped, clipped_hyps)):
            (text,) = transcripts(log)
            bucket.append(text)
            hyp = metrics.normalize_text(text).split()
            first_right[key] += bool(hyp) and hyp[0] == reference[0]
        refs.append(clip.truth.transcript)
    whole_wer, clipped_wer = pooled_wer(refs, whole_hyps), pooled_wer(refs, clipped_hyps)
    print(f"WER librivox whole {whole_wer:.3f}, onset clipped {clipped_wer:.3f}")
    print(f"first word right: {first_right}")
    assert clipped_wer > whole_wer + 0.02
    assert first_right["clipped"] < first_right["whole"]


# -- cutting turns as the API does ----------------------------------------------------------------


def test_turns_are_cut_from_audio_start_to_audio_end():
    clip = datasets.load("jfk")
    audio = with_trailing_silence(clip.audio)
    log = rtlab.detect(audio, rtlab.Session())
    cuts = transcription.turn_audio(audio, log)
    starts = {
        e["item_id"]: e["audio_start_ms"] for e in log if e["type"].endswith("speech_started")
    }
    stops = {e["item_id"]: e["audio_end_ms"] for e in log if e["type"].endswith("speech_stopped")}
    committed = [e["item_id"] for e in log if e["type"] == "input_audio_buffer.committed"]
    assert len(cuts) == len(committed) >= 3  # JFK pauses between phrases
    for cut in cuts:
        i0, i1 = starts[cut.item_id] * 24, stops[cut.item_id] * 24
        np.testing.assert_array_equal(cut.samples, audio.samples[i0:i1])
        assert cut.duration_ms == stops[cut.item_id] - starts[cut.item_id]
    # a turn still going when the audio ends is never committed, so never transcribed
    cut_short = rtlab.detect(clip.audio, rtlab.Session())
    assert len(transcription.turn_audio(clip.audio, cut_short)) == len(
        cut_short.of_type("committed")
    )


def test_client_commits_and_idle_timeouts_cut_what_was_committed():
    clip = datasets.load("librivox/0880")
    events = (
        {"type": "input_audio_buffer.committed", "event_id": "event_0001",
         "previous_item_id": None, "item_id": "item_0001"},
        {"type": "input_audio_buffer.timeout_triggered", "event_id": "event_0002",
         "audio_start_ms": 1200, "audio_end_ms": 2500, "item_id": "item_0002"},
        {"type": "input_audio_buffer.committed", "event_id": "event_0003",
         "previous_item_id": "item_0001", "item_id": "item_0002"},
    )  # fmt: skip
    log = EventLog(events, (1000.0, 2500.0, 2500.0), duration_ms=clip.audio.duration_ms)
    first, second = transcription.turn_audio(clip.audio, log)
    assert (first.start_ms, first.end_ms) == (0.0, 1000.0)
    np.testing.assert_array_equal(first.samples, clip.audio.samples[:24000])
    assert (second.start_ms, second.end_ms) == (1200.0, 2500.0)


def test_events_have_the_api_shape_and_follow_the_log(decoded):
    _, audio, whole, _ = decoded["librivox/0920"]
    done = [e for e in whole if e["type"] == COMPLETED]
    (event,) = done
    for model in (BetaCompleted, GaCompleted):
        parsed = model.model_validate(event)
        assert parsed.content_index == 0
    (commit_index,) = [
        i for i, e in enumerate(whole) if e["type"] == "input_audio_buffer.committed"
    ]
    committed = whole.events[commit_index]
    assert event["item_id"] == committed["item_id"]
    assert whole.emitted_ms[whole.events.index(event)] == whole.emitted_ms[commit_index]
    ids = [e["event_id"] for e in whole]
    assert len(set(ids)) == len(ids)
    assert whole.session is not None and whole.session.turn_detection == WHOLE
    assert whole.turns()["transcript"].tolist() == [event["transcript"]]
    # offline usage is billed by duration, like the API's duration usage
    cut = transcription.turn_audio(audio, whole)[0]
    assert event["usage"] == {"type": "duration", "seconds": pytest.approx(cut.duration_ms / 1000)}


def test_short_turns_are_empty_and_a_second_pass_replaces_the_first():
    clip = datasets.load("librivox/0930")
    events = (
        {"type": "input_audio_buffer.speech_started", "event_id": "event_0001",
         "audio_start_ms": 1000, "item_id": "item_0001"},
        {"type": "input_audio_buffer.speech_stopped", "event_id": "event_0002",
         "audio_end_ms": 1060, "item_id": "item_0001"},
        {"type": "input_audio_buffer.committed", "event_id": "event_0003",
         "previous_item_id": None, "item_id": "item_0001"},
    )  # fmt: skip
    log = EventLog(events, (1032.0, 1060.0, 1060.0))
    once = rtlab.transcribe(clip.audio, log)
    (done,) = once.of_type(COMPLETED)
    assert done["transcript"] == "" and done["event_id"] == "event_0004"
    twice = rtlab.transcribe(clip.audio, once)
    assert len(twice.of_type(COMPLETED)) == 1
    assert len(twice) == len(once)


def test_one_decoder_per_call_decodes_every_turn(monkeypatch):
    made = []
    real = transcription._decoder
    monkeypatch.setattr(transcription, "_decoder", lambda model: made.append(model) or real(model))
    clip = datasets.load("ami-lhotse/ES2011a")
    log = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=200))
    assert len(log.of_type("input_audio_buffer.committed")) >= 2
    rtlab.transcribe(clip.audio, log, progress=False)
    assert made == [None]
    rtlab.transcribe(clip.audio, log, progress=False)
    assert made == [None, None]  # nothing is kept between calls


def test_reset_decoders_is_a_deprecated_no_op():
    with pytest.deprecated_call():
        transcription.reset_decoders()


def test_bad_options_are_refused():
    clip = datasets.load("librivox/0880")
    log = rtlab.detect(with_trailing_silence(clip.audio), rtlab.Session())
    with pytest.raises(ConfigError, match="'backend' parameter of transcribe"):
        rtlab.transcribe(clip.audio, log, backend="whisper")
    with pytest.raises(ConfigError, match="'language' parameter") as info:
        rtlab.transcribe(clip.audio, log, language="fr")
    assert "backend='openai'" in str(info.value)


# -- the openai backend, against a local stub ------------------------------------------------------

SECRET = "sk-test-ThisKeyMustNeverAppear0123456789"


class _Stub:
    """A transcriptions endpoint on 127.0.0.1 that records what it receives."""

    def __init__(self, status=200):
        self.status = status
        self.requests: list[dict] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
                )
                fields = {}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    fields[name] = part.get_payload(decode=True)
                stub.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "fields": fields}
                )
                if stub.status == 200:
                    n = len(stub.requests)
                    payload = {
                        "text": f"stub turn {n}",
                        "usage": {"type": "duration", "seconds": n},
                    }
                else:
                    # the real API masks the key in its message the same way
                    masked = "Incorrect API key provided: sk-tes***6789."
                    payload = {"error": {"message": masked, "code": "invalid_api_key"}}
                data = json.dumps(payload).encode()
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def jfk_turns():
    clip = datasets.load("jfk")
    audio = with_trailing_silence(clip.audio)
    session = rtlab.Session(
        input_audio_transcription=rtlab.Transcription(
            model="gpt-4o-mini-transcribe", language="en", prompt="Kennedy, inaugural address"
        )
    )
    return audio, rtlab.detect(audio, session)


def test_openai_backend_sends_each_turn_as_a_24khz_wav(jfk_turns, monkeypatch):
    audio, log = jfk_turns
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with _Stub() as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.url)
        out = rtlab.transcribe(audio, log, backend="openai")
    cuts = transcription.turn_audio(audio, log)
    assert len(stub.requests) == len(cuts) >= 3
    for request, cut in zip(stub.requests, cuts, strict=True):
        assert request["path"] == "/v1/audio/transcriptions"
        assert request["auth"] == f"Bearer {SECRET}"
        fields = request["fields"]
        assert fields["model"] == b"gpt-4o-mini-transcribe"
        assert fields["language"] == b"en"
        assert fields["prompt"] == b"Kennedy, inaugural address"
        with wave.open(io.BytesIO(fields["file"])) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        np.testing.assert_array_equal(samples, cut.samples)
    done = out.of_type(COMPLETED)
    assert [e["transcript"] for e in done] == [f"stub turn {i + 1}" for i in range(len(cuts))]
    assert [e["usage"]["seconds"] for e in done] == [i + 1 for i in range(len(cuts))]
    for event in done:
        GaCompleted.model_validate(event)
    # arguments win over the session's settings
    with _Stub() as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.url)
        rtlab.transcribe(audio, log, backend="openai", model="whisper-1", language="de", prompt="x")
    assert stub.requests[0]["fields"]["model"] == b"whisper-1"
    assert stub.requests[0]["fields"]["language"] == b"de"


def test_openai_backend_never_shows_the_key(jfk_turns, monkeypatch, caplog):
    audio, log = jfk_turns
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    with _Stub(status=401) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.url)
        with pytest.raises(ConfigError) as info:
            rtlab.transcribe(audio, log, backend="openai")
    err = info.value
    assert isinstance(err, RtlabError) and err.field == "OPENAI_API_KEY"
    assert "401" in str(err)
    shown = str(err) + repr(err) + repr(err.value) + "".join(traceback.format_exception(err))
    assert SECRET not in shown
    assert SECRET not in caplog.text


def test_openai_backend_without_a_key_says_what_to_do(jfk_turns, monkeypatch):
    audio, log = jfk_turns
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError) as info:
        rtlab.transcribe(audio, log, backend="openai")
    assert "OPENAI_API_KEY" in str(info.value)
    assert "backend='pocketsphinx'" in str(info.value)
