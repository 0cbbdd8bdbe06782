"""tei-edition: a toolkit for TEI P5 digital editions.

Imports here are the stable API; other module internals may change.

    >>> import edition
    >>> report = edition.validate(["tei/"])
    >>> report.exit_code
    0
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._version import __version__
from .diagnostics import (
    CODES,
    Diagnostic,
    EditionError,
    EditionOutputError,
    EditionParseError,
    EditionQueryError,
    EditionReferenceError,
    EditionUsageError,
    EditionValidationError,
    Severity,
)
from .document import Document, load, parse
from .validate import Report, check, is_valid, iter_problems, validate

# Heavier parts load on first use, so that `edition validate` does not pay for them.  The build
# and cite functions live in the modules of the same name: `from edition.build import build`,
# `from edition.cite import cite` (a package attribute cannot be both a module and a function).
_LAZY = {
    "Query": ("edition.query", "Query"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module 'edition' has no attribute {name!r}")


__all__ = ["__version__", "CODES", "Diagnostic", "Document", "EditionError", "EditionOutputError", "EditionParseError",
           "EditionQueryError", "EditionReferenceError", "EditionUsageError", "EditionValidationError",
           "Query", "Report", "Severity", "check", "is_valid", "iter_problems", "load",
           "parse", "validate"]
