"""The diagnostic record: its line format, severities, codes and exit codes."""

from __future__ import annotations

import json

import pytest

from edition.diagnostics import (
    CODES,
    Diagnostic,
    EditionError,
    EditionParseError,
    Severity,
    exit_code,
    summary,
    to_json,
)


def test_line_format_is_grep_friendly() -> None:
    d = Diagnostic.make("E0202", "pointer #p_X does not resolve", path="tei/x.xml", line=42, column=7,
                        xpath="/tei:TEI/tei:text/tei:body/tei:div[2]/tei:p[3]", ref="d300.p3")
    assert str(d) == ("tei/x.xml:42:7: error E0202: pointer #p_X does not resolve (d300.p3) "
                      "[/tei:TEI/tei:text/tei:body/tei:div[2]/tei:p[3]]")


def test_severity_comes_from_the_code_table() -> None:
    assert Diagnostic.make("W0206", "x").severity is Severity.WARNING
    assert Diagnostic.make("E0002", "x").severity is Severity.FATAL
    assert Diagnostic.make("I0403", "x").severity is Severity.INFO


def test_every_code_is_well_formed() -> None:
    for code, entry in CODES.items():
        assert code == entry.code
        assert code[0] in "EWIF" and code[1:].isdigit() and len(code) == 5
        assert entry.summary
        # the letter tells the severity for warnings and infos
        if code[0] == "W":
            assert entry.severity is Severity.WARNING
        if code[0] == "I":
            assert entry.severity is Severity.INFO


def test_unknown_code_is_refused() -> None:
    with pytest.raises(KeyError):
        Diagnostic.make("E9999", "no such code")


@pytest.mark.parametrize(("codes", "expected"), [
    ([], 0), (["W0206"], 0), (["I0403", "W0301"], 0), (["W0206", "E0201"], 1), (["E0002"], 1),
])
def test_exit_code_follows_the_worst_severity(codes: list[str], expected: int) -> None:
    assert exit_code([Diagnostic.make(c, "m") for c in codes]) == expected


def test_exit_code_does_not_wrap_at_256_errors() -> None:
    assert exit_code([Diagnostic.make("E0201", "m")] * 256) == 1


def test_summary_and_json_agree() -> None:
    found = [Diagnostic.make("E0201", "dup", path="a.xml", line=3, column=1),
             Diagnostic.make("W0206", "date", path="a.xml", line=5, column=2)]
    assert summary(found, 1) == "1 file checked: 1 error, 1 warning"
    records = json.loads(to_json(found))
    assert [r["code"] for r in records] == ["E0201", "W0206"]
    assert records[0]["severity"] == "error" and records[0]["line"] == 3


def test_exceptions_carry_their_diagnostic_and_builtin_base() -> None:
    error = EditionParseError.at("E0002", "broken", path="x.xml", line=1, column=2)
    assert isinstance(error, EditionError) and isinstance(error, ValueError)
    assert str(error) == "x.xml:1:2: fatal E0002: broken"
