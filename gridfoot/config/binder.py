"""TOML configuration files read into frozen dataclasses.

A configuration *schema* is a frozen dataclass whose fields carry type hints; TOML tables map
to nested dataclasses and arrays of tables to ``tuple[Dataclass, ...]``. :func:`load_config`
checks every key against the schema, so a typo or a wrong type is an error that names the file
and the key (``city[2].population``) instead of a setting silently ignored; an unknown key is
answered with the closest known one (``sources.weigth: unknown key; did you mean 'weight'?``).
Fields typed :class:`~pathlib.Path` are resolved relative to the folder of the configuration
file, so a config can travel with its data. :func:`to_toml` writes a configuration back (with
tomli-w), e.g. the resolved ``run.toml`` of a run.

Supported field types: ``str``, ``int``, ``float`` (an integer is accepted), ``bool``,
``Path``, ``Literal[...]``, ``X | None``, ``tuple[X, ...]`` / ``list[X]`` (TOML arrays),
``dict[str, X]`` (TOML tables with free keys), nested dataclasses, ``Any``, and classes that
read and write themselves (``from_config(value, base_dir, where)`` and ``to_config(base_dir)``,
e.g. a value that is a name or a path). A NaN
(TOML's ``nan``) is never a usable setting and is refused wherever a number is expected.

Renamed keys: a schema may list old spellings of its keys in a class attribute
``_renamed_keys: ClassVar[dict[str, str]]`` (dotted paths inside its table, old -> new, e.g.
``{"host.mrio": "mrio.path", "host": "mrio"}``, a table's keys before the table; a table
moved onto another is merged key by key). Files using them are read under the new names with one
:class:`~gridfoot.errors.DeprecatedKeyWarning` naming the file and every renaming; giving
both an old and its new key is an error.

Option values are checked by the helpers of :mod:`gridfoot.checks`, shared by the
configuration schemas, the command line and the Python API.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import os
import tomllib
import types
import typing
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import tomli_w

from gridfoot.errors import ConfigError, DeprecatedKeyWarning, format_labels

__all__ = [
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
        return _convert(data, schema, _Reading(path.resolve().parent, str(path)), where)
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
    gridfoot.errors.ConfigError: plot.format: unknown key; did you mean 'formats'? known keys: \
formats
    """
    return _convert(data, schema, _Reading(Path(base_dir)), where)


@dataclasses.dataclass(frozen=True)
class _Reading:
    """What every value read from one file shares: its folder, and its name for warnings."""

    base_dir: Path
    source: str = ""


def _key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


_ABSENT = object()


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return _ABSENT
        data = data[part]
    return data


def _renamed(data: Mapping[str, Any], schema: type, reading: _Reading, where: str) -> Any:
    """``data`` with the schema's old key names moved to their new ones (see the module)."""
    renames: dict[str, str] = getattr(schema, "_renamed_keys", {})
    used = [(old, new) for old, new in renames.items() if _get(data, old) is not _ABSENT]
    if not used:
        return data
    for old, new in used:
        if _get(data, new) is not _ABSENT:
            raise ConfigError(
                f"{_key(where, old)}: the old name of {_key(where, new)}; give {new} only, not both"
            )
    data = copy.deepcopy(dict(data))
    for old, new in used:
        *old_tables, old_key = old.split(".")
        value = _get(data, ".".join(old_tables)) if old_tables else data
        value = value.pop(old_key)
        *tables, key = new.split(".")
        table = data
        for part in tables:
            table = table.setdefault(part, {})
        if isinstance(value, Mapping) and isinstance(table.get(key), Mapping):
            for name, item in value.items():  # a table moved onto one a renaming started
                if name in table[key]:
                    raise ConfigError(
                        f"{_key(where, old)}.{name}: read as {_key(where, new)}.{name}, which "
                        "another old key gives too; give it once"
                    )
                table[key][name] = item
        else:
            table[key] = value
    renamings = ", ".join(f"{_key(where, old)} -> {_key(where, new)}" for old, new in used)
    warnings.warn(
        f"{reading.source + ': ' if reading.source else ''}old key names read as their new "
        f"ones ({renamings}); rename them: a later version will stop reading the old names",
        DeprecatedKeyWarning,
        stacklevel=2,
    )
    return data


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


def _dataclass(data: Any, schema: type, reading: _Reading, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where or 'the file'}: expected a table, got {data!r}")
    data = _renamed(data, schema, reading, where)
    fields = {f.name: f for f in dataclasses.fields(schema) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), fields, n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"{_key(where, unknown[0])}: unknown key; {guess}known keys: "
            f"{format_labels(fields, 30)}"
        )
    hints = typing.get_type_hints(schema)
    values = {}
    for name, field in fields.items():
        if name in data:
            values[name] = _convert(data[name], hints[name], reading, _key(where, name))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{_key(where, name)}: required key is missing")
    try:
        return schema(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{where or 'the file'}: {error}") from None


def _shape(hint: Any) -> type | None:
    """The TOML shape a type reads: a table (Mapping), an array (list), or None (a scalar)."""
    if dataclasses.is_dataclass(hint) or typing.get_origin(hint) is dict:
        return Mapping
    return list if typing.get_origin(hint) in (tuple, list) else None


def _convert(value: Any, hint: Any, reading: _Reading, where: str) -> Any:
    """Check ``value`` against the type ``hint`` and convert it (paths, tuples, dataclasses)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if hasattr(hint, "from_config"):  # a type that reads itself (e.g. a path or a name)
        return hint.from_config(value, reading.base_dir, where)
    if dataclasses.is_dataclass(hint):
        return _dataclass(value, hint, reading, where)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option, reading, where)
            except ConfigError as error:
                errors.append(error)
        if len(errors) == 1:
            raise errors[0]
        # a table given where a table or an array is allowed: the table's own error (an
        # unknown key, say) tells more than "expected a table or an array"
        shaped = [
            error
            for option, error in zip(
                [o for o in options if o is not type(None)], errors, strict=True
            )
            if _shape(option) is not None and isinstance(value, _shape(option))
        ]
        if len(shaped) == 1:
            raise shaped[0]
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
        items = [_convert(v, args[0], reading, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        key_type, value_type = typing.get_args(hint)
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return {
            _convert(k, key_type, reading, where): _convert(v, value_type, reading, _key(where, k))
            for k, v in value.items()
        }
    if hint is Path:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a path (string), got {value!r}")
        if not value.strip():
            raise ConfigError(f"{where}: an empty path; name a file or folder")
        return (reading.base_dir / Path(value).expanduser()).resolve()
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


def to_plain(config: Any, base_dir: str | Path | None = None) -> Any:
    """A dataclass as plain TOML-able values: paths as strings, tuples as lists, None dropped.

    With ``base_dir``, paths inside it are written relative to it (the config moves with its
    data); others stay absolute.
    """
    if hasattr(config, "to_config"):
        return config.to_config(base_dir)
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
    """Write plain values (from :func:`to_plain`) as TOML, with tomli-w: scalars first, then
    tables; any key (quoted when it is not a bare key), string, date or array of tables.

    Examples
    --------
    >>> print(to_toml({"name": "demo", "grid": {"resolution": 10000.0, "crs": "auto"}}))
    name = "demo"
    <BLANKLINE>
    [grid]
    resolution = 10000.0
    crs = "auto"
    <BLANKLINE>
    >>> print(to_toml({"where": {"状态": "运行"}}))
    [where]
    "状态" = "运行"
    <BLANKLINE>
    """
    return tomli_w.dumps(data)
