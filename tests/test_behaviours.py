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


def _without_names() -> BehaviourTable:
    """The default table, but for ``persName``: omitted (the names of persons vanish from the text)."""
    table = BehaviourTable({tag: DEFAULT.models(tag) for tag in DEFAULT.elements()})
    table.add("persName", (m("omit"),), override=True)
    return table


def _memo_output(name: str, table: BehaviourTable | None) -> str:
    """The memo's unit written by writer ``name`` (with ``table``, or with none given), as text."""
    from io import BytesIO

    import pypdf
    from conftest import MEMO

    from edition.document import load

    document = load(MEMO)  # a fresh document each time: nothing of another table's run is kept with it
    writer_class = get_writer(name)
    writer = writer_class() if table is None else writer_class(table)
    result = writer.write_unit(document, document.element_for_ref("d300"), {"basename": "d300"})
    if name == "epub":
        return result.record["xhtml"]
    (data,) = result.files.values()
    if name == "pdf":
        return "".join(page.extract_text() or "" for page in pypdf.PdfReader(BytesIO(data)).pages)
    return data.decode("utf-8")


@pytest.mark.parametrize("name", ["html", "text", "pdf", "epub"])
def test_every_writer_takes_another_behaviour_table(name: str) -> None:
    default = _memo_output(name, None)
    assert _memo_output(name, DEFAULT) == default  # the table a writer is given by default is DEFAULT
    changed = _memo_output(name, _without_names())
    # the memo's body names Khrushchev twice (persName), its header and notes elsewhere
    assert changed.count("Khrushchev") < default.count("Khrushchev")
    assert changed.count("Herter") < default.count("Herter")
    # nothing but the names changes: the rest of the text is there
    assert "Despite the probability" in changed and "Despite the probability" in default
