"""The README's Python examples run as written (from the repository root)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_examples_run(monkeypatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    share = namespace["gridfoot"].hotspots.share_in_top_area(namespace["layer"], 0.01)
    assert 0 < float(share) <= 1
    assert namespace["cube"].dims == ("destination", "sector", "y", "x")


def test_readme_commands_are_the_ci_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)```", readme, re.S)
    assert commands[0].strip() == "python -m pip install . && gridfoot demo --out demo_output"
    test_command = commands[1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text()
