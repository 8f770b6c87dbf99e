"""Display names for figures: MRIO region, sector and final-demand category codes to words.

``read_mrio`` keeps codes only; the names live in small tables beside the MRIO's own
(``regions.csv``: region, country, name; ``sectors.csv``: sector, name). Everything here
falls back to the code when a name is missing, so a figure never loses a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["CATEGORY_NAMES", "Names", "fallback_names", "read_names"]

#: Final-demand categories as pymrio, WIOD and EXIOBASE spell them.
CATEGORY_NAMES: dict[str, str] = {
    "CONS_h": "Households",
    "CONS_np": "Non-profit institutions",
    "CONS_g": "Government",
    "GFCF": "Gross fixed capital formation",
    "INVEN": "Changes in inventories",
}


@dataclass(frozen=True)
class Names:
    """Code-to-name mappings; :meth:`region`, :meth:`sector`, :meth:`category` fall back to
    the code.

    Examples
    --------
    >>> names = Names(regions={"USA": "United States"})
    >>> names.region("USA"), names.region("JPN"), names.category("CONS_h")
    ('United States', 'JPN', 'Households')
    """

    regions: Mapping[str, str] = field(default_factory=dict)
    sectors: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=lambda: dict(CATEGORY_NAMES))

    def region(self, code: object) -> str:
        return str(self.regions.get(str(code), code))

    def sector(self, code: object) -> str:
        return str(self.sectors.get(str(code), code))

    def category(self, code: object) -> str:
        return str(self.categories.get(str(code), code))


def _table(path: Path, key: tuple[str, ...], value: tuple[str, ...]) -> dict[str, str]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError):
        return {}  # names are a nicety: an unreadable table leaves the codes
    columns = {c.strip().lower(): c for c in table.columns}
    k = next((columns[c] for c in key if c in columns), None)
    v = next((columns[c] for c in value if c in columns), None)
    if k is None or v is None:
        return {}
    pairs = zip(table[k].str.strip(), table[v].str.strip(), strict=True)
    return {code: name for code, name in pairs if code and name}


def read_names(folder: str | Path | None) -> Names:
    """Names from ``regions.csv`` and ``sectors.csv`` in ``folder`` (the MRIO's), when present.

    A country code gets a name when a region of that code has one (``USA,USA,United
    States``). Sector tables named ``*sectors.csv`` with ``sector_code``/``sector_name``
    columns (WIOD's) are read too. Anything missing or unreadable falls back to codes.
    """
    if folder is None:
        return Names()
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    if not folder.is_dir():
        return Names()
    regions = {}
    if (folder / "regions.csv").is_file():
        regions = _table(folder / "regions.csv", ("region",), ("name", "region_name"))
    sectors = {}
    candidates = [folder / "sectors.csv", *sorted(folder.glob("*sectors.csv"))]
    for path in candidates:
        if path.is_file():
            sectors = _table(path, ("sector", "sector_code"), ("name", "sector_name"))
            if sectors:
                break
    return Names(regions=regions, sectors=sectors)


def fallback_names(
    polygons: Any, name_field: str | None, code_field: str, names: Names | None = None
) -> dict[str, str]:
    """Replacements for names a font may lack glyphs for (Chinese province names).

    Each polygon's ``name_field`` value maps to a latin name from another ``*name*`` column
    whose values are all ASCII (``name_en``), else to its region code; MRIO region and sector
    names that are not ASCII map to their codes.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"name": ["山东"], "name_en": ["Shandong"], "code": ["SD"]})
    >>> fallback_names(table, "name", "code")
    {'山东': 'Shandong'}
    """
    replacements: dict[str, str] = {}
    if names is not None:
        for table in (names.regions, names.sectors):
            replacements.update(
                {name: code for code, name in table.items() if not str(name).isascii()}
            )
    if polygons is None or not name_field or name_field not in getattr(polygons, "columns", []):
        return replacements
    latin = None
    for column in polygons.columns:
        if column in (name_field, code_field) or "name" not in str(column).lower():
            continue
        values = polygons[column]
        if values.map(lambda v: isinstance(v, str) and v.strip() != "" and v.isascii()).all():
            latin = column
            break
    source = latin or (code_field if code_field in polygons.columns else None)
    if source is None:
        return replacements
    for name, other in zip(polygons[name_field], polygons[source], strict=True):
        if isinstance(name, str) and not name.isascii() and other is not None:
            replacements[name] = str(other)
    return replacements
