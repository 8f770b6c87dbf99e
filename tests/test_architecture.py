"""The shape of the code (DESIGN 7): arrows point down only, io and plot are leaves, the analysis
packages do no file I/O, and ``import gridfoot`` loads none of the scientific stack.

The import graph is read from the source with ``ast``: every import statement, at module level
or inside a function, counts. Imports under ``if TYPE_CHECKING:`` are for type checkers only,
except in a package's ``__init__``, where :mod:`gridfoot._lazy` turns them into the package's
(lazy) attributes. A name imported from a lazy package (``from gridfoot import __version__``)
counts as an import of the module it comes from (``gridfoot._version``).
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

import gridfoot
from gridfoot._lazy import lazy_imports

ROOT = Path(gridfoot.__file__).parent

#: Modules every part of gridfoot may import: they import nothing of gridfoot but each other.
BASE = {"errors", "checks", "_version", "_lazy", "_curve"}
#: The analysis packages: layers and tables in, results out; file work goes through io.
ANALYSIS = {"mrio", "spatial", "hotspots", "urban", "uncertainty"}
#: What runs a study or a command, and the studies' configuration schemas (which name the
#: analysis packages' types): never imported by the analysis packages.
ORCHESTRATION = {"workflows", "config", "cli", "datasets"}
#: Allowed for io, the lowest layer, and for plot, which may write through io.
IO_MAY_IMPORT = BASE
PLOT_MAY_IMPORT = BASE | {"io"}
#: Cycles between parts known to exist, with the reason; each must still exist (or be removed).
KNOWN_CYCLES: set[frozenset[str]] = set()

#: Calls that read or write files (or change the file system); the analysis packages leave
#: them to gridfoot.io.
FILE_CALLS = {
    "open", "read_csv", "read_table", "read_excel", "read_parquet", "read_json", "read_pickle",
    "read_hdf", "read_feather", "read_fwf", "read_file", "read_text", "read_bytes",
    "write_text", "write_bytes", "to_csv", "to_excel", "to_parquet", "to_json", "to_pickle",
    "to_hdf", "to_feather", "to_file", "to_netcdf", "to_zarr", "to_raster", "open_dataset",
    "open_dataarray", "open_mfdataset", "open_zarr", "open_rasterio", "load_all", "loadtxt",
    "savetxt", "genfromtxt", "fromfile", "tofile", "unlink", "mkdir", "makedirs", "rmdir",
    "rmtree", "touch", "copyfile", "copytree",
}  # fmt: skip
#: ``load``/``save`` and friends count only on these modules (``dataset.load()`` computes).
FILE_MODULE_CALLS = {
    "np": {"load", "save", "savez", "savez_compressed"},
    "numpy": {"load", "save", "savez", "savez_compressed"},
    "json": {"load", "dump"},
    "pickle": {"load", "dump"},
    "shutil": {"move", "copy", "copy2"},
    "os": {"remove", "rename", "replace"},
}


def _part(module: str) -> str:
    """The part of gridfoot a module belongs to: its subpackage, or its top-level module."""
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


@functools.cache
def _modules() -> dict[str, Path]:
    """``{dotted name: path}`` of every module of gridfoot."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _statements(tree: ast.AST, lazy_package: bool):
    """Import statements anywhere in the tree, skipping type-checking-only ones."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_type_checking(node) and not lazy_package:
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


@functools.cache
def _lazy_table(package: str) -> dict[str, tuple[str, str | None]]:
    path = _modules().get(package)
    if path is None or path.name != "__init__.py":
        return {}
    return lazy_imports(path)


def _target(module: str, name: str | None) -> str:
    """The module an import really reaches: a submodule, or where a lazy name comes from."""
    modules = _modules()
    if name is None:
        return module
    if f"{module}.{name}" in modules:
        return f"{module}.{name}"
    lazy = _lazy_table(module).get(name)
    if lazy is not None:
        source, attribute = lazy
        return _target(source, attribute) if source != module else f"{module}.{attribute}"
    return module


@functools.cache
def _imports() -> dict[str, set[tuple[str, int]]]:
    """``{module: {(imported gridfoot module, line)}}``, module-level and function-level."""
    graph: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for module, path in _modules().items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _statements(tree, lazy_package=path.name == "__init__.py"):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [_target(base, alias.name) for alias in node.names]
            for target in targets:
                if target == "gridfoot" or target.startswith("gridfoot."):
                    graph[module].add((target, node.lineno))
    return graph


def _part_graph() -> dict[str, dict[str, list[str]]]:
    """``{part: {imported part: ["module:line", ...]}}`` between different parts."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module, targets in _imports().items():
        for target, line in sorted(targets):
            if _part(target) != _part(module):
                graph[_part(module)][_part(target)].append(f"{module}:{line}")
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> set[frozenset[str]]:
    """Strongly connected sets of more than one part (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = set()
            while True:
                member = stack.pop()
                members.add(member)
                if member == node:
                    break
            if len(members) > 1:
                found.add(frozenset(members))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def _describe(graph, part: str, allowed: set[str]) -> list[str]:
    return [
        f"{part} -> {target} ({', '.join(where[:3])})"
        for target, where in sorted(graph.get(part, {}).items())
        if target not in allowed
    ]


def test_the_graph_is_read() -> None:
    """The checks below see what they check: known edges are found."""
    graph = _part_graph()
    assert "errors" in graph["io"]
    assert "io" in graph["mrio"]  # mrio.readers reads through io.text
    assert "hotspots" in graph["workflows"]
    assert "mrio" in graph["__init__"]  # through the lazy TYPE_CHECKING block


def test_no_cycles_between_parts() -> None:
    cycles = _cycles(_part_graph())
    unknown = [sorted(cycle) for cycle in cycles - KNOWN_CYCLES]
    assert not unknown, f"import cycles between parts of gridfoot: {unknown}"
    stale = [sorted(cycle) for cycle in KNOWN_CYCLES - cycles]
    assert not stale, f"gone, remove from KNOWN_CYCLES: {stale}"


def test_base_modules_import_only_each_other() -> None:
    graph = _part_graph()
    wrong = [edge for part in BASE for edge in _describe(graph, part, BASE)]
    assert not wrong, wrong


def test_io_is_a_leaf() -> None:
    wrong = _describe(_part_graph(), "io", IO_MAY_IMPORT)
    assert not wrong, f"io imports only {sorted(IO_MAY_IMPORT)}: {wrong}"


def test_plot_is_a_leaf() -> None:
    wrong = _describe(_part_graph(), "plot", PLOT_MAY_IMPORT)
    assert not wrong, f"plot imports only {sorted(PLOT_MAY_IMPORT)}: {wrong}"


def test_analysis_packages_never_import_what_runs_them() -> None:
    graph = _part_graph()
    wrong = [
        f"{part} -> {target} ({', '.join(where[:3])})"
        for part in sorted(ANALYSIS)
        for target, where in sorted(graph.get(part, {}).items())
        if target in ORCHESTRATION | {"__init__"}
    ]
    assert not wrong, wrong


def _file_calls(source: str, label: str) -> list[str]:
    """Calls in a module that read or write files themselves (not through gridfoot.io)."""
    tree = ast.parse(source)
    through_io = set()  # names bound to gridfoot.io or one of its functions
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gridfoot.io"):
            through_io |= {alias.asname or alias.name for alias in node.names}
        if isinstance(node, ast.ImportFrom) and node.module == "gridfoot":
            through_io |= {alias.asname or alias.name for alias in node.names if alias.name == "io"}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name):
            name, base = function.id, None
        elif isinstance(function, ast.Attribute):
            name, base = function.attr, function.value
        else:
            continue
        root = base
        while isinstance(root, ast.Attribute):
            root = root.value
        root_name = root.id if isinstance(root, ast.Name) else None
        if (base is None and name in through_io) or root_name in through_io:
            continue
        if name in FILE_CALLS or name in FILE_MODULE_CALLS.get(root_name or "", ()):
            found.append(f"{label}:{node.lineno} {ast.unparse(function)}()")
    return found


def test_analysis_packages_do_no_file_io() -> None:
    found = [
        call
        for module, path in _modules().items()
        if _part(module) in ANALYSIS
        for call in _file_calls(path.read_text(encoding="utf-8"), module)
    ]
    assert not found, f"file I/O outside gridfoot.io: {found}"


def test_the_file_io_check_finds_file_io() -> None:
    """What the check above relies on: reading and writing are found, io calls are not."""
    source = textwrap.dedent(
        """
        import numpy as np
        import pandas as pd
        from gridfoot.io.text import read_csv
        from gridfoot import io

        def f(path, frame, dataset):
            read_csv(path)
            io.text.read_csv(path)
            dataset.load()
            pd.read_csv(path)
            frame.to_csv(path)
            np.save(path, frame)
            with open(path) as handle:
                return path.read_text()
        """
    )
    calls = [call.split(" ")[1] for call in _file_calls(source, "sample")]
    assert sorted(calls) == sorted(
        ["pd.read_csv()", "frame.to_csv()", "np.save()", "open()", "path.read_text()"]
    )


def test_lazy_packages_export_what_they_list() -> None:
    """Every name of a package's ``__all__`` is in its lazy table, and the other way round."""
    for module, path in _modules().items():
        if path.name != "__init__.py":
            continue
        table = _lazy_table(module)
        exported = set(getattr(__import__(module, fromlist=["__all__"]), "__all__", []))
        private = {name for name in table if name.startswith("_") and name != "__version__"}
        assert set(table) - private == exported, module


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_import_gridfoot_loads_no_heavy_libraries() -> None:
    loaded = json.loads(
        _run(
            """
            import json, sys
            import gridfoot
            gridfoot.__version__, gridfoot.GridfootError
            heavy = ["matplotlib", "geopandas", "rasterio", "dask", "xarray", "pandas", "scipy"]
            print(json.dumps([name for name in heavy if name in sys.modules]))
            """
        )
    )
    assert loaded == []


@pytest.mark.parametrize(
    "imports",
    [
        "import gridfoot; import xarray as xr",
        "import xarray as xr; import gridfoot",
        "import importlib, gridfoot; importlib.reload(gridfoot); import xarray as xr",
    ],
)
def test_the_accessor_works_after_import_gridfoot(imports: str) -> None:
    out = _run(
        f"""
        import sys
        {imports}
        layer = xr.DataArray([[3.0, 1.0], [0.0, 0.0]], dims=("y", "x"))
        print(float(layer.hotspots.share_in_top_area(0.25)), "matplotlib" in sys.modules)
        """
    )
    assert out.split() == ["0.75", "False"]


def test_every_accessor_method_is_a_hotspot_function() -> None:
    """The accessor imports its functions on call: each must exist, under the method's name."""
    import importlib

    from gridfoot.hotspots.accessor import HotspotsAccessor

    names = [name for name in vars(HotspotsAccessor) if not name.startswith("_")]
    assert len(names) > 5
    for name in names:
        module, _, function = getattr(HotspotsAccessor, name).__doc__.split("``")[1].rpartition(".")
        assert function == name and callable(getattr(importlib.import_module(module), function))


def test_exports_named_like_their_submodule_survive_its_import() -> None:
    """``gridfoot.hotspots.gistar`` is the function even after the module ``gistar`` is
    imported (the import system sets the package's attribute to the module)."""
    shadowed = [
        (package, name)
        for package in _modules()
        for name, (source, attribute) in _lazy_table(package).items()
        if source == f"{package}.{name}" and attribute == name
    ]
    assert ("gridfoot.hotspots", "gistar") in shadowed
    out = _run(
        f"""
        import importlib
        for package, name in {shadowed!r}:
            importlib.import_module(f"{{package}}.{{name}}")
            export = getattr(importlib.import_module(package), name)
            print(package, name, callable(export) and not hasattr(export, "__path__"))
        """
    )
    assert out.split()[2::3] == ["True"] * len(shadowed), out


def test_every_module_imports_on_its_own() -> None:
    """No module depends on another having been imported first (lazy packages, no cycles)."""
    modules = [m for m in _modules() if not m.startswith("gridfoot.__main__")]
    out = _run(
        f"""
        import importlib, sys, warnings
        warnings.simplefilter("ignore")  # the accessor is registered again for each module
        failed = []
        for name in {modules!r}:
            for loaded in [m for m in sys.modules if m == "gridfoot" or m.startswith("gridfoot.")]:
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
            except Exception as error:
                failed.append(f"{{name}}: {{type(error).__name__}}: {{error}}")
        print("\\n".join(failed) or "ok")
        """
    )
    assert out.strip() == "ok", out


def test_gridfoot_never_needs_distributed_unless_asked() -> None:
    """dask.distributed is optional (the cluster extra): no module imports it, every module
    imports without it, and dask's work runs on threads without it."""
    modules = [m for m in _modules() if not m.startswith("gridfoot.__main__")]
    loaded = _run(
        f"""
        import importlib, sys
        for name in {modules!r}:
            importlib.import_module(name)
        print("distributed" in sys.modules)
        """
    )
    assert loaded.split() == ["False"]
    out = _run(
        f"""
        import importlib, sys
        sys.modules["distributed"] = None  # as if it were not installed
        for name in {modules!r}:
            importlib.import_module(name)
        import dask.array as da
        from gridfoot.workflows.scheduler import dask_scheduler
        with dask_scheduler(None) as where:
            print(int(da.ones(10, chunks=5).sum().compute()), where.describe()["ran_on"])
        """
    )
    assert out.split() == ["10", "threads"]
