"""Reading delimited text tables the way users write them: any common delimiter, any encoding.

Every gridfoot reader of CSV files goes through :func:`read_csv`, so a semicolon-separated
export from a European spreadsheet, a tab-separated file named ``.csv`` or a GBK-encoded table
from a Chinese statistical office either reads correctly or fails with one line that names the
file, what was tried and the option that fixes it. Small TOML files that describe a table (its
unit, its name) are read by :func:`read_toml`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from gridfoot.errors import InputFileError, MissingFileError

__all__ = ["read_csv", "read_toml", "sniff_delimiter"]

#: Delimiters tried, in order of preference when they tie.
DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 1 << 16
_SAMPLE_RECORDS = 20


def _head(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(_SAMPLE_BYTES)
    except (OSError, EOFError) as error:
        raise InputFileError(f"{path}: cannot be read ({error})") from None


def _codec(path: Path, encoding: str) -> codecs.CodecInfo:
    try:
        return codecs.lookup(encoding)
    except LookupError:
        raise InputFileError(
            f"{path}: unknown encoding {encoding!r} (use a Python codec name such as "
            "'utf-8', 'gbk', 'gb18030' or 'latin-1')"
        ) from None


def _decode(path: Path, raw: bytes, codec: codecs.CodecInfo, encoding: str) -> str:
    # The sample may end inside a multi-byte character: decode incrementally, not final.
    decoder = codec.incrementaldecoder("strict")
    try:
        return decoder.decode(raw, final=len(raw) < _SAMPLE_BYTES)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputFileError(
            f"{path}: not {_label(encoding)} text (byte 0x{raw[error.start]:02x} on line {line}); "
            'name the file\'s encoding with the encoding option (e.g. encoding = "gbk" for '
            'Chinese statistical tables, "latin-1" for Western European ones)'
        ) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records of ``text`` into the most, equal fields.

    Quoted fields (with delimiters or newlines inside) are respected. A single column gives
    ``","``.

    Examples
    --------
    >>> sniff_delimiter("region;sector;value\\nCHN;secE;1,5\\n")
    ';'
    >>> sniff_delimiter('id,name\\n1,"Smith; John"\\n')
    ','
    >>> sniff_delimiter("a\\tb\\n1\\t2\\n")
    '\\t'
    """
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        counts = []
        try:
            for record in reader:
                if record:
                    counts.append(len(record))
                if len(counts) > _SAMPLE_RECORDS:
                    break
        except csv.Error:
            continue
        if len(counts) > 1 and len(text) >= _SAMPLE_BYTES:
            counts = counts[:-1]  # the last record of a truncated sample may be cut short
        if not counts:
            continue
        # A header may be shorter than the rows of a wide table (an index name row), so ask
        # only that every record splits and most records agree.
        typical = max(set(counts), key=counts.count)
        if min(counts) > 1 and typical > best_fields:
            best, best_fields = delimiter, typical
    return best


def read_csv(
    path: str | Path,
    *,
    encoding: str | None = None,
    sep: str | None = None,
    what: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Read a delimited text table (optionally gzipped) into a DataFrame.

    Parameters
    ----------
    path : path
    encoding : str, optional
        The file's text encoding (default UTF-8, with or without a byte-order mark).
    sep : str, optional
        The delimiter; found from the first records when not given (``,``, ``;``, tab or
        ``|``). A semicolon-separated file whose numbers use decimal commas is read with
        ``decimal=","``.
    what : str, optional
        What the file is for (``"the Z table"``), added to error messages.
    **options
        Passed to :func:`pandas.read_csv`.

    Raises
    ------
    MissingFileError
        The file does not exist.
    InputFileError
        Empty, not text in ``encoding``, or not a consistent table; the message names the file
        and, where pandas says it, the line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "weights.csv"
    >>> _ = path.write_text("id;weight\\n1;2,5\\n2;4\\n")
    >>> read_csv(path)
       id  weight
    0   1     2.5
    1   2     4.0
    """
    path = Path(path)
    about = f" ({what})" if what else ""
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a table file{about}")
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file{about}")
    raw = _head(path)
    if not raw.strip():
        raise InputFileError(f"{path}: the file is empty{about}")
    codec = _codec(path, encoding or "utf-8")
    # tolerate the byte-order mark spreadsheets write
    encoding = "utf-8-sig" if codec.name == "utf-8" else (encoding or "utf-8")
    text = _decode(path, raw, codec, encoding)
    if sep is None:
        sep = sniff_delimiter(text)
        # Decimal commas, in quoted fields too (spreadsheets quote every field on request),
        # and then thousands dots ("5.500,00").
        if sep == ";" and "decimal" not in options and _DECIMAL_COMMA.search(text):
            options["decimal"] = ","
            if "thousands" not in options and _THOUSANDS_DOT.search(text):
                options["thousands"] = "."
    if options.get("header", "infer") in ("infer", 0) and "names" not in options:
        _refuse_repeated_names(path, text, sep, about)
    try:
        return pd.read_csv(path, sep=sep, encoding=encoding, **options)
    except UnicodeDecodeError as error:
        raise InputFileError(
            f"{path}: not {_label(encoding)} text past the first {_SAMPLE_BYTES // 1024} KiB "
            f"({error.reason}); name the file's encoding with the encoding option{about}"
        ) from None
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: no table in the file{about}") from None
    except (pd.errors.ParserError, ValueError, IndexError, csv.Error) as error:
        detail = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise InputFileError(
            f"{path}: cannot be read as a {_name(sep)}-separated table{about} ({detail})"
        ) from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read{about} ({error})") from None


_DECIMAL_COMMA = re.compile(r'(^|;)"?-?\d+,\d+"?(;|$)', re.M)
_THOUSANDS_DOT = re.compile(r'(^|;)"?-?\d{1,3}(\.\d{3})+(,\d+)?"?(;|$)', re.M)


def _refuse_repeated_names(path: Path, text: str, sep: str, about: str) -> None:
    """A header naming a column twice: pandas would rename the second (``co2_t.1``) and the
    first would be used without a word."""
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    except csv.Error:
        return
    names = [name.strip() for name in header]
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(names, start=1):
        if name:
            positions.setdefault(name, []).append(position)
    repeated = {name: where for name, where in positions.items() if len(where) > 1}
    if repeated:
        listed = "; ".join(
            f"{name!r} at columns {', '.join(map(str, where))}" for name, where in repeated.items()
        )
        raise InputFileError(
            f"{path}: the header names a column more than once{about}: {listed} "
            "(columns counted from 1); rename or remove the copies"
        )


def _name(sep: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(sep, repr(sep))


def _label(encoding: str) -> str:
    return "UTF-8" if encoding == "utf-8-sig" else encoding


def read_toml(path: str | Path, what: str | None = None) -> dict[str, Any]:
    """A TOML file as a dict (UTF-8, with or without a byte-order mark).

    Raises
    ------
    MissingFileError
        The file does not exist.
    InputFileError
        A folder, not UTF-8, or not valid TOML; the message names the file and the line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "table.toml"
    >>> _ = path.write_text('monetary_unit = "10 thousand CNY"\\nyear = 2017\\n')
    >>> read_toml(path)
    {'monetary_unit': '10 thousand CNY', 'year': 2017}
    """
    path = Path(path)
    about = f" ({what})" if what else ""
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a TOML file{about}")
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file{about}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
        return tomllib.loads(text)
    except UnicodeDecodeError as error:
        raise InputFileError(
            f"{path}: not UTF-8 text (byte {error.start}){about}; TOML files are UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise InputFileError(f"{path}: not valid TOML{about} ({error})") from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read{about} ({error})") from None
