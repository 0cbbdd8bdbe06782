"""Schemas: ours (compiled from schema/edition.odd), tei_all, or any RELAX NG / XSD / ODD.

Every engine is a :class:`Schema`: compiled once, then called on many documents through
:meth:`Schema.iter_problems` (or :meth:`Schema.begin`), which turns libxml2's error log into
located :class:`~edition.diagnostics.Diagnostic` records with stable codes (E0100–E0106).
One concern a module:

* :mod:`.messages`: libxml2's messages → our codes and messages, in TEI's names;
* :mod:`.engines`: :class:`XsdSchema`, :class:`RelaxNGSchema`, :class:`OddSchema`
  (:mod:`edition.odd`), :class:`EditionSchema` (ours, checked against a copy pruned to
  one document's elements first), one per schema and process;
* :mod:`.pruning`: :func:`prune_xsd` and :func:`prune_tei_all`, schemas cut down to the
  names documents use, with the same verdicts on them;
* :mod:`.tei_all`: :class:`TeiAllSchema`, tei_all pruned, then specialised to the attributes
  each element carries (:func:`specialize_attributes`);
* :mod:`.selection`: :func:`resolve_schema` turns the user's choice (None, ``"edition"``,
  ``"tei-all"``, ``"none"``, a path, a Schema) into an engine for a document;
* :mod:`.paths`: where our schemas are.

The speed machinery these use (a compilation on a second thread, a trial compilation in a
forked child) is :mod:`edition.speed`, with its reasons.
"""

from __future__ import annotations

from .engines import (
                      EditionSchema,
                      LxmlSchema,
                      OddSchema,
                      Pending,
                      RelaxNGSchema,
                      Schema,
                      XsdSchema,
                      edition_schema,
                      schema_from_file,
                      settle,
)
from .messages import classify, translate_log
from .paths import EDITION_ODD, EDITION_XSD, RNG_NS, SCHEMA_DIR, XSD_NS, schema_error, tei_p5_dir
from .pruning import Names, prune_tei_all, prune_xsd, vocabulary, vocabulary_of_files
from .selection import SchemaChoice, prepare, resolve_schema, xml_model_schema
from .tei_all import QUICK_COMPILE_SECONDS, Profile, TeiAllSchema, attribute_profile, specialize_attributes

__all__ = [
    "EDITION_ODD", "EDITION_XSD", "QUICK_COMPILE_SECONDS", "RNG_NS", "SCHEMA_DIR", "XSD_NS",
    "EditionSchema", "LxmlSchema", "Names", "OddSchema", "Pending", "Profile", "RelaxNGSchema", "Schema",
    "SchemaChoice", "TeiAllSchema", "XsdSchema",
    "attribute_profile", "classify", "edition_schema", "prepare", "prune_tei_all", "prune_xsd", "resolve_schema",
    "schema_error", "schema_from_file", "settle", "specialize_attributes", "tei_p5_dir", "translate_log",
    "vocabulary", "vocabulary_of_files", "xml_model_schema",
]
