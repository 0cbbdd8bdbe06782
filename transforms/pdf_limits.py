"""Bounds of the print edition: a time budget per unit and limits on the images it prints.

A unit over its budget, or an image over a limit, is left out with W0608 and the build goes on
(the limits hold for both engines; an image always goes through WeasyPrint).
"""

from __future__ import annotations

import base64
import io
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote_to_bytes

from lxml import etree

__all__ = ["MAX_IMAGE_BYTES", "PRINT_TIME_BUDGET", "PrintTimeout", "data_url_bytes", "image_problem", "time_budget"]

#: Seconds one unit's PDF may take (``options["pdf_time_budget"]``); a FRUS document takes 0.3-2 s.
PRINT_TIME_BUDGET = 60.0
#: Image limits: an image over one is left out of the PDF with W0608.
MAX_IMAGE_BYTES = 64 * 2**20
MAX_IMAGE_PIXELS = 50_000_000
MAX_SVG_ELEMENTS = 20_000
MAX_SVG_DEPTH = 64
#: Elements an SVG draws once every ``<use>`` is expanded (the 1.8 KB "billion laughs" of SVG).
MAX_SVG_DRAWN = 100_000


class PrintTimeout(BaseException):
    """A unit's PDF went over its time budget.

    A BaseException, as KeyboardInterrupt is: raised by a timer signal anywhere inside the
    renderer, it must not be swallowed by a library's ``except Exception`` (a WeasyPrint layout
    then finished past its budget)."""


def _timeout(number: int, frame: Any) -> None:
    raise PrintTimeout()


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`PrintTimeout` in the block after ``seconds`` (a timer signal; only in the
    main thread, where a build's workers and the command run; elsewhere unbounded).
    WeasyPrint lays out in Python, so the signal interrupts it between two steps; Typst runs in a
    process of its own (:mod:`edition.transforms.pdf_typst`), whose answer the signal stops waiting for."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def data_url_bytes(url: str) -> bytes:
    head, _, payload = url.partition(",")
    try:
        if head.lower().endswith(";base64"):
            return base64.b64decode(payload[:MAX_IMAGE_BYTES * 2], validate=False)
        return unquote_to_bytes(payload[:MAX_IMAGE_BYTES])
    except ValueError:
        return b""


def image_problem(data: bytes, svg: bool = False) -> str:
    """Why an image must not be printed ("" if it may): too large a file, too many pixels,
    or an SVG with too many elements, too deep, or drawing too many through ``<use>``."""
    if len(data) > MAX_IMAGE_BYTES:
        return f"the file is over {MAX_IMAGE_BYTES:,} bytes"
    if svg or data.lstrip()[:5] in (b"<?xml", b"<svg ") or b"<svg" in data[:512]:
        return _svg_problem(data)
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # not an image Pillow reads: WeasyPrint reports it
        return ""
    if width * height > MAX_IMAGE_PIXELS:
        return f"{width} x {height} pixels, over the limit of {MAX_IMAGE_PIXELS:,}"
    return ""


def _svg_problem(data: bytes) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return ""  # not an SVG WeasyPrint could draw either: it reports it
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    if len(elements) > MAX_SVG_ELEMENTS:
        return f"an SVG of {len(elements):,} elements, over the limit of {MAX_SVG_ELEMENTS:,}"
    depth: dict[etree._Element, int] = {root: 1}
    for element in elements[1:]:
        depth[element] = depth[element.getparent()] + 1
        if depth[element] > MAX_SVG_DEPTH:
            return f"an SVG nested deeper than {MAX_SVG_DEPTH} elements"
    by_id = {e.get("id"): e for e in elements if e.get("id")}
    drawn: dict[etree._Element, int] = {}
    active: set[etree._Element] = set()
    xlink = "{http://www.w3.org/1999/xlink}href"

    def count(element: etree._Element) -> int:  # elements drawn, with every <use> expanded
        if element in drawn:
            return drawn[element]
        if element in active:
            return MAX_SVG_DRAWN + 1  # a <use> loop
        active.add(element)
        total = 1
        if etree.QName(element).localname == "use":
            href = element.get("href") or element.get(xlink) or ""
            target = by_id.get(href[1:]) if href.startswith("#") else None
            if target is not None:
                total += count(target)
        for child in element:
            if isinstance(child.tag, str):
                total += count(child)
            if total > MAX_SVG_DRAWN:
                break
        active.discard(element)
        drawn[element] = min(total, MAX_SVG_DRAWN + 1)
        return drawn[element]

    if count(root) > MAX_SVG_DRAWN:
        return f"an SVG that draws over {MAX_SVG_DRAWN:,} elements once its <use> elements are expanded"
    return ""
