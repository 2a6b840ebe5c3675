"""The three class posteriors p(y|x1), p(y|x2), p(y|x1,x2) of the neural estimators.

Shared by :class:`~sklearn_pid.LSMIEstimator` and :class:`~sklearn_pid.PIDBatch`:
each posterior is a clone of a user classifier with ``predict_proba``, or by
default an :class:`~sklearn_pid.nn.MLPPosterior`. Classifiers are fitted on the
encoded labels ``0 .. n_classes-1`` so that their columns line up.
"""

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.utils._param_validation import HasMethods

from ._groups import shared_fit, shared_result
from .nn._common import draw_seed, progress_label

#: Names of the posteriors, in the order of :func:`fit_posteriors`' output.
POSTERIORS = ("classifier_1", "classifier_2", "classifier_joint")

#: What each posterior models, for the progress bars.
TARGETS = ("p(y|x1)", "p(y|x2)", "p(y|x1,x2)")

#: Parameter constraints of the user posteriors.
POSTERIOR_CONSTRAINTS = {
    name: [None, HasMethods(["fit", "predict_proba"])] for name in POSTERIORS
}


def check_classifiers(estimator):
    """Raise unless each user posterior is a classifier with ``predict_proba``."""
    for name in POSTERIORS:
        clf = getattr(estimator, name)
        if clf is not None and not (
            is_classifier(clf) and hasattr(clf, "predict_proba")
        ):
            raise TypeError(
                f"{name} must be a scikit-learn classifier with fit and "
                f"predict_proba (or None for the default MLP); got {clf!r}."
            )


def fit_posteriors(
    estimator, default, X1, X2, y_index, random_state, label, stack=False
):
    """Fit the three posteriors.

    Parameters
    ----------
    estimator : estimator
        Provides ``classifier_1``, ``classifier_2``, ``classifier_joint``
        (each None or a classifier template, cloned here).
    default : MLPPosterior
        Template used where the estimator's classifier is None (cloned).
    X1 : ndarray of shape (n_samples, n_features_1)
    X2 : ndarray of shape (n_samples, n_features_2)
    y_index : ndarray of int of shape (n_samples,)
        Labels encoded as ``0 .. n_classes-1``.
    random_state : RandomState
        Seeds each default posterior and torch's generator during each fit.
    label : str
        What is fitted, the start of the progress bars' labels (e.g.
        ``"LSMIEstimator fold 2/5"``).
    stack : bool, default=False
        Fit the default posteriors together as one stacked network
        (:func:`~sklearn_pid.nn._mlp.fit_stacked`, with the first of their
        seeds): the same kind of networks on one validation split and batch
        order, a step of the three costing about 1.5 times a step of one.

    Returns
    -------
    list of 3 fitted classifiers
        For ``x1``, ``x2`` and ``[x1, x2]``.
    """
    seeds = [draw_seed(random_state) for _ in POSTERIORS]
    inputs = (X1, X2, joint_input(X1, X2))
    return fit_seeded_posteriors(
        estimator, default, inputs, y_index, seeds, label, stack=stack
    )


def fit_common_posteriors(
    estimator, default, X1, X2, y_index, seed, label, joint_columns=None
):
    """Fit the three posteriors with one seed (common random numbers).

    As :func:`fit_posteriors`, but the three posteriors share ``seed`` (the
    initial weights, validation split and batch order of the default
    posteriors; torch's generator during every fit), and the joint posterior
    may see a subset of the columns of ``x2`` (see :func:`distinct_columns`).
    Identical inputs then give identical posteriors, and the seed-to-seed
    noise of the three is positively correlated, so that it partly cancels
    from their differences (the atoms).

    Parameters
    ----------
    estimator, default, X1, X2, y_index, label
        As in :func:`fit_posteriors`.
    seed : int
    joint_columns : ndarray of int or None, default=None
        Columns of ``X2`` given to the joint posterior beside all of ``X1``'s
        (None: all).

    Returns
    -------
    list of 3 fitted classifiers
        For ``x1``, ``x2`` and ``[x1, x2[:, joint_columns]]``.
    """
    inputs = (X1, X2, joint_input(X1, X2, joint_columns))
    return fit_seeded_posteriors(
        estimator, default, inputs, y_index, (seed,) * 3, label
    )


def fit_seeded_posteriors(
    estimator, default, inputs, y_index, seeds, label, stack=False
):
    """Fit the three posteriors on the given inputs with the given seeds.

    Parameters
    ----------
    estimator, default, y_index, label, stack
        As in :func:`fit_posteriors`.
    inputs : sequence of 3 ndarray
        The inputs of the posteriors of ``x1``, ``x2`` and the joint one.
    seeds : sequence of 3 int
        The ``random_state`` of each default posterior, and the seed of
        torch's generator during each fit.

    Returns
    -------
    list of 3 fitted classifiers
        With three or more modalities (:mod:`sklearn_pid._groups`), the
        posterior of a modality on a training set is fitted once, by the
        first pair that needs it (with that pair's seed), and shared.
    """
    templates = [
        default if getattr(estimator, name) is None else getattr(estimator, name)
        for name in POSTERIORS
    ]
    # p(y|x_m): once per modality and training set with 3+ modalities
    keys = [("posterior", t, X, y_index) for t, X in zip(templates[:2], inputs)]
    fitted = [shared_result(estimator, key) for key in keys] + [None]
    together = [k for k in range(3) if fitted[k] is None and templates[k] is default]
    if stack and len(together) > 1:
        for k, clf in zip(
            together, _fit_together(default, inputs, y_index, seeds, label, together)
        ):
            fitted[k] = clf
    for k in range(3):
        if fitted[k] is None:
            fitted[k] = _fit_one(
                templates[k],
                default,
                inputs[k],
                y_index,
                seeds[k],
                f"{label} posterior {TARGETS[k]}",
            )
    for key, clf in zip(keys, fitted):
        shared_fit(estimator, key, lambda clf=clf: clf)
    return fitted


def _fit_one(template, default, X, y_index, seed, label):
    """Fit a clone of ``template`` (seeded by ``seed`` when it is ``default``)."""
    from .nn._train import torch_seed

    clf = clone(template)
    if template is default:
        clf.set_params(random_state=seed)
    with torch_seed(seed), progress_label(label):
        return clf.fit(X, y_index)


def _fit_together(default, inputs, y_index, seeds, label, which):
    """Fit clones of ``default`` on ``inputs[k]`` for ``k in which`` as one stack."""
    from .nn._mlp import fit_stacked
    from .nn._train import torch_seed

    seed = seeds[which[0]]
    targets = ", ".join(TARGETS[k] for k in which)
    clones = [clone(default).set_params(random_state=seed) for _ in which]
    with torch_seed(seed), progress_label(f"{label} posteriors {targets}"):
        return fit_stacked(clones, [inputs[k] for k in which], y_index)


def joint_input(X1, X2, joint_columns=None):
    """The input of the joint posterior: ``[X1, X2[:, joint_columns]]``.

    Parameters
    ----------
    X1, X2 : ndarray
    joint_columns : ndarray of int or None, default=None
        None: all the columns of ``X2``.

    Returns
    -------
    ndarray of shape (n_samples, n_features_1 + len(joint_columns))
    """
    if joint_columns is not None:
        X2 = X2[:, joint_columns]
    return np.hstack([X1, X2])


def distinct_columns(X1, X2):
    """The columns of ``X2`` that equal no column of ``X1``.

    A column of ``x2`` equal to one of ``x1`` (on every given row) adds
    nothing to ``[x1, x2]`` but changes how a network fits it (a duplicated
    input is learnt at twice the rate by a linear first layer); when ``x2``
    is ``x1``, none is left and the joint posterior sees ``x1`` alone.

    Parameters
    ----------
    X1 : ndarray of shape (n_samples, n_features_1)
    X2 : ndarray of shape (n_samples, n_features_2)

    Returns
    -------
    ndarray of int
        Indices of the kept columns of ``X2``, in order.
    """
    hashes = [
        pd.util.hash_pandas_object(pd.DataFrame(X.T), index=False).to_numpy()
        for X in (X1, X2)
    ]
    keep = [
        j
        for j, h in enumerate(hashes[1])
        if not any(
            np.array_equal(X1[:, k], X2[:, j]) for k in np.flatnonzero(hashes[0] == h)
        )
    ]
    return np.asarray(keep, dtype=np.intp)


def log_posteriors(classifiers, X1, X2, n_classes):
    """``log p(y | x)`` of the three posteriors.

    Parameters
    ----------
    classifiers : list of 3 fitted classifiers
        From :func:`fit_posteriors`.
    X1, X2 : ndarray
        The two modalities of the same samples.
    n_classes : int

    Returns
    -------
    ndarray of shape (3, n_samples, n_classes)
        ``-inf`` in the columns of classes a classifier never saw.
    """
    return log_posteriors_of(classifiers, (X1, X2, joint_input(X1, X2)), n_classes)


def log_posteriors_of(classifiers, inputs, n_classes):
    """``log p(y | x)`` of the three posteriors on the given inputs.

    Parameters
    ----------
    classifiers : list of 3 fitted classifiers
    inputs : sequence of 3 ndarray
        The inputs of the posteriors of ``x1``, ``x2`` and the joint one
        (e.g. the joint one from :func:`joint_input`).
    n_classes : int

    Returns
    -------
    ndarray of shape (3, n_samples, n_classes)
        ``-inf`` in the columns of classes a classifier never saw.
    """
    out = np.full((3, inputs[0].shape[0], n_classes), -np.inf)
    for k, (clf, X) in enumerate(zip(classifiers, inputs)):
        if hasattr(clf, "predict_log_proba"):
            log_proba = clf.predict_log_proba(X)
        else:
            with np.errstate(divide="ignore"):
                log_proba = np.log(clf.predict_proba(X))
        out[k][:, np.asarray(clf.classes_, dtype=int)] = log_proba
    return out
