"""rtlab installed from its wheel, outside the checkout: the clips come along and the demo runs.

The wheel is built from a copy of the repository (``pip wheel --no-deps``; the build backend
comes from the package index), then installed with ``--no-deps`` into a fresh virtual
environment in a temporary folder. The new environment sees the test environment's
packages through a ``.pth`` line appended *after* its own site-packages (a venv made from a
venv would otherwise see only the base interpreter's), so rtlab's dependencies need no
download while ``import rtlab`` finds the installed wheel first. The test environment's own
rtlab (an editable install) is not activated there: its ``.pth`` hook lives in a folder that
is only appended to ``sys.path``, and ``.pth`` files are read only in site folders.

Everything runs from a temporary working directory, without ``PYTHONPATH`` or
``RTLAB_DATASETS``, and checks that rtlab and its clips were loaded from the new environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

# Not copied into the build tree: outputs, caches and environments of the checkout.
_SKIP = shutil.ignore_patterns(
    ".git", ".venv", "out", "build", "dist", "tmp", "*.egg-info", "__pycache__",
    ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
)  # fmt: skip


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout_s: float = 900):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} exited with {result.returncode}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    )
    return result


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "RTLAB_DATASETS", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["MPLBACKEND"] = "Agg"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["HOME"] = os.environ.get("HOME", str(tmp))
    return env


def _subpackages() -> set[str]:
    """Every package folder under rtlab/ (one with an __init__.py), as dotted names."""
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "rtlab").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=_SKIP)
    env = _clean_env(tmp)
    _run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", str(tmp / "dist")],
        cwd=source,
        env=env,
    )
    (built,) = (tmp / "dist").glob("rtlab-*.whl")
    return built


def test_wheel_carries_every_package_and_every_clip(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {n.rsplit("/", 1)[0].replace("/", ".") for n in names if n.endswith("__init__.py")}
    assert _subpackages() <= packages, _subpackages() - packages
    shipped = {
        "rtlab/_data/" + p.relative_to(ROOT / "datasets").as_posix()
        for p in (ROOT / "datasets").rglob("*")
        if p.is_file()
    }
    assert len(shipped) > 50
    assert shipped <= names, sorted(shipped - names)[:10]
    assert "rtlab/_data/manifest.json" in names
    assert "rtlab/py.typed" in names
    # no file of the checkout's datasets/ folder sits outside rtlab/_data
    assert not [n for n in names if n.startswith("datasets/")]


def test_wheel_in_a_fresh_venv_runs_the_demo_and_the_readme(wheel, tmp_path):
    venv = tmp_path / "venv"
    env = _clean_env(tmp_path)
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    new_site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=tmp_path,
            env=env,
        ).stdout.strip()
    )
    # the test environment's packages, after the new environment's own
    (new_site / "zz_rtlab_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [
            sys.executable, "-m", "pip", "--python", str(python), "install",
            "--no-deps", "--no-index", str(wheel),
        ],
        cwd=tmp_path,
        env=env,
    )  # fmt: skip

    work = tmp_path / "work"
    work.mkdir()
    where = _run(
        [
            str(python),
            "-c",
            "import rtlab, rtlab.datasets as d; print(rtlab.__file__); print(d.root()); "
            "print(len(d.list()))",
        ],
        cwd=work,
        env=env,
    ).stdout.split("\n")
    package_file, clips_root, n_clips = Path(where[0]), Path(where[1]), int(where[2])
    assert package_file.is_relative_to(venv), package_file
    assert not package_file.is_relative_to(ROOT)
    assert clips_root == new_site / "rtlab" / "_data", clips_root
    assert n_clips == len(__import__("json").loads((ROOT / "datasets" / "manifest.json")
                                                     .read_text())["clips"])  # fmt: skip

    # the console script of the new environment
    _run([str(venv / "bin" / "rtlab"), "demo", "--quick", "--out", "out"], cwd=work, env=env)
    out = work / "out"
    for name in ("summary.md", "clip.24k.wav", "session_defaults.ga.json"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert len(list(out.glob("*.png"))) >= 3

    # the README's first example, as a user would paste it
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", readme, flags=re.S)
    assert example is not None
    (work / "readme_example.py").write_text(example.group(1), encoding="utf-8")
    _run([str(python), "readme_example.py"], cwd=work, env=env)
    assert (work / "timeline.png").stat().st_size > 0
    assert (work / "session.json").is_file()
