"""Resolve the ``modalities`` parameter shared by every estimator.

Every estimator takes one 2-D ``X`` and a ``modalities`` parameter that says
which columns belong to modality 1 and which to modality 2 (see DESIGN.md),
or, for three or more modalities, a sequence or a dict of selections
(:func:`resolve_groups`).
"""

import numbers

import numpy as np

_HELP = (
    "Set `modalities` to an int k (columns [0, k) are modality 1, the rest "
    "modality 2), to a pair (sel1, sel2) of slices, integer lists, boolean "
    "masks or column names, or to a sequence or dict {name: selection} of "
    "three or more of them."
)


def n_groups(modalities):
    """How many modalities the ``modalities`` parameter names (2 or more).

    A dict names ``len(modalities)``, a list or tuple of three or more
    selections as many; anything else (None, an int, a pair) names two.
    Malformed values are left to :func:`resolve_groups`.
    """
    if isinstance(modalities, dict) or (
        isinstance(modalities, (tuple, list)) and len(modalities) > 2
    ):
        return len(modalities)
    return 2


def resolve_groups(modalities, n_features, feature_names=None):
    """Return the columns and names of every modality.

    Parameters
    ----------
    modalities : None, int, sequence or dict of selections
        As in :func:`resolve_modalities`, or a sequence of three or more
        selections (named ``"1"``, ``"2"``, ...) or a dict ``name ->
        selection`` (two or more).
    n_features : int
    feature_names : array-like of str or None

    Returns
    -------
    columns : list of ndarray of int
        Sorted column indices of each modality; disjoint, non-empty.
    names : list of str
        The name of each modality.
    """
    if n_groups(modalities) == 2 and not isinstance(modalities, dict):
        return list(resolve_modalities(modalities, n_features, feature_names)), [
            "1",
            "2",
        ]
    if isinstance(modalities, dict):
        names = [str(name) for name in modalities]
        selections = list(modalities.values())
        if len(names) < 2 or len(set(names)) < len(names):
            raise ValueError(
                f"Invalid modalities={modalities!r}: a dict needs at least two "
                f"modalities with distinct names. {_HELP}"
            )
    else:
        names = [str(k) for k in range(1, len(modalities) + 1)]
        selections = list(modalities)
    columns = [
        _resolve_one(sel, n_features, feature_names, f"modality {name!r}")
        for sel, name in zip(selections, names)
    ]
    for i, a in enumerate(columns):
        for j in range(i + 1, len(columns)):
            overlap = np.intersect1d(a, columns[j])
            if overlap.size:
                raise ValueError(
                    f"Modalities {names[i]!r} and {names[j]!r} overlap on columns "
                    f"{overlap.tolist()}; each column may belong to one modality "
                    "only."
                )
    return columns, names


def resolve_modalities(modalities, n_features, feature_names=None):
    """Return the column indices of the two modalities.

    Parameters
    ----------
    modalities : None, int, pair of selections or dict of two
        ``None`` requires exactly two columns (one per modality). An int ``k``
        splits the columns into ``[0, k)`` and ``[k, n_features)``. A pair
        ``(sel1, sel2)`` gives each modality as a slice, a list of integer
        indices, a boolean mask of length ``n_features`` or a list of column
        names (these need ``feature_names``); a dict of two selections is
        that pair.
    n_features : int
        Number of columns of ``X``.
    feature_names : array-like of str or None
        Column names of ``X`` (``feature_names_in_``) when it was a DataFrame.

    Returns
    -------
    cols1, cols2 : ndarray of int
        Sorted column indices of modality 1 and modality 2; disjoint, non-empty.

    Raises
    ------
    ValueError
        If the selection is empty, overlapping, out of range or malformed.
    """
    if modalities is None:
        if n_features != 2:
            raise ValueError(
                f"X has {n_features} columns, but modalities=None requires exactly "
                f"2 (one per modality). {_HELP}"
            )
        return np.array([0]), np.array([1])
    if isinstance(modalities, numbers.Integral) and not isinstance(modalities, bool):
        k = int(modalities)
        if not 1 <= k < n_features:
            raise ValueError(
                f"modalities={k} must satisfy 1 <= modalities < n_features="
                f"{n_features}, so that both modalities have at least one column."
            )
        return np.arange(k), np.arange(k, n_features)
    if isinstance(modalities, dict) and len(modalities) == 2:
        modalities = tuple(modalities.values())
    if not isinstance(modalities, (tuple, list)) or len(modalities) != 2:
        raise ValueError(f"Invalid modalities={modalities!r}. {_HELP}")
    cols = [
        _resolve_one(sel, n_features, feature_names, name)
        for sel, name in zip(modalities, ("modality 1", "modality 2"))
    ]
    overlap = np.intersect1d(*cols)
    if overlap.size:
        raise ValueError(
            f"The two modalities overlap on columns {overlap.tolist()}; each column "
            "may belong to one modality only."
        )
    return cols[0], cols[1]


def _resolve_one(sel, n_features, feature_names, name):
    """Turn one selection into sorted unique integer column indices."""
    if isinstance(sel, slice):
        idx = np.arange(n_features)[sel]
    else:
        arr = np.asarray(sel)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.dtype == bool:
            if arr.shape != (n_features,):
                raise ValueError(
                    f"The boolean mask for {name} has length {arr.shape[0]}, but X "
                    f"has {n_features} columns."
                )
            idx = np.flatnonzero(arr)
        elif arr.dtype.kind in "iu":
            bad = arr[(arr < -n_features) | (arr >= n_features)]
            if bad.size:
                raise ValueError(
                    f"The selection for {name} has out-of-range column indices "
                    f"{bad.tolist()} (X has {n_features} columns)."
                )
            idx = arr % n_features
        elif arr.dtype.kind in "OUS":
            idx = _names_to_indices(arr, feature_names, name)
        elif arr.size == 0:
            idx = np.array([], dtype=int)
        else:
            raise ValueError(f"Cannot read the selection {sel!r} for {name}. {_HELP}")
    idx = np.unique(np.asarray(idx, dtype=int))
    if idx.size == 0:
        raise ValueError(f"The selection {sel!r} for {name} selects no column.")
    return idx


def _names_to_indices(names, feature_names, name):
    """Map column names to indices, naming the unknown ones."""
    if feature_names is None:
        raise ValueError(
            f"The selection for {name} uses column names {[str(n) for n in names]}, "
            "but X has "
            "no column names (pass a pandas DataFrame, or select by position)."
        )
    lookup = {str(f): i for i, f in enumerate(feature_names)}
    missing = [str(n) for n in names if str(n) not in lookup]
    if missing:
        raise ValueError(
            f"The selection for {name} names columns {missing} that are not in X "
            f"(columns: {list(map(str, feature_names))})."
        )
    return np.array([lookup[str(n)] for n in names], dtype=int)
