"""A writer from another installed package, found through the ``edition.writers`` entry points.

A tiny package is made in a temporary folder (its own pyproject.toml declaring the entry point, a
Writer subclass implementing the vocabulary by subclassing the text writer), installed with pip
into a folder of its own, and used from the command line as any user would: ``edition build -f NAME``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from conftest import MEMO, REPO

from edition.transforms.engine import BUILTIN_WRITERS, ENTRY_POINT_GROUP, get_writer

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "edition-shout-writer"
version = "1.0"

[project.entry-points."edition.writers"]
shout = "shout_writer:ShoutWriter"

[tool.setuptools]
py-modules = ["shout_writer"]
"""

WRITER = '''\
"""The reading text in capitals: the text writer with one behaviour changed."""

from edition.transforms.text import TextWriter


class ShoutWriter(TextWriter):
    name = "shout"
    format = "shout"
    suffix = ".shout"
    outputs = ("shout",)

    def text(self, ctx, value):
        return super().text(ctx, value.upper())

    # written against the dictionaries of earlier versions: the records still read so
    def write_unit(self, document, unit, options):
        result = super().write_unit(document, unit, options)
        result.record["planned"] = [options["basename"], options.get("width"), "prev" in options, *options["formats"]]
        return result

    def finish(self, records, options):
        lines = [" ".join(map(str, [*options["formats"], options.get("width"), "formats" in options]))]
        lines += [" ".join(map(str, record["planned"])) for record in records]
        return {"planned.txt": "\\n".join(lines).encode()}
'''


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built and installed (pip, no network, no build isolation) into a folder of its own."""
    source = tmp_path_factory.mktemp("shout-source")
    (source / "pyproject.toml").write_text(PYPROJECT)
    (source / "shout_writer.py").write_text(WRITER)
    target = tmp_path_factory.mktemp("shout-site")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                             "-q", "--target", str(target), str(source)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert list(target.glob("edition_shout_writer-*.dist-info/entry_points.txt"))
    return target


def _edition(folder: Path, site: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EDITION_", "PYTHON"))}
    env.update(PYTHONPATH=str(site), EDITION_CACHE=str(folder / "cache"), PYTHONDONTWRITEBYTECODE="1")
    # -P: the current folder is not put on sys.path, as with the installed `edition` script
    return subprocess.run([sys.executable, "-P", "-m", "edition", *arguments], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_writer_of_another_package_builds_from_the_command_line(plugin_site: Path, tmp_path: Path) -> None:
    (tmp_path / "memo.xml").write_bytes(MEMO.read_bytes())
    result = _edition(tmp_path, plugin_site, "build", "-f", "shout", "-f", "text", "--width", "60",
                      "--out", "site", "memo.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    # the typed records read as the mappings a writer of an earlier version was given
    planned = (tmp_path / "site" / "shout" / "planned.txt").read_text(encoding="utf-8")
    assert planned.splitlines() == ["shout text 60 True", "d300 60 False shout text"]
    shouted = (tmp_path / "site" / "shout" / "d300.shout").read_text(encoding="utf-8")
    plain = (tmp_path / "site" / "text" / "d300.txt").read_text(encoding="utf-8")
    # the same layout, every text node in capitals (the notes' heading is the writer's own word)
    assert shouted.replace("NOTES", "Notes") == plain.upper().replace("NOTES", "Notes")
    assert "CUMMING" in shouted and "Cumming" in plain and shouted != plain


def test_an_unknown_writer_names_the_installed_ones(plugin_site: Path, tmp_path: Path) -> None:
    (tmp_path / "memo.xml").write_bytes(MEMO.read_bytes())
    result = _edition(tmp_path, plugin_site, "build", "-f", "whisper", "--out", "site", "memo.xml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "E0901" in result.stdout + result.stderr
    assert "shout" in result.stdout + result.stderr and "text" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "site").exists()


def test_a_broken_writer_package_is_a_usage_error(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    source = tmp_path_factory.mktemp("broken-source")
    (source / "pyproject.toml").write_text(PYPROJECT.replace("edition-shout-writer", "edition-broken-writer"))
    (source / "shout_writer.py").write_text(textwrap.dedent("""\
        import a_module_nobody_installed  # noqa: F401
        """))
    site = tmp_path_factory.mktemp("broken-site")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                                "--no-index", "-q", "--target", str(site), str(source)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    (tmp_path / "memo.xml").write_bytes(MEMO.read_bytes())
    result = _edition(tmp_path, site, "build", "-f", "shout", "--out", "site", "memo.xml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "E0901" in result.stderr and "a_module_nobody_installed" in result.stderr
    assert "Traceback" not in result.stderr
    # the toolkit's own writers still work beside the broken package
    assert _edition(tmp_path, site, "build", "-f", "text", "--out", "site", "memo.xml").returncode == 0


def test_the_builtin_writers_are_declared_as_entry_points() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert set(declared) == set(BUILTIN_WRITERS)
    for name, target in declared.items():
        module, _, attribute = target.partition(":")
        assert module == BUILTIN_WRITERS[name]
        writer = get_writer(name)
        assert (writer.__module__, writer.__qualname__, writer.name) == (module, attribute, name)
