"""The package surface: lazy imports, the public names, the console script."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import rtlab
from rtlab import cli

HEAVY = ["matplotlib", "pandas", "librosa", "onnxruntime", "ipywidgets", "openai", "websockets"]


def test_import_loads_no_heavy_module():
    code = f"import sys, json, rtlab; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_the_check_can_fail():
    # The same probe sees a heavy module once something imports it.
    code = (
        "import sys, json, rtlab; rtlab.Session; "
        "import pandas; print(json.dumps('pandas' in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is True


@pytest.mark.parametrize("name", sorted(set(rtlab.__all__) - {"__version__"}))
def test_every_public_name_resolves(name):
    assert getattr(rtlab, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Sesion'"):
        rtlab.Sesion  # noqa: B018


def test_error_tree():
    assert issubclass(rtlab.ConfigError, ValueError)
    assert issubclass(rtlab.AudioFormatError, ValueError)
    assert issubclass(rtlab.ModelNotFoundError, LookupError)
    for cls in (
        rtlab.ConfigError,
        rtlab.AudioFormatError,
        rtlab.ModelNotFoundError,
        rtlab.ProtocolError,
    ):
        assert issubclass(cls, rtlab.RtlabError)
    err = rtlab.ConfigError("threshold", 1.5, "a float in [0.0, 1.0]", owner="ServerVad")
    assert (err.field, err.value, err.allowed) == ("threshold", 1.5, "a float in [0.0, 1.0]")


def test_cli_session_validate_ok(tmp_path, capsys):
    path = tmp_path / "s.json"
    rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.7)).save(path)
    assert cli.main(["session", "validate", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["turn_detection"]["threshold"] == 0.7


def test_cli_session_validate_error(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"turn_detection": {"type": "server_vad", "threshold": 1.5}}))
    assert cli.main(["session", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "threshold" in err and "1.5" in err


def test_console_script_exit_code(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    exe = [sys.executable, "-m", "rtlab.cli", "session", "validate", str(path)]
    done = subprocess.run(exe, capture_output=True, text=True)
    assert done.returncode == 1
    assert "rtlab: error:" in done.stderr
