"""scikit-learn's estimator checks on every public estimator.

The estimators are the registry's (tests/estimators.py), with the extra
training that the checks need (``SKLEARN_CHECKS_SETTINGS``).
"""

from estimators import for_sklearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

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


@parametrize_with_checks(
    for_sklearn_checks(), expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
