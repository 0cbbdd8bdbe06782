"""The user's grammar cache: in the user's cache folder, versioned, bounded, checked, optional."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MEMO

import edition
from edition import cache
from edition.cli import cli


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("EDITION_CACHE", str(root))
    monkeypatch.delenv("EDITION_CACHE_MAX_MB", raising=False)
    return root


def _fresh_schema_state() -> None:
    """Forget the grammars compiled in this process, so that the next run reads the disk cache."""
    from edition.schema import engines, tei_all

    engines._SCHEMAS.clear()
    tei_all._QUICK.clear()


def test_the_default_folder_is_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("EDITION_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.root() == tmp_path / "xdg" / "tei-edition"
    assert cache.folder() == tmp_path / "xdg" / "tei-edition" / f"v{edition.__version__}"


@pytest.mark.parametrize("environment", [{}, {"XDG_CACHE_HOME": "/srv/cache"}, {"XDG_CACHE_HOME": "relative/cache"},
                                         {"HOME": "/home/someone", "XDG_CACHE_HOME": ""}, {"HOME": "relative"}])
def test_the_folder_is_the_one_platformdirs_names(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux the folder is worked out without importing platformdirs (start-up time): the same one."""
    import platformdirs

    monkeypatch.delenv("EDITION_CACHE", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert cache.root() == Path(platformdirs.user_cache_dir("tei-edition", appauthor=False))


def test_entries_round_trip_and_are_keyed_by_version(cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.write("tei-all", "k.rng", b"<grammar/>")
    assert cache.read("tei-all", "k.rng") == b"<grammar/>"
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert cache.read("tei-all", "k.rng") is None, "another version must not see this version's entries"


def test_a_damaged_entry_is_discarded_with_a_warning(cache_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache.write("tei-all", "k.rng", b"<grammar>whole</grammar>")
    (entry,) = cache_root.rglob("k.rng")
    entry.write_bytes(entry.read_bytes()[:-5])  # truncated, as by a crash or a full disk
    assert cache.read("tei-all", "k.rng") is None
    assert not entry.exists()
    assert "warning W0109: damaged cache entry discarded" in capsys.readouterr().err


def test_validation_rebuilds_a_tampered_grammar(cache_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An entry whose bytes were changed is never trusted, even when it still parses."""
    _fresh_schema_state()  # a grammar compiled by an earlier test would not be written to this cache
    assert edition.validate([MEMO], schema="tei-all").exit_code == 0
    grammars = list(cache_root.rglob("*.rng"))
    assert grammars
    for grammar in grammars:
        data = grammar.read_bytes()
        grammar.write_bytes(data.replace(b"<element", b"<element ", 1))  # parses, but is not what was written
    _fresh_schema_state()
    assert edition.validate([MEMO], schema="tei-all").exit_code == 0
    assert "W0109" in capsys.readouterr().err
    assert all(cache.read(g.parent.name, g.name) is not None for g in cache_root.rglob("*.rng"))


def test_the_cache_is_bounded_least_recently_used_first(cache_root: Path) -> None:
    for number in range(6):
        cache.write("edition-xsd", f"{number}.xsd", b"x" * 1000)
        os.utime(next(cache_root.rglob(f"{number}.xsd")), (1000 + number, 1000 + number))
    cache.read("edition-xsd", "0.xsd")  # used now: the most recent
    cache.trim(limit=3500)
    left = sorted(p.name for p in cache_root.rglob("*.xsd"))
    assert left == ["0.xsd", "4.xsd", "5.xsd"]


def test_a_cache_that_cannot_be_created_costs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EDITION_CACHE", str(blocker / "cache"))
    assert cache.folder() is None
    cache.write("tei-all", "k.rng", b"data")  # silently nothing
    _fresh_schema_state()
    assert edition.validate([MEMO], schema="tei-all").exit_code == 0


def test_cache_info_and_clear(cache_root: Path) -> None:
    cache.write("tei-all", "a.rng", b"a" * 2048)
    (cache_root / "unrelated.txt").parent.mkdir(parents=True, exist_ok=True)
    (cache_root / "unrelated.txt").write_text("a user's own file beside the cache")
    runner = CliRunner()
    shown = runner.invoke(cli, ["cache", "info"])
    assert shown.exit_code == 0
    assert str(cache_root) in shown.output and "1 entries" in shown.output and "tei-all" in shown.output
    cleared = runner.invoke(cli, ["cache", "clear"])
    assert cleared.exit_code == 0 and "removed 1 cache entries" in cleared.output
    assert cache.read("tei-all", "a.rng") is None
    assert (cache_root / "unrelated.txt").exists(), "clear removes only the toolkit's own folders"
