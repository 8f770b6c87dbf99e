"""Where the reference data are looked for."""

from __future__ import annotations

import pytest

from gridfoot.datasets import reference_data_dir
from gridfoot.errors import DataNotFoundError


def test_a_data_folder_named_but_absent_is_not_replaced_by_another(monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDFOOT_DATA", str(tmp_path / "nowhere"))
    assert reference_data_dir(required=False) is None
    with pytest.raises(DataNotFoundError, match=r"GRIDFOOT_DATA=.*nowhere: no such folder"):
        reference_data_dir()
    monkeypatch.setenv("GRIDFOOT_DATA", str(tmp_path))
    assert reference_data_dir() == tmp_path.resolve()
