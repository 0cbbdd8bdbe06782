"""README.md stays true: every command is documented, and CI runs the README's test command."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from edition.cli import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    if command == "codes":
        assert "edition codes" in README
    else:
        assert re.search(rf"^### `edition {command}\b", README, re.M), f"README has no section on edition {command}"


def test_readme_gives_one_setup_and_one_test_command() -> None:
    assert "    ./install.sh && .venv/bin/edition build\n" in README
    assert re.search(r"^    \.venv/bin/pytest", README, re.M)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "./install.sh" in script
    # .ci/run reads the command out of README.md with this sed expression; run it the same way
    extracted = subprocess.run(
        ["sed", "-n", r"s/^    \(.venv\/bin\/pytest.*\)$/\1/p", str(REPO / "README.md")],
        capture_output=True, text=True, check=True).stdout.splitlines()
    assert extracted and extracted[0].startswith(".venv/bin/pytest")
    assert "EDITION_INSTALL=wheel ./install.sh" in script
    assert 'eval "$test_command"' in script


def test_install_script_installs_from_the_project_files() -> None:
    script = (REPO / "install.sh").read_text(encoding="utf-8")
    for needed in ("chromium", "chromium-driver", "jing", "poppler-utils", "default-jre-headless",
                   "pip install", "-e '.[test,bench]'", "npm ci", "python -m build", "twine check"):
        assert needed in script
    assert (REPO / "package-lock.json").is_file()


def test_the_declared_api_is_importable_and_callable() -> None:
    import edition

    for name in edition.__all__:
        assert getattr(edition, name) is not None, name
    # importing the build and cite modules leaves the validate function in place
    import edition.build  # noqa: F401
    import edition.cite  # noqa: F401

    assert callable(edition.validate) and callable(edition.is_valid)
    assert edition.validate([REPO / "tei"]).exit_code == 0
