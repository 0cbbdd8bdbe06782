"""Characters no font of this machine can print, and what the Typst print edition sets instead.

Typst's PDF/UA-1 check refuses a document holding a character that no font it has can display:
the whole PDF, for one letter.  Early modern and medieval texts are full of such letters (the
Deutsches Textarchiv's Kant has the r rotunda ``ꝛ``, the combining small e ``◌ͤ`` of its umlauts
and the ditto mark ``〃``, which neither Liberation nor DejaVu has).  When Typst refuses a
source for that reason, :func:`stand_ins` finds every character of the source the machine's fonts
lack and sets a stand-in in its place, and the build reports each one (W0610) with what to
install; the source is set again.  The stand-in is the character's usual modern spelling where
there is one (``r`` for ``ꝛ``, the combining diaeresis for the combining e), else its letters
without their marks (Unicode's decomposition), else U+FFFD.

The fonts are those Typst finds (the system's font folders, as fontconfig and Typst list
them), read with fontTools (a dependency of WeasyPrint) only when a source was refused.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

__all__ = ["MISSING_GLYPH", "covered", "describe", "set_printable", "stand_ins", "substitute"]

#: Typst's refusal of a character no font can display (PDF/UA-1: "the text `"ꝛ"` could not be
#: displayed with font `"Liberation Serif"`").
MISSING_GLYPH = re.compile(r"could not be displayed with font")

#: Modern spellings of letters of older printing (Unicode calls them variants, not compositions).
_SPELLINGS = {
    "\ua75b": "r",  # LATIN SMALL LETTER R ROTUNDA
    "\ua75a": "R",
    "\u0364": "\u0308",  # COMBINING LATIN SMALL LETTER E (the umlaut of Fraktur) → combining diaeresis
    "\u3003": "\u201d",  # DITTO MARK → right double quotation mark
    "\u2e17": "-",  # DOUBLE OBLIQUE HYPHEN
    "\u017f": "s",  # LATIN SMALL LETTER LONG S
}
#: Blocks of the letters and marks of medieval and early modern printing (MUFI's, which Junicode has).
_OLDER_PRINTING = ((0x0300, 0x036F), (0x1DC0, 0x1DFF), (0x1E00, 0x1EFF), (0xA720, 0xA7FF), (0xAB30, 0xAB6F),
                   (0xE000, 0xF8FF))
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")


def _font_folders() -> list[Path]:
    home = Path.home()
    if sys.platform == "darwin":
        return [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library" / "Fonts"]
    if sys.platform == "win32":
        windows = Path(os.environ.get("WINDIR", "C:\\Windows"))
        return [windows / "Fonts", home / "AppData" / "Local" / "Microsoft" / "Windows" / "Fonts"]
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), data / "fonts", home / ".fonts"]


def _font_files() -> Iterator[Path]:
    for folder in _font_folders():
        if folder.is_dir():
            for root, _, files in os.walk(folder):
                for name in sorted(files):
                    if name.lower().endswith(_FONT_SUFFIXES):
                        yield Path(root) / name


@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """The code points some font of this machine maps to a glyph."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    points: set[int] = set()
    for path in _font_files():
        try:
            fonts = (TTCollection(str(path), lazy=True).fonts if path.suffix.lower() in (".ttc", ".otc")
                     else [TTFont(str(path), lazy=True)])
            for font in fonts:
                cmap = font["cmap"].getBestCmap() if "cmap" in font else None
                points.update(cmap or ())
        except (OSError, TTLibError, KeyError, AssertionError, ValueError):
            continue  # a font fontTools cannot read is one Typst cannot use either
    return frozenset(points)


def _printable(text: str, fonts: frozenset[int]) -> bool:
    return all(ord(c) in fonts or ord(c) < 0x80 for c in text)


def _stand_in(char: str, fonts: frozenset[int]) -> str:
    spelled = _SPELLINGS.get(char)
    if spelled is not None and _printable(spelled, fonts):
        return spelled
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if bare and bare != char and bare.isalnum() and _printable(bare, fonts):
        return bare  # letters only: the stand-in goes into Typst's markup and strings as it is
    return "\ufffd" if 0xFFFD in fonts else "?"


def stand_ins(source: str, fonts: frozenset[int] | None = None) -> dict[str, tuple[str, int]]:
    """Each character of ``source`` no font has: (its stand-in, how often it occurs)."""
    fonts = covered() if fonts is None else fonts
    counts = Counter(c for c in source if ord(c) >= 0x80 and ord(c) not in fonts
                     and unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    return {char: (_stand_in(char, fonts), count) for char, count in sorted(counts.items())}


def substitute(source: str, found: dict[str, tuple[str, int]]) -> str:
    """``source`` with each character of ``found`` replaced by its stand-in."""
    return source.translate({ord(char): stand_in for char, (stand_in, _) in found.items()})


def set_printable(source: str, compile: Callable[[str], bytes]) -> tuple[bytes, dict[str, tuple[str, int]]]:
    """``compile(source)``; when Typst refuses a character no font has, once more with every such
    character replaced by its stand-in.  Returns the PDF and the stand-ins set (none, mostly)."""
    from .pdf_typst import TypstError

    try:
        return compile(source), {}
    except TypstError as error:
        found = stand_ins(source) if MISSING_GLYPH.search(str(error)) else {}
        if not found:
            raise
    return compile(substitute(source, found)), found


def describe(char: str, stand_in: str, count: int) -> str:
    """The W0610 message of one character."""
    name = unicodedata.name(char, f"U+{ord(char):04X}")
    shown = "the combining diaeresis" if stand_in == "\u0308" else repr(stand_in)
    older = any(low <= ord(char) <= high for low, high in _OLDER_PRINTING)
    hint = " (for the letters of older printing: Junicode, Debian's fonts-junicode)" if older else ""
    return (f"print edition: no font here has {char!r} (U+{ord(char):04X} {name}), {count} time"
            f"{'s' if count != 1 else ''} in this unit: printed as {shown}; install a font that has it{hint} "
            f"and build again")
