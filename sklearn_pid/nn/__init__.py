"""Torch modules and the scikit-learn estimators that train them through skorch.

:class:`MLPPosterior` is the default class posterior ``p(y | x)`` and
:class:`KNIFEDensity` the default density ``p(x)`` of the neural estimators.
Both can be used alone, and both can be replaced by any scikit-learn estimator
with ``predict_proba`` (posteriors) or ``score_samples`` (densities).

The names are loaded on first use (PEP 562), so that the estimators can use
the torch-free parts of this package without importing torch.
"""

import importlib

#: The public names and the submodule defining each.
_MODULES = {
    "KNIFE": "._knife",
    "KNIFEDensity": "._knife",
    "NegativeLogLikelihood": "._knife",
    "MLP": "._mlp",
    "MLPPosterior": "._mlp",
}

__all__ = sorted(_MODULES)


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULES[name], __name__), name)


def __dir__():
    return sorted(list(globals()) + __all__)
