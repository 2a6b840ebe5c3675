"""Torch modules and the scikit-learn estimators that train them through skorch.

:class:`MLPPosterior` is the default class posterior ``p(y | x)`` and
:class:`KNIFEDensity` the default density ``p(x)`` of the neural estimators.
Both can be used alone, and both can be replaced by any scikit-learn estimator
with ``predict_proba`` (posteriors) or ``score_samples`` (densities).
"""

from ._knife import KNIFE, KNIFEDensity, NegativeLogLikelihood
from ._mlp import MLP, MLPPosterior

__all__ = ["KNIFE", "KNIFEDensity", "MLP", "MLPPosterior", "NegativeLogLikelihood"]
