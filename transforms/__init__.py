"""The output transforms: one behaviour table, one writer per output.

Public API: the table (:data:`DEFAULT`, :class:`BehaviourTable`, :class:`Model`,
:data:`VOCABULARY`), the engine (:class:`Writer`, :class:`Renderer`,
:class:`UnitResult`) and the writer registry (:func:`get_writer`,
:func:`register_writer`, :data:`WRITERS`).  Imports here are the stable API;
other module internals may change.
"""

from __future__ import annotations

from .behaviours import DEFAULT, FALLBACK, VOCABULARY, BehaviourTable, Model
from .engine import (
                     BUILTIN_WRITERS,
                     WRITERS,
                     Renderer,
                     UnitResult,
                     UnknownWriterError,
                     Writer,
                     get_writer,
                     load_writers,
                     missing_behaviours,
                     register_writer,
)

__all__ = ["BUILTIN_WRITERS", "DEFAULT", "FALLBACK", "VOCABULARY", "BehaviourTable", "Model", "Renderer", "UnitResult",
           "UnknownWriterError", "WRITERS", "Writer", "get_writer", "load_writers", "missing_behaviours",
           "register_writer"]
