"""``import sklearn_pid`` stays light: torch and skorch load only when a neural
estimator is fitted or unpickled. Each check runs in a fresh interpreter, since
this test session has imported torch already."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sklearn_pid import DMIClassifier, LSMIEstimator, PIDBatch
from sklearn_pid.datasets import make_gaussian_modalities


def run_python(code, *args):
    """Run ``code`` in a fresh interpreter; fail with its stderr if it fails."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_does_not_load_torch():
    run_python(
        """
        import sys
        import sklearn_pid
        assert "torch" not in sys.modules and "skorch" not in sys.modules
        assert "sklearn" not in sys.modules  # the estimators load on first use
        assert sklearn_pid.__version__
        """
    )


def test_estimators_load_torch_only_to_fit():
    run_python(
        """
        import sys
        from sklearn_pid import (
            PIDCVX, DMIClassifier, EnsembleFusionClassifier, JointFusionClassifier,
            LSMIEstimator, PIDBatch, SolverError, broja_decomposition,
        )
        from sklearn_pid.dmi import JointFusionClassifier
        import sklearn_pid.__main__, sklearn_pid.datasets, sklearn_pid.metrics
        import sklearn_pid.nn
        from sklearn_pid.datasets import make_bitwise

        X, y = make_bitwise("and", 200, random_state=0)
        PIDCVX(discretizer="discrete").fit(X, y)
        LSMIEstimator(); PIDBatch(); DMIClassifier().get_params()
        assert "torch" not in sys.modules and "skorch" not in sys.modules
        """
    )


def test_lazy_names():
    import sklearn_pid
    import sklearn_pid.nn
    from sklearn_pid.nn import KNIFE, MLP, KNIFEDensity, MLPPosterior  # noqa: F401

    assert set(sklearn_pid.__all__) <= set(dir(sklearn_pid))
    assert set(sklearn_pid.nn.__all__) <= set(dir(sklearn_pid.nn))
    assert sklearn_pid.nn.MLPPosterior is MLPPosterior
    for module in (sklearn_pid, sklearn_pid.nn):
        with pytest.raises(AttributeError, match="no attribute 'missing'"):
            module.missing  # noqa: B018


def test_fitted_estimators_unpickle_in_a_fresh_process(tmp_path):
    """Unpickling imports torch by itself (the nets' classes) and predicts."""
    X, y = make_gaussian_modalities(300, rho=0.5, random_state=0)
    estimators = [
        PIDBatch(modalities=2, max_epochs=1, classifier_max_epochs=5, random_state=0),
        LSMIEstimator(modalities=2, max_epochs=5, cv=2, random_state=0),
        DMIClassifier(
            modalities=2,
            warmup_epochs=1,
            decomposition_epochs=1,
            finetune_epochs=1,
            random_state=0,
        ),
    ]
    fitted = [est.fit(X, y) for est in estimators]
    path = tmp_path / "fitted.pkl"
    path.write_bytes(pickle.dumps((fitted, X)))
    expected = np.stack([est.predict_proba(X) for est in fitted])
    np.save(tmp_path / "expected.npy", expected)
    run_python(
        """
        import pickle, sys
        import numpy as np
        import sklearn_pid
        assert "torch" not in sys.modules
        with open(sys.argv[1], "rb") as f:
            fitted, X = pickle.load(f)
        assert "torch" in sys.modules
        proba = np.stack([est.predict_proba(X) for est in fitted])
        np.testing.assert_array_equal(proba, np.load(sys.argv[2]))
        assert all(len(est.predict(X)) == len(X) for est in fitted)
        """,
        path,
        tmp_path / "expected.npy",
    )
