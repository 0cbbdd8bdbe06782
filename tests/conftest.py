"""Shared fixtures: where the repository, our TEI and ../shared are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MEMO = REPO / "tei" / "frus1958-60v19-d300.xml"
SHARED_REASON = ("../shared (the real FRUS corpus and the TEI P5 schemas) is not beside this checkout; "
                 "CI has it, so these tests run there")


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
