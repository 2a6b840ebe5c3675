"""Map each modality's rows to a finite set of states (for PIDCVX).

A modality becomes one discrete variable: the joint state of its columns after
an optional discretisation (equal-width or equal-mass bins per column, k-means
clusters of the whole modality, or any scikit-learn clusterer/transformer).
"""

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline

from ._standardize import Standardizer

METHODS = ("auto", "discrete", "uniform", "quantile", "kmeans")


class ModalityDiscretizer:
    """Fit a discretisation of one modality and map rows to state indices.

    Parameters
    ----------
    method : str or estimator
        One of :data:`METHODS` or a scikit-learn clusterer (with ``predict``)
        or transformer (with ``transform`` returning discrete codes).
    n_bins : int
        Bins per column for ``"uniform"`` and ``"quantile"``.
    n_clusters : int
        Clusters for ``"kmeans"``.
    max_discrete : int
        ``"auto"`` keeps whole numbers with at most this many distinct rows
        as they are (``"discrete"``).
    pca_components : int or None
        PCA dimension before k-means (``None``: no PCA).
    bin_range : (float, float) or None
        Range of the ``"uniform"`` bins; ``None`` uses each column's range.
        Values outside fall into the edge bins.
    random_state : int or None
        Seed of k-means, PCA and cloned estimators.

    Attributes
    ----------
    method_ : str
        The method used (``"auto"`` resolved) with its size, e.g. ``"kmeans(20)"``.
    states_ : pandas.Index
        The states seen in fit; a row's state index is its position here.
    """

    def __init__(
        self,
        method,
        n_bins,
        n_clusters,
        max_discrete,
        pca_components,
        bin_range,
        random_state,
    ):
        self.method = method
        self.n_bins = n_bins
        self.n_clusters = n_clusters
        self.max_discrete = max_discrete
        self.pca_components = pca_components
        self.bin_range = bin_range
        self.random_state = random_state

    def fit_transform(self, X, sample_weight):
        """Fit on ``X`` (n_samples, n_columns) and return state indices.

        ``sample_weight`` (n_samples,) weights the quantiles and k-means.
        """
        _check_finite(X)
        method = self._resolve(X)
        if method == "discrete":
            codes = X
        elif method in ("uniform", "quantile"):
            Xf = _as_float(X)
            if method == "uniform":
                if self.bin_range is None:
                    lo, hi = Xf.min(axis=0), Xf.max(axis=0)
                else:
                    lo, hi = _check_range(self.bin_range, X.shape[1])
                self.edges_ = [
                    np.linspace(a, b, self.n_bins + 1)[1:-1] for a, b in zip(lo, hi)
                ]
            else:
                qs = np.linspace(0, 1, self.n_bins + 1)[1:-1]
                self.edges_ = [
                    np.unique(_weighted_quantiles(col, sample_weight, qs))
                    for col in Xf.T
                ]
            codes = self._bin(Xf)
        else:
            self.model_ = self._fit_model(method, _as_float(X), sample_weight)
            codes = self._apply_model(self.model_, X)
        self.method_ = self._describe(method)
        self._method = method
        rows = _rows_index(codes)
        self.states_ = rows.unique()
        return self.states_.get_indexer(rows)

    def transform(self, X):
        """State indices of new rows; ``-1`` for a state never seen in fit."""
        _check_finite(X)
        if self._method == "discrete":
            codes = X
        elif self._method in ("uniform", "quantile"):
            codes = self._bin(_as_float(X))
        else:
            codes = self._apply_model(self.model_, X)
        return self.states_.get_indexer(_rows_index(codes))

    def _resolve(self, X):
        if not isinstance(self.method, str):
            return "estimator"
        if self.method not in METHODS:
            raise ValueError(
                f"Unknown discretizer {self.method!r}; use one of {METHODS} or a "
                "scikit-learn clusterer/transformer."
            )
        if self.method != "auto":
            return self.method
        numeric = _numeric_or_none(X)
        if numeric is None:
            _check_categorical(X, self.max_discrete)
            return "discrete"
        whole = np.all(numeric == np.round(numeric))
        if whole and len(_rows_index(numeric).unique()) <= self.max_discrete:
            return "discrete"
        return "quantile" if X.shape[1] == 1 else "kmeans"

    def _describe(self, method):
        if method in ("uniform", "quantile"):
            return f"{method}({self.n_bins})"
        if method == "kmeans":
            pca = "" if self.pca_components is None else f", pca={self.pca_components}"
            return f"kmeans({self.n_clusters}{pca})"
        if method == "estimator":
            return type(self.method).__name__
        return method

    def _bin(self, Xf):
        return np.column_stack(
            [np.searchsorted(e, col, side="right") for e, col in zip(self.edges_, Xf.T)]
        )

    def _fit_model(self, method, Xf, sample_weight):
        """Build and fit the clustering model (weights go to k-means)."""
        model = self._model(method)
        if method == "kmeans":
            return model.fit(
                Xf,
                standardizer__sample_weight=sample_weight,
                kmeans__sample_weight=sample_weight,
            )
        return model.fit(Xf)

    def _model(self, method):
        if method == "estimator":
            est = clone(self.method)
            if est.get_params().get("random_state", 0) is None:
                est.set_params(random_state=self.random_state)
            if not (hasattr(est, "predict") or hasattr(est, "transform")):
                raise TypeError(
                    f"The discretizer {type(est).__name__} has neither predict nor "
                    "transform, so new samples could not be mapped to its states."
                )
            return est
        steps = [Standardizer()]
        if self.pca_components is not None:
            steps.append(PCA(self.pca_components, random_state=self.random_state))
        steps.append(KMeans(self.n_clusters, n_init=4, random_state=self.random_state))
        return make_pipeline(*steps)

    def _apply_model(self, model, X):
        Xf = _as_float(X)
        if hasattr(model, "predict"):
            return np.asarray(model.predict(Xf)).reshape(-1, 1)
        codes = model.transform(Xf)
        if sparse.issparse(codes):
            raise ValueError(
                f"The discretizer {type(model).__name__} returned a sparse (one-hot) "
                "matrix; its transform must output one code per column (e.g. "
                "KBinsDiscretizer(encode='ordinal'))."
            )
        codes = np.asarray(codes).reshape(len(X), -1)
        if codes.dtype.kind == "f" and not np.all(codes == np.round(codes)):
            raise ValueError(
                f"The discretizer {type(model).__name__} returned non-integer codes; "
                "its transform must output discrete values (e.g. "
                "KBinsDiscretizer(encode='ordinal'))."
            )
        return codes


def _weighted_quantiles(values, weights, qs):
    """Inverted-CDF quantiles of weighted values (equal to repeating samples)."""
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(weights[order])
    idx = np.searchsorted(cum, np.asarray(qs) * cum[-1], side="left")
    return values[np.minimum(idx, values.size - 1)]


def _check_categorical(X, max_discrete):
    """Text makes ``"auto"`` count every distinct row as a state: refuse columns
    of many distinct numbers (measurements, or a stray string among numbers),
    which would each become a state and look perfectly informative."""
    for j, column in enumerate(np.asarray(X, dtype=object).T):
        numbers = pd.to_numeric(pd.Series(column), errors="coerce")
        n_values = numbers.nunique()
        if numbers.notna().mean() > 0.5 and n_values > max_discrete:
            text = "" if numbers.notna().all() else " and some text"
            raise ValueError(
                f"discretizer='auto' reads a modality with text as categorical "
                f"(every distinct row a state), but its column {j} holds "
                f"{n_values} distinct numbers{text}: each would be a state, and "
                "the modality would look perfectly informative. Encode the text "
                "columns as numbers (the modality is then binned or clustered), "
                "or pass discretizer='discrete' if these numbers are categories."
            )


def _check_finite(X):
    """Reject NaN and infinity in numeric data, whatever its dtype."""
    numeric = _numeric_or_none(X)
    if numeric is not None and not np.all(np.isfinite(numeric)):
        raise ValueError("Input X contains NaN or infinity.")


def _check_range(bin_range, n_columns):
    """``bin_range`` = (low, high), two finite numbers with low < high."""
    values = np.asarray(bin_range, dtype=float).ravel()
    if (
        values.shape != (2,)
        or not np.all(np.isfinite(values))
        or values[0] >= values[1]
    ):
        raise ValueError(
            f"bin_range must be (low, high), two finite numbers with low < high; "
            f"got {bin_range!r}."
        )
    return np.full(n_columns, values[0]), np.full(n_columns, values[1])


def _as_float(X):
    out = _numeric_or_none(X)
    if out is None:
        raise ValueError(
            "This discretizer needs numeric columns; use discretizer='discrete' for "
            "categorical modalities."
        )
    return out


def _numeric_or_none(X):
    """``X`` as float, or None if some value is not a number."""
    if X.dtype.kind in "biuf":
        return X.astype(float)
    try:
        return np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return None


def _rows_index(codes):
    """A pandas index with one entry per row (the tuple of its columns)."""
    codes = np.asarray(codes)
    if codes.ndim == 1 or codes.shape[1] == 1:
        return pd.Index(codes.reshape(-1))
    return pd.MultiIndex.from_arrays(list(codes.T))
