"""What a Schematron run reports, apart from the compiled schema's records (which cost
5 ms of dataclasses to import): a run planned from the cache needs only these."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .diagnostics import Diagnostic, EditionError

#: @role (or @flag) → our severity code.
ROLE_CODES = {"fatal": "E0704", "error": "E0701", "warn": "W0702", "warning": "W0702", "info": "I0703",
              "information": "I0703", "informational": "I0703"}


@dataclass(frozen=True, order=True)
class SchematronDiagnostic(Diagnostic):
    """A finding of a Schematron, with where in the schema it comes from (in the JSON output)."""

    schematron: str = field(default="", compare=False)
    pattern: str = field(default="", compare=False)
    rule: str = field(default="", compare=False)
    test: str = field(default="", compare=False)
    kind: str = field(default="", compare=False)
    assert_id: str = field(default="", compare=False)
    role: str = field(default="", compare=False)
    flag: str = field(default="", compare=False)
    location: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, object]:
        record = super().as_dict()
        if self.kind:
            record.update(schematron=self.schematron, pattern=self.pattern, rule=self.rule, test=self.test,
                          kind=self.kind, assert_id=self.assert_id, role=self.role, flag=self.flag)
        return record


class SchematronError(EditionError, ValueError):
    """A Schematron that cannot be compiled or run as written (E0705)."""


def _refuse(message: str, file: str, element: etree._Element | None = None) -> SchematronError:
    line = element.sourceline if element is not None and element.sourceline else 0
    return SchematronError(Diagnostic.make("E0705", message, path=file, line=line, column=1 if line else 0))
