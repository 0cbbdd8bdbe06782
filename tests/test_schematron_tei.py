"""The TEI's constraints (``--tei-all``) run from their XPath 1.0 plan on lxml give exactly
the findings of the elementpath engine (``edition.schematron_run``): the same records, in the
same order, on a fixture that trips most of them and on real TEI of other projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, shared_path

from edition.document import load
from edition.resources import tei_p5_dir
from edition.schematron_select import _odd_constraint_problems, compiled
from edition.schematron_tei import make_plan, plan_for

FIXTURES = REPO / "tests" / "fixtures" / "schematron"
P5SUBSET = tei_p5_dir() / "p5subset.xml"


def records(found: list) -> list[tuple]:
    return [(d.path, d.line, d.column, d.code, d.message, d.xpath, d.ref, getattr(d, "pattern", ""),
             getattr(d, "rule", ""), getattr(d, "test", ""), getattr(d, "kind", ""), getattr(d, "location", ""))
            for d in found]


def both(path: Path) -> tuple[list[tuple], list[tuple]]:
    reference = list(compiled(P5SUBSET, "odd")(load(path)))
    planned = _odd_constraint_problems(load(path), P5SUBSET, None)
    return records(reference), records(planned)


def test_the_plan_finds_what_elementpath_finds_on_a_fixture_that_trips_many_constraints() -> None:
    reference, planned = both(FIXTURES / "tei-constraints-many.xml")
    assert planned == reference
    patterns = {record[7] for record in reference}
    assert len(reference) >= 30 and len(patterns) >= 25  # the fixture really trips them
    assert "ref-constraint-refAtts" in patterns and "att.datable.w3c-constraint-att-datable-w3c-when" in patterns
    # attribute contexts are located on the attribute
    assert any(record[5].endswith("/tei:rt[1]/@from") for record in planned)


def test_most_patterns_have_an_xpath1_plan_and_the_rest_fall_back() -> None:
    plan = make_plan(compiled(P5SUBSET, "odd"))
    fast = [pattern for pattern in plan.patterns if pattern.fast]
    assert len(plan.patterns) == 150 and len(fast) >= 130
    # string lets and current() are bound node by node
    assert {"msDesc-constraint-one_ms_singleton_max", "l-constraint-abstractModel-structure-l-in-l"} <= {
        pattern.id for pattern in fast}
    # those left to elementpath use what XPath 1.0 cannot say: sequences, id(), casts, regexes
    slow = {pattern.id for pattern in plan.patterns if not pattern.fast}
    assert "att.global.source-source-constraint-only_1_ODD_source" in slow  # tokenize()
    assert "att.spanning-spanTo-constraint-spanTo-points-to-following" in slow  # id()


def test_the_plan_is_cached_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import edition.schematron_tei as module

    monkeypatch.setenv("EDITION_CACHE", str(tmp_path))
    monkeypatch.setattr(module, "_PLANS", {})
    made = plan_for(P5SUBSET, lambda: compiled(P5SUBSET, "odd"))
    assert list(tmp_path.rglob("*.json"))
    monkeypatch.setattr(module, "_PLANS", {})
    read = plan_for(P5SUBSET, lambda: pytest.fail("the cached plan should have been read"))
    assert read.patterns == made.patterns and read.namespaces == made.namespaces
    # a damaged entry is discarded and made again
    for entry in tmp_path.rglob("*.json"):
        entry.write_bytes(entry.read_bytes()[:-20])
    monkeypatch.setattr(module, "_PLANS", {})
    again = plan_for(P5SUBSET, lambda: compiled(P5SUBSET, "odd"))
    assert again.patterns == made.patterns


@pytest.mark.parametrize("name", ["F-rom.xml", "let695.xml", "osinski.xml", "CIDTC-3823-cortez.xml", "27003.xml"])
def test_the_plan_finds_what_elementpath_finds_on_other_projects_tei(name: str) -> None:
    path = shared_path("any-tei", name)
    reference, planned = both(path)
    assert planned == reference


def test_the_plan_finds_what_elementpath_finds_on_the_frus_excerpt() -> None:
    path = shared_path("corpus", "frus", "frus1958-60v19-d299-d302-context.xml")
    reference, planned = both(path)
    assert planned == reference


def test_a_run_from_the_cached_plan_needs_no_elementpath(tmp_path: Path) -> None:
    """The first run makes the plan (compiling p5subset.xml's constraints with elementpath);
    the next ones read it from the cache and never import elementpath (0.35 s of start-up)."""
    import os
    import subprocess
    import sys

    script = ("import sys; from edition.validate import validate; "
              "from edition.schematron_select import SchematronOptions; "
              f"report = validate([{str(REPO / 'tei' / 'frus1958-60v19-d300.xml')!r}], schema='tei-all', "
              "schematron=SchematronOptions(tei_constraints=True)); "
              "print(report.exit_code, 'elementpath' in sys.modules)")
    environment = {**os.environ, "EDITION_CACHE": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                           check=True, cwd=tmp_path).stdout.split() for _ in range(2)]
    assert runs[0] == ["0", "True"]  # the plan made
    assert runs[1] == ["0", "False"]  # the plan read back
    assert list(tmp_path.rglob("schematron/*.json"))
