"""What the estimators need from the nets before a fit, without importing torch.

``import sklearn_pid`` does not import torch (seconds): the estimators import
this module at import time and the torch modules (:mod:`._train` and the
networks) inside the methods that train or run a net.
"""

import contextlib
import contextvars

import numpy as np
from sklearn.utils import check_random_state

#: Kernel covariance structures of KNIFE (as ``sklearn.mixture.GaussianMixture``).
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

#: Training stages of :class:`~sklearn_pid.nn._dmi_modules.DMIModule`, in order.
STAGES = ("warmup", "decomposition", "finetune")

#: Label of the progress bars of the nets trained in the current context.
_PROGRESS_LABEL = contextvars.ContextVar("progress_label", default=None)


def draw_seed(random_state):
    """An int seed drawn from ``random_state`` (int, RandomState or None)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def progress_label(label):
    """Label the progress bars of the nets trained in the block.

    An estimator that fits other estimators (the posteriors and densities of
    :class:`~sklearn_pid.LSMIEstimator`) says here what each one is, e.g.
    ``"LSMIEstimator fold 2/5 posterior p(y|x1)"``; see
    :func:`~sklearn_pid.nn._train.training_setup`.

    Parameters
    ----------
    label : str
    """
    token = _PROGRESS_LABEL.set(label)
    try:
        yield
    finally:
        _PROGRESS_LABEL.reset(token)


def current_progress_label(default):
    """The label set by the innermost :func:`progress_label`, else ``default``."""
    return _PROGRESS_LABEL.get() or default
