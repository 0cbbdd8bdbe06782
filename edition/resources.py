"""Where the toolkit's own data is: the installed package, never the checkout.

Everything read at run time (our compiled schema and its ODD, TEI P5's schemas, the CSL style,
the web and print assets) ships inside the ``edition`` package and is found here through
:mod:`importlib.resources`.  The repository keeps its layout (``schema/``, ``transforms/`` at the
top); the build maps them to ``edition.schemas`` and ``edition.transforms``, and an editable
install maps them back to the checkout.  lxml needs real files (grammars include their
companions by relative path), so a resource that is not on the file system is a packaging defect,
reported as such.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

#: The TEI P5 release that is vendored (schema/tei-p5/README.md).
TEI_P5_VERSION = "4.8.0"


class MissingResourceError(RuntimeError):
    """A data file the package should contain is absent: the installation is broken, not the input."""


def _folder(package: str, *parts: str) -> Path:
    root = files(package)
    for part in parts:
        root = root / part
    path = Path(str(root))
    if not path.exists():
        raise MissingResourceError(
            f"the installed toolkit lacks {package.replace('.', '/')}/{'/'.join(parts)} ({path}); "
            "reinstall tei-edition (pip install --force-reinstall tei-edition)")
    return path


def schema_dir() -> Path:
    """Our customization: edition.odd, edition.xsd and xml.xsd (the repository's ``schema/``)."""
    return _folder("edition.schemas")


def tei_p5_dir() -> Path:
    """tei_all.rng, tei_all.xsd (+ companions) and p5subset.xml: ``$EDITION_TEI_P5`` or the vendored 4.8.0."""
    given = os.environ.get("EDITION_TEI_P5")
    return Path(given) if given else _folder("edition.schemas", "tei-p5")


def assets_dir() -> Path:
    """The web edition's and print edition's CSS, JavaScript and icons."""
    return _folder("edition.transforms", "assets")


def csl_dir() -> Path:
    """The official Chicago CSL style."""
    return _folder("edition.transforms", "csl")


def package_roots() -> list[Path]:
    """The folders of the installed code (to key caches and incremental builds by the toolkit itself)."""
    roots: list[Path] = []
    for package in ("edition", "edition.transforms"):
        root = Path(str(files(package)))
        if not any(root == known or known in root.parents for known in roots):
            roots.append(root)
    return roots
