"""Shared fixtures: where the repository, our TEI and ../shared are.

With ``EDITION_TEST_INSTALLED=1`` (as .ci/run sets after installing the wheel) the suite checks
that ``edition`` is imported from the installed package, not from this checkout, and runs from a
folder outside the checkout; tests that read paths relative to the repository ask for the
``in_repo`` fixture.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MEMO = REPO / "tei" / "frus1958-60v19-d300.xml"
SHARED_REASON = ("../shared (the real FRUS corpus and the TEI P5 schemas) is not beside this checkout; "
                 "CI has it, so these tests run there")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("EDITION_TEST_INSTALLED") != "1":
        return
    import edition

    imported = Path(edition.__file__).resolve()
    if imported.is_relative_to(REPO / "edition") or "site-packages" not in imported.parts:
        raise pytest.UsageError(f"EDITION_TEST_INSTALLED=1 but edition was imported from the checkout "
                                f"({imported}); install the wheel (EDITION_INSTALL=wheel ./install.sh)")
    os.chdir(tempfile.mkdtemp(prefix="edition-tests-"))


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests that name files as a user of this checkout would (``tei/…``)."""
    monkeypatch.chdir(REPO)
    return REPO


def tei_p5_path(*parts: str) -> Path:
    """A file of the TEI P5 release the toolkit ships (schema/tei-p5), through the installed package."""
    from edition.resources import tei_p5_dir

    return tei_p5_dir().joinpath(*parts)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{SHARED_REASON} (missing: shared/{'/'.join(parts)})")
    return path


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def memo_path() -> Path:
    return MEMO


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(SHARED_REASON)
    return SHARED


@pytest.fixture(scope="session")
def frus_excerpt() -> Path:
    return shared_path("corpus", "frus", "frus1958-60v19-d299-d302-context.xml")


@pytest.fixture(scope="session")
def frus_volume() -> Path:
    return shared_path("corpus", "frus", "frus1958-60v19.xml")


@pytest.fixture(scope="session")
def history_documents() -> Path:
    return shared_path("corpus", "frus-history-documents")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A git-ignored folder the test run keeps (screenshots, page images)."""
    path = REPO / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


# -- built editions (web engineer's block) -------------------------------------------

@pytest.fixture(scope="session")
def memo_edition(tmp_path_factory: pytest.TempPathFactory):
    """The memo built once (html and text) for the tests that read its pages: (out, report)."""
    from edition.build import build

    out = tmp_path_factory.mktemp("memo-edition") / "edition"
    return out, build([REPO / "tei"], out=out, formats=["html", "text"])


@pytest.fixture(scope="session")
def corpus_edition(tmp_path_factory: pytest.TempPathFactory):
    """The FRUS excerpt (a volume of 4 documents) and the 63 history documents built once: (out, report)."""
    from edition.build import build

    excerpt = shared_path("corpus", "frus", "frus1958-60v19-d299-d302-context.xml")
    history = shared_path("corpus", "frus-history-documents")
    out = tmp_path_factory.mktemp("corpus-edition") / "edition"
    return out, build([excerpt, history], out=out, formats=["html", "text"])
