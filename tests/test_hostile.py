"""The hostile-input catalogue, through every command that reads TEI.

tests/hostile/CATALOGUE lists each attack or fault with the diagnostic it
must produce (code and line).  Every entry runs through ``edition validate``,
``edition query``, ``edition cite`` and ``edition build`` in a child process
with a memory ceiling (RLIMIT_AS, 2 GiB) and a timeout as a hang guard: the
assertions are on exit code, code and location, and the absence of a
traceback.  The large entries (100,000-deep nesting, huge text nodes) and
those git cannot hold (a folder, a pipe, a dangling link) are generated here.
"""

from __future__ import annotations

import json
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from edition.diagnostics import EditionError, EditionParseError
from edition.document import MAX_INPUT_BYTES, MAX_MARKUP, load

HOSTILE = Path(__file__).resolve().parent / "hostile"
REPO = HOSTILE.parents[1]

#: Address-space ceiling for every child process: far above what a TEI file
#: needs (the 3.3 MB FRUS volume takes ~300 MB), far below what an entity
#: expansion or a runaway tree would take.
MEMORY_LIMIT = 2 * 1024**3
#: Hang guard, not a timing assertion: a run that has not ended by then hangs.
HANG_GUARD = 180

#: Input-level codes: a file that is accepted must yield none of them.
INPUT_CODES = re.compile(r"\b(E000\d|E0010|W0011)\b")


@dataclass(frozen=True)
class Entry:
    name: str
    codes: tuple[str, ...]  # any one of them satisfies the entry; () = accepted
    line: int
    note: str

    @property
    def generated(self) -> bool:
        return self.name.startswith("generated:")


def read_catalogue() -> list[Entry]:
    """``NAME [CODE[|CODE]][@LINE] # note`` lines (the format of tests/fixtures/broken/MANIFEST)."""
    entries = []
    for raw in (HOSTILE / "CATALOGUE").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        fields, _, note = raw.partition("#")
        name, *finding = fields.split()
        codes, _, line = (finding[0] if finding else "").partition("@")
        entries.append(Entry(name, tuple(codes.split("|")) if codes else (), int(line or 0), note.strip()))
    return entries


CATALOGUE = read_catalogue()

# -- generated entries --------------------------------------------------------------

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<TEI xmlns="http://www.tei-c.org/ns/1.0">\n'
         '  <teiHeader><fileDesc><titleStmt><title>Hostile input</title></titleStmt>'
         '<publicationStmt><p>Test</p></publicationStmt><sourceDesc><p>Test</p></sourceDesc>'
         '</fileDesc></teiHeader>\n'
         '  <text><body><div type="document" xml:id="d1">\n')
_TAIL = '  </div></body></text>\n</TEI>\n'


def _deep_nesting(folder: Path) -> Path:
    path = folder / "deep-nesting.xml"
    levels = 100_000
    path.write_text(_HEAD + "<div>\n" * levels + "<p>deep</p>\n" + "</div>\n" * levels + _TAIL)
    return path


def _huge_text(folder: Path) -> Path:
    path = folder / "huge-text.xml"
    with open(path, "w") as handle:
        handle.write(_HEAD + "    <p>")
        for _ in range(12):
            handle.write("word " * 200_000)
        handle.write("</p>\n" + _TAIL)
    return path


def _huge_attribute(folder: Path) -> Path:
    path = folder / "huge-attribute.xml"
    with open(path, "w") as handle:
        handle.write(_HEAD + '    <p rend="')
        for _ in range(12):
            handle.write("x" * 1_000_000)
        handle.write('">x</p>\n' + _TAIL)
    return path


def _too_many_tags(folder: Path) -> Path:
    path = folder / "too-many-tags.xml"
    with open(path, "w") as handle:
        handle.write(_HEAD)
        for _ in range(MAX_MARKUP // 1_000_000 + 1):
            handle.write("<lb/>" * 1_000_000)
        handle.write(_TAIL)
    return path


def _oversized(folder: Path) -> Path:
    path = folder / "oversized.xml"
    with open(path, "wb") as handle:
        handle.write(_HEAD.encode())
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: costs no disk
    return path


def _late_doctype(folder: Path) -> Path:
    path = folder / "late-doctype.xml"
    path.write_text('<?xml version="1.0"?>\n<!--' + " padding" * 10_000 + " -->\n"
                    '<!DOCTYPE TEI [<!ENTITY lol "lol">]>\n' + _HEAD.split("\n", 1)[1]
                    + "    <p>&lol;</p>\n" + _TAIL)
    return path


def _directory(folder: Path) -> Path:
    path = folder / "directory.xml"
    path.mkdir()
    (path / "inside.xml").write_text(_HEAD + "    <p>x</p>\n" + _TAIL)
    return path


def _named_pipe(folder: Path) -> Path:
    path = folder / "named-pipe.xml"
    os.mkfifo(path)  # reading it would block forever: it must be refused unread
    return path


def _dangling_symlink(folder: Path) -> Path:
    path = folder / "dangling-symlink.xml"
    path.symlink_to(folder / "nowhere.xml")
    return path


def _symlink_loop(folder: Path) -> Path:
    path = folder / "symlink-loop.xml"
    path.symlink_to(folder / "symlink-loop-2.xml")
    (folder / "symlink-loop-2.xml").symlink_to(path)
    return path


def _vanished(folder: Path) -> Path:
    path = folder / "vanished.xml"
    path.write_text(_HEAD + "    <p>x</p>\n" + _TAIL)
    path.unlink()
    return path


def _device(folder: Path) -> Path:
    path = folder / "device.xml"
    path.symlink_to("/dev/zero")  # endless bytes: must be refused unread
    return path


def _xinclude_symlink(folder: Path) -> Path:
    (folder / "link.xml").symlink_to("/etc/hostname")  # inside the folder, pointing outside any root
    path = folder / "xinclude-symlink.xml"
    path.write_text(_HEAD + '    <p>x</p>\n    <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                    'href="link.xml" parse="text"/>\n' + _TAIL)
    return path


GENERATORS: dict[str, Callable[[Path], Path]] = {
    "deep-nesting": _deep_nesting,
    "huge-text": _huge_text,
    "huge-attribute": _huge_attribute,
    "too-many-tags": _too_many_tags,
    "oversized": _oversized,
    "late-doctype": _late_doctype,
    "directory": _directory,
    "named-pipe": _named_pipe,
    "dangling-symlink": _dangling_symlink,
    "symlink-loop": _symlink_loop,
    "vanished": _vanished,
    "device": _device,
    "xinclude-symlink": _xinclude_symlink,
}


def test_catalogue_and_generators_agree() -> None:
    listed_files = {e.name for e in CATALOGUE if not e.generated}
    on_disk = {p.name for p in HOSTILE.iterdir() if p.suffix == ".xml"}
    assert listed_files == on_disk, "tests/hostile/CATALOGUE and the files beside it differ"
    generated = {e.name.removeprefix("generated:") for e in CATALOGUE if e.generated}
    assert generated == set(GENERATORS)


def materialise(entry: Entry, folder: Path) -> Path:
    if entry.generated:
        return GENERATORS[entry.name.removeprefix("generated:")](folder)
    return HOSTILE / entry.name


# -- running the commands in a bounded child process ---------------------------------

def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


#: Runs many commands in one child through click's CliRunner and prints what
#: each did as JSON: one interpreter start (and WeasyPrint import) for all.
_DRIVER = r"""
import json, sys, traceback
from click.testing import CliRunner
from edition.cli import cli
results = {}
for name, args in json.loads(sys.argv[1]).items():
    result = CliRunner().invoke(cli, args, catch_exceptions=True)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    results[name] = {
        "exit_code": result.exit_code,
        "output": result.output,
        "traceback": "".join(traceback.format_exception(*result.exc_info)) if crashed else "",
    }
print(json.dumps(results))
"""


def run_commands(commands: dict[str, list[str]], cwd: Path, timeout: float = HANG_GUARD) -> dict[str, dict]:
    """Run edition commands in a memory-limited child; a hang fails the test."""
    process = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(commands)], cwd=cwd,
                             capture_output=True, text=True, timeout=timeout,
                             preexec_fn=_limit_memory, env=_child_env())
    assert "Traceback" not in process.stderr, process.stderr
    assert process.returncode == 0, f"the child died ({process.returncode}): {process.stderr[-2000:]}"
    return json.loads(process.stdout.splitlines()[-1])


def _child_env() -> dict[str, str]:
    # the children import the same installed `edition` as the tests (never the checkout by path)
    env = dict(os.environ)
    # Any attempt at the network would go to a proxy that is not there.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[name] = "http://127.0.0.1:9"
    env["COLUMNS"] = "400"
    return env


def four_commands(path: Path, out: Path) -> dict[str, list[str]]:
    return {
        "validate": ["validate", str(path)],
        "query": ["query", "//p", str(path)],
        "cite": ["cite", "d1", str(path)],
        "build": ["build", "--out", str(out), str(path)],
    }


@pytest.fixture(scope="module")
def catalogue_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, dict]]]:
    """Every entry through the four commands, all in one bounded child process.

    One child for the whole catalogue: starting the interpreter and importing
    the writers (WeasyPrint alone takes ~1.5 s) once, not 40 times.
    """
    root = tmp_path_factory.mktemp("catalogue")
    paths: dict[str, Path] = {}
    commands: dict[str, list[str]] = {}
    for number, entry in enumerate(CATALOGUE):
        # inputs and output apart: build refuses an output inside a source folder
        folder = root / f"{number:02}" / "in"
        folder.mkdir(parents=True)
        paths[entry.name] = path = materialise(entry, folder)
        for command, args in four_commands(path, folder.parent / "out").items():
            commands[f"{entry.name} {command}"] = args
    results = run_commands(commands, root, timeout=HANG_GUARD + 60)
    return {entry.name: (paths[entry.name],
                         {key.rpartition(" ")[2]: value for key, value in results.items()
                          if key.rpartition(" ")[0] == entry.name})
            for entry in CATALOGUE}


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.name for e in CATALOGUE])
def test_catalogue_entry(entry: Entry, catalogue_runs: dict[str, tuple[Path, dict[str, dict]]]) -> None:
    path, results = catalogue_runs[entry.name]
    assert set(results) == set(four_commands(path, path))
    for command, result in results.items():
        where = f"edition {command} on {entry.name}"
        output = result["output"]
        assert not result["traceback"], f"{where} crashed:\n{result['traceback']}"
        assert "Traceback" not in output, f"{where}:\n{output}"
        if not entry.codes:
            assert result["exit_code"] in (0, 1), f"{where}:\n{output}"
            assert not INPUT_CODES.search(output), f"{where} refused an acceptable file:\n{output}"
            continue
        assert result["exit_code"] == (0 if entry.codes == ("W0011",) else 1), f"{where}:\n{output}"
        found = [line for line in output.splitlines()
                 if any(f" {code}: " in line for code in entry.codes)]
        assert found, f"{where}: none of {entry.codes} in:\n{output}"
        location = f"{path}:{entry.line}:" if entry.line else f"{path}:"
        assert any(line.startswith(location) for line in found), \
            f"{where}: expected at {location}\n{output}"
        # a diagnostic that says what to do, not only what is wrong
        assert any(len(line.split(": ", 2)[-1]) > 40 for line in found), f"{where}:\n{output}"


def test_library_load_raises_only_parse_errors(tmp_path: Path) -> None:
    """``load`` raises EditionParseError (with the catalogue's code) for every entry."""
    for entry in CATALOGUE:
        if entry.name in ("generated:too-many-tags", "generated:huge-text", "generated:huge-attribute",
                          "generated:oversized", "generated:deep-nesting"):
            continue  # big: covered in a bounded child above
        folder = tmp_path / entry.name.replace(":", "_")
        folder.mkdir()
        path = materialise(entry, folder)
        if not entry.codes:
            assert not load(path).problems
            continue
        if entry.codes == ("E0009",):  # an include not resolved: an error, the file still read
            problems = load(path).problems
            assert [(p.code, p.line) for p in problems] == [("E0009", entry.line)], entry.name
            continue
        with pytest.raises(EditionParseError) as caught:
            load(path)
        assert caught.value.diagnostic.code in entry.codes, entry.name
        assert caught.value.diagnostic.line == entry.line, entry.name


# -- no network, ever ----------------------------------------------------------------

@pytest.fixture()
def listener():
    """A socket on 127.0.0.1 that records every connection made to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.0)
    yield server
    server.close()


def _connections(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except (BlockingIOError, OSError):
            return count
        connection.close()
        count += 1


def test_network_references_are_never_fetched(listener: socket.socket, tmp_path: Path) -> None:
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    body = ("  <teiHeader><fileDesc><titleStmt><title>Net</title></titleStmt><publicationStmt><p>T</p>"
            "</publicationStmt><sourceDesc><p>T</p></sourceDesc></fileDesc></teiHeader>\n"
            '  <text><body><div type="document" xml:id="d1"><p>x</p>\n')
    tei_open = '<TEI xmlns="http://www.tei-c.org/ns/1.0">\n'
    attacks = {
        "entity.xml": f'<!DOCTYPE TEI [<!ENTITY e SYSTEM "{url}/entity">]>\n{tei_open}{body}<p>&e;</p>',
        "parameter.xml": f'<!DOCTYPE TEI [<!ENTITY % p SYSTEM "{url}/pe"> %p;]>\n{tei_open}{body}',
        "dtd.xml": f'<!DOCTYPE TEI SYSTEM "{url}/dtd">\n{tei_open}{body}',
        "xinclude.xml": f'{tei_open}{body}<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                        f'href="{url}/xi"/>',
        "xml-model.xml": f'<?xml-model href="{url}/schema.rng" type="application/xml" '
                         f'schematypens="http://relaxng.org/ns/structure/1.0"?>\n{tei_open}{body}',
        "schema-location.xml": tei_open.replace(
            ">", ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="http://www.tei-c.org/ns/1.0 {url}/tei.xsd">', 1) + body,
        "links.xml": f'{tei_open}{body}<p><graphic url="{url}/image.png"/>'
                     f'<ref target="{url}/page">a link</ref></p>',
    }
    for name, text in attacks.items():
        (tmp_path / name).write_text('<?xml version="1.0"?>\n' + text + "</div></body></text>\n</TEI>\n")
    commands: dict[str, list[str]] = {}
    for name in attacks:
        for command, args in four_commands(tmp_path / name, tmp_path / f"out-{name}").items():
            commands[f"{command} {name}"] = args
    results = run_commands(commands, tmp_path)
    for label, result in results.items():
        assert not result["traceback"], f"{label}:\n{result['traceback']}"
    assert _connections(listener) == 0, "a command connected to the network"


# -- a file that vanishes while a run is going ---------------------------------------

def test_files_vanishing_mid_run(tmp_path: Path) -> None:
    """Files deleted while validate runs give E0001/W0011 lines, never a traceback."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for number in range(300):
        (folder / f"f{number:03}.xml").write_text(_HEAD + f"    <p>text {number}</p>\n" + _TAIL)
    child = subprocess.Popen([sys.executable, "-P", "-m", "edition", "validate", "--no-schema", "-j", "1",
                              str(folder)], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=_limit_memory,
                             env=_child_env())

    def delete() -> None:
        for number in range(299, -1, -3):
            (folder / f"f{number:03}.xml").unlink(missing_ok=True)
            time.sleep(0.001)

    remover = threading.Thread(target=delete)
    remover.start()
    stdout, stderr = child.communicate(timeout=HANG_GUARD)
    remover.join()
    assert "Traceback" not in stdout + stderr, stderr
    assert child.returncode in (0, 1), stderr
    # the vanished files are E0001 (or W0011); no other input-level finding (schema and rule
    # findings on the surviving files are not this test's business)
    for line in stdout.splitlines():
        if INPUT_CODES.search(line):
            assert re.search(r" (E0001|W0011): ", line), line


def test_file_changing_while_read_is_w0011(tmp_path: Path) -> None:
    """A file still being written while it is read: W0011, or the parse error of what was there."""
    path = tmp_path / "growing.xml"
    path.write_text(_HEAD)
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys\n"
        "with open(sys.argv[1], 'a') as handle:\n"
        "    for _ in range(5_000):\n"
        "        handle.write('<p>more</p>\\n' * 100); handle.flush()\n"), str(path)])
    try:
        outcomes = set()
        while writer.poll() is None:  # until the writer is done (about 6 MB)
            try:
                load(path)
            except EditionError as error:
                outcomes.add(error.diagnostic.code)
    finally:
        writer.kill()
        writer.wait()
    # W0011 when the read saw the size change; else the half-written file is E0002 (unclosed
    # elements) or, once past the size limit, E0008.  Nothing else, and never a traceback.
    assert outcomes <= {"W0011", "E0002", "E0008"}, outcomes


# -- XInclude, confined to a root ------------------------------------------------------

def _with_include(folder: Path, href: str, parse: str = "xml") -> Path:
    path = folder / "main.xml"
    path.write_text(_HEAD + f'    <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{href}" '
                    f'parse="{parse}"/>\n' + _TAIL)
    return path


def test_xinclude_inside_the_root_is_included(tmp_path: Path) -> None:
    (tmp_path / "part.xml").write_text('<p xmlns="http://www.tei-c.org/ns/1.0">included</p>')
    path = _with_include(tmp_path, "part.xml")
    document = load(path, root=tmp_path)
    assert not document.problems
    assert [p.text for p in document.root.iter("{http://www.tei-c.org/ns/1.0}p")][-1] == "included"
    off = load(path, root=tmp_path, xinclude=False)
    assert [d.code for d in off.problems] == ["E0009"] and "XInclude is off" in off.problems[0].message
    assert "included" not in [p.text for p in off.root.iter("{http://www.tei-c.org/ns/1.0}p")]


@pytest.mark.parametrize("href", ["../outside.xml", "/etc/passwd", "http://127.0.0.1:9/x.xml",
                                  "file:///etc/passwd", "sub/../../outside.xml", "main.xml"])
@pytest.mark.parametrize("parse", ["xml", "text"])
def test_xinclude_leaving_the_root_is_refused(tmp_path: Path, href: str, parse: str) -> None:
    inner = tmp_path / "in"
    (inner / "sub").mkdir(parents=True)
    (tmp_path / "outside.xml").write_text('<p xmlns="http://www.tei-c.org/ns/1.0">secret</p>')
    path = _with_include(inner, href, parse)
    document = load(path, root=inner)
    assert [d.code for d in document.problems] == ["E0009"]
    assert f'href="{href}"' in document.problems[0].message and document.problems[0].line == 5
    assert b"secret" not in etree.tostring(document.root)


def test_xinclude_through_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "in"
    inner.mkdir()
    (tmp_path / "outside.xml").write_text('<p xmlns="http://www.tei-c.org/ns/1.0">secret</p>')
    (inner / "link.xml").symlink_to(tmp_path / "outside.xml")
    document = load(_with_include(inner, "link.xml"), root=inner)
    assert [d.code for d in document.problems] == ["E0009"]
    assert "symbolic link" in document.problems[0].message
    assert b"secret" not in etree.tostring(document.root)


def test_an_included_file_goes_through_the_safe_parser(tmp_path: Path) -> None:
    """The included file is refused for what the input would be refused for (entities here)."""
    (tmp_path / "part.xml").write_text((HOSTILE / "billion-laughs.xml").read_text())
    document = load(_with_include(tmp_path, "part.xml"), root=tmp_path)
    assert [d.code for d in document.problems] == ["E0009"]
    assert "E0003" in document.problems[0].message


#: Runs in a child with an audit hook on every open (Python's and os.open), then the four
#: commands on a file whose includes all aim at one folder outside the root.
_AUDITED = r"""
import json, sys
opened = []
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        opened.append(args[0] if isinstance(args[0], str) else args[0].decode("utf-8", "replace"))
sys.addaudithook(hook)
from click.testing import CliRunner
from edition.cli import cli
codes = {}
for name, args in json.loads(sys.argv[1]).items():
    result = CliRunner().invoke(cli, args)
    codes[name] = [result.exit_code, result.output]
print(json.dumps({"opened": opened, "codes": codes}))
"""


def _inotify_opens(folder: Path) -> Callable[[], list[str]]:
    """Names of the files in ``folder`` that any process opens or reads from now on (Linux
    inotify: sees what libxml2 would open in C, past any Python hook)."""
    import ctypes
    import struct

    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    if fd < 0:
        pytest.skip("inotify is not available")
    if libc.inotify_add_watch(fd, str(folder).encode(), 0x20 | 0x01) < 0:  # IN_OPEN | IN_ACCESS
        os.close(fd)
        pytest.skip("inotify cannot watch the temporary folder")

    def names() -> list[str]:
        found = []
        try:
            while True:
                data = os.read(fd, 65536)
                offset = 0
                while offset < len(data):
                    _, _, _, size = struct.unpack_from("iIII", data, offset)
                    found.append(data[offset + 16:offset + 16 + size].rstrip(b"\0").decode())
                    offset += 16 + size
        except BlockingIOError:
            pass
        finally:
            os.close(fd)
        return found

    return names


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_no_file_outside_the_root_is_opened(tmp_path: Path) -> None:
    """Every way out of the root, through every command: nothing outside it is opened or read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.xml").write_text('<p xmlns="http://www.tei-c.org/ns/1.0" xml:id="s">secret</p>')
    (outside / "secret.txt").write_text("secret")
    root = tmp_path / "root"
    (root / ".git").mkdir(parents=True)  # the checkout rule makes root/ the root
    (root / "link.xml").symlink_to(outside / "secret.xml")
    (root / "part.xml").write_text('<p xmlns="http://www.tei-c.org/ns/1.0">inside</p>')
    hrefs = [("../outside/secret.xml", "xml"), (str(outside / "secret.xml"), "xml"), ("link.xml", "xml"),
             (f"file://{outside}/secret.xml", "xml"), ("../outside/secret.txt", "text"),
             ("sub/../../outside/secret.xml", "xml"), ("part.xml", "xml")]
    includes = "".join(f'    <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{href}" parse="{parse}"/>\n'
                       for href, parse in hrefs)
    main = root / "main.xml"
    main.write_text(_HEAD + includes + _TAIL)
    commands = {}
    for label, extra in (("default", []), ("given", ["--root", str(root)])):
        commands.update({f"{name} {label}": [args[0], *extra, *args[1:]]
                         for name, args in four_commands(main, tmp_path / f"out-{label}").items()})
    opened_by_anyone = _inotify_opens(outside)
    process = subprocess.run([sys.executable, "-c", _AUDITED, json.dumps(commands)], cwd=root,
                             capture_output=True, text=True, timeout=HANG_GUARD, env=_child_env())
    seen = opened_by_anyone()
    assert process.returncode == 0, process.stderr[-2000:]
    result = json.loads(process.stdout.splitlines()[-1])
    for name, (code, output) in result["codes"].items():
        assert code == 1, f"{name}: {output}"
        assert output.count(" E0009: ") == len(hrefs) - 1, f"{name}: {output}"
    assert any(path.endswith("part.xml") for path in result["opened"])  # the hook sees the opens
    assert not [p for p in result["opened"] if os.path.realpath(p).startswith(str(outside))]
    assert not [name for name in seen if name.startswith("secret")], seen
