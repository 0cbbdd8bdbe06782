"""Characters no font of the machine has (transforms/pdf_glyphs.py): Typst's PDF/UA-1 check refused
the whole PDF for one of them; the print edition now sets a stand-in and reports it (W0610)."""

from __future__ import annotations

from io import BytesIO

import pypdf

from edition.document import parse, tei
from edition.transforms.pdf import PdfWriter
from edition.transforms.pdf_glyphs import covered, stand_ins, substitute

#: Code points of a machine with ASCII, Latin-1, U+0308 and U+FFFD only.
FONTS = frozenset(range(0x20, 0x100)) | {0x0308, 0xFFFD, 0x201D}


def test_each_missing_character_gets_its_modern_spelling_else_its_letters_else_a_replacement() -> None:
    source = "wa\ua75b a\u0364 \u3003 \u01ed \u2603 \u00e9 plain \ua75b"
    found = stand_ins(source, FONTS)
    assert found == {
        "\u01ed": ("o", 1),  # o with ogonek and macron: its letter
        "\u2603": ("\ufffd", 1),  # a snowman: nothing to spell it with
        "\u3003": ("\u201d", 1),  # the ditto mark: a closing quotation mark
        "\u0364": ("\u0308", 1),  # the umlaut's small e: the diaeresis
        "\ua75b": ("r", 2),  # r rotunda
    }
    assert substitute(source, found) == "war a\u0308 \u201d o \ufffd \u00e9 plain r"


def test_a_stand_in_is_itself_printable_or_the_replacement_character() -> None:
    # a machine without the diaeresis either: the combining e has no spelling it can print
    fonts = FONTS - {0x0308}
    assert stand_ins("a\u0364", fonts) == {"\u0364": ("\ufffd", 1)}
    assert stand_ins("a\u0364", fonts - {0xFFFD}) == {"\u0364": ("?", 1)}


def test_a_text_with_a_letter_no_font_has_is_printed_with_its_stand_in() -> None:
    # the Deutsches Textarchiv's r rotunda: neither Liberation nor DejaVu has it
    document = parse("""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>Critik</title>
</titleStmt><publicationStmt><p>x</p></publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader>
<text><body><div><head>Vorrede</head><p>Die Vernunft hat das beſondere Schickſal in eine\ua75b Gattung
ih\ua75be\ua75b Erkenntniſſe.</p></div></body></text></TEI>""".encode(), "critik.xml")
    result = PdfWriter().write_unit(document, document.root.find(tei("text")), {})
    warned = [d for d in result.diagnostics if d.code == "W0610"]
    assert len(result.files) == 1, [str(d) for d in result.diagnostics]
    text = " ".join((page.extract_text() or "") for page in pypdf.PdfReader(BytesIO(*result.files.values())).pages)
    if 0xA75B in covered():  # a machine with such a font prints the letter itself
        assert warned == [] and "eine\ua75b" in text
    else:
        assert [d.message.split(",")[0] for d in warned] == [
            "print edition: no font here has 'ꝛ' (U+A75B LATIN SMALL LETTER R ROTUNDA)"]
        assert "3 times in this unit: printed as 'r'" in warned[0].message
        assert "einer Gattung" in text and "ihrer Erkenntni" in text
    assert not [d for d in result.diagnostics if d.severity >= 2], [str(d) for d in result.diagnostics]
