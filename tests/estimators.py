"""The one registry of cheap settings of every public estimator.

``modalities=1``: column 0 of ``X`` is modality 1, the other columns modality
2 (scikit-learn's checks use arrays of 1 to 10+ continuous columns). Small
networks and few epochs keep each fit well under a second; the numbers are
not meant to be good, only the contract to hold. Written with the current
parameter names (the deprecated ones appear only in the alias tests).

Use :func:`make` (a fresh clone) rather than the instances themselves.
Every renamed parameter (``RENAMED``) is set to a value other than its
default, so that the alias tests can tell which name was used.
"""

from sklearn.base import clone

from sklearn_pid import (
    PIDCVX,
    DMIClassifier,
    EnsembleFusionClassifier,
    JointFusionClassifier,
    LSMIEstimator,
    PIDBatch,
)
from sklearn_pid.nn import KNIFEDensity, MLPPosterior

#: name -> cheap, seeded estimator.
ESTIMATORS = {
    "PIDCVX": PIDCVX(modalities=1, discretizer="quantile", n_bins=3, random_state=0),
    "LSMIEstimator": LSMIEstimator(
        modalities=1,
        classifier_hidden_sizes=(8,),
        max_epochs=3,
        cv=2,
        random_state=0,
    ),
    "PIDBatch": PIDBatch(
        modalities=1,
        classifier_hidden_sizes=(8,),
        classifier_max_epochs=3,
        hidden_dim=8,
        embedding_dim=4,
        max_epochs=2,
        batch_size=64,
        random_state=0,
    ),
    "DMIClassifier": DMIClassifier(
        modalities=1,
        encoder_hidden_sizes=(8,),
        embedding_dim=4,
        latent_dim=2,
        head_hidden=8,
        warmup_epochs=1,
        decomposition_epochs=1,
        finetune_epochs=1,
        batch_size=32,
        n_init=1,  # one training: the contract, not the initialisations
        random_state=0,
    ),
    "JointFusionClassifier": JointFusionClassifier(
        modalities=1,
        encoder_hidden_sizes=(8,),
        embedding_dim=4,
        head_hidden=8,
        max_epochs=2,
        batch_size=32,
        random_state=0,
    ),
    "EnsembleFusionClassifier": EnsembleFusionClassifier(
        modalities=1,
        encoder_hidden_sizes=(8,),
        embedding_dim=4,
        max_epochs=2,
        batch_size=32,
        random_state=0,
    ),
    "MLPPosterior": MLPPosterior(hidden_sizes=(8,), max_epochs=3, random_state=0),
    "KNIFEDensity": KNIFEDensity(n_kernels=2, max_epochs=3, random_state=0),
}

#: What scikit-learn's checks (tests/test_common.py) need beyond the cheap
#: settings: check_classifiers_train wants an accuracy above 0.83 on its 2-D
#: blobs, which the classifiers reach only with more training (measured: the
#: cheap settings fail it for these four).
SKLEARN_CHECKS_SETTINGS = {
    "MLPPosterior": {"max_epochs": 100},
    "DMIClassifier": {
        "encoder_hidden_sizes": (16,),
        "embedding_dim": 8,
        "latent_dim": 4,
        "head_hidden": 16,
        "finetune_epochs": 12,
    },
    "JointFusionClassifier": {"max_epochs": 10},
    "EnsembleFusionClassifier": {"max_epochs": 10},
}

#: The estimators with the two-modality contract (``fit(X, y)`` validated by
#: ``MultimodalEstimator``), and subsets of them by what they provide.
MULTIMODAL = [n for n in ESTIMATORS if n not in ("MLPPosterior", "KNIFEDensity")]
#: ``transform``, ``interactions``, ``decomposition_``.
DECOMPOSITION = ["PIDCVX", "LSMIEstimator", "PIDBatch", "DMIClassifier"]
#: Dataset atoms that are the mean of ``interactions`` on the fitting data and
#: satisfy ``R + U1 = I(X1;Y)``, ``R + U2 = I(X2;Y)``, ``sum = I(X1,X2;Y)``.
INFORMATION = ["PIDCVX", "LSMIEstimator", "PIDBatch"]
#: ``predict_proba``.
PROBABILISTIC = [name for name in ESTIMATORS if name != "KNIFEDensity"]
#: Torch estimators: ``device`` parameter, ``device_`` attribute.
NEURAL = [name for name in ESTIMATORS if name != "PIDCVX"]
#: Parameters with layer widths, per estimator.
HIDDEN_SIZES = {
    "LSMIEstimator": "classifier_hidden_sizes",
    "PIDBatch": "classifier_hidden_sizes",
    "DMIClassifier": "encoder_hidden_sizes",
    "JointFusionClassifier": "encoder_hidden_sizes",
    "EnsembleFusionClassifier": "encoder_hidden_sizes",
    "MLPPosterior": "hidden_sizes",
}
#: Deprecated parameter names: estimator -> (old name, new name).
RENAMED = {
    "PIDBatch": ("embed_dim", "embedding_dim"),
    "LSMIEstimator": ("hidden_sizes", "classifier_hidden_sizes"),
    "DMIClassifier": ("hidden_sizes", "encoder_hidden_sizes"),
    "JointFusionClassifier": ("hidden_sizes", "encoder_hidden_sizes"),
    "EnsembleFusionClassifier": ("hidden_sizes", "encoder_hidden_sizes"),
}


def make(name, **params):
    """A fresh clone of the registry's ``name``, with ``params`` set."""
    return clone(ESTIMATORS[name]).set_params(**params)


def for_sklearn_checks():
    """Every estimator with the settings scikit-learn's checks need."""
    return [make(name, **SKLEARN_CHECKS_SETTINGS.get(name, {})) for name in ESTIMATORS]
