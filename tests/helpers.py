"""Helpers shared by test modules."""

from typing import NamedTuple

import numpy as np

from sklearn_pid._base import ATOMS as _ATOMS

#: Column order of ``transform`` / ``interactions`` and index of
#: ``decomposition_``, as a list (``ATOMS + [...]`` and ``== ATOMS`` work).
ATOMS = list(_ATOMS)


def table_to_samples(p):
    """Rows (x1, x2), labels y and weights that reproduce the table ``p[x1, x2, y]``."""
    p = np.asarray(p, dtype=float)
    x1, x2, y = np.nonzero(p)
    return np.column_stack([x1, x2]), y, p[x1, x2, y]


def two_modalities(n_samples, seed):
    """Two classes; columns 0 and 1 (modality 1 and 2 with ``modalities=1``)
    are each the label plus standard normal noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_samples)
    X = np.column_stack(
        [y + rng.normal(size=n_samples), y + rng.normal(size=n_samples)]
    )
    return X, y


class Data(NamedTuple):
    """Fitting rows ``X, y`` and new rows ``X_new, y_new``."""

    X: np.ndarray
    y: np.ndarray
    X_new: np.ndarray
    y_new: np.ndarray
