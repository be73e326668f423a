"""Ready-made sessions for common situations: plain functions that return a :class:`Session`.

Every preset sets its fields explicitly, so the ``session.update`` it produces pins the
server to exactly these values whatever the session held before, and the emulator runs the
same configuration. Start from one and adjust with :meth:`Session.replace`.

==================  =======================================================================
name                what it sets
==================  =======================================================================
``api_defaults``    server_vad with the API's default parameters, PCM16 input, no noise
                    reduction: the baseline every sweep compares against
``patient``         server_vad that waits 1000 ms of silence before ending a turn
``noisy_room``      server_vad threshold 0.7 plus far-field (or near-field) noise reduction
``telephony``       G.711 (u-law by default) in and out, far-field noise reduction
==================  =======================================================================

Examples
--------
>>> from rtlab import presets
>>> sorted(presets.PRESETS)
['api_defaults', 'noisy_room', 'patient', 'telephony']
>>> presets.PRESETS["patient"]().turn_detection.silence_duration_ms
1000
>>> presets.telephony().replace(**{"turn_detection.threshold": 0.6}).turn_detection.threshold
0.6
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from rtlab import _check
from rtlab.session import NoiseReduction, ServerVad, Session

__all__ = ["PRESETS", "api_defaults", "noisy_room", "patient", "telephony"]


def api_defaults() -> Session:
    """The API's default turn detection, set explicitly.

    ``server_vad`` with threshold 0.5, prefix_padding_ms 300, silence_duration_ms 500,
    create_response and interrupt_response on; PCM16 input; noise reduction off. Sending it
    resets a session that was changed before; running it shows what users get out of the box.

    Returns
    -------
    Session

    Examples
    --------
    >>> s = api_defaults()
    >>> s.turn_detection == ServerVad(), "turn_detection" in s.model_fields_set
    (True, True)
    >>> s.to_event(api="beta")["session"]["turn_detection"]
    {'type': 'server_vad', 'threshold': 0.5, 'prefix_padding_ms': 300, 'silence_duration_ms': 500, 'create_response': True, 'interrupt_response': True}
    """  # noqa: E501
    return _server_vad(noise_reduction=None)


def patient() -> Session:
    """Turn detection for people who pause mid-sentence: 1000 ms of silence ends a turn.

    Why server_vad with a longer silence rather than ``semantic_vad`` with eagerness
    ``low``: the pauses that cause false cut-offs (word search, breathing, reading a number
    aloud) mostly last between the default 500 ms and about a second, so doubling
    ``silence_duration_ms`` removes most cut-offs at a fixed, predictable cost of +500 ms
    latency per turn. ``semantic_vad`` ``low`` may wait up to 8 s when its turn-end model is
    unsure, which is hard to predict and to tune. Threshold and prefix padding keep their
    defaults. For the semantic alternative use
    ``Session(turn_detection=SemanticVad(eagerness="low"))``.

    Returns
    -------
    Session

    Examples
    --------
    >>> patient().turn_detection
    ServerVad(silence_duration_ms=1000)
    """
    return _server_vad(noise_reduction=None, silence_duration_ms=1000)


def noisy_room(*, microphone: Literal["far_field", "near_field"] = "far_field") -> Session:
    """Background noise: a higher VAD threshold (0.7) and the API's noise reduction.

    Parameters
    ----------
    microphone : {"far_field", "near_field"}, default "far_field"
        The noise reduction to use: ``far_field`` for laptop or room microphones,
        ``near_field`` for headsets.

    Returns
    -------
    Session

    Examples
    --------
    >>> s = noisy_room()
    >>> s.turn_detection.threshold, s.input_audio_noise_reduction.type
    (0.7, 'far_field')
    >>> noisy_room(microphone="headset")
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'microphone' parameter of noisy_room must be 'far_field' or 'near_field'. Got 'headset'.
    """  # noqa: E501
    microphone = _check.choice(
        microphone, "microphone", ("far_field", "near_field"), owner="noisy_room"
    )
    return _server_vad(noise_reduction=NoiseReduction(type=microphone), threshold=0.7)


def telephony(*, law: Literal["ulaw", "alaw"] = "ulaw") -> Session:
    """Phone calls: G.711 audio in and out (8 kHz) and far-field noise reduction.

    G.711 u-law is what North American and Japanese phone networks (and most SIP trunks and
    Twilio media streams) carry; A-law is the European standard. Far-field noise reduction
    suits calls made on speakerphone or in cars. Turn detection keeps the API defaults.

    Parameters
    ----------
    law : {"ulaw", "alaw"}, default "ulaw"
        The G.711 companding law.

    Returns
    -------
    Session

    Examples
    --------
    >>> s = telephony()
    >>> s.input_audio_format, s.output_audio_format
    ('g711_ulaw', 'g711_ulaw')
    >>> s.to_event(api="ga")["session"]["audio"]["output"]
    {'format': {'type': 'audio/pcmu'}}
    """
    law = _check.choice(law, "law", ("ulaw", "alaw"), owner="telephony")
    fmt: Literal["g711_ulaw", "g711_alaw"] = "g711_ulaw" if law == "ulaw" else "g711_alaw"
    return Session(
        input_audio_format=fmt,
        output_audio_format=fmt,
        input_audio_noise_reduction=NoiseReduction(type="far_field"),
    )


def _server_vad(*, noise_reduction: NoiseReduction | None, **changes: float) -> Session:
    """PCM16 input and server_vad with every parameter set: the API defaults, then ``changes``.

    The defaults are read from :class:`ServerVad` (``idle_timeout_ms``, GA only and off by
    default, stays unset).
    """
    defaults = {
        name: info.default
        for name, info in ServerVad.model_fields.items()
        if name != "type" and info.default is not None
    }
    return Session(
        input_audio_format="pcm16",
        turn_detection=ServerVad(**{**defaults, **changes}),
        input_audio_noise_reduction=noise_reduction,
    )


#: Preset name -> function returning a fresh Session.
PRESETS: dict[str, Callable[[], Session]] = {
    "api_defaults": api_defaults,
    "patient": patient,
    "noisy_room": noisy_room,
    "telephony": telephony,
}
