"""Input validation shared by every estimator."""

import numbers
import os
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import validate_data

from ._modalities import resolve_modalities

#: Folders whose frames a warning skips to reach the user's line.
_INTERNAL = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules[__name__.rpartition(".")[0]], sys.modules["sklearn"])
)

#: Classes with fewer samples than this trigger a warning.
MIN_CLASS_COUNT = 5


def warn(message, category=UserWarning):
    """``warnings.warn``, attributed to the first frame outside the package.

    Frames of sklearn_pid and of scikit-learn (``fit_transform``,
    ``GridSearchCV``) are skipped, so a warning points at the user's line
    whatever the depth of the call.
    """
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)


def validate_modalities(estimator, X, y="no_validation", *, reset, dtype="numeric"):
    """Validate ``X`` (and ``y``) and split ``X`` into its two modalities.

    Parameters
    ----------
    estimator : estimator
        Its ``modalities`` parameter is resolved when ``reset`` is true and
        stored as ``modality_columns_``; otherwise the stored columns are used.
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), None or "no_validation"
        ``"no_validation"`` (default) validates ``X`` only; ``None`` is an error
        for estimators that require ``y``.
    reset : bool
        True in ``fit`` (sets ``n_features_in_``, ``feature_names_in_``).
    dtype : str, type or None, default="numeric"
        Passed to :func:`sklearn.utils.validation.validate_data`; ``None``
        keeps strings and categories (as an object array).

    Returns
    -------
    X1 : ndarray of shape (n_samples, n_features_1)
    X2 : ndarray of shape (n_samples, n_features_2)
    y : ndarray of shape (n_samples,) or None
    """
    try:
        if isinstance(y, str) and y == "no_validation":
            X = validate_data(estimator, X, reset=reset, dtype=dtype)
            y = None
        else:
            X, y = validate_data(estimator, X, y, reset=reset, dtype=dtype)
    except ValueError as exc:
        text = _text_columns(X) if dtype is not None else []
        if not text:
            raise
        names = ", ".join(map(repr, text[:5])) + (" ..." if len(text) > 5 else "")
        which = f"column {names} holds" if len(text) == 1 else f"columns {names} hold"
        raise ValueError(
            f"{type(estimator).__name__} needs numeric columns, but {which} text "
            "or categories. Encode them first (e.g. OneHotEncoder in a "
            "ColumnTransformer before it in a Pipeline), or use PIDCVX, which "
            "takes them as discrete states."
        ) from exc
    if reset:
        estimator.modality_columns_ = resolve_modalities(
            estimator.modalities,
            X.shape[1],
            getattr(estimator, "feature_names_in_", None),
        )
    cols1, cols2 = estimator.modality_columns_
    return X[:, _as_slice(cols1)], X[:, _as_slice(cols2)], y


def _text_columns(X):
    """Names of a DataFrame's columns that hold neither numbers nor booleans."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return []
    return [
        str(name)
        for name, dtype in dtypes.items()
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        )
    ]


def _as_slice(columns):
    """A slice for a run of consecutive columns (a view of ``X``, not a copy)."""
    columns = np.asarray(columns)
    if columns.size and np.array_equal(
        columns, np.arange(columns[0], columns[0] + columns.size)
    ):
        return slice(int(columns[0]), int(columns[0]) + columns.size)
    return columns


def encode_labels(y, classes=None, sample_weight=None):
    """Check that ``y`` holds class labels and map them to ``0 .. n_classes-1``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    classes : ndarray or None
        The fitted ``classes_``. ``None`` (in ``fit``) learns them and requires
        at least two classes.
    sample_weight : ndarray of shape (n_samples,) or None
        Frequency weights: a class is rare (warning) when its total weight is
        below :data:`MIN_CLASS_COUNT`.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
    y_index : ndarray of int of shape (n_samples,)
    """
    if classes is None:
        classes, y_index = _unique_labels(y)  # first: mixed types fail clearly
        if type_of_target(y) in ("continuous", "continuous-multioutput"):
            raise ValueError(
                "y looks continuous, but this estimator needs class labels. Bin "
                "y first (for example with sklearn.preprocessing.KBinsDiscretizer)."
            )
        check_classification_targets(y)
        if classes.size < 2:
            raise ValueError(
                f"y has only one class ({classes[:1].tolist()[0]!r}); at least 2 "
                "classes are "
                "needed to measure information about the label."
            )
        counts = np.bincount(y_index, weights=sample_weight)
        if counts.min() < MIN_CLASS_COUNT:
            rare = classes[counts < MIN_CLASS_COUNT].tolist()
            warn(
                f"Classes {rare} have fewer than {MIN_CLASS_COUNT} samples; the "
                "estimate is valid but weak for them. Collect more samples of "
                "them, or merge or drop them.",
                UserWarning,
            )
        return classes, y_index
    y_index = np.searchsorted(classes, y)
    y_index = np.clip(y_index, 0, classes.size - 1)
    unknown = classes[y_index] != y
    if np.any(unknown):
        raise ValueError(
            f"y contains labels not seen in fit: {np.unique(y[unknown]).tolist()[:10]} "
            f"(fitted classes: {classes.tolist()})."
        )
    return classes, y_index


def _unique_labels(y):
    """``np.unique(y, return_inverse=True)``, with a clear error for mixed types."""
    try:
        return np.unique(y, return_inverse=True)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in np.asarray(y, dtype=object)})
        raise ValueError(
            f"y mixes label types ({', '.join(kinds)}), which cannot be ordered; "
            "convert the labels to one type first (e.g. y.astype(str))."
        ) from None


def check_sample_weight(sample_weight, n_samples):
    """Return non-negative float weights of length ``n_samples`` (ones if None)."""
    if sample_weight is None:
        return np.ones(n_samples)
    w = np.asarray(sample_weight, dtype=float).ravel()
    if w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {w.shape[0]} entries but X has {n_samples} samples."
        )
    with np.errstate(over="ignore"):
        total = w.sum()
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not 0 < total < np.inf:
        raise ValueError(
            "sample_weight must be finite, non-negative, not all zero, and with a "
            "finite sum."
        )
    return w


def check_not_constant(X1, X2):
    """Raise a ValueError if a modality is constant (one value per column).

    Parameters
    ----------
    X1, X2 : ndarray of shape (n_samples, n_features_m)
        The two modalities.
    """
    for m, Xm in enumerate((X1, X2), start=1):
        if Xm.shape[0] > 1 and np.all(Xm == Xm[:1]):
            raise ValueError(
                f"Modality {m} is constant (every column of it takes one value): "
                "it carries no information. Check `modalities` or drop the "
                "modality."
            )


def check_hidden_sizes(name, sizes):
    """Raise unless ``sizes`` is a sequence of positive layer widths.

    Parameters
    ----------
    name : str
        The parameter's name, for the message.
    sizes : tuple or list of int
    """
    if not all(
        isinstance(w, numbers.Integral) and not isinstance(w, bool) and w >= 1
        for w in sizes
    ):
        raise ValueError(
            f"{name} must be a tuple of positive layer widths (ints >= 1), got "
            f"{tuple(sizes)!r}."
        )
