"""Canonical references: from the citeStructure of the memo, and the fallback on FRUS volumes."""

from __future__ import annotations

from pathlib import Path

from edition.document import load, parse, tei


def test_memo_refs_come_from_its_citestructure(memo_path: Path) -> None:
    document = load(memo_path)
    citer = document.citer
    assert citer.source == "citeStructure"
    assert [u.ref for u in citer.units] == ["d300", "d300.p1", "d300.p2", "d300.p3", "d300.p4"]
    fourth = document.element_for_ref("d300.p4")
    assert fourth.tag == tei("p")
    assert "Nevertheless, recent developments" in "".join(fourth.itertext())
    # a node inside the paragraph takes the paragraph's reference; the head takes the document's
    assert document.ref_of(fourth[0]) == "d300.p4"
    head = document.root.find(f".//{tei('div')}/{tei('head')}")
    assert document.ref_of(head) == "d300"
    assert citer.problems == []


def test_fallback_on_a_frus_volume_uses_document_ids(frus_excerpt: Path) -> None:
    document = load(frus_excerpt)
    assert document.citer.source == "fallback"
    refs = [u.ref for u in document.citer.units if u.parent is None]
    assert refs == ["d299", "d300", "d301", "d302"]
    paragraph = document.element_for_ref("d300.p4")
    assert "wait the Sino-Soviet" in "".join(paragraph.itertext())
    assert document.citer.nearest("d300.p9")[:1] == ["d300.p1"] or "d300.p4" in document.citer.nearest("d300.p9")


def test_broken_citestructure_is_a_diagnostic_not_a_crash() -> None:
    document = parse(b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><encodingDesc><refsDecl>
<citeStructure match="//div[" use="@n"/></refsDecl></encodingDesc></teiHeader>
<text><body><div n="1"><p>x</p></div></body></text></TEI>""", "bad.xml")
    problems = document.citer.problems
    assert [p.code for p in problems] == ["E0404"]
    assert problems[0].line == 2
    # and references still exist, from the fallback
    assert document.citer.source == "fallback"
    assert [u.ref for u in document.citer.units] == ["div1", "div1.p1"]


def test_positions_and_xpaths(memo_path: Path) -> None:
    document = load(memo_path)
    paragraph = document.element_for_ref("d300.p4")
    line, column = document.position(paragraph)
    source_line = memo_path.read_text(encoding="utf-8").split("\n")[line - 1]
    assert source_line[column - 1:].startswith("<p")
    assert document.xpath_of(paragraph) == "/tei:TEI/tei:text/tei:body/tei:div/tei:p[4]"
    assert document.root.xpath(document.xpath_of(paragraph),
                               namespaces={"tei": "http://www.tei-c.org/ns/1.0"}) == [paragraph]


def test_the_fallback_names_each_division_once_when_their_numbers_repeat() -> None:
    # parts that restart their numbering (Kant's Critique): two div n="1"; a div n="3" whose name is
    # also a division's xml:id; and a unique @n, which names its division
    document = parse(b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>
<div n="1"><p>first one</p></div><div n="1"><p>second one</p><p>more</p></div><div xml:id="div3"><p>by id</p></div>
<div n="7"><p>seventh</p></div><div n="3"><p>three</p></div><div><p>none</p></div></body></text></TEI>""", "parts.xml")
    citer = document.citer
    assert citer.problems == []
    assert [u.ref for u in citer.units if u.parent is None] == ["div1", "div2", "div3", "div7", "div3-5", "div6"]
    assert "".join(document.element_for_ref("div2.p2").itertext()) == "more"
    assert "".join(document.element_for_ref("div3-5.p1").itertext()) == "three"
    assert all(document.ref_of(p) for p in document.root.iter(tei("p")))


def test_kants_critique_has_a_reference_for_every_division_and_paragraph() -> None:
    from conftest import shared_path

    document = load(shared_path("any-tei", "kant_rvernunft_1781.TEI-P5.xml"))
    assert document.citer.source == "fallback"
    assert document.citer.problems == []  # were 202 E0404, each a paragraph the fallback named twice
    refs = [u.ref for u in document.citer.units]
    assert len(refs) == len(set(refs)) > 1000
