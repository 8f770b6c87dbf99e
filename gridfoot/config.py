"""TOML configuration files read into frozen dataclasses.

A configuration *schema* is a frozen dataclass whose fields carry type hints; TOML tables map
to nested dataclasses and arrays of tables to ``tuple[Dataclass, ...]``. :func:`load_config`
checks every key against the schema, so a typo or a wrong type is an error that names the file
and the key (``city[2].population``) instead of a setting silently ignored. Fields typed
:class:`~pathlib.Path` are resolved relative to the folder of the configuration file, so a
config can travel with its data.

Supported field types: ``str``, ``int``, ``float`` (an integer is accepted), ``bool``,
``Path``, ``Literal[...]``, ``X | None``, ``tuple[X, ...]`` / ``list[X]`` (TOML arrays),
``dict[str, X]`` (TOML tables with free keys), nested dataclasses and ``Any``. A NaN
(TOML's ``nan``) is never a usable setting and is refused wherever a number is expected.

Option values are checked by one set of helpers (:func:`check_choice`, :func:`check_number`,
:func:`check_fraction`, :func:`check_fractions`) shared by the configuration schemas, the
command line and the Python API, so an option has the same allowed values everywhere and every
refusal is a :class:`~gridfoot.errors.ConfigError` naming the option, the value given and what
is allowed.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime
import functools
import json
import math
import os
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from numbers import Real
from pathlib import Path
from typing import Any, Literal, TypeVar

from gridfoot.errors import ConfigError, format_labels

__all__ = [
    "check_choice",
    "check_encoding",
    "check_fraction",
    "check_fractions",
    "check_literals",
    "check_number",
    "from_mapping",
    "load_config",
    "to_plain",
    "to_toml",
]

T = TypeVar("T")


def load_config(path: str | Path, schema: type[T], section: str | None = None) -> T:
    """Read the TOML file ``path`` into an instance of the dataclass ``schema``.

    Parameters
    ----------
    path : path
        The TOML file.
    schema : dataclass type
        The frozen dataclass describing the file (or the chosen section).
    section : str, optional
        Read only this top-level table; other tables are left to other readers.

    Raises
    ------
    ConfigError
        If the file is missing or not valid TOML, a key is unknown, a required key is
        missing or a value has the wrong type; the message names the file and the key.

    Examples
    --------
    >>> import dataclasses, tempfile
    >>> @dataclasses.dataclass(frozen=True)
    ... class Run:
    ...     out: Path
    ...     dpi: int = 300
    >>> folder = Path(tempfile.mkdtemp()).resolve()
    >>> _ = (folder / "run.toml").write_text('out = "figures"')
    >>> run = load_config(folder / "run.toml", Run)
    >>> run.out == folder / "figures", run.dpi
    (True, 300)
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a configuration file")
    if path.exists() and not path.is_file():  # a FIFO or a device would block or never end
        raise ConfigError(f"{path}: not a regular file; give a TOML configuration file")
    try:
        text = path.read_bytes().decode("utf-8-sig")  # spreadsheets' editors write a BOM
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {error.start}); TOML files are UTF-8"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: not a valid TOML file ({error})") from None
    where = ""
    if section is not None:
        if section not in data:
            raise ConfigError(f"{path}: missing section [{section}]")
        data, where = data[section], section
    try:
        return from_mapping(data, schema, base_dir=path.resolve().parent, where=where)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def from_mapping(
    data: Mapping[str, Any], schema: type[T], *, base_dir: str | Path = ".", where: str = ""
) -> T:
    """Build the dataclass ``schema`` from a mapping (parsed TOML), checking keys and types.

    ``where`` names the mapping's place in the file for error messages; relative paths are
    resolved against ``base_dir``.

    Examples
    --------
    >>> import dataclasses
    >>> @dataclasses.dataclass(frozen=True)
    ... class Plot:
    ...     formats: tuple[str, ...] = ("png",)
    >>> from_mapping({"formats": ["png", "pdf"]}, Plot)
    Plot(formats=('png', 'pdf'))
    >>> from_mapping({"format": "png"}, Plot, where="plot")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: plot.format: unknown key; known keys: formats
    """
    return _convert(data, schema, Path(base_dir), where)


def _key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _describe(hint: Any) -> str:
    """A type hint in the words of a configuration file: "one of 'a', 'b' or an array"."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return " or ".join(_describe(a) for a in options)
    if origin is Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(hint)))
    if origin in (tuple, list):
        return "an array"
    if origin is dict or dataclasses.is_dataclass(hint):
        return "a table"
    if isinstance(hint, type):
        return {
            "str": "a string",
            "int": "an integer",
            "float": "a number",
            "bool": "true/false",
            "Path": "a path (string)",
        }.get(hint.__name__, hint.__name__)
    return str(hint).replace("typing.", "")


def _dataclass(data: Any, schema: type, base_dir: Path, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where or 'the file'}: expected a table, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(schema) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise ConfigError(
            f"{_key(where, unknown[0])}: unknown key; known keys: {format_labels(fields, 30)}"
        )
    hints = typing.get_type_hints(schema)
    values = {}
    for name, field in fields.items():
        if name in data:
            values[name] = _convert(data[name], hints[name], base_dir, _key(where, name))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{_key(where, name)}: required key is missing")
    try:
        return schema(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{where or 'the file'}: {error}") from None


def _convert(value: Any, hint: Any, base_dir: Path, where: str) -> Any:
    """Check ``value`` against the type ``hint`` and convert it (paths, tuples, dataclasses)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if dataclasses.is_dataclass(hint):
        return _dataclass(value, hint, base_dir, where)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option, base_dir, where)
            except ConfigError as error:
                errors.append(error)
        if len(errors) == 1:
            raise errors[0]
        raise ConfigError(f"{where}: expected {_describe(hint)}, got {value!r}")
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(
                f"{where}: expected one of {', '.join(map(repr, choices))}, got {value!r}"
            )
        return value
    if origin in (tuple, list):
        args = typing.get_args(hint)
        if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
            raise TypeError(f"unsupported schema type {hint!r}: use tuple[X, ...]")
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected an array, got {value!r}")
        items = [_convert(v, args[0], base_dir, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        key_type, value_type = typing.get_args(hint)
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return {
            _convert(k, key_type, base_dir, where): _convert(
                v, value_type, base_dir, _key(where, k)
            )
            for k, v in value.items()
        }
    if hint is Path:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a path (string), got {value!r}")
        if not value.strip():
            raise ConfigError(f"{where}: an empty path; name a file or folder")
        return (base_dir / Path(value).expanduser()).resolve()
    if hint is float:
        # TOML has integers and floats; both are numbers here (bool is an int subclass: refuse).
        if isinstance(value, int | float) and not isinstance(value, bool):
            if math.isnan(value):  # TOML has nan; no setting means "not a number"
                raise ConfigError(f"{where}: expected a number, got nan")
            return float(value)
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if hint in (str, bool):
        if isinstance(value, hint):
            return value
        raise ConfigError(f"{where}: expected {_describe(hint)}, got {value!r}")
    raise TypeError(f"unsupported schema type {hint!r} at {where}")


# -- option checks shared by configs, the command line and the API ------------------------


def check_encoding(encoding: str | None, name: str) -> str | None:
    """Return ``encoding`` if Python knows it (None: the default), else refuse naming ``name``.

    Checked when a configuration is read, before any file is opened.

    Examples
    --------
    >>> check_encoding("gbk", "mrio.encoding")
    'gbk'
    >>> check_encoding("klingon", "mrio.encoding")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: mrio.encoding: unknown encoding 'klingon' (use a Python codec \
name such as 'utf-8', 'gbk', 'gb18030' or 'latin-1')
    """
    if encoding is None:
        return None
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ConfigError(
            f"{name}: unknown encoding {encoding!r} (use a Python codec name such as "
            "'utf-8', 'gbk', 'gb18030' or 'latin-1')"
        ) from None
    return encoding


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else refuse naming ``name``.

    Examples
    --------
    >>> check_choice("rook", "neighbours", ("queen", "rook", "distance"))
    'rook'
    >>> check_choice("hexagon", "--neighbours", ("queen", "rook", "distance"))
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: --neighbours: expected one of 'queen', 'rook', 'distance', \
got 'hexagon'
    """
    choices = tuple(choices)
    # ``True == 1`` in Python: a bool is never one of numeric choices such as (4, 8)
    if isinstance(value, bool) and not any(isinstance(c, bool) for c in choices):
        found = False
    else:
        try:
            found = value in choices
        except TypeError:  # unhashable or incomparable: not one of them
            found = False
    if not found:
        raise ConfigError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


@functools.cache
def _literal_fields(schema: type) -> tuple[tuple[str, tuple[Any, ...], bool], ...]:
    """``(field, choices, is_sequence)`` of every ``Literal`` (or ``tuple[Literal, ...]``)
    field of a dataclass."""
    found = []
    for name, hint in typing.get_type_hints(schema).items():
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(hint) if a is not type(None)]
            if len(options) != 1:
                continue  # e.g. Literal["all"] | tuple[str, ...]: the owner checks it
            hint = options[0]
        sequence = typing.get_origin(hint) in (tuple, list)
        inner = typing.get_args(hint)[0] if sequence else hint
        if typing.get_origin(inner) is Literal:
            found.append((name, typing.get_args(inner), sequence))
    return tuple(found)


def check_literals(instance: Any, where: str) -> None:
    """Check every ``Literal`` field of a dataclass instance, as :func:`load_config` does.

    For dataclasses built in Python rather than read from a file: call it in
    ``__post_init__`` so ``HotspotsConfig(neighbours="hexagon")`` is refused like the TOML.

    Examples
    --------
    >>> @dataclasses.dataclass(frozen=True)
    ... class Plot:
    ...     formats: tuple[Literal["png", "pdf"], ...] = ("png",)
    ...     def __post_init__(self):
    ...         check_literals(self, "plot")
    >>> Plot(formats=("png", "gif"))
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: plot.formats[1]: expected one of 'png', 'pdf', got 'gif'
    """
    for name, choices, sequence in _literal_fields(type(instance)):
        value = getattr(instance, name)
        if value is None:
            continue
        if sequence:
            for index, item in enumerate(value):
                check_choice(item, f"{_key(where, name)}[{index}]", choices)
        else:
            check_choice(value, _key(where, name), choices)


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    meaning: str = "",
) -> float:
    """Return ``value`` as a float (int with ``integer``) if it is a finite number in range.

    Parameters
    ----------
    value : Any
        What the user gave.
    name : str
        The option as the user spelled it: a config key (``hotspots.distance``), a
        command-line option (``--distance``) or a keyword (``distance``).
    low, high : float, optional
        Bounds, inclusive unless ``low_open`` / ``high_open``.
    integer : bool
        Require a whole number.
    meaning : str
        A few words saying what the number is, added to the message.

    Raises
    ------
    ConfigError
        Not a number (strings and booleans are not), NaN, infinite or out of range.

    Examples
    --------
    >>> check_number(2, "distance", low=1)
    2.0
    >>> check_number(0.5, "distance", low=1, meaning="cells")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: distance: must be a number >= 1 (cells), got 0.5
    """
    hint = f" ({meaning})" if meaning else ""
    kind = "a whole number" if integer else "a number"
    bounds = "" if low is None and high is None else " " + _interval(low, high, low_open, high_open)
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if ok:
        number = float(value)
        ok = (low is None or (number > low if low_open else number >= low)) and (
            high is None or (number < high if high_open else number <= high)
        )
    if not ok:
        raise ConfigError(f"{name}: must be {kind}{bounds}{hint}, got {value!r}")
    return int(value) if integer else float(value)


def check_fraction(value: Any, name: str, *, zero: bool = False, meaning: str = "") -> float:
    """A share in ``(0, 1]`` (``[0, 1]`` with ``zero=True``), as a float.

    Shares of a total (the hotspot's share, "land needed for 75%") exclude 0: nothing holds
    0% of a total. Shares of land may be 0 (the top 0% of land holds what lies offshore).

    Examples
    --------
    >>> check_fraction(0.75, "share")
    0.75
    >>> check_fraction(0, "--share")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: --share: must be a number in (0, 1], got 0
    """
    return check_number(value, name, low=0, high=1, low_open=not zero, meaning=meaning)


def check_fractions(
    values: Any, name: str, *, zero: bool = False, meaning: str = ""
) -> tuple[float, ...]:
    """A non-empty sequence of shares, each as :func:`check_fraction`; the message lists the
    bad ones.

    Examples
    --------
    >>> check_fractions([0.5, 0.9], "hotspots.shares")
    (0.5, 0.9)
    >>> check_fractions([0.5, 0, 1.5], "hotspots.shares")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: hotspots.shares: every value must be a number in (0, 1], \
got 0, 1.5
    """
    single = isinstance(values, str | bytes) or not isinstance(values, Iterable)
    items = [values] if single else list(values)
    if not items:
        raise ConfigError(f"{name}: give at least one share, got an empty list")
    bad = []
    for item in items:
        try:
            check_fraction(item, name, zero=zero)
        except ConfigError:
            bad.append(item)
    if bad:
        bounds = _interval(0, 1, not zero, False)
        hint = f" ({meaning})" if meaning else ""
        raise ConfigError(
            f"{name}: every value must be a number {bounds}{hint}, got {format_labels(bad)}"
        )
    return tuple(float(item) for item in items)


def to_plain(config: Any, base_dir: str | Path | None = None) -> Any:
    """A dataclass as plain TOML-able values: paths as strings, tuples as lists, None dropped.

    With ``base_dir``, paths inside it are written relative to it (the config moves with its
    data); others stay absolute.
    """
    if dataclasses.is_dataclass(config):
        plain = {}
        for field in dataclasses.fields(config):
            if not field.init:
                continue
            value = to_plain(getattr(config, field.name), base_dir)
            if value is not None:  # None and empty tables are the defaults
                plain[field.name] = value
        return plain
    if isinstance(config, Mapping):
        plain = {str(k): to_plain(v, base_dir) for k, v in config.items()}
        return {k: v for k, v in plain.items() if v is not None and v != {}} or None
    if isinstance(config, tuple | list):
        return [to_plain(v, base_dir) for v in config]
    if isinstance(config, Path):
        if base_dir is not None and config.is_relative_to(base_dir):
            return Path(os.path.relpath(config, base_dir)).as_posix()
        return config.as_posix()
    return config


def to_toml(data: Mapping[str, Any]) -> str:
    """Write plain values (from :func:`to_plain`) as TOML: scalars first, then tables.

    Examples
    --------
    >>> print(to_toml({"name": "demo", "grid": {"resolution": 10000.0, "crs": "auto"}}))
    name = "demo"
    <BLANKLINE>
    [grid]
    resolution = 10000.0
    crs = "auto"
    <BLANKLINE>
    """
    lines: list[str] = []
    _toml_table(data, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_table(data: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in data.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in data.items() if isinstance(v, Mapping)}
    if path and (scalars or not tables):
        lines.append("")
        lines.append(f"[{'.'.join(_toml_key(p) for p in path)}]")
    for key, value in scalars.items():
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables.items():
        _toml_table(value, [*path, key], lines)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.date | datetime.time):  # TOML's own dates read back as such
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
