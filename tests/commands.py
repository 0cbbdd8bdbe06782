"""The installed ``edition`` command run as a user runs it, in a folder: what the quick way's
tests compare with the click command's answers.  (A test helper.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The console script installed beside this interpreter.
EDITION = Path(sys.executable).with_name("edition")


def run_edition(arguments: list[str], folder: Path, stdin: str | None = None,
                timeout: float = 300) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of ``edition ARGUMENTS`` run in
    ``folder`` (no shell completion asked for, whatever this process's environment)."""
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_COMPLETE")}
    done = subprocess.run([str(EDITION), *arguments], cwd=folder, capture_output=True, text=True,
                          encoding="utf-8", env=environment, timeout=timeout, input=stdin)
    return done.returncode, done.stdout, done.stderr
