"""The urban carbon accounts as pure functions on numpy arrays.

A city is a local Leontief system whose imports are priced by a *supply system*: the host MRIO
(multi-regional assumption) or the city's own technology (single-region assumption). Nothing
here knows labels or files; :mod:`gridfoot.urban.footprints` labels the results.

Notation follows pymrio where pymrio has a symbol (one stressor, so ``F``, ``S`` and ``M`` are
vectors: a row of pymrio's tables); ``n`` local producers, ``K`` local final-demand categories,
``P = 2`` trade partners (rest of the country, abroad), ``G = 2`` import origins (same two),
``m`` producers of the supply system:

``Z_l`` (n, n), ``Y_l`` (n, K)
    the local blocks of ``Z`` and ``Y``: local products used by local producers and by local
    final demand (imports taken out);
``E_l`` (n, P)
    local products sold to trade partners (outflow, exports);
``x``
    gross output, by default balanced (``x = Z_l·1 + Y_l·1 + E_l·1``, and every identity below
    is exact), ``A_l = Z_l diag(1/x)``, ``L_l = (I - A_l)^-1`` (never formed);
``F`` (n), ``F_Y`` (K)
    direct emissions of producers and of final demand (households), ``S = F diag(1/x)``;
``U[g]`` (m, n), ``V[g]`` (m, K), ``R[g]`` (m, P)
    imports from origin ``g`` (by supplying producer) used as inputs, delivered to local final
    demand, and passed straight on to trade partners (re-exports);
``M_sup = S_sup L_sup``
    multipliers of the supply system (emissions anywhere per unit of its products).

Quantities (all in emission units):

* local-for-local ``LL = S ⊙ L_l Y_l`` (by producer and category) and embodied in exports
  ``EEE = S ⊙ L_l E_l`` (by producer and partner); ``sum F = sum LL + sum EEE`` when ``x`` is
  balanced (a given ``x`` leaves its imbalance times ``S`` unattributed, as in the MRIO).
* import intensity of local output ``t[g] = M_sup U[g] diag(1/x)`` (emissions elsewhere per unit
  of local output, through imported inputs from origin g).
* emissions embodied in imports (EEI), by origin g and pathway: delivered to final demand
  ``M_sup V[g]``; inputs to production for local final demand ``t[g] L_l Y_l``; inputs to
  production for exports ``t[g] L_l E_l``; re-exports ``M_sup R[g]``. The first two are the EEI
  *for final demand*, the last two the EEI *for exports*; the middle two the EEI *of inputs to
  local production*.
* consumption-based footprint by final-demand product (pymrio's ``D_cba`` by product): local
  products ``(S + sum_g t[g]) L_l`` times ``Y_l``, imported products ``M_sup ⊙ V[g]``; summed,
  ``LL + EEI for final demand``.

EEE and EEI are the names of the urban literature (Lin et al. 2015; Hu et al. 2016) for
emissions embodied in the city's *trade flows* -- intermediate and final, by the partner that
buys or the origin that sells. They are not the destination-based ``eee``/``eei`` of
:func:`gridfoot.footprint` (pymrio's ``D_exp``/``D_imp``: emissions driven by *final demand*
elsewhere); :mod:`gridfoot.urban.footprints` sets the two side by side.
"""

from __future__ import annotations

import numpy as np

from gridfoot.mrio.leontief import LeontiefFactor, factor, intensities, multipliers

__all__ = ["city_accounts", "consumed_composition", "import_intensity"]


def import_intensity(M_sup: np.ndarray, U: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Emissions elsewhere per unit of local output through imported inputs, by origin.

    ``t[g, j] = sum_m M_sup[m] U[g, m, j] / x[j]`` (zero where ``x <= 0``).

    Examples
    --------
    >>> U = np.array([[[0.0, 20.0]], [[0.0, 10.0]]])  # 2 origins, 1 supplier, 2 users
    >>> import_intensity(np.array([3.0]), U, np.array([120.0, 200.0]))
    array([[0.  , 0.3 ],
           [0.  , 0.15]])
    """
    return intensities(np.einsum("m,gmn->gn", M_sup, U), x)


def city_accounts(
    Z_l: np.ndarray,
    Y_l: np.ndarray,
    E_l: np.ndarray,
    F: np.ndarray,
    U: np.ndarray,
    V: np.ndarray,
    R: np.ndarray,
    M_sup: np.ndarray,
    x: np.ndarray | None = None,
    labels: object = None,
) -> dict[str, np.ndarray]:
    """Every account of a city (see the module documentation for the symbols).

    Returns
    -------
    dict
        ``x`` (n), ``local_for_local`` (n, K), ``eee`` (n, P), ``eei`` (4, G, ...) as
        ``eei_final_demand`` (G, K), ``eei_inputs_final`` (G, K), ``eei_inputs_exports``
        (G, P), ``eei_re_exports`` (G, P); ``consumed_local`` (n, K) and ``consumed_imported``
        (G, m, K): the consumption-based footprint by final-demand product; ``eei_supplier``
        (G, m): emissions embodied in all imports by supplying producer; ``factor``: the
        factorisation of ``I - A_l``; ``t``: import intensities (G, n).

    Examples
    --------
    A city that makes electricity (sector 0) and construction (1); construction buys
    electricity, some of it from elsewhere (one supplier per origin, 3 and 1 t per unit):

    >>> acc = city_accounts(
    ...     Z_l=np.array([[0.0, 70.0], [0.0, 0.0]]), Y_l=np.array([[35.0], [150.0]]),
    ...     E_l=np.array([[10.0, 5.0], [50.0, 0.0]]), F=np.array([240.0, 20.0]),
    ...     U=np.array([[[0.0, 20.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 10.0]]]),
    ...     V=np.array([[[10.0], [0.0]], [[0.0], [5.0]]]), R=np.zeros((2, 2, 2)),
    ...     M_sup=np.array([3.0, 1.0]))
    >>> acc["x"].tolist(), float(acc["local_for_local"].sum()), float(acc["eee"].sum())
    ([120.0, 200.0], 190.0, 70.0)
    >>> (acc["eei_final_demand"] + acc["eei_inputs_final"]).ravel().tolist()
    [75.0, 12.5]
    """
    Z_l, Y_l, E_l = (np.asarray(a, dtype=float) for a in (Z_l, Y_l, E_l))
    if x is None:
        x = Z_l.sum(axis=1) + Y_l.sum(axis=1) + E_l.sum(axis=1)
    x = np.asarray(x, dtype=float)
    local = factor(Z_l, x, labels=labels)
    S = intensities(np.asarray(F, dtype=float)[None, :], x)[0]
    X_final = local.solve(Y_l)
    X_export = local.solve(E_l)
    t = import_intensity(M_sup, U, x)
    # Emissions embodied in local products per unit of final demand, local and imported parts.
    total_multiplier = multipliers(local, S + t.sum(axis=0))[0]
    return {
        "x": x,
        "factor": local,
        "t": t,
        "local_for_local": S[:, None] * X_final,
        "eee": S[:, None] * X_export,
        "eei_final_demand": np.einsum("m,gmk->gk", M_sup, V),
        "eei_inputs_final": t @ X_final,
        "eei_inputs_exports": t @ X_export,
        "eei_re_exports": np.einsum("m,gmp->gp", M_sup, R),
        "consumed_local": total_multiplier[:, None] * Y_l,
        "consumed_imported": M_sup[None, :, None] * V,
        "eei_supplier": M_sup[None, :] * (U.sum(axis=2) + V.sum(axis=2) + R.sum(axis=2)),
    }


def consumed_composition(
    local: LeontiefFactor,
    S: np.ndarray,
    x: np.ndarray,
    U: np.ndarray,
    supply: LeontiefFactor,
    S_sup: np.ndarray,
    local_demand: np.ndarray,
    imported_demand: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Where the consumed footprint of chosen final-demand products is emitted.

    For each chosen product ``c`` (a column of the demand arrays): local producers' emissions
    ``S ⊙ L_l d_c`` and the supply system's producers' emissions, by origin of the imports,
    ``S_sup ⊙ L_sup (U[g] diag(1/x) L_l d_c + v_c[g])``. One local solve and one supply solve
    with ``2 x len(products)`` columns: never the Leontief inverse.

    Parameters
    ----------
    local, supply : LeontiefFactor
        Factorisations of the local system and of the supply system.
    S : (n,) local direct intensities; x : (n,) local output.
    U : (G, m, n) imported inputs; S_sup : (m,) direct intensities of the supply system.
    local_demand : (n, c)
        Local final demand for each chosen product (zero outside its producers).
    imported_demand : (G, m, c)
        Imports delivered to local final demand of each chosen product.

    Returns
    -------
    local_emissions : (n, c)
    supply_emissions : (G, m, c)
    """
    X = local.solve(np.asarray(local_demand, dtype=float))
    producing = x > 0
    per_output = np.where(producing[:, None], X / np.where(producing, x, 1.0)[:, None], 0.0)
    imports = np.einsum("gmn,nc->gmc", U, per_output) + imported_demand
    G, m, c = imports.shape
    upstream = supply.solve(imports.transpose(1, 0, 2).reshape(m, G * c))
    upstream = upstream.reshape(m, G, c).transpose(1, 0, 2)
    return S[:, None] * X, S_sup[None, :, None] * upstream
