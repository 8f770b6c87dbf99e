"""Lazy imports for gridfoot's packages (Scientific Python SPEC 1, with PEP 562).

A package's ``__init__`` lists what it exports as ordinary imports under
``if TYPE_CHECKING:`` (so IDEs, type checkers and readers see them) and calls :func:`attach`,
which reads that block and imports each name on first access. ``import gridfoot`` thus loads
no subpackage, and ``gridfoot --help`` none of the scientific stack.

A leaf: imports nothing of gridfoot.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["attach", "lazy_imports", "when_imported"]


def lazy_imports(path: str | Path) -> dict[str, tuple[str, str | None]]:
    """``{name: (module, attribute)}`` of the imports in a file's ``if TYPE_CHECKING:`` blocks.

    ``from P import a as b`` gives ``b -> (P, a)``; ``import P.m as m`` gives ``m -> (P.m,
    None)``. Relative imports and plain ``import P.m`` (which binds ``P``) are refused.
    """
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    table: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and _is_type_checking(node.test)):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.level == 0:
                for alias in statement.names:
                    table[alias.asname or alias.name] = (str(statement.module), alias.name)
            elif isinstance(statement, ast.Import) and all(a.asname for a in statement.names):
                for alias in statement.names:
                    table[str(alias.asname)] = (alias.name, None)
            else:
                raise ImportError(f"{path}: lazy imports must be absolute and name what they bind")
    return table


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def attach(package: str, path: str | Path) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``__init__`` is at ``path``.

    Each name of the ``if TYPE_CHECKING:`` block (:func:`lazy_imports`) is imported on first
    access and then kept as an ordinary attribute of the package. A package exporting a name
    of one of its submodules (``gridfoot.hotspots.gistar``) becomes a :class:`_Package`, so
    that importing the submodule does not replace the export.
    """
    table = lazy_imports(path)
    _SHADOWED[package] = {
        name
        for name, (source, attribute) in table.items()
        if source == f"{package}.{name}" and attribute == name
    }
    if _SHADOWED[package]:
        sys.modules[package].__class__ = _Package

    def __getattr__(name: str) -> Any:
        try:
            module_name, attribute = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        if attribute is None:
            value = importlib.import_module(module_name)
        elif module_name == package:  # ``from gridfoot import hotspots``: a subpackage
            value = importlib.import_module(f"{package}.{attribute}")
        else:
            value = getattr(importlib.import_module(module_name), attribute)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__


#: Per package, the exports named like the submodule they come from (``hotspots.gistar``).
_SHADOWED: dict[str, set[str]] = {}


class _Package(types.ModuleType):
    """A package whose exports named like their submodule stay what they were exported as.

    Importing ``gridfoot.hotspots.gistar`` makes the import system set the package's
    ``gistar`` attribute to the module; the function ``gistar`` is kept instead, as an eager
    ``from gridfoot.hotspots.gistar import gistar`` in the ``__init__`` would have left it.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _SHADOWED.get(self.__name__, ()):
            value = getattr(value, name, value)
        super().__setattr__(name, value)


def when_imported(module: str, then: str) -> None:
    """Import the module ``then`` as soon as ``module`` is imported (now, if it already is).

    gridfoot registers its xarray accessor this way: ``import gridfoot`` does not import
    xarray, yet ``layer.hotspots`` works on any DataArray, however xarray gets imported.
    """
    if module in sys.modules:
        importlib.import_module(then)
    elif not any(
        isinstance(finder, _AfterImport) and (finder.module, finder.then) == (module, then)
        for finder in sys.meta_path
    ):  # once, even when gridfoot is imported again (importlib.reload)
        sys.meta_path.insert(0, _AfterImport(module, then))


class _AfterImport:
    """A meta path finder that runs once: it lets the other finders find ``module`` and has
    its loader import ``then`` once ``module`` is executed."""

    def __init__(self, module: str, then: str) -> None:
        self.module, self.then = module, then

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.module:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader, then = spec.loader, self.then
        execute = loader.exec_module

        def exec_module(module: Any) -> None:
            execute(module)
            vars(loader).pop("exec_module", None)  # the loader's own method again
            importlib.import_module(then)

        # a loader with slots (none known) keeps its method: ``then`` is not imported
        with contextlib.suppress(AttributeError):
            loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
