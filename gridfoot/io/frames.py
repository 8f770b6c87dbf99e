"""Tables that are not text: Parquet files, Excel sheets and pymrio folders.

Text tables (CSV, TSV, gzipped or not) are read by :func:`gridfoot.io.text.read_csv`. Every
failure is an :class:`~gridfoot.errors.InputFileError` naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from gridfoot.errors import InputFileError

__all__ = ["load_pymrio", "read_excel", "read_parquet"]


def read_parquet(path: str | Path, what: str | None = None) -> pd.DataFrame:
    """A Parquet file as a DataFrame; ``what`` it holds is named in errors."""
    path = Path(path)
    about = f" ({what})" if what else ""
    try:
        return pd.read_parquet(path)
    except ImportError as error:
        raise InputFileError(f"{path}: reading parquet needs pyarrow ({error})") from None
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError and friends
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputFileError(f"{path}: not a readable parquet file{about} ({detail})") from None


def read_excel(path: str | Path, sheet: str | None = None, index_col: int = 0) -> pd.DataFrame:
    """A sheet (the first by default) of an Excel workbook, ``index_col`` as row labels."""
    path = Path(path)
    try:
        return pd.read_excel(path, sheet_name=sheet or 0, index_col=index_col)
    except ImportError as error:
        raise InputFileError(f"{path}: reading Excel files needs openpyxl ({error})") from None
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as error:
        raise InputFileError(f"{path}: cannot be read as a table ({error})") from None


def load_pymrio(folder: str | Path) -> Any:
    """The pymrio ``IOSystem`` saved in ``folder`` (``pymrio.load_all``), with its extensions.

    Raises
    ------
    InputFileError
        pymrio is not installed, or the folder is not a readable pymrio folder.
    """
    import json

    folder = Path(folder)
    try:
        import pymrio
    except ImportError:
        raise InputFileError(
            "reading pymrio data needs pymrio: pip install 'gridfoot[pymrio]'"
        ) from None
    try:
        json.loads((folder / "file_parameters.json").read_text())
        return pymrio.load_all(folder)
    except (OSError, ValueError, KeyError) as error:
        raise InputFileError(f"{folder}: not a readable pymrio folder ({error})") from None
