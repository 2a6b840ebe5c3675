"""Three or more modalities: a two-source decomposition per pair.

The PID of two sources has four atoms; that of three or more has many more
and no agreed BROJA extension. With ``k > 2`` modalities, the information
estimators therefore decompose what practitioners use: every pair of
modalities ``(a, b)``, and each modality against the union of the others
(``(a, "rest")``). Each of these ``k (k - 1) / 2 + k`` decompositions is an
ordinary two-modality fit of a clone of the estimator (same parameters, one
seed for all), so a pair's numbers are those of fitting that pair alone.
Work that only depends on one modality (its discretisation, its posterior,
its density) is done once and shared through a cache that the clones read
(:func:`shared_fit`).
"""

import warnings
from itertools import combinations

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ._modalities import resolve_groups
from ._validation import warn

#: Name of "the union of the other modalities" in pair names.
REST = "rest"

#: Atom and information columns of ``decompositions_``.
VALUES = (
    "redundancy",
    "unique_1",
    "unique_2",
    "synergy",
    "mi_1",
    "mi_2",
    "mi_joint",
)


def pairs_of(names):
    """Every pair of modalities, then each modality against the rest.

    Parameters
    ----------
    names : list of str

    Returns
    -------
    list of tuple of 2 str
        ``(a, b)`` for ``a`` before ``b``, then ``(a, "rest")``.
    """
    return list(combinations(names, 2)) + [(name, REST) for name in names]


def pair_columns(a, b, columns, names):
    """The two column selections of a pair (``b`` may be ``"rest"``)."""
    cols = dict(zip(names, columns))
    if b == REST:
        return cols[a], np.sort(np.concatenate([c for n, c in cols.items() if n != a]))
    return cols[a], cols[b]


def fit_groups(estimator, X, y, sample_weight=None):
    """Fit ``estimator`` (with ``k > 2`` modalities) as one clone per pair.

    Sets ``modality_columns_``, ``modality_names_``, ``pair_estimators_``,
    ``decompositions_``, ``mi_joint_``, ``classes_``, ``class_prior_``,
    ``n_features_in_`` (and ``feature_names_in_``) on ``estimator``. Each
    clone's warnings are passed on, prefixed with its pair.

    Returns
    -------
    estimator
    """
    n_features = np.shape(X)[1] if np.ndim(X) == 2 else None
    feature_names = (
        np.asarray(X.columns, dtype=object) if isinstance(X, pd.DataFrame) else None
    )
    if n_features is None:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got {np.ndim(X)}-D.")
    columns, names = resolve_groups(estimator.modalities, n_features, feature_names)
    seed = estimator.random_state
    if seed is None or not isinstance(seed, (int, np.integer)):
        seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
    cache = {}
    fitted = {}
    for a, b in pairs_of(names):
        sub = clone(estimator).set_params(
            modalities=pair_columns(a, b, columns, names), random_state=seed
        )
        sub._shared = cache
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                sub._validated_fit(X, y, sample_weight)
            except ValueError as error:  # "modality 2" means b: say so
                raise ValueError(f"Modalities ({a}, {b}): {error}") from error
            finally:
                del sub._shared
        for w in caught:
            warn(f"Modalities ({a}, {b}): {w.message}", w.category)
        fitted[(a, b)] = sub
    first = next(iter(fitted.values()))
    estimator.modality_columns_ = tuple(columns)
    estimator.modality_names_ = names
    estimator.pair_estimators_ = fitted
    for name in ("classes_", "class_prior_", "n_features_in_", "feature_names_in_"):
        if hasattr(first, name):
            setattr(estimator, name, getattr(first, name))
    estimator.decompositions_ = decompositions(fitted)
    rest = estimator.decompositions_["source_2"] == REST
    estimator.mi_joint_ = float(estimator.decompositions_.loc[rest, "mi_joint"].mean())
    return estimator


def decompositions(fitted):
    """One row per pair: ``source_1, source_2`` and :data:`VALUES`."""
    rows = [
        {"source_1": a, "source_2": b}
        | dict(zip(VALUES[:4], sub.decomposition_.to_numpy()))
        | {"mi_1": sub.mi_1_, "mi_2": sub.mi_2_, "mi_joint": sub.mi_joint_}
        for (a, b), sub in fitted.items()
    ]
    return pd.DataFrame(rows, columns=["source_1", "source_2", *VALUES])


def is_grouped(estimator):
    """Whether ``estimator`` was fitted on three or more modalities."""
    check_is_fitted(estimator)
    return hasattr(estimator, "pair_estimators_")


def joint_estimator(estimator):
    """The clone whose joint posterior sees every modality: the first
    modality against the rest."""
    return estimator.pair_estimators_[(estimator.modality_names_[0], REST)]


def pair_feature_names(estimator, atoms):
    """``"{atom}[{a},{b}]"`` for every pair, then every atom."""
    return [f"{atom}[{a},{b}]" for a, b in estimator.pair_estimators_ for atom in atoms]


def grouped_transform(estimator, X):
    """The four atoms of every pair side by side, in
    :func:`grouped_feature_names` order."""
    return np.hstack([sub.transform(X) for sub in estimator.pair_estimators_.values()])


def grouped_interactions(estimator, X, y, **kwargs):
    """Each pair's ``interactions(X, y, **kwargs)``, columns renamed
    ``"{column}[{a},{b}]"`` and concatenated."""
    frames = []
    for (a, b), sub in estimator.pair_estimators_.items():
        frame = sub.interactions(X, y, **kwargs)
        frames.append(frame.rename(columns=lambda c, a=a, b=b: f"{c}[{a},{b}]"))
    return pd.concat(frames, axis=1)


def grouped_feature_names(estimator, input_features, atoms):
    """Output names of ``transform`` with three or more modalities."""
    _check_feature_names_in(estimator, input_features)
    return np.asarray(pair_feature_names(estimator, atoms), dtype=object)


def shared_fit(estimator, key, fit):
    """``fit()``, or its result for the same ``key`` in another pair's fit.

    Parameters
    ----------
    estimator : estimator
        A clone fitted by :func:`fit_groups` reads its ``_shared`` cache;
        any other estimator just calls ``fit``.
    key : tuple
        What the result depends on (hashed with :func:`joblib.hash`: arrays
        by content).
    fit : callable
        Computes the result.
    """
    cache = getattr(estimator, "_shared", None)
    if cache is None:
        return fit()
    digest = joblib.hash(key)
    if digest not in cache:
        cache[digest] = fit()
    return cache[digest]


def shared_result(estimator, key):
    """The result that :func:`shared_fit` holds for ``key``, or None."""
    cache = getattr(estimator, "_shared", None)
    return None if cache is None else cache.get(joblib.hash(key))
