"""The behaviour table and the writer contract every output must keep."""

from __future__ import annotations

import pytest
from lxml import etree

from edition import transforms
from edition.document import parse, tei
from edition.transforms.behaviours import DEFAULT, VOCABULARY, BehaviourTable, Model, m
from edition.transforms.engine import Writer, get_writer, method_name, register_writer


def _writers() -> list[type[Writer]]:
    return [transforms.WRITERS[name] for name in sorted(transforms.load_writers())]


@pytest.mark.parametrize("writer", _writers(), ids=lambda w: w.name)
def test_every_writer_implements_every_behaviour(writer: type[Writer]) -> None:
    assert transforms.missing_behaviours(writer) == []
    assert writer.name and writer.format and writer.suffix and writer.outputs


def test_the_builtin_writers_are_registered() -> None:
    assert {"html", "text", "pdf"} <= set(transforms.load_writers())


def test_no_model_is_unreachable() -> None:
    assert list(DEFAULT.unreachable()) == []


def test_unreachable_models_are_found() -> None:
    table = BehaviourTable({"p": (m("paragraph"), m("block", "@rend='x'"))})
    assert [(tag, model.behaviour) for tag, model in table.unreachable()] == [(tei("p"), "block")]


def test_first_matching_model_wins_and_outputs_select() -> None:
    document = parse(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>'
                     b'<div type="document"><p/></div><div><p/></div></body></text></TEI>')
    divisions = document.root.findall(f".//{tei('div')}")
    assert DEFAULT.select(divisions[0], ("web",)).behaviour == "document"
    assert DEFAULT.select(divisions[1], ("web",)).behaviour == "block"
    header = document.root.find(tei("teiHeader"))
    assert DEFAULT.select(header, ("web",)).behaviour == "metadata"
    assert DEFAULT.select(header, ("print",)).behaviour == "omit"
    unknown = etree.SubElement(document.root, "{urn:x}thing")
    assert DEFAULT.select(unknown, ("web",)) is None


def test_bad_predicate_fails_when_the_table_is_built() -> None:
    with pytest.raises(ValueError, match="not valid XPath"):
        BehaviourTable({"p": (m("paragraph", "@rend=="),)})


def test_unknown_behaviour_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown behaviour"):
        Model("sparkle")


def test_duplicate_element_needs_override() -> None:
    table = BehaviourTable({"p": (m("paragraph"),)})
    with pytest.raises(ValueError, match="already"):
        table.add("p", (m("block"),))
    table.add("p", (m("block"),), override=True)
    assert table.models(tei("p"))[0].behaviour == "block"


def test_registry_refuses_duplicates_and_names_valid_writers() -> None:
    transforms.load_writers()

    class Impostor(Writer):
        name = "html"

    with pytest.raises(ValueError, match="already registered"):
        register_writer(Impostor)
    with pytest.raises(transforms.UnknownWriterError) as error:
        get_writer("docx")
    assert "html" in str(error.value) and "text" in str(error.value)
    assert get_writer("web") is transforms.WRITERS["html"]


def test_vocabulary_methods_exist_on_the_base() -> None:
    for behaviour in VOCABULARY:
        assert callable(getattr(Writer, method_name(behaviour)))
