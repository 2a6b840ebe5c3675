"""The three class posteriors p(y|x1), p(y|x2), p(y|x1,x2) of the neural estimators.

Shared by :class:`~sklearn_pid.LSMIEstimator` and :class:`~sklearn_pid.PIDBatch`:
each posterior is a clone of a user classifier with ``predict_proba``, or by
default an :class:`~sklearn_pid.nn.MLPPosterior`. Classifiers are fitted on the
encoded labels ``0 .. n_classes-1`` so that their columns line up.
"""

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils._param_validation import HasMethods

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


def fit_posteriors(estimator, default, X1, X2, y_index, random_state, label):
    """Fit the three posteriors.

    Parameters
    ----------
    estimator : estimator
        Provides ``classifier_1``, ``classifier_2``, ``classifier_joint``
        (each None or a classifier template, cloned here).
    default : classifier
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

    Returns
    -------
    list of 3 fitted classifiers
        For ``x1``, ``x2`` and ``[x1, x2]``.
    """
    from .nn._train import torch_seed

    fitted = []
    for name, target, X in zip(POSTERIORS, TARGETS, (X1, X2, np.hstack([X1, X2]))):
        template = getattr(estimator, name)
        seed = draw_seed(random_state)
        if template is None:
            clf = clone(default).set_params(random_state=seed)
        else:
            clf = clone(template)
        with torch_seed(seed), progress_label(f"{label} posterior {target}"):
            fitted.append(clf.fit(X, y_index))
    return fitted


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
    out = np.full((3, X1.shape[0], n_classes), -np.inf)
    for k, (clf, X) in enumerate(zip(classifiers, (X1, X2, np.hstack([X1, X2])))):
        if hasattr(clf, "predict_log_proba"):
            log_proba = clf.predict_log_proba(X)
        else:
            with np.errstate(divide="ignore"):
                log_proba = np.log(clf.predict_proba(X))
        out[k][:, np.asarray(clf.classes_, dtype=int)] = log_proba
    return out
