"""The ``edition`` command: a thin layer over the library.

Each command parses its arguments, calls one library function and prints
what it returns.  Exit codes: 0 clean (warnings allowed), 1 content or
validation errors, 2 usage errors (click's own, and EditionUsageError).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ._version import __version__
from .diagnostics import CODES, EditionUsageError
from .exits import ending_cleanly

F = TypeVar("F", bound=Callable[..., Any])


def _fail_cleanly(function: F) -> F:
    """Turn library exceptions into a diagnostic line and an exit code, never a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return ending_cleanly(lambda: function(*args, **kwargs), click.echo)

    return wrapper  # type: ignore[return-value]


def _include_options(function: F) -> F:
    """``--root`` and ``--no-xinclude``: where a file's xi:include may reach (edition.xinclude)."""

    @wraps(function)
    def wrapper(*args: Any, root: Path | None, no_xinclude: bool, **kwargs: Any) -> Any:
        from .xinclude import settings

        with settings(root=root, enabled=not no_xinclude):
            return function(*args, **kwargs)

    with_flag = click.option("--no-xinclude", is_flag=True,
                             help="Do not resolve xi:include: each is an E0009 and the file is read "
                                  "without the included content.")(wrapper)
    return click.option("--root", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
                        help="The folder xi:include may reach into (default: the file's checkout, the "
                             "folder holding .git; else the current folder when the file is inside it; "
                             "else the file's own folder). Nothing outside it is ever opened.")(with_flag)  # type: ignore[return-value]


def _jobs_option(function: F) -> F:
    return click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
                        help="Worker processes (default: all cores where a pool pays for itself: "
                             "always for a build; for validate from 8 MB of input; for a query from "
                             "about 3 s of estimated work).")(function)


def _scheduler_option(function: F) -> F:
    """``--scheduler ADDRESS``: the command's units run as tasks of that Dask scheduler (edition/cluster.py)."""

    @wraps(function)
    def wrapper(*args: Any, scheduler: str | None, **kwargs: Any) -> Any:
        from .cluster import connected

        with connected(scheduler):
            return function(*args, **kwargs)

    return click.option("--scheduler", metavar="ADDRESS", default=None,
                        help="Run the units (files; a volume's slices of documents) as tasks of this "
                             "dask.distributed scheduler (tcp://HOST:8786) instead of local processes; "
                             "the inputs and the output must be at the same paths on every worker "
                             "(a shared folder). Output is the same as a local run's.")(wrapper)  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="edition", message="%(prog)s (tei-edition) %(version)s")
def cli() -> None:
    """A toolkit for TEI P5 digital editions: validate, build (web, text, print,
    citations), cite and query.

    Example:

    \b
        edition validate tei/
        edition build --out _build/edition
        edition cite d300.p4
        edition query '//text//persName' tei/
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--schema", "schema_file", type=click.Path(path_type=Path),
              help="Validate against this RELAX NG (.rng, or .rnc in the compact syntax), XSD (.xsd) or ODD "
                   "(.odd) instead of ours. "
                   "Compiled once per run: as long as libxml2 takes for that schema (ours 0.3 s; the "
                   "whole tei_all 15-25 s). An ODD is first compiled to XSD against ../shared/tei-p5 "
                   "(about 0.5 s for ours).")
@click.option("--tei-all", is_flag=True,
              help="Validate against the official tei_all RELAX NG, pruned to the elements and "
                   "attributes the files use (same verdicts as jing): about 0.2 s to prune and "
                   "compile, cached in .edition-cache/ for the next run, then libxml2's validation "
                   "(a single file: first against a copy cut to each element's attributes, 0.03 s "
                   "for a 3 MB volume). Never the 15-25 s of compiling tei_all whole.")
@click.option("--no-schema", is_flag=True, help="Skip the schema; well-formedness and rules only.")
@click.option("--no-rules", is_flag=True, help="Skip the integrity rules.")
@click.option("--schematron", "schematron_files", multiple=True, type=click.Path(path_type=Path),
              metavar="FILE.sch", help="Also run this ISO Schematron (repeatable); a file's own <?xml-model "
                                       "schematypens=…schematron?> runs too. Failed asserts and successful "
                                       "reports are E0701 (role warn: W0702, info: I0703, fatal: E0704).")
@click.option("--phase", default=None, help="The Schematron phase to run (default: the schema's defaultPhase, "
                                            "else #ALL).")
@click.option("--no-schematron", is_flag=True,
              help="Skip every Schematron: --schematron files, xml-model ones, the TEI's constraints.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "svrl"]), default="text",
              show_default=True, help="One line per finding, a JSON list of records, or SVRL (the "
                                      "Schematron findings, for tools that read it).")
@_jobs_option
@_include_options
@_fail_cleanly
@_scheduler_option
def validate(paths: tuple[Path, ...], schema_file: Path | None, tei_all: bool, no_schema: bool,
             no_rules: bool, schematron_files: tuple[Path, ...], phase: str | None, no_schematron: bool,
             output_format: str, jobs: int | None) -> None:
    """Check TEI files: well-formedness, schema and integrity rules in one report.

    Folders are searched recursively for *.xml.  Our schema (schema/edition.xsd,
    0.15 s to compile; a single file is first checked against a copy pruned to its
    elements, 0.01-0.03 s) is the default; a file's own <?xml-model?> is used instead
    when it names a local .rng, .xsd or .odd (one on the network is never
    fetched: W0108, and ours is used).  One line per finding:
    path:line:col: severity CODE: message [xpath].  Exit 0 when clean (warnings
    allowed), 1 on errors, 2 on usage errors.  With --tei-all the TEI's own
    Schematron constraints (p5subset.xml) run as well; with our schema, our ODD's.

    Example:

    \b
        edition validate tei/
        edition validate --tei-all ../shared/corpus/frus-history-documents
        edition validate --format json tei/frus1958-60v19-d300.xml
        edition validate --schematron frus.sch --no-schema volumes/
    """
    from .validate_command import run

    run(paths, schema_file, tei_all, no_schema, no_rules, schematron_files, phase, no_schematron, output_format,
        jobs, click.echo)


@cli.group()
def schema() -> None:
    """Our TEI customization: compile schema/edition.odd, describe a schema.

    Example:

    \b
        edition schema compile
        edition schema info
    """


@schema.command("compile")
@click.option("--odd", type=click.Path(path_type=Path), default=None,
              help="The ODD to compile (default: the toolkit's own schema/edition.odd).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for <ident>.xsd and xml.xsd (default: the folder of the ODD).")
@click.option("--tei-p5", "tei_p5", type=click.Path(path_type=Path), default=None,
              help="Folder with tei_all.xsd and p5subset.xml (default: $EDITION_TEI_P5, else the TEI P5 4.8.0 "
                   "that ships with the toolkit).")
@_fail_cleanly
def schema_compile(odd: Path | None, out_dir: Path | None, tei_p5: Path | None) -> None:
    """Compile an ODD into a self-contained XSD (deterministic: same ODD, same bytes).

    Resolves the ODD against TEI P5's tei_all.xsd and p5subset.xml.

    Example:

    \b
        edition schema compile
        edition schema compile --odd my.odd --out build/schema
    """
    from .odd import OddError, write_xsd
    from .schema import EDITION_ODD, SCHEMA_DIR, tei_p5_dir

    try:
        source = odd or EDITION_ODD
        written = write_xsd(source, tei_p5 or tei_p5_dir(), out_dir or (source.parent if odd else SCHEMA_DIR))
    except OddError as error:
        raise EditionUsageError.at("E0107", str(error), path=str(odd or EDITION_ODD)) from None
    for path in written:
        click.echo(f"wrote {path}")


@schema.command("info")
@click.argument("xsd", required=False, type=click.Path(path_type=Path))
@_fail_cleanly
def schema_info(xsd: Path | None) -> None:
    """Elements, load time and value lists of a compiled XSD (default: ours, with the lists our ODD closes).

    Example:

    \b
        edition schema info
    """
    import time

    from .odd import read_odd, xsd_summary
    from .schema import EDITION_ODD, EDITION_XSD, XsdSchema

    path = xsd or EDITION_XSD
    started = time.perf_counter()
    XsdSchema(path).load()
    loaded = time.perf_counter() - started
    summary = xsd_summary(path)
    click.echo(f"{path}: {len(summary.elements)} elements, lxml load {loaded:.3f} s")
    # For ours, the lists the ODD closes; for another schema, every enumeration it declares.
    lists = read_odd(EDITION_ODD).closed if xsd is None else summary.enumerations
    for element in sorted(lists, key=str.lower):
        for attribute, values in sorted(lists[element].items()):
            click.echo(f"  {element}/@{attribute}: {' '.join(values)}")


@cli.group()
def cache() -> None:
    """The cache of compiled grammars (in the user's cache folder, bounded, one folder per version).

    Example:

    \b
        edition cache info
        edition cache clear
    """


@cache.command("info")
def cache_info() -> None:
    """Where the cache is, how large, and what it holds.

    Example:

    \b
        edition cache info
    """
    from . import cache as user_cache

    found = user_cache.info()
    state = "writable" if found.writable else "not writable: grammars are compiled on every run"
    click.echo(f"{found.folder} ({state})")
    click.echo(f"this version: {found.version_folder}")
    click.echo(f"{found.entries} entries, {found.size / 1048576:.1f} MB of {found.limit / 1048576:.0f} MB "
               "(least recently used removed first; $EDITION_CACHE_MAX_MB sets the bound)")
    for namespace, (count, size) in found.by_namespace.items():
        click.echo(f"  {namespace}: {count} entries, {size / 1048576:.1f} MB")


@cache.command("clear")
def cache_clear() -> None:
    """Remove every cached grammar (of every version of the toolkit).

    Example:

    \b
        edition cache clear
    """
    from . import cache as user_cache

    removed = user_cache.clear()
    click.echo(f"removed {removed} cache entries from {user_cache.root()}")


@cli.command()
def codes() -> None:
    """List every diagnostic code with its severity and meaning.

    Example:

    \b
        edition codes | grep E02
    """
    for code in CODES.values():
        click.echo(f"{code.code}  {str(code.severity):8} {code.summary}")


# -- query (owner: query engineer) ------------------------------------------------
@cli.command()
@click.argument("arguments", nargs=-1, metavar="[EXPR] [PATH]...")
@click.option("--named", "-n", metavar="NAME",
              help="Run a named query (see --list); then every argument is a path. "
                   "'@NAME' as EXPR does the same.")
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and exit.")
@click.option("--queries", "queries_file", type=click.Path(path_type=Path),
              help="A TOML file of your own named queries (added to the shipped ones).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Bind the external variable $NAME to the string VALUE (repeatable).")
@click.option("--ns", "namespaces", multiple=True, metavar="PREFIX=URI",
              help="Bind a namespace prefix (repeatable); tei, xml and the root's prefixes are bound.")
@click.option("--format", "output_format", type=click.Choice(["text", "xml", "json", "csv"]),
              default="text", show_default=True,
              help="text: file:line:col: ref: value [xpath]; xml: the fragments; json/csv: records.")
@click.option("--count", is_flag=True, help="Print only the number of hits (per file, and the total).")
@click.option("--kwic", metavar="WORD", help="Keyword-in-context lines for WORD in each hit's text.")
@click.option("--context", "kwic_words", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Words of context on each side for --kwic.")
@click.option("--engine", type=click.Choice(["auto", "saxon", "elementpath", "lxml"]), default="auto",
              show_default=True,
              help="auto is saxon (Saxon-HE, XPath 3.1) when saxonche is installed, else elementpath "
                   "(pure Python); lxml runs XPath 1.0 with 1.0's meaning, only when asked for.")
@click.option("--timeout", type=click.FloatRange(0), default=60.0, show_default=True,
              help="Seconds the whole query may run (0: no limit); then it stops with E0504, exit 1.")
@click.option("--limit", type=click.IntRange(1), default=1_000_000, show_default=True,
              help="Items one file's result may have; the first LIMIT are shown, then E0504, exit 1.")
@click.option("--max-memory", "max_memory", type=click.IntRange(0), default=4096, show_default=True,
              help="Megabytes the query may hold (0: no limit); then it stops with E0504, exit 1.")
@click.option("--allow", "allowed", multiple=True, metavar="FUNCTION",
              help="Permit a function refused by default because it reads outside the inputs "
                   "(doc, unparsed-text, collection, environment-variable, ...; repeatable).")
@_jobs_option
@_include_options
@_fail_cleanly
@_scheduler_option
def query(arguments: tuple[str, ...], named: str | None, list_queries: bool, queries_file: Path | None,
          variables: tuple[str, ...], namespaces: tuple[str, ...], output_format: str, count: bool,
          kwic: str | None, kwic_words: int, engine: str, timeout: float, limit: int, max_memory: int,
          allowed: tuple[str, ...], jobs: int | None) -> None:
    """Ask XPath 3.1 questions of TEI files; every hit with file, line, ref and XPath.

    TEI is the default element namespace (//persName works).  Folders are
    searched for *.xml (default: tei/); results come in file order, a large
    corpus on all cores (--jobs).  Named queries: persons, places, organisations,
    dates, quotations, notes, pagebreaks, corrections (--list).  Exit 0 when
    every file ran, 1 when a file failed (the others still run), 2 on a
    syntax error (shown with a caret).

    Example:

    \b
        edition query '//text//persName' tei/
        edition query @persons tei/
        edition query --count '//p[contains(., "Khrushchev")]' ../shared/corpus/frus
        edition query --kwic Khrushchev '//text//p' tei/
        edition query --format json --var year=1959 '//date[starts-with(@when, $year)]' tei/
    """
    from .query_command import run

    run(arguments, named, list_queries, queries_file, variables, namespaces, output_format, count, kwic,
        kwic_words, engine, timeout, limit, max_memory, allowed, jobs, click.echo)


# -- cite -------------------------------------------------------------------------

_CITE_FORMATS = ("chicago-note", "chicago-bibliography", "ohist", "csl-json", "bibtex", "ris", "dc")


@cli.command()
@click.argument("ref")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "citation_format", type=click.Choice([*_CITE_FORMATS, "all"]),
              default="chicago-note", show_default=True,
              help="Citation form printed after the passage; 'all' prints every form under a heading.")
@click.option("--no-text", is_flag=True, help="Print the citation only, not the passage.")
@_include_options
@_fail_cleanly
def cite(ref: str, paths: tuple[Path, ...], citation_format: str, no_text: bool) -> None:
    """Print the passage a canonical reference names, then its citation.

    REF is a unit (d300), a paragraph (d300.p4) or a range of paragraphs
    (d300.p2-p3).  PATHS are TEI files or folders searched in order (default:
    tei/); the first file with the reference wins.  References come from the
    document's refsDecl/citeStructure, or (said on stderr) from the fallback:
    division xml:id, then paragraph position.  A reference that does not
    resolve is an E0401 error naming the nearest valid ones (exit 1).
    Missing header fields are W0402 warnings on stderr.

    Example:

    \b
        edition cite d300.p4
        edition cite d300.p2-p3 --format all
        edition cite d300 ../shared/corpus/frus/frus1958-60v19.xml --format bibtex
    """
    from edition.transforms.citations import render

    from .cite import cite as run_cite
    from .document import sources_or_default

    sources = sources_or_default(paths, "cite REFERENCE")
    cited = run_cite(ref, sources)
    for notice in cited.notices:
        click.echo(str(notice), err=True)
    if not no_text:
        source = ("" if cited.citation.ref_source == "citeStructure"
                  else "; reference by fallback: division id, paragraph position")
        click.echo(f"{cited.passage.ref} ({cited.path}{source})")
        # corpus engineer: our edition and the volume's copy are one work (edition/identity.py)
        from .identity import same_document

        work, holders = same_document(cited.path, cited.passage.ref, sources)
        if len(holders) > 1:
            click.echo(f"The same document ({work}) is in {len(holders)} sources:")
            for holder in holders:
                click.echo(f"  {holder.path} ({holder.ref})")
        click.echo(cited.text)
        click.echo()
    formats = _CITE_FORMATS if citation_format == "all" else (citation_format,)
    for name in formats:
        text = render(cited.citation, name)
        if citation_format == "all":
            click.echo(f"== {name} ==")
        if text:
            click.echo(text.rstrip("\n"))
        else:
            click.echo(f"edition: no {name} form for '{ref}': the header lacks the fields it needs",
                       err=True)
        if citation_format == "all":
            click.echo()
    if cited.problems:  # the passage was found, in a file with errors (an include not resolved)
        sys.exit(1)


# -- build --------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: _build/edition). Replaced as a whole when the build "
                   "succeeds; the TEI folder, schema/ and the repository root are refused.")
@click.option("--format", "-f", "formats", multiple=True, metavar="NAME",
              help="Output to build (html, text, pdf, epub, cite, …; dts: the DTS API's answers as static "
                   "files); repeat for several. Default: every writer and cite.")
@click.option("--width", type=click.IntRange(20, 400), default=None, help="Text output: line width.")
@click.option("--pages/--no-pages", default=None, help="Text output: show [Page N] markers.")
@click.option("--diplomatic", is_flag=True, default=None,
              help="Text output: the text as printed (sic, orig, abbr) instead of the reading text.")
@click.option("--page-size", type=click.Choice(["frus", "a4", "letter"]), default=None,
              help="Print edition: page size (default frus, the printed volumes' 6 x 9 in).")
@click.option("--pdf-variant", default=None, metavar="NAME",
              help="Print edition: pdf/ua-1 (default), pdf/a-3b, … or none.")
@click.option("--whole-pdf/--no-whole-pdf", default=None,
              help="Print edition: one PDF of the whole edition besides one per document "
                   "(default: when there are 2 to 60 documents; a 400-document volume takes minutes).")
@click.option("--unit-pdfs/--no-unit-pdfs", default=None,
              help="Print edition: a PDF per document (default); --no-unit-pdfs with --whole-pdf makes "
                   "only the book.")
@click.option("--pdf-engine", type=click.Choice(["auto", "typst", "weasyprint"]), default=None,
              help="Print edition: the engine of the documents' PDFs and of the whole edition's "
                   "(default auto: Typst when installed, a FRUS volume in well under a minute, a "
                   "document in about 0.1 s; WeasyPrint for images or PDF/A).")
@click.option("--search/--no-search", default=None,
              help="Web edition: make the full-text search index (default; Pagefind, a few seconds on a "
                   "volume); --no-search leaves it out, and the search page says there is none.")
@click.option("--full", is_flag=True,
              help="Rebuild everything. By default files unchanged since the build in --out are "
                   "not parsed or rendered again (their pages are reused; index pages are redone; when "
                   "nothing changed, the edition is left as it is). "
                   "Either way, an output file whose bytes come out as in --out is hard-linked to it, "
                   "not written again.")
@_jobs_option
@_include_options
@_fail_cleanly
@_scheduler_option
def build(paths: tuple[Path, ...], out: Path | None, formats: tuple[str, ...], width: int | None,
          pages: bool | None, diplomatic: bool | None, page_size: str | None, pdf_variant: str | None,
          whole_pdf: bool | None, unit_pdfs: bool | None, pdf_engine: str | None, search: bool | None,
          full: bool, jobs: int | None) -> None:
    """Build the edition: web pages (html/), plain text (text/), print (pdf/), citations (cite/).

    PATHS are TEI files or folders (default: tei/).  A file holding many
    documents (a FRUS volume) becomes a folder of pages with a table of
    contents.  The edition is built in a temporary folder and swapped in at
    the end, so a failed or killed build leaves the previous one whole.
    Findings are printed one a line; exit 0 when clean (warnings allowed),
    1 on errors, 2 on usage errors.

    Example:

    \b
        edition build
        edition build --out /tmp/frus ../shared/corpus/frus/frus1958-60v19.xml
        edition build -f text --width 72 --diplomatic tei/
        edition build -f pdf --page-size a4 tei/
    """
    from .build_command import run

    chosen = (("width", width), ("pages", pages), ("diplomatic", diplomatic), ("page_size", page_size),
              ("pdf_variant", pdf_variant), ("whole_pdf", whole_pdf), ("unit_pdfs", unit_pdfs),
              ("pdf_engine", pdf_engine), ("search", search))
    run(paths, out, formats, {name: value for name, value in chosen if value is not None}, full, jobs, click.echo)


# -- serve --------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default answers this machine only.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--edition", "edition_dir", type=click.Path(path_type=Path), default=None,
              help="A built edition (edition build --out DIR) to serve under / beside the API.")
@_fail_cleanly
def serve(paths: tuple[Path, ...], host: str, port: int, edition_dir: Path | None) -> None:
    """Serve TEI files over the Distributed Text Services 1.0 API.

    PATHS are TEI files or folders (default: tei/): a folder is a DTS
    Collection, a file a Resource whose citation tree comes from its
    refsDecl/citeStructure (document → paragraph for a FRUS volume).  The
    Entry endpoint is /api/dts/; files are parsed once and again when they
    change.  Stop with Ctrl-C.

    Example:

    \b
        edition serve
        edition serve --port 8080 tei/ ../shared/corpus/frus/frus1958-60v19.xml
        curl 'http://127.0.0.1:8000/api/dts/navigation?resource=frus1958-60v19-d300&ref=d300&down=1'
    """
    from .document import sources_or_default
    from .serve import run

    chosen = sources_or_default(paths, "serve")
    for path in chosen:
        if not path.exists():
            raise EditionUsageError.at("E0901", f"{path}: no such file or folder to serve")
    if edition_dir is not None and not edition_dir.is_dir():
        raise EditionUsageError.at("E0901", f"--edition {edition_dir}: not a folder; build one with "
                                   "edition build --out DIR")
    click.echo(f"Serving DTS 1.0 at http://{host}:{port}/api/dts/ (Ctrl-C to stop)", err=True)
    run(list(chosen), host=host, port=port, edition=edition_dir)


def main() -> None:  # pragma: no cover - console entry
    cli()
