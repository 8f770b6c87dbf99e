"""The bad-input suite's harness: run the CLI in-process, check it refused in one line.

Every case of the suite asserts the same four things: exit status 2; exactly one
``gridfoot: error:`` line on stderr (warnings may precede it, one line each) naming the file,
column, row or key at fault; no traceback; and nothing written (or the previous output left
byte for byte as it was).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gridfoot.cli import main
from gridfoot.config import to_toml
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import GridfootWarning


@dataclass(frozen=True)
class Outcome:
    """What one CLI call did."""

    status: int
    out: str
    err: str

    @property
    def error(self) -> str:
        lines = [line for line in self.err.splitlines() if line.startswith("gridfoot: error:")]
        return lines[0] if lines else ""


def run_cli(capsys: pytest.CaptureFixture, *argv: Any) -> Outcome:
    """``gridfoot ARGV`` in this process; gridfoot's warnings print as lines, not raise."""
    capsys.readouterr()
    with warnings.catch_warnings():
        # gridfoot's warnings are lines of the CLI's output here; every other filter stays
        warnings.simplefilter("always", GridfootWarning)
        try:
            status = main([str(a) for a in argv])
        except SystemExit as stop:  # argparse's own refusals end the process
            status = stop.code
    captured = capsys.readouterr()
    return Outcome(status, captured.out, captured.err)


#: A progress log line (stderr is not a terminal here): "gridfoot run: [1/8] inputs ...".
PROGRESS = re.compile(r"^gridfoot \w+: \[\d+/\d+\] ")


def assert_refused(outcome: Outcome, *names: str) -> str:
    """Exit 2, one error line naming every one of ``names``, no traceback; the line."""
    assert outcome.status == 2, (outcome.status, outcome.err)
    assert "Traceback" not in outcome.err, outcome.err
    lines = outcome.err.splitlines()
    errors = [line for line in lines if line.startswith("gridfoot: error:")]
    assert len(errors) == 1, outcome.err
    stray = [
        line
        for line in lines
        if not line.startswith(("gridfoot: error:", "gridfoot: warning:"))
        and not PROGRESS.match(line)  # the stages' log lines off a terminal
    ]
    assert not stray, outcome.err
    for name in names:
        assert name in errors[0], (name, errors[0])
    return errors[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and its SHA-256, by relative path."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def edit_toml(path: Path, **changes: Any) -> Path:
    """Set (or, with None, remove) dotted keys of a TOML file: ``edit_toml(p, **{"a.b": 1})``."""
    data = tomllib.loads(path.read_text())
    for dotted, value in changes.items():
        *tables, key = dotted.split(".")
        table = data
        for name in tables:
            table = table.setdefault(name, {})
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    path.write_text(to_toml(data))
    return path


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A private copy of the bundled sample study; its config is ``study / "gridfoot.toml"``.

    The config's ``output.dir`` is removed, so a case says where it writes.
    """
    folder = tmp_path / "study"
    shutil.copytree(sample_data_dir(), folder)
    edit_toml(folder / "gridfoot.toml", **{"output.dir": None})
    return folder
