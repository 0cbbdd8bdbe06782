"""Schemas: ours (compiled from schema/edition.odd), tei_all, or any RELAX NG / XSD / ODD.

PROVISIONAL: the schema engine is being written; this module keeps the
interface (:class:`Schema`, :data:`SchemaChoice`, :func:`resolve_schema`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Union

from lxml import etree

from .diagnostics import Diagnostic
from .document import Document

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"


class Schema:
    """A compiled schema; call :meth:`iter_problems` on documents."""

    name = "schema"

    def iter_problems(self, document: Document) -> Iterator[Diagnostic]:
        raise NotImplementedError


SchemaChoice = Union[None, str, Path, Schema]


def resolve_schema(choice: SchemaChoice, document: Document) -> Schema | None:
    if isinstance(choice, Schema):
        return choice
    if choice == "none":
        return None
    return None
