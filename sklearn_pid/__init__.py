"""sklearn-pid: redundancy, uniqueness and synergy of two modalities.

Partial information decomposition (PID) estimators with the scikit-learn API.
"""

from ._broja import SolverError
from ._tables import broja_decomposition
from .batch import PIDBatch
from .cvx import PIDCVX
from .dmi import DMIClassifier, EnsembleFusionClassifier, JointFusionClassifier
from .lsmi import LSMIEstimator

__version__ = "0.1.0.dev0"

__all__ = [
    "DMIClassifier",
    "EnsembleFusionClassifier",
    "JointFusionClassifier",
    "LSMIEstimator",
    "PIDBatch",
    "PIDCVX",
    "SolverError",
    "broja_decomposition",
    "__version__",
]
