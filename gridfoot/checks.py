"""Option checks shared by the configuration schemas, the command line and the Python API.

One set of helpers (:func:`check_choice`, :func:`check_number`, :func:`check_fraction`,
:func:`check_fractions`, :func:`check_encoding`, :func:`check_literals`) so an option has the
same allowed values everywhere, and every refusal is a :class:`~gridfoot.errors.ConfigError`
naming the option as the user spelled it (a config key such as ``hotspots.distance``, a
command-line option such as ``--distance`` or a keyword), the value given and what is allowed.

A leaf module: it imports nothing of gridfoot but :mod:`gridfoot.errors`, so any module may
use it without pulling in the configuration schemas.
"""

from __future__ import annotations

import codecs
import functools
import math
import types
import typing
from collections.abc import Iterable
from numbers import Real
from typing import Any, Literal

from gridfoot.errors import ConfigError, ValueCheckError, format_labels

__all__ = [
    "check_choice",
    "check_encoding",
    "check_field_types",
    "check_finite",
    "check_fraction",
    "check_fractions",
    "check_literals",
    "check_number",
    "check_scheduler",
    "distributed_installed",
]

#: Schedulers named by a word: dask's own three, and ``local``, a dask.distributed
#: LocalCluster for the run (anything with ``://`` is the address of a running scheduler).
SCHEDULERS = ("threads", "synchronous", "processes", "local")


def _key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def distributed_installed() -> bool:
    """Whether dask.distributed can be imported (looked up, not imported: it is heavy)."""
    import importlib.util
    import sys

    if "distributed" in sys.modules:  # None there: made unimportable on purpose
        return sys.modules["distributed"] is not None
    return importlib.util.find_spec("distributed") is not None


def check_scheduler(scheduler: Any, name: str) -> str | None:
    """Return ``scheduler`` if it names a way to run dask's work, else refuse naming ``name``.

    None (no setting) runs on an active ``distributed.Client`` or else on threads;
    ``threads``, ``synchronous`` and ``processes`` are dask's local schedulers; ``local``
    starts a LocalCluster for the run; an address (``tcp://host:8786``) connects to a
    running scheduler. The last two need dask.distributed (the ``cluster`` extra), checked
    here, before anything is read.

    Examples
    --------
    >>> check_scheduler("threads", "--scheduler")
    'threads'
    >>> check_scheduler("gpu", "--scheduler")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: --scheduler: expected one of threads, synchronous, processes, \
local or a scheduler address such as tcp://host:8786, got 'gpu'
    """
    if scheduler is None:
        return None
    if not isinstance(scheduler, str) or (scheduler not in SCHEDULERS and "://" not in scheduler):
        raise ConfigError(
            f"{name}: expected one of {', '.join(SCHEDULERS)} or a scheduler address such as "
            f"tcp://host:8786, got {scheduler!r}"
        )
    if (scheduler == "local" or "://" in scheduler) and not distributed_installed():
        raise ConfigError(
            f"{name} = {scheduler!r} needs dask.distributed, which is not installed: "
            "pip install 'gridfoot[cluster]'"
        )
    return scheduler


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
    """Check every ``Literal`` field of a dataclass instance, as
    :func:`gridfoot.config.load_config` does.

    For dataclasses built in Python rather than read from a file: call it in
    ``__post_init__`` so ``HotspotsConfig(neighbours="hexagon")`` is refused like the TOML.

    Examples
    --------
    >>> import dataclasses
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


def check_finite(values: Any, name: str) -> Any:
    """``values`` as a float array, refusing NaN and infinite entries
    (:class:`~gridfoot.errors.ValueCheckError` naming ``name`` and how many).

    Examples
    --------
    >>> check_finite([1, 2.5], "margins").tolist()
    [1.0, 2.5]
    >>> check_finite([1.0, float("nan")], "margins")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ValueCheckError: margins: 1 NaN or infinite values of 2
    """
    import numpy as np  # here, so that importing the checks stays light

    array = np.asarray(values, dtype=float)
    finite = np.isfinite(array)
    if not finite.all():
        raise ValueCheckError(
            f"{name}: {finite.size - int(finite.sum())} NaN or infinite values of {finite.size}"
        )
    return array


def check_field_types(
    instance: Any, kinds: dict[str, type], hint: str = "", optional: Iterable[str] = ()
) -> None:
    """Refuse a dataclass whose fields do not hold their declared kinds (``TypeError``).

    For frozen containers built by a validating factory: a direct construction with raw
    values is told where to go (``hint``). ``optional`` fields may also be None.

    Examples
    --------
    >>> import dataclasses
    >>> @dataclasses.dataclass(frozen=True)
    ... class Pair:
    ...     name: str
    ...     size: float
    >>> check_field_types(Pair("a", 1.0), {"name": str, "size": float})
    >>> check_field_types(Pair("a", "1"), {"name": str, "size": float}, "; use Pair.make")
    Traceback (most recent call last):
    ...
    TypeError: Pair.size must be a float, got str; use Pair.make
    """
    optional = set(optional)
    owner = type(instance).__name__
    for name, kind in kinds.items():
        value = getattr(instance, name)
        if value is None and name in optional:
            continue
        if not isinstance(value, kind):
            module = kind.__module__.split(".")[0]
            expected = kind.__name__ if module == "builtins" else f"{module}.{kind.__name__}"
            raise TypeError(
                f"{owner}.{name} must be a {expected}"
                + (" or None" if name in optional else "")
                + f", got {type(value).__name__}{hint}"
            )
