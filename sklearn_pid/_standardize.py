"""Standardisation that holds over the whole float range.

scikit-learn's :class:`~sklearn.preprocessing.StandardScaler` squares the
data: values near ``1e300`` overflow to infinity and values near ``1e-300``
underflow to 0, so a modality multiplied by such a constant becomes constant
or NaN. Dividing a column by a power of two is exact in floating point, and
standardisation is invariant to it, so the columns whose magnitude is extreme
are first divided by one; the others are left untouched (bit for bit the
same as before).
"""

import numpy as np
from sklearn.preprocessing import StandardScaler

#: Columns whose largest magnitude lies in ``[2**-LIMIT, 2**LIMIT]`` are not
#: rescaled: their squares and sums are far from the float limits.
LIMIT = 200


def power_of_two_scale(X):
    """Per-column powers of two that bring extreme columns to magnitude ~1.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite values.

    Returns
    -------
    ndarray of shape (n_features,)
        ``2**floor(log2(max |x|))`` for a column whose largest magnitude is
        outside ``[2**-LIMIT, 2**LIMIT]`` (and not 0), else 1.
    """
    peak = np.max(np.abs(X), axis=0, initial=0.0)
    extreme = (peak > 2.0**LIMIT) | ((peak > 0) & (peak < 2.0**-LIMIT))
    _, exponent = np.frexp(peak)
    return np.where(extreme, np.ldexp(1.0, exponent - 1), 1.0)


class Standardizer(StandardScaler):
    """A :class:`~sklearn.preprocessing.StandardScaler` safe at any scale.

    Each column is divided by :func:`power_of_two_scale` (``pow2_``) before
    scikit-learn's standardisation, at fit and transform; ``mean_`` and
    ``scale_`` are those of ``X / pow2_``. For columns of ordinary magnitude
    ``pow2_`` is 1 and nothing changes.

    Attributes
    ----------
    pow2_ : ndarray of shape (n_features,)
        The exact powers of two dividing each column.
    """

    def fit(self, X, y=None, sample_weight=None):
        """Compute ``pow2_``, then the mean and scale of ``X / pow2_``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        y : ignored
        sample_weight : ndarray of shape (n_samples,) or None

        Returns
        -------
        self : Standardizer
        """
        X = np.asarray(X, dtype=np.float64)
        self.pow2_ = power_of_two_scale(X)
        return super().fit(X / self.pow2_, y, sample_weight)

    def transform(self, X, copy=None):
        """Standardise ``X / pow2_``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        copy : bool or None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        return super().transform(np.asarray(X, dtype=np.float64) / self.pow2_, copy)

    def inverse_transform(self, X, copy=None):
        """Undo :meth:`transform`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        copy : bool or None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        return super().inverse_transform(X, copy) * self.pow2_
