"""The package type-checks: ``mypy rtlab`` (config in pyproject.toml) reports no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_reports_no_error():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "rtlab"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"mypy rtlab failed:\n{result.stdout}{result.stderr}"
