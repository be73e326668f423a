"""rtlab: configure, run and tune realtime speech sessions in JupyterLab.

rtlab builds OpenAI Realtime API session configurations, runs your own audio through a
local emulator of the API's turn detection (``server_vad`` and ``semantic_vad``), and
measures, plots and sweeps the result.

The flow of data::

    load_audio() -> Audio -> vad.score() -> FrameScores -> detect() -> EventLog
                                                       metrics / plot / sweep / transcribe

Importing rtlab is cheap: every public name is resolved on first use (PEP 562), so
``import rtlab`` loads none of numpy's heavy friends (pandas, matplotlib, librosa,
onnxruntime, ipywidgets, openai).

Examples
--------
>>> import rtlab
>>> session = rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.6))
>>> session.to_event(api="beta")["type"]
'session.update'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rtlab.errors import (
    AudioFormatError,
    ConfigError,
    ModelNotFoundError,
    ProtocolError,
    RtlabError,
    UnmodelledFieldWarning,
)

__version__ = "0.1.0"

# public name -> module that defines it
_ATTRIBUTES: dict[str, str] = {
    "Session": "rtlab.session",
    "ServerVad": "rtlab.session",
    "SemanticVad": "rtlab.session",
    "NoiseReduction": "rtlab.session",
    "Transcription": "rtlab.session",
    "Tracing": "rtlab.session",
    "Tool": "rtlab.session",
    "Audio": "rtlab.audio",
    "load_audio": "rtlab.audio",
    "Annotation": "rtlab.annotation",
    "Turn": "rtlab.annotation",
    "read_annotation": "rtlab.annotation",
    "Clip": "rtlab.datasets",
    "FrameScores": "rtlab.vad",
    "EventLog": "rtlab.events",
    "detect": "rtlab.turns",
    "EmulatorOptions": "rtlab.turns",
    "Detector": "rtlab.turns",
    "transcribe": "rtlab.transcription",
    "sweep": "rtlab.sweeps",
    "sample_grid": "rtlab.sweeps",
    "summarize": "rtlab.sweeps",
    "pareto": "rtlab.sweeps",
    "recommend": "rtlab.sweeps",
    "compare": "rtlab.agreement",
    "draft_truth": "rtlab.drafting",
    "operating_points": "rtlab.eot",
    "benchmark": "rtlab.eot",
    "calibrate": "rtlab.calibration",
    "Calibration": "rtlab.calibration",
    "LATENCY_BUDGET_MS": "rtlab.sweeps",
    "simulate": "rtlab.duplex",
    "Agent": "rtlab.duplex",
    "Echo": "rtlab.duplex",
    "Backchannels": "rtlab.duplex",
    "Conversation": "rtlab.duplex",
}

_SUBMODULES = {
    "agreement",
    "annotation",
    "audio",
    "calibration",
    "corpora",
    "datasets",
    "drafting",
    "duplex",
    "eot",
    "errors",
    "events",
    "metrics",
    "noise",
    "plot",
    "presets",
    "probe",
    "realtime",
    "session",
    "sweeps",
    "transcription",
    "turns",
    "vad",
    "widgets",
}

__all__ = [
    "AudioFormatError",
    "ConfigError",
    "ModelNotFoundError",
    "ProtocolError",
    "RtlabError",
    "UnmodelledFieldWarning",
    "__version__",
    *sorted(_ATTRIBUTES),
    *sorted(_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _ATTRIBUTES:
        value = getattr(importlib.import_module(_ATTRIBUTES[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"rtlab.{name}")
    raise AttributeError(f"module 'rtlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from rtlab import (
        agreement,
        annotation,
        audio,
        calibration,
        corpora,
        datasets,
        drafting,
        duplex,
        eot,
        errors,
        events,
        metrics,
        noise,
        plot,
        presets,
        probe,
        realtime,
        session,
        sweeps,
        transcription,
        turns,
        vad,
        widgets,
    )
    from rtlab.agreement import compare
    from rtlab.annotation import Annotation, Turn, read_annotation
    from rtlab.audio import Audio, load_audio
    from rtlab.calibration import Calibration, calibrate
    from rtlab.datasets import Clip
    from rtlab.drafting import draft_truth
    from rtlab.duplex import Agent, Backchannels, Conversation, Echo, simulate
    from rtlab.eot import benchmark, operating_points
    from rtlab.events import EventLog
    from rtlab.session import (
        NoiseReduction,
        SemanticVad,
        ServerVad,
        Session,
        Tool,
        Tracing,
        Transcription,
    )
    from rtlab.sweeps import LATENCY_BUDGET_MS, pareto, recommend, sample_grid, summarize, sweep
    from rtlab.transcription import transcribe
    from rtlab.turns import Detector, EmulatorOptions, detect
    from rtlab.vad import FrameScores
