"""Cross-fitting: folds, fold posteriors moved to one prior, out-of-fold values.

Every fitting sample is evaluated by the models that did not see it; rows
equal to a fitting row get that row's out-of-fold values (looked up by a
64-bit row hash); new rows get the average of the fold models.
"""

import math
import numbers

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, logsumexp
from sklearn.model_selection import StratifiedKFold, check_cv

from .nn._common import draw_seed


def make_folds(cv, y_index, n_classes, random_state):
    """The cross-fitting folds, checked before anything is fitted.

    Parameters
    ----------
    cv : int, cross-validation splitter or iterable
        An int gives shuffled stratified folds seeded from ``random_state``.
    y_index : ndarray of int of shape (n_samples,)
    n_classes : int
    random_state : RandomState

    Returns
    -------
    list of (train, test) index arrays
        A partition of the samples into test folds, each training fold
        holding every class.
    """
    if isinstance(cv, numbers.Integral):
        smallest = np.bincount(y_index).min()
        if smallest < cv:
            raise ValueError(
                f"cv={cv} needs at least {cv} samples of every class; "
                f"the smallest class has {smallest}. Lower cv or use cv=None."
            )
        splitter = StratifiedKFold(
            cv, shuffle=True, random_state=draw_seed(random_state)
        )
    else:
        splitter = check_cv(cv, y_index, classifier=True)
    folds = list(splitter.split(np.zeros((y_index.size, 1)), y_index))
    times_tested = np.bincount(
        np.concatenate([test for _, test in folds]), minlength=y_index.size
    )
    if not np.all(times_tested == 1):
        raise ValueError(
            f"cv={cv!r} must put every sample in exactly one test fold "
            f"(a partition); here {int(np.sum(times_tested != 1))} samples "
            "are tested zero or several times."
        )
    for train, _ in folds:
        if np.unique(y_index[train]).size < n_classes:
            raise ValueError(
                f"A training fold of cv={cv!r} lacks a class: every fold "
                "model needs every class. Use stratified folds."
            )
    return folds


def move_to_prior(log_post, train_labels, log_prior):
    """Move a fold's log-posteriors from its class frequencies to ``log_prior``.

    Bayes' rule: ``p(y|x) p(y) / p_fold(y)``, renormalised.

    Parameters
    ----------
    log_post : ndarray of shape (..., n_classes)
    train_labels : ndarray of int
        The fold's training labels.
    log_prior : ndarray of shape (n_classes,)

    Returns
    -------
    ndarray of the shape of ``log_post``
    """
    counts = np.bincount(train_labels, minlength=log_prior.size)
    return log_softmax(
        log_post - np.log(counts / train_labels.size) + log_prior, axis=-1
    )


#: Largest exponent that :func:`fit_temperature` considers.
MAX_EXPONENT = 4.0


def fit_temperature(log_post, y_index, log_prior):
    """The exponent that makes held-out posteriors best calibrated.

    Maximises the mean log-likelihood of ``p_t(y|x) ∝ p(y|x)^t p(y)^(1-t)``
    over ``t`` in ``[0, MAX_EXPONENT]`` (temperature scaling, Guo et al.
    2017, around the class prior): ``t = 0`` is the prior (the posterior
    carries nothing that generalises), ``t < 1`` softens an overconfident
    posterior, ``t > 1`` sharpens an underconfident one.

    Parameters
    ----------
    log_post : ndarray of shape (n_samples, n_classes)
        Held-out (out-of-fold) log-posteriors.
    y_index : ndarray of int of shape (n_samples,)
    log_prior : ndarray of shape (n_classes,)

    Returns
    -------
    float
    """
    rows = np.arange(y_index.size)
    lift = log_post - log_prior

    def loss(t):
        return -log_softmax(t * lift + log_prior, axis=1)[rows, y_index].mean()

    result = minimize_scalar(
        loss, bounds=(0.0, MAX_EXPONENT), method="bounded", options={"xatol": 1e-6}
    )
    # the bounded search never evaluates the end points: t = 0 when it wins
    return 0.0 if loss(0.0) <= result.fun else float(result.x)


def temper(log_post, exponents, log_prior):
    """``log p_t(y|x)`` of each of a stack of log-posteriors.

    Parameters
    ----------
    log_post : ndarray of shape (n_models, n_samples, n_classes)
    exponents : ndarray of shape (n_models,)
    log_prior : ndarray of shape (n_classes,)

    Returns
    -------
    ndarray of the shape of ``log_post``
    """
    t = np.asarray(exponents, dtype=float)[:, None, None]
    return log_softmax(t * (log_post - log_prior) + log_prior, axis=-1)


def log_mean(logs, axis=0):
    """``log mean exp`` of log-values along ``axis`` (averages of fold models)."""
    return logsumexp(logs, axis=axis) - math.log(np.shape(logs)[axis])


def row_hashes(X1, X2):
    """One 64-bit hash per sample of two modalities (equal rows, equal hashes)."""
    frame = pd.DataFrame(np.hstack([X1, X2]))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


class OutOfFold:
    """The out-of-fold values of the distinct fitting rows, looked up by hash.

    Identical fitting rows (same 64-bit hash) share the average, in log space,
    of their out-of-fold values.

    Parameters
    ----------
    X1, X2 : ndarray
        The fitting samples' modalities.
    log_post : ndarray of shape (3, n_samples, n_classes)
    log_dens : ndarray of shape (2, n_samples)

    Attributes
    ----------
    rows : pandas.Index
        The distinct row hashes.
    log_post : ndarray of shape (3, n_distinct, n_classes)
    log_dens : ndarray of shape (2, n_distinct)
    """

    def __init__(self, X1, X2, log_post, log_dens):
        codes, uniques = pd.factorize(row_hashes(X1, X2))
        log_counts = np.log(np.bincount(codes))
        self.rows = pd.Index(uniques)
        self.log_post = np.full((3, uniques.size, log_post.shape[2]), -np.inf)
        np.logaddexp.at(self.log_post, (slice(None), codes), log_post)
        self.log_post -= log_counts[:, None]
        self.log_dens = np.full((2, uniques.size), -np.inf)
        np.logaddexp.at(self.log_dens, (slice(None), codes), log_dens)
        self.log_dens -= log_counts

    def lookup(self, X1, X2):
        """Index of each row among the fitting rows (-1: a new row)."""
        if not X1.shape[0]:
            return np.empty(0, dtype=np.intp)
        return self.rows.get_indexer(row_hashes(X1, X2))
