"""Queries are bounded and refused cleanly: time, memory, items, recursion, outside reads,
characters; CSV cells that a spreadsheet would run; JSON values and errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edition.cli import cli
from edition.document import load
from edition.query import Query, QueryBudgetError, QueryRefusedError, default_engine
from edition.query_guard import REFUSED, refused_functions
from edition.query_output import csv_cell


@pytest.fixture(autouse=True)
def _from_the_checkout(in_repo: Path) -> None:
    """These tests name the memo as a user of this checkout would (``tei/…``)."""

ENGINES = ["saxon", "elementpath"]


def run_cli(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["query", *arguments])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def memo(memo_path):
    return load(memo_path)


# -- refused functions -------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "doc('/etc/passwd')", "fn:doc('file:///etc/passwd')", "unparsed-text('/etc/hostname')",
    "unparsed-text-lines('/etc/hostname')", "collection('/etc')", "environment-variable('HOME')",
    "available-environment-variables()", "json-doc('/tmp/x.json')", "doc#1('/etc/passwd')",
    "function-lookup(xs:QName('fn:doc'), 1)('/etc/passwd')",
    "Q{http://www.w3.org/2005/xpath-functions}unparsed-text('/etc/hostname')",
    "count(//p) + string-length(unparsed-text ('/etc/hostname'))",
])
def test_functions_reaching_outside_are_refused(expression):
    with pytest.raises(QueryRefusedError) as caught:
        Query(expression)
    assert caught.value.diagnostic.code == "E0505"
    status, _, err = run_cli(expression, "tei/")
    assert status == 1 and "E0505" in err and "--allow" in err and "Traceback" not in err


@pytest.mark.parametrize("expression", [
    "'doc(1)'", "(: doc('x') :) 1", "//p[contains(., 'environment-variable(')]", "my-doc(1)",
])
def test_names_in_literals_and_comments_are_not_calls(expression):
    assert refused_functions(expression) == []


def test_allowed_function_runs(memo, tmp_path):
    target = tmp_path / "note.txt"
    target.write_text("hello", encoding="utf-8")
    [hit] = Query(f"unparsed-text('{target.as_uri()}')", allow=["unparsed-text"])(memo)
    assert hit.value == "hello"
    assert set(REFUSED) >= {"doc", "unparsed-text", "collection", "environment-variable"}


# -- characters, recursion, memory, items ------------------------------------------

def test_invalid_character_is_located():
    with pytest.raises(QueryRefusedError) as caught:
        Query("'a\u0001b'")
    assert (caught.value.diagnostic.line, caught.value.diagnostic.column) == (1, 3)
    status, _, err = run_cli("concat('x',\n'a\u0001b')", "tei/")
    assert status == 1 and "<expression>:2:3: error E0505" in err and "Traceback" not in err


@pytest.mark.parametrize("engine", ENGINES)
def test_deep_nesting_and_long_sums_end_cleanly(memo, engine):
    nested = "(" * 5000 + "1" + ")" * 5000
    long_sum = " + ".join(["1"] * 20001)
    for expression, answer in ((nested, "1"), (long_sum, "20001")):
        try:
            [hit] = Query(expression, engine=engine)(memo)
        except QueryBudgetError as error:  # elementpath's recursive parser: a clean E0504
            assert error.diagnostic.code == "E0504"
        else:
            assert hit.value == answer
    status, out, err = run_cli("--engine", engine, nested, "tei/")
    assert status in (0, 1) and "Traceback" not in err and ("E0504" in err or out.strip().endswith(": 1"))
    with pytest.raises(QueryBudgetError):
        Query("(" * 20000 + "1" + ")" * 20000, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_huge_ranges_end_cleanly(memo, engine):
    status, _, err = run_cli("--engine", engine, "count(1 to 100000000000)", "tei/")
    assert status == 1 and "Traceback" not in err and ("E0504" in err or "E0502" in err)


def test_limit_cuts_the_result_and_says_so(memo):
    status, out, err = run_cli("--limit", "5", "1 to 10000000", "tei/")
    assert status == 1 and len(out.splitlines()) == 5 and "E0504" in err and "--limit" in err
    with pytest.raises(QueryBudgetError):
        Query("1 to 10", limit=3)(memo)


DEEP = "let $f := function($f, $n) { if ($n = 0) then 0 else 1 + $f($f, $n - 1) } return $f($f, 200000)"


def test_a_recursion_deeper_than_saxons_stack_is_reported(memo_path):
    """Saxon ends the whole process (exit 99, a Java stack dump on the stderr it is not given)
    when a recursion outgrows the native stack: the watch's shell, which sees the process end
    before the query did, says what happened, once, in our form."""
    command = [sys.executable, "-P", "-m", "edition", "query", "--engine", "saxon", DEEP, str(memo_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("<expression>:0:0: error E0504: the query's process ended before the query did")
    assert "recursion" in line and "StackOverflowError" not in done.stderr
    shallow = DEEP.replace("200000", "1000")
    done = subprocess.run([*command[:-2], shallow, str(memo_path)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert (done.returncode, done.stderr, done.stdout.strip().rpartition(": ")[2]) == (0, "", "1000")


RUNAWAY = "count(for $a in 1 to 100000, $b in 1 to 100000 return if (($a + $b) mod 7 = 0) then 1 else ())"


def test_timeout_stops_a_runaway_query(memo_path):
    """A real process: the watch thread ends it with E0504 and exit 1, stdout still valid JSON."""
    command = [sys.executable, "-P", "-m", "edition", "query", "--engine", "elementpath", "--timeout", "2",
               "--format", "json", RUNAWAY, str(memo_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "E0504" in done.stderr and "time budget" in done.stderr and "Traceback" not in done.stderr
    records = json.loads(done.stdout)
    assert records[-1]["error"]["code"] == "E0504" if isinstance(records, list) else records["error"]


def test_timeout_stops_saxon_evaluating_in_native_code(memo_path):
    """Saxon holds the interpreter while it evaluates: the hard stop ends the run from outside it."""
    command = [sys.executable, "-P", "-m", "edition", "query", "--engine", "saxon", "--timeout", "2",
               RUNAWAY, str(memo_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.count("E0504") == 1 and "time budget of 2 s" in done.stderr
    assert "Traceback" not in done.stderr and "Timeout (" not in done.stderr


def test_memory_budget_stops_a_growing_query(memo_path):
    command = [sys.executable, "-m", "edition", "query", "--engine", "elementpath", "--max-memory", "250",
               "--timeout", "120", "count(for $i in 1 to 100000000 return string($i))", str(memo_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 1 and "memory budget" in done.stderr and "Traceback" not in done.stderr


# -- output -------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)",
                                   "\tTAB", "\rCR"])
def test_csv_cells_are_not_formulas(value):
    assert csv_cell(value) == "'" + value
    literal = value.replace("'", "''")
    status, out, _ = run_cli("--format", "csv", f"'{literal}'", "tei/")
    assert status == 0
    [row] = list(csv.DictReader(io.StringIO(out, newline="")))
    assert row["value"] == "'" + value and row["value"][0] not in "=+-@\t\r"


def test_csv_keeps_ordinary_values():
    assert csv_cell("Khrushchev") == "Khrushchev" and csv_cell(3) == 3


def test_json_values_follow_the_json_output_method():
    status, out, _ = run_cli("--format", "json", "map{'n': 1, 'a': [1, 2.5, true()], 'd': xs:date('1959-09-24')}, "
                             "3.5e0, 'x', (//text//persName)[1], array{}", "tei/")
    assert status == 0
    records = json.loads(out)
    assert records[0]["type"] == "map" and records[0]["value"] == {"n": 1, "a": [1, 2.5, True], "d": "1959-09-24"}
    assert (records[1]["type"], records[1]["value"]) == ("xs:double", 3.5)
    assert (records[2]["type"], records[2]["value"]) == ("xs:string", "x")
    assert records[3]["xpath"].endswith("persName[1]") and records[3]["ref"] == "d300"
    assert records[4]["value"] == []
    assert "object at 0x" not in out and "Date10" not in out


def test_json_errors_are_json_objects():
    status, out, _ = run_cli("--format", "json", "//persName[", "tei/")
    assert status == 2 and json.loads(out)["error"]["code"] == "E0501"
    status, out, _ = run_cli("--format", "json", "xs:date('x')", "tei/")
    records = json.loads(out)
    assert status == 1 and records[-1]["error"]["code"] == "E0502"


def test_auto_engine_is_saxon_when_installed():
    assert default_engine() == "saxon" and Query("1").engine == "saxon"
