"""Where our schemas are, the namespaces of schema languages, and the error for a schema that cannot load."""

from __future__ import annotations

from pathlib import Path

from .. import resources
from ..diagnostics import EditionUsageError

SCHEMA_DIR = resources.schema_dir()
EDITION_XSD = SCHEMA_DIR / "edition.xsd"
EDITION_ODD = SCHEMA_DIR / "edition.odd"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_R = f"{{{RNG_NS}}}"


def tei_p5_dir() -> Path:
    """Where tei_all.rng, tei_all.xsd and p5subset.xml are: ``$EDITION_TEI_P5`` or the vendored TEI P5."""
    return resources.tei_p5_dir()


def schema_error(message: str, path: str = "") -> EditionUsageError:
    """E0107: a schema that cannot be loaded; the message says what to do."""
    return EditionUsageError.at("E0107", message, path=path)
