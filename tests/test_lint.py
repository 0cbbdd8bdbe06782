"""ruff and mypy, configured in pyproject.toml, find nothing in the package.

mypy checks the package in the shape it is installed in (``transforms/`` as ``edition.transforms``,
``schema/`` as ``edition.schemas``): a copy of the sources laid out that way, as the wheel has them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    if not found.exists():
        pytest.fail(f"{name} is not installed beside {sys.executable}: "
                    "install the test extra (pip install -e '.[test]')")
    return str(found)


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "--config", str(REPO / "pyproject.toml"),
                             "edition", "transforms", "tests", "bench"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing(tmp_path: Path) -> None:
    package = tmp_path / "src" / "edition"
    shutil.copytree(REPO / "edition", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "transforms", package / "transforms",
                    ignore=shutil.ignore_patterns("__pycache__", "assets", "csl"))
    (package / "schemas").mkdir()
    shutil.copy(REPO / "schema" / "__init__.py", package / "schemas" / "__init__.py")
    result = subprocess.run([_tool("mypy"), "--config-file", str(REPO / "pyproject.toml"),
                             "--cache-dir", str(tmp_path / "mypy-cache"), "-p", "edition"],
                            cwd=tmp_path / "src", capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
