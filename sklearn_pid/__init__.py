"""sklearn-pid: redundancy, uniqueness and synergy of two modalities.

Partial information decomposition (PID) estimators with the scikit-learn API.

The names below are loaded on first use (PEP 562): ``import sklearn_pid``
imports neither scikit-learn nor torch, and torch is imported only when a
neural estimator is fitted or unpickled.
"""

import importlib

__version__ = "0.1.0.dev0"

#: The public names and the submodule defining each.
_MODULES = {
    "DMIClassifier": ".dmi",
    "EnsembleFusionClassifier": ".dmi",
    "JointFusionClassifier": ".dmi",
    "LSMIEstimator": ".lsmi",
    "PIDBatch": ".batch",
    "PIDCVX": ".cvx",
    "SolverError": "._broja",
    "broja_decomposition": "._tables",
}

#: Public submodules, also imported on first use (``sklearn_pid.cvx``).
_SUBMODULES = (
    "batch",
    "cvx",
    "datasets",
    "demo",
    "dmi",
    "inference",
    "lsmi",
    "metrics",
    "nn",
    "plotting",
)

__all__ = [*_MODULES, "__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULES[name], __name__), name)


def __dir__():
    return sorted(list(globals()) + __all__)
