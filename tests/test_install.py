"""The toolkit as users install it: the wheel holds everything, and works in an empty folder.

The wheel is built from this checkout (``pip wheel``, no network: the build backend comes from
the test environment), unpacked into a folder of its own, and run from a folder that holds only
a copy of the memo, with no ``../shared``, no cache and no ``$EDITION_TEI_P5``: a data file
missing from the wheel fails here, not at a user's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import MEMO, REPO

#: Data that must travel in the wheel, by its path inside it.
REQUIRED_DATA = [
    "edition/py.typed",
    "edition/schemas/edition.odd",
    "edition/schemas/edition.xsd",
    "edition/schemas/xml.xsd",
    "edition/schemas/tei-p5/tei_all.rng",
    "edition/schemas/tei-p5/tei_all.xsd",
    "edition/schemas/tei-p5/tei_all_xml.xsd",
    "edition/schemas/tei-p5/tei_all_teix.xsd",
    "edition/schemas/tei-p5/p5subset.xml",
    "edition/schemas/tei-p5/LICENSE",
    "edition/transforms/assets/edition.css",
    "edition/transforms/assets/edition.js",
    "edition/transforms/assets/print.css",
    "edition/transforms/csl/chicago-notes-bibliography-17th-edition.csl",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from this checkout now (so that it is this code's, not an older build's)."""
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "--no-index", "-q", "-w", str(dist), str(REPO)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    (found,) = dist.glob("tei_edition-*.whl")
    return found


@pytest.fixture(scope="module")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed (without its dependencies, which the test environment has) into a folder."""
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                             "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return target


def test_the_wheel_holds_one_import_package_and_all_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"edition"}, f"the wheel installs more than the edition package: {sorted(tops)}"
    missing = [name for name in REQUIRED_DATA if name not in names]
    assert not missing, f"package data missing from the wheel: {missing}"
    assert "edition/transforms/html.py" in names and "edition/cli.py" in names
    # the vendored TEI P5 is the very file of the checkout, byte for byte
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("edition/schemas/tei-p5/tei_all.rng") == (REPO / "schema/tei-p5/tei_all.rng").read_bytes()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    import edition

    assert f"Version: {edition.__version__}" in metadata
    assert "Requires-Dist: lxml" in metadata


@pytest.fixture(scope="module")
def new_user(site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An empty folder with a copy of the memo, and an environment that sees only the unpacked wheel."""
    folder = tmp_path_factory.mktemp("new-user")
    shutil.copy(MEMO, folder / "memo.xml")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("EDITION_", "PYTHON", "XDG_"))}
    env.update(PYTHONPATH=str(site), HOME=str(folder / "home"), XDG_CACHE_HOME=str(folder / "cache"),
               PYTHONDONTWRITEBYTECODE="1")
    return folder, env


def _edition(new_user: tuple[Path, dict[str, str]], *arguments: str) -> subprocess.CompletedProcess[str]:
    folder, env = new_user
    # -P: the current folder is not put on sys.path, as with the installed `edition` script
    return subprocess.run([sys.executable, "-P", "-m", "edition", *arguments], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_installed_package_is_the_one_that_runs(new_user: tuple[Path, dict[str, str]], site: Path) -> None:
    folder, env = new_user
    result = subprocess.run([sys.executable, "-P", "-c", "import edition, edition.transforms.html as h, "
                             "edition.resources as r; print(edition.__file__); print(h.__file__); "
                             "print(r.tei_p5_dir()); print(r.schema_dir())"],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert Path(line).is_relative_to(site), f"{line} is not inside the installed wheel"
    assert not (site / "transforms").exists() and not (site / "schema").exists()


def test_a_new_user_validates(new_user: tuple[Path, dict[str, str]]) -> None:
    result = _edition(new_user, "validate", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file checked: 0 errors, 0 warnings" in result.stdout + result.stderr


def test_a_new_user_validates_against_tei_all(new_user: tuple[Path, dict[str, str]]) -> None:
    result = _edition(new_user, "validate", "--tei-all", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file checked: 0 errors" in result.stdout + result.stderr
    folder, _ = new_user
    # the pruned grammar went to the user's cache folder, under this version, not into the folder
    assert list((folder / "cache" / "tei-edition").glob("v*/tei-all/*.rng"))
    assert not (folder / ".edition-cache").exists()


def test_a_new_user_builds_every_output(new_user: tuple[Path, dict[str, str]]) -> None:
    folder, _ = new_user
    result = _edition(new_user, "build", "--out", "site", "memo.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    out = folder / "site"
    pages = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    for kind, suffix in (("html", ".html"), ("text", ".txt"), ("pdf", ".pdf"), ("cite", ".bib")):
        assert any(p.startswith(f"{kind}/") and p.endswith(suffix) for p in pages), (kind, pages)
    assert any(p.endswith(".css") for p in pages)
    pdf = next(out.glob("pdf/*.pdf")).read_bytes()
    assert pdf.startswith(b"%PDF-")


def test_a_new_user_cites(new_user: tuple[Path, dict[str, str]]) -> None:
    result = _edition(new_user, "cite", "d300.p4", "memo.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sino-Soviet relationship" in result.stdout
    assert "para. 4" in result.stdout


def test_a_new_user_queries(new_user: tuple[Path, dict[str, str]]) -> None:
    result = _edition(new_user, "query", "--format", "json", "//persName", "memo.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    values = [hit["value"] for hit in json.loads(result.stdout)]
    assert {"Cumming", "Herter", "Khrushchev", "Eisenhower"} <= set(values)


def test_a_new_user_reads_the_schema_info(new_user: tuple[Path, dict[str, str]]) -> None:
    result = _edition(new_user, "schema", "info")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " elements, lxml load " in result.stdout
    assert "div/@type:" in result.stdout


def test_the_version_is_defined_once(new_user: tuple[Path, dict[str, str]]) -> None:
    import edition

    result = _edition(new_user, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"edition (tei-edition) {edition.__version__}"
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject and "__version__" in pyproject


def test_the_vendored_tei_p5_is_the_shared_release() -> None:
    """schema/tei-p5 holds exactly TEI P5 4.8.0's files as ../shared/tei-p5 has them."""
    from conftest import shared_path

    shared = shared_path("tei-p5")
    for name in ("tei_all.rng", "tei_all.xsd", "tei_all_xml.xsd", "tei_all_teix.xsd", "p5subset.xml"):
        assert (REPO / "schema" / "tei-p5" / name).read_bytes() == (shared / name).read_bytes(), name
    assert "readme-4.8.0.html" in (REPO / "schema" / "tei-p5" / "p5subset.xml").read_text(encoding="utf-8")[:20000]
