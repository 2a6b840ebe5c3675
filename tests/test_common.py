"""scikit-learn's estimator checks on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_pid import (
    PIDCVX,
    DMIClassifier,
    EnsembleFusionClassifier,
    JointFusionClassifier,
    LSMIEstimator,
    PIDBatch,
)
from sklearn_pid.nn import KNIFEDensity, MLPPosterior

# The checks use arrays of 1 to 10+ continuous columns: column 0 is modality 1,
# the rest modality 2. Small training budgets keep them fast; MLPPosterior
# needs enough epochs to pass the accuracy check of check_classifiers_train.
ESTIMATORS = [
    PIDCVX(modalities=1, discretizer="quantile", n_bins=3, random_state=0),
    LSMIEstimator(modalities=1, max_epochs=3, cv=2, random_state=0),
    PIDBatch(
        modalities=1,
        classifier_hidden_sizes=(8,),
        classifier_max_epochs=3,
        hidden_dim=8,
        max_epochs=2,
        batch_size=64,
        random_state=0,
    ),
    MLPPosterior(max_epochs=100, random_state=0),
    KNIFEDensity(n_kernels=2, max_epochs=3, random_state=0),
    # The fusion classifiers: small networks, batches of 32.
    DMIClassifier(
        modalities=1,
        hidden_sizes=(16,),
        embedding_dim=8,
        latent_dim=4,
        head_hidden=16,
        warmup_epochs=1,
        decomposition_epochs=1,
        finetune_epochs=12,
        batch_size=32,
        random_state=0,
    ),
    JointFusionClassifier(
        modalities=1,
        hidden_sizes=(16,),
        embedding_dim=8,
        head_hidden=16,
        max_epochs=10,
        batch_size=32,
        random_state=0,
    ),
    EnsembleFusionClassifier(
        modalities=1,
        hidden_sizes=(16,),
        embedding_dim=8,
        max_epochs=10,
        batch_size=32,
        random_state=0,
    ),
]

EXPECTED_FAILURES = {
    "PIDBatch": {
        "check_methods_subset_invariance": (
            "a sample's values are defined by its coupling with the other samples "
            "passed with it (its batch), so a subset of X is coupled differently"
        ),
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
