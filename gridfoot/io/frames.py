"""Tables that are not text: Parquet files, Excel sheets and pymrio folders.

Text tables (CSV, TSV, gzipped or not) are read by :func:`gridfoot.io.text.read_csv`. Every
failure is an :class:`~gridfoot.errors.InputFileError` naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridfoot.errors import InputFileError, MissingFileError

__all__ = ["excel_sheet_names", "load_pymrio", "read_excel", "read_excel_cells", "read_parquet"]


def read_parquet(path: str | Path, what: str | None = None) -> pd.DataFrame:
    """A Parquet file as a DataFrame; ``what`` it holds is named in errors.

    A wide numeric table (every column but the index a number, as a Z matrix) is read a few
    hundred columns at a time into one float64 array: pandas' reader holds Arrow's copy and
    its own at once, and Arrow's allocator keeps the pages it freed (a 6,006 x 6,006 Z of
    289 MB took the process 1.2 GB up, and kept it; this way about the table's own size).
    Other tables go through :func:`pandas.read_parquet`.
    """
    path = Path(path)
    about = f" ({what})" if what else ""
    try:
        frame = _read_numeric_parquet(path)
        return frame if frame is not None else pd.read_parquet(path)
    except ImportError as error:
        raise InputFileError(f"{path}: reading parquet needs pyarrow ({error})") from None
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError and friends
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputFileError(f"{path}: not a readable parquet file{about} ({detail})") from None


#: Columns of a wide table read at once (50 MB of a 6,000-row float64 table).
_COLUMNS_AT_ONCE = 1_000


def _read_numeric_parquet(path: Path) -> pd.DataFrame | None:
    """A wide table of numbers with pandas' labels, read in column batches; None when the
    file is not such a table (no pandas metadata, text values, or a column of nulls)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    schema = source.schema_arrow
    if schema.metadata is None or b"pandas" not in schema.metadata:
        return None
    index = [c for c in schema.pandas_metadata.get("index_columns", []) if isinstance(c, str)]
    values = [name for name in schema.names if name not in index]
    kinds = [schema.field(name).type for name in values]
    if len(values) < 2 or not all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in kinds):
        return None
    # the labels as pandas restores them from its metadata (a MultiIndex of rows and columns)
    frame = source.read(columns=index).to_pandas()
    columns = schema.empty_table().to_pandas().columns
    array = np.empty((len(frame), len(values)), order="F")
    for start in range(0, len(values), _COLUMNS_AT_ONCE):
        batch = source.read(columns=values[start : start + _COLUMNS_AT_ONCE])
        for offset, column in enumerate(batch.columns):
            # nulls become NaN, which the readers' checks name as empty cells
            array[:, start + offset] = column.to_numpy(zero_copy_only=False)
        del batch
    pa.default_memory_pool().release_unused()
    # F order: pandas keeps the array as its one block, without a copy
    return pd.DataFrame(array, index=frame.index, columns=columns, copy=False)


def read_excel(path: str | Path, sheet: str | None = None, index_col: int = 0) -> pd.DataFrame:
    """A sheet (the first by default) of an Excel workbook, ``index_col`` as row labels."""
    path = Path(path)
    try:
        return pd.read_excel(path, sheet_name=sheet or 0, index_col=index_col)
    except ImportError as error:
        raise InputFileError(f"{path}: reading Excel files needs openpyxl ({error})") from None
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as error:
        raise InputFileError(f"{path}: cannot be read as a table ({error})") from None


def _workbook(path: Path, what: str | None) -> pd.ExcelFile:
    """The workbook opened for reading; a missing, unreadable or non-Excel file names the path."""
    about = f" ({what})" if what else ""
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not an Excel workbook{about}")
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file{about}")
    try:
        return pd.ExcelFile(path)
    except ImportError as error:
        raise InputFileError(f"{path}: reading Excel files needs openpyxl ({error})") from None
    except Exception as error:  # zipfile.BadZipFile, OSError, ValueError and friends
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputFileError(f"{path}: not a readable Excel workbook{about} ({detail})") from None


def excel_sheet_names(path: str | Path, what: str | None = None) -> list[str]:
    """The names of a workbook's sheets, in the workbook's order."""
    path = Path(path)
    with _workbook(path, what) as book:
        return [str(name) for name in book.sheet_names]


def read_excel_cells(path: str | Path, sheet: str, what: str | None = None) -> pd.DataFrame:
    """Every cell of a sheet as written: no header, no index, blank cells NaN.

    Text is kept as text, also text that :func:`pandas.read_excel` takes for a missing value
    by default (``n/a``, ``NA``, ``#N/A``), so a reader can refuse it instead of reading 0.

    Row ``i`` and column ``j`` of the result are the sheet's row ``i + 1`` and column ``j + 1``
    (leading blank rows and columns are kept), so positions map to the addresses Excel shows.
    Formulas give the value Excel last saved with them.

    Raises
    ------
    MissingFileError
        The file does not exist.
    InputFileError
        Not a readable workbook, or it has no sheet ``sheet`` (the message lists its sheets).
    """
    path = Path(path)
    about = f" ({what})" if what else ""
    with _workbook(path, what) as book:
        names = [str(name) for name in book.sheet_names]
        if sheet not in names:
            raise InputFileError(
                f"{path}: no sheet {sheet!r}{about}; it has {', '.join(map(repr, names))}"
            )
        try:
            return pd.read_excel(
                book,
                sheet_name=sheet,
                header=None,
                index_col=None,
                keep_default_na=False,  # "n/a" or "-" in a cell is text, not a blank
                na_values=[""],
            )
        except (OSError, ValueError, KeyError) as error:
            raise InputFileError(
                f"{path}: sheet {sheet!r} cannot be read{about} ({error})"
            ) from None


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
