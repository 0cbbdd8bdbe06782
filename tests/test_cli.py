"""The command line, end to end (sqlite-utils style): exit codes, output formats, help texts.

Every command registered on the ``edition`` group is covered by the help-text tests,
including commands added later: the list is read from ``cli.commands`` at run time.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edition.cli import cli

REPO = Path(__file__).resolve().parents[1]
BROKEN = REPO / "tests" / "fixtures" / "broken"
LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>fatal|error|warning|info) "
                  r"(?P<code>[EWIF]\d{4}): (?P<message>.+?)(?: \((?P<ref>[^()]*)\))?(?: \[(?P<xpath>/[^\]]*)\])?$")
SUMMARY = re.compile(r"^\d+ files? checked: \d+ errors?, \d+ warnings?$")


def run(*arguments: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(arguments))


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found.extend(_all_commands(command, (*prefix, name)))
    return found


COMMANDS = _all_commands(cli)


# -- help texts -------------------------------------------------------------------

@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example(path: tuple[str, ...], command: click.Command) -> None:
    assert command.help, f"edition {' '.join(path)} has no help text"
    assert "Example" in command.help, f"edition {' '.join(path)}: the help text needs an Example: block"
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    # \b keeps the example's lines apart in click's output
    example = result.output.split("Example", 1)[1]
    assert "edition " in example


def test_the_group_itself_has_an_example() -> None:
    result = run("--help")
    assert result.exit_code == 0 and "Example" in result.output
    for path, _ in COMMANDS:
        if len(path) == 1:
            assert path[0] in result.output


def test_validate_and_codes_are_registered() -> None:
    assert {"validate", "codes"} <= set(cli.commands)


# -- validate: exit codes ---------------------------------------------------------------

def test_clean_file_exits_0() -> None:
    result = run("validate", str(BROKEN / "skeleton.xml"))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip() == "1 file checked: 0 errors, 0 warnings"


def test_warnings_alone_exit_0() -> None:
    result = run("validate", str(BROKEN / "printed-date-mismatch.xml"))
    assert result.exit_code == 0
    assert " warning W0206: " in result.stdout
    assert result.stderr.strip() == "1 file checked: 0 errors, 1 warning"


def test_errors_exit_1() -> None:
    result = run("validate", "--no-schema", str(BROKEN / "duplicate-id.xml"))
    assert result.exit_code == 1
    assert " error E0201: " in result.stdout


def test_a_parse_error_is_a_line_not_a_traceback() -> None:
    result = run("validate", str(BROKEN / "unclosed-tag.xml"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    match = LINE.match(result.stdout.strip())
    assert match, result.stdout
    assert (match["line"], match["column"], match["code"], match["severity"]) == ("21", "13", "E0002", "fatal")


def test_a_missing_file_is_reported_not_raised() -> None:
    result = run("validate", str(BROKEN / "no-such-file.xml"))
    assert result.exit_code == 1
    assert "E0001" in result.stdout and "Traceback" not in result.output


@pytest.mark.parametrize("arguments", [
    ["validate", "--no-schema", "--tei-all"],
    ["validate", "--format", "yaml"],
    ["validate", "--no-such-option"],
    ["validate", "--jobs", "0"],
    ["no-such-command"],
])
def test_usage_errors_exit_2(arguments: list[str]) -> None:
    result = run(*arguments, str(BROKEN / "skeleton.xml"))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


# -- validate: output ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def broken_folder_text() -> click.testing.Result:
    return run("validate", "--no-schema", "--jobs", "1", str(BROKEN))


def test_one_line_per_finding_in_compiler_format(broken_folder_text: click.testing.Result) -> None:
    lines = broken_folder_text.stdout.splitlines()
    assert len(lines) >= 25
    for line in lines:
        assert LINE.match(line), line


def test_findings_are_sorted_by_file_then_line(broken_folder_text: click.testing.Result) -> None:
    keys = []
    for line in broken_folder_text.stdout.splitlines():
        match = LINE.match(line)
        assert match
        keys.append((match["path"], int(match["line"]), int(match["column"])))
    assert keys == sorted(keys)
    assert len({k[0] for k in keys}) >= 20           # the folder was searched


def test_the_summary_line_counts_files_and_findings(broken_folder_text: click.testing.Result) -> None:
    summary = broken_folder_text.stderr.strip().splitlines()[-1]
    assert SUMMARY.match(summary), summary
    files = len(list(BROKEN.glob("*.xml")))
    errors = sum(1 for line in broken_folder_text.stdout.splitlines() if re.search(r" (error|fatal) [EF]", line))
    warnings = sum(1 for line in broken_folder_text.stdout.splitlines() if " warning W" in line)
    assert summary == (f"{files} files checked: {errors} errors, {warnings} warning{'s' if warnings != 1 else ''}")
    assert broken_folder_text.exit_code == 1


def test_json_gives_the_same_records(broken_folder_text: click.testing.Result) -> None:
    result = run("validate", "--no-schema", "--jobs", "1", "--format", "json", str(BROKEN))
    assert result.exit_code == broken_folder_text.exit_code
    records = json.loads(result.stdout)
    assert isinstance(records, list)
    lines = broken_folder_text.stdout.splitlines()
    assert len(records) == len(lines)
    for record, line in zip(records, lines, strict=False):
        assert set(record) >= {"path", "line", "column", "severity", "code", "message", "xpath", "ref"}
        match = LINE.match(line)
        assert match
        assert (record["path"], str(record["line"]), str(record["column"]), record["severity"], record["code"]) == (
            match["path"], match["line"], match["column"], match["severity"], match["code"])
        assert line.startswith(f"{record['path']}:{record['line']}:{record['column']}: "
                               f"{record['severity']} {record['code']}: {record['message']}")
        if record["xpath"]:
            assert line.endswith(f"[{record['xpath']}]")


def test_output_is_deterministic(broken_folder_text: click.testing.Result) -> None:
    again = run("validate", "--no-schema", "--jobs", "2", str(BROKEN))
    assert again.stdout == broken_folder_text.stdout
    assert again.exit_code == broken_folder_text.exit_code


def test_folders_recurse_and_hidden_folders_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    shutil.copy(BROKEN / "skeleton.xml", tmp_path / "a" / "one.xml")
    shutil.copy(BROKEN / "duplicate-id.xml", tmp_path / "a" / "b" / "two.xml")
    shutil.copy(BROKEN / "duplicate-id.xml", tmp_path / ".git" / "hidden.xml")
    (tmp_path / "a" / "notes.txt").write_text("not xml")
    result = run("validate", "--no-schema", "--jobs", "1", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip() == "2 files checked: 1 error, 0 warnings"
    assert "two.xml:21:9: error E0201" in result.stdout


def test_files_are_never_written(tmp_path: Path) -> None:
    target = tmp_path / "doc.xml"
    shutil.copy(BROKEN / "empty-paragraph.xml", target)
    before = target.read_bytes(), target.stat().st_mtime_ns
    run("validate", str(target))
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.xml"]


def test_without_paths_validate_checks_tei(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert re.match(r"^\d+ files? checked: 0 errors", result.stderr.strip())


@pytest.mark.parametrize("command", [["build"], ["validate"], ["validate", "--tei-all"], ["query", "//tei:p"],
                                     ["cite", "d300"], ["serve"]])
def test_no_input_and_no_tei_folder_is_a_usage_error(command: list[str], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where there is no tei/ and name nothing: a usage error saying what to name, not an
    E0001 about a "tei" the user never wrote; and nothing is made (no _build/)."""
    monkeypatch.chdir(tmp_path)
    result = run(*command)
    assert result.exit_code == 2, result.output
    assert "E0901" in result.stderr and "no tei/ folder here" in result.stderr
    assert f"edition {command[0]} " in result.stderr
    assert "E0001" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_codes_lists_the_rule_codes() -> None:
    result = run("codes")
    assert result.exit_code == 0
    for code in ("E0201", "E0202", "E0203", "E0204", "E0205", "W0206", "E0207", "E0208", "E0209", "W0210"):
        assert re.search(rf"^{code}\s", result.stdout, re.M), code
