"""The records of a compiled ISO Schematron (what :mod:`edition.schematron` compiles and
:mod:`edition.schematron_run` runs), below both."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from .schematron_findings import ROLE_CODES, SchematronDiagnostic, SchematronError, _refuse  # noqa: F401 - re-exported
from .schematron_xslt import XslFunction


@dataclass
class Message:
    """Text with ``value-of`` and ``name`` placeholders: (text) or ('value-of'|'name', token)."""

    parts: list[Any] = field(default_factory=list)


@dataclass
class Check:
    kind: str  # "assert" or "report"
    test: str
    token: Any
    message: Message
    id: str
    role: str
    flag: str
    diagnostics: list[str]
    properties: list[str]
    file: str
    line: int

    @property
    def code(self) -> str:
        return ROLE_CODES.get(self.role.lower(), ROLE_CODES.get(self.flag.lower(), "E0701"))


@dataclass
class Rule:
    context: str
    token: Any
    lets: list[tuple[str, Any]]
    checks: list[Check]
    id: str
    role: str
    flag: str
    file: str
    line: int


@dataclass
class Pattern:
    id: str
    rules: list[Rule]
    lets: list[tuple[str, Any]]
    file: str
    line: int


@dataclass
class Phase:
    id: str
    active: list[str]
    lets: list[tuple[str, Any]]


@dataclass
class SchematronModel:
    """A compiled Schematron's data (:class:`edition.schematron.Schematron` adds loading and calling)."""

    path: str
    title: str
    binding: str
    namespaces: dict[str, str]
    lets: list[tuple[str, Any]]
    patterns: list[Pattern]
    phases: dict[str, Phase]
    default_phase: str
    diagnostics: dict[str, Message]
    properties: dict[str, Message]
    functions: list[XslFunction]
    parser: Any
    source: etree._ElementTree
    folders: list[Path]
    #: The file each schema-level let comes from (an extended or included schema's).
    let_files: dict[str, str] = field(default_factory=dict)

    def active_patterns(self, phase: str | None) -> tuple[list[Pattern], list[tuple[str, Any]]]:
        """The patterns (and the phase's lets) of ``phase``; ``#ALL`` or None: the default phase or all."""
        chosen = phase or self.default_phase or "#ALL"
        if chosen == "#DEFAULT":
            chosen = self.default_phase or "#ALL"
        if chosen == "#ALL":
            return self.patterns, []
        if chosen not in self.phases:
            known = ", ".join(sorted(self.phases)) or "none"
            raise _refuse(f"phase {chosen!r} is not declared in this schema (phases: {known}, #ALL)", self.path)
        found = self.phases[chosen]
        active = set(found.active)
        return [pattern for pattern in self.patterns if pattern.id in active], found.lets


