"""rtlab._models: model files found in the pipecat-ai wheel, cached onnxruntime sessions."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from rtlab import _models
from rtlab.errors import ConfigError, ModelNotFoundError


def test_model_path_finds_both_files_in_the_pipecat_distribution():
    dist = importlib.metadata.distribution("pipecat-ai")
    shipped = {str(f) for f in dist.files}
    silero = _models.model_path("silero_vad")
    smart = _models.model_path("smart_turn")
    assert silero.name == "silero_vad.onnx" and silero.is_file()
    assert smart.name.startswith("smart-turn-v3") and smart.suffix == ".onnx" and smart.is_file()
    for path in (silero, smart):
        assert any(path.as_posix().endswith(rel) for rel in shipped)
        assert path.stat().st_size > 1_000_000  # real weights, not a pointer file


def test_model_inputs_and_outputs():
    silero = _models.session("silero_vad")
    assert [(i.name, i.type) for i in silero.get_inputs()] == [
        ("input", "tensor(float)"),
        ("state", "tensor(float)"),
        ("sr", "tensor(int64)"),
    ]
    assert silero.get_inputs()[1].shape[0] == 2 and silero.get_inputs()[1].shape[2] == 128
    assert [o.name for o in silero.get_outputs()] == ["output", "stateN"]
    smart = _models.session("smart_turn")
    (features,) = smart.get_inputs()
    assert features.name == "input_features" and features.shape[1:] == [80, 800]
    (out,) = smart.get_outputs()
    assert out.shape[1:] == [1]


def test_sessions_are_cached_per_process():
    assert _models.session("silero_vad") is _models.session("silero_vad")
    assert _models.session("smart_turn") is not _models.session("silero_vad")


def test_missing_distribution_says_what_to_install(monkeypatch):
    def absent(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(_models.importlib.metadata, "distribution", absent)
    for name in ("silero_vad", "smart_turn"):
        with pytest.raises(ModelNotFoundError) as info:
            _models.model_path(name)
        assert isinstance(info.value, LookupError)
        assert info.value.field == "name" and info.value.value == name
        assert "pip install pipecat-ai" in str(info.value)
        assert isinstance(info.value.__cause__, importlib.metadata.PackageNotFoundError)


def test_distribution_without_the_file(monkeypatch):
    real = importlib.metadata.distribution("pipecat-ai")

    class Stripped:
        version = real.version

        def __init__(self):
            self.files = [f for f in real.files if not f.name.endswith(".onnx")]

        def locate_file(self, path):
            return real.locate_file(path)

    monkeypatch.setattr(_models.importlib.metadata, "distribution", lambda name: Stripped())
    with pytest.raises(ModelNotFoundError, match="pip install pipecat-ai") as info:
        _models.model_path("smart_turn")
    assert "smart-turn-v3*.onnx" in str(info.value)


def test_unknown_model_name():
    with pytest.raises(ConfigError, match="'silero_vad' or 'smart_turn'"):
        _models.model_path("whisper")


def test_finding_and_running_models_does_not_import_pipecat():
    code = (
        "import sys, numpy as np\n"
        "from rtlab import _models\n"
        "_models.model_path('smart_turn')\n"
        "s = _models.session('silero_vad')\n"
        "s.run(None, {'input': np.zeros((1, 576), np.float32),"
        " 'state': np.zeros((2, 1, 128), np.float32), 'sr': np.array(16000)})\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'pipecat'], 'pipecat imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_unhashable_model_name_is_a_config_error():
    with pytest.raises(ConfigError, match="'name' parameter of model_path"):
        _models.model_path(["silero_vad"])  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [["silero_vad"], {"silero_vad": 1}, 5, None, "whisper"])
def test_session_rejects_bad_names_before_the_cache(bad):
    # functools.cache hashes its argument first: the name must be checked before that
    with pytest.raises(ConfigError) as info:
        _models.session(bad)
    assert info.value.field == "name" and info.value.value == bad
    message = str(info.value)
    assert "'name' parameter of session" in message and repr(bad) in message
    assert "'silero_vad' or 'smart_turn'" in message


def test_session_cache_can_be_cleared():
    first = _models.session("silero_vad")
    _models.session.cache_clear()  # type: ignore[attr-defined]
    again = _models.session("silero_vad")
    assert again is not first
    assert _models.session("silero_vad") is again
