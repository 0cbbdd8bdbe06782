"""Typst, the print edition's compiled typesetter, always in a process of its own.

Typst (PyPI ``typst``) lays out in native code on a thread pool of its own.  That pool does
not survive a fork: a build's workers are forked, and a worker forked from a process that had
run Typst would wait forever on threads it does not have.  So Typst never runs in a build's
processes at all:

- the documents' PDFs go to a *Typst server*, a fresh interpreter (``python -I``, not a fork)
  that each process starts on its first document and keeps for the rest: it loads the fonts
  once and compiles source after source sent over a pipe (:func:`compile_source`).  A forked
  worker never uses the server of its parent (it closes the pipes it inherited and starts its
  own), so both cores set documents, in any process, however often the library is used;
- the book of a whole volume goes to a one-shot process (:func:`compile_apart`): its layout
  holds 0.85 GB, which then never adds to the build's, and a time limit holds.

A server dies with its process (the end of its input is its signal to stop), ignores Ctrl-C
(the build decides), and is killed when the print time budget interrupts a document: no
signal reaches Typst's native layout, but the wait on its pipe is interrupted and the server,
in an unknown state, is replaced by a fresh one for the next document.  Typst reads nothing
but the source it is given: its root is a folder removed before the first compile.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import re
import struct
import subprocess
import sys
from typing import IO

__all__ = ["BOOK_TIME_BUDGET", "STANDARDS", "TypstError", "available", "compile_apart", "compile_source",
           "count_pages", "stop_server", "supports"]

#: Typst's PDF standards for the print edition's ``pdf_variant`` option (Typst ≥ 0.14 writes tagged
#: PDF and checks PDF/UA-1 itself).  PDF/A needs a document date, which a deterministic build does
#: not write: WeasyPrint makes those.
STANDARDS: dict[str, list[str]] = {"pdf/ua-1": ["ua-1"]}

#: Seconds the book may take in its own process before it is stopped (E0603): Typst lays out
#: in native code, which no signal of the print time budget interrupts.
BOOK_TIME_BUDGET = 900.0


class TypstError(RuntimeError):
    """Typst could not set the source (its message), or took longer than its budget."""


def available() -> bool:
    # found, not imported: Typst's native library is never loaded into a build's own processes
    return importlib.util.find_spec("typst") is not None


def supports(variant: str | None) -> bool:
    """Whether Typst writes this ``pdf_variant`` (None: a plain PDF)."""
    return variant is None or variant in STANDARDS


def count_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))  # not /Pages, not /PageLabel


# A request is (source length, standards length) as two little-endian 32-bit numbers, the
# standards (comma-separated) and the source; an answer is a status byte (0: a PDF, 1: Typst's
# message), a 64-bit length and the bytes.
_SERVER = r"""
import os, signal, struct, sys, tempfile
signal.signal(signal.SIGINT, signal.SIG_IGN)
import typst
root = tempfile.mkdtemp(prefix="edition-typst-")
try:
    compiler = typst.Compiler(root=root)
finally:
    os.rmdir(root)
read, write = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = read.read(8)
    if len(head) < 8:
        break
    size, named = struct.unpack("<II", head)
    standards = [s for s in read.read(named).decode().split(",") if s]
    source = read.read(size)
    try:
        out, status = compiler.compile(input=source, pdf_standards=standards, pdf_tags=True), 0
    except Exception as error:
        out, status = str(error).encode("utf-8", "replace"), 1
    write.write(struct.pack("<BQ", status, len(out)))
    write.write(out)
    write.flush()
"""


class _Server:
    """One process's Typst server (started on first use; see the module's docstring)."""

    def __init__(self) -> None:
        # -I: the server imports typst from the environment only, never from the working folder
        self.process = subprocess.Popen([sys.executable, "-I", "-c", _SERVER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.pid = os.getpid()

    def compile(self, source: bytes, standards: list[str]) -> bytes:
        stdin: IO[bytes] | None = self.process.stdin
        stdout: IO[bytes] | None = self.process.stdout
        assert stdin is not None and stdout is not None
        named = ",".join(standards).encode()
        try:
            stdin.write(struct.pack("<II", len(source), len(named)) + named)
            stdin.write(source)
            stdin.flush()
            head = _read(stdout, 9)
            status, size = struct.unpack("<BQ", head)
            out = _read(stdout, size)
        except OSError:
            raise TypstError("the Typst process ended unexpectedly") from None
        if status:
            raise TypstError(out.decode("utf-8", "replace").strip() or "Typst failed")
        return out

    def forget(self) -> None:
        """In a forked child: close the pipes to the parent's server, which stays the parent's."""
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    os.close(stream.fileno())
        self.process.returncode = 0  # not ours to wait for

    def stop(self) -> None:
        """Kill the server (idle, or in an unknown state after an interruption) and reap it."""
        with contextlib.suppress(OSError):
            self.process.kill()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self.process.wait(5)


def _read(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise OSError("short read")
    return data


_CURRENT: dict[str, _Server] = {}


def _forget_in_child() -> None:
    server = _CURRENT.pop("server", None)
    if server is not None:
        server.forget()


os.register_at_fork(after_in_child=_forget_in_child)


def stop_server() -> None:
    """End this process's Typst server, if it has one (a build's end; the interpreter's exit)."""
    server = _CURRENT.get("server")
    if server is not None and server.pid == os.getpid():
        _CURRENT.pop("server", None)
        server.stop()


atexit.register(stop_server)


def compile_source(source: str, variant: str | None) -> bytes:
    """A PDF from Typst source, through this process's Typst server (no file read, no network:
    the source never imports or reads)."""
    server = _CURRENT.get("server")
    if server is None or server.pid != os.getpid() or server.process.poll() is not None:
        server = _CURRENT["server"] = _Server()
    try:
        return server.compile(source.encode("utf-8"), STANDARDS.get(variant or "", []))
    except TypstError:
        if server.process.poll() is not None:  # a source Typst could not set leaves the server as it was
            _CURRENT.pop("server", None)
        raise
    except BaseException:
        # the time budget, Ctrl-C: the server is mid-answer; a fresh one serves the next document
        server.stop()
        _CURRENT.pop("server", None)
        raise


_CHILD = """
import os, sys, tempfile
import typst
root = tempfile.mkdtemp(prefix="edition-typst-")
try:
    compiler = typst.Compiler(root=root)
finally:
    os.rmdir(root)
try:
    pdf = compiler.compile(input=sys.stdin.buffer.read(), pdf_standards=sys.argv[1:], pdf_tags=True)
except Exception as error:
    sys.stderr.write(str(error))
    sys.exit(1)
sys.stdout.buffer.write(pdf)
"""


def compile_apart(source: str, variant: str | None, timeout: float = BOOK_TIME_BUDGET) -> bytes:
    """:func:`compile_source` in a process of its own, for the book: its layout (0.85 GB for a FRUS
    volume) does not add to the memory of the build that made its HTML, and a time limit holds."""
    standards: list[str] = STANDARDS.get(variant or "", [])
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _CHILD, *standards], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise TypstError(f"Typst took more than {timeout:g} s") from None
    if done.returncode != 0:
        raise TypstError(done.stderr.decode("utf-8", "replace").strip() or f"exit code {done.returncode}")
    return done.stdout
