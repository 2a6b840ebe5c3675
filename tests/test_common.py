"""scikit-learn's estimator checks on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_pid import PIDCVX

# The checks use arrays of 1 to 10+ continuous columns: column 0 is modality 1,
# the rest modality 2, binned per column (their joint bins are the states).
ESTIMATORS = [PIDCVX(modalities=1, discretizer="quantile", n_bins=3, random_state=0)]

EXPECTED_FAILURES = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
