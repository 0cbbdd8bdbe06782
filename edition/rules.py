"""Integrity rules on any TEI (PROVISIONAL: being written)."""

from __future__ import annotations

from collections.abc import Iterator

from .diagnostics import Diagnostic
from .document import Document


def iter_rule_problems(document: Document) -> Iterator[Diagnostic]:
    return iter(())
