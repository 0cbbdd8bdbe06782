"""The output transforms: one behaviour table, one writer per output.

Public API: the table (:data:`DEFAULT`, :class:`BehaviourTable`, :class:`Model`,
:data:`VOCABULARY`), the engine (:class:`Writer`, :class:`Renderer`,
:class:`UnitResult`) and the writer registry (:func:`get_writer`,
:func:`register_writer`, :data:`WRITERS`).  Imports here are the stable API;
other module internals may change.
"""

from __future__ import annotations

import importlib

from .behaviours import DEFAULT, FALLBACK, VOCABULARY, BehaviourTable, Model
from .engine import (WRITERS, Renderer, UnitResult, UnknownWriterError, Writer, missing_behaviours,
                     register_writer)
from .engine import get_writer as _get_writer

#: The writers that ship with the toolkit, by module; each registers itself on import.
BUILTIN_WRITERS = ("transforms.html", "transforms.text", "transforms.pdf")


def load_writers() -> dict[str, type[Writer]]:
    """Import the built-in writers (once) and return the registry."""
    for module in BUILTIN_WRITERS:
        importlib.import_module(module)
    return WRITERS


def get_writer(name: str) -> type[Writer]:
    load_writers()
    return _get_writer(name)


__all__ = ["DEFAULT", "FALLBACK", "VOCABULARY", "BehaviourTable", "Model", "Renderer", "UnitResult",
           "UnknownWriterError", "WRITERS", "Writer", "get_writer", "load_writers", "missing_behaviours",
           "register_writer"]
