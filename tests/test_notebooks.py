"""Every notebook in notebooks/ runs top to bottom without error and shows every figure."""

from __future__ import annotations

import re
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(notebook: Path, tmp_path: Path, monkeypatch) -> None:
    # the kernel's temporary folder: whatever the notebook puts there must be gone at its end
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    document = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(
        document,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()
    # a cell that draws a figure shows it (the inline backend used to stop after the first)
    drawing = re.compile(r"\b(\w*figure|map_grid|share_bars|small_multiples|plot_\w+)\(")
    for index, cell in enumerate(document.cells):
        if cell.cell_type == "code" and drawing.search(cell.source):
            images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert images, f"cell {index} of {notebook.name} draws a figure but shows none"
    left = sorted(p.name for p in temporary.iterdir())
    assert not left, f"{notebook.name} leaves {left} in the temporary folder"
