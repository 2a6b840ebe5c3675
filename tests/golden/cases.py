"""Reference cases of the bit-for-bit comparison test (tests/test_golden.py).

``python -m tests.golden.cases --overwrite`` rewrites ``values.npz`` (the
default suite's small cases) and ``demo.csv`` (the full demo, slow): only for a
deliberate change of the numbers, said so in the commit. The stored files were made
from ``main`` at commit 1efc497, before the estimators were moved onto one base
class; the test keeps every later refactoring honest: same ``random_state``,
same numbers, bit for bit, on the CPU.
"""

from pathlib import Path

import numpy as np

from sklearn_pid import (
    PIDCVX,
    DMIClassifier,
    EnsembleFusionClassifier,
    JointFusionClassifier,
    LSMIEstimator,
    PIDBatch,
)
from sklearn_pid.datasets import (
    load_digits_halves,
    make_bitwise,
    make_boolean_mixture,
    make_gaussian_mixture,
    make_gaussian_modalities,
)

HERE = Path(__file__).parent
N_ROWS = 100  # rows of X whose per-sample outputs are stored
SMALL_DMI = {"encoder_hidden_sizes": (16,), "embedding_dim": 8, "batch_size": 64}


def cases():
    """Yield ``(name, estimator, X, y)``: the demo's estimators on small data."""
    X, y = make_bitwise("and", 2000, random_state=0)
    yield "pidcvx_and", PIDCVX(discretizer="discrete", random_state=0), X, y
    X, y = make_gaussian_mixture(5000, random_state=0)
    yield (
        "pidcvx_gmm",
        PIDCVX(discretizer="uniform", n_bins=12, bin_range=(-5, 5), random_state=0),
        X,
        y,
    )
    Xd, yd = load_digits_halves()
    yield (
        "pidcvx_digits",
        PIDCVX(modalities=32, discretizer="kmeans", n_clusters=8, random_state=0),
        Xd,
        yd,
    )
    X, y = make_gaussian_mixture(1500, random_state=0)
    yield (
        "pidbatch_gmm",
        PIDBatch(max_epochs=2, classifier_max_epochs=20, random_state=0),
        X,
        y,
    )
    X, y = make_gaussian_modalities(600, rho=0.5, random_state=0)
    yield (
        "lsmi_cv",
        LSMIEstimator(modalities=2, max_epochs=20, cv=2, random_state=0),
        X,
        y,
    )
    yield (
        "lsmi_nocv",
        LSMIEstimator(modalities=2, max_epochs=20, cv=None, random_state=0),
        X,
        y,
    )
    X, y = make_boolean_mixture("and+xor", 800, random_state=0)
    yield (
        "dmi_mixture",
        DMIClassifier(
            modalities=16,
            warmup_epochs=2,
            decomposition_epochs=2,
            finetune_epochs=3,
            random_state=0,
            **SMALL_DMI,
        ),
        X,
        y,
    )
    yield (
        "joint_mixture",
        JointFusionClassifier(modalities=16, max_epochs=4, random_state=0, **SMALL_DMI),
        X,
        y,
    )
    yield (
        "ensemble_mixture",
        EnsembleFusionClassifier(
            modalities=16, max_epochs=4, random_state=0, **SMALL_DMI
        ),
        X,
        y,
    )


def outputs(name, estimator, X, y):
    """Every output of a fitted estimator that the refactoring must keep."""
    est = estimator.fit(X, y)
    Xs, ys = X[:N_ROWS], y[:N_ROWS]
    out = {}
    if hasattr(est, "decomposition_"):
        out["decomposition"] = est.decomposition_.to_numpy()
        out["mi"] = np.array([est.mi_1_, est.mi_2_, est.mi_joint_])
        out["transform"] = est.transform(Xs)
        out["interactions"] = est.interactions(Xs, ys).to_numpy()
    if hasattr(est, "predict_proba"):
        out["predict_proba"] = est.predict_proba(Xs)
        out["predict"] = est.predict(Xs)
    out["score"] = np.array(est.score(Xs, ys))
    return {f"{name}/{key}": value for key, value in out.items()}


def compute():
    values = {}
    for name, estimator, X, y in cases():
        values.update(outputs(name, estimator, X, y))
    return values


if __name__ == "__main__":
    import sys
    import warnings

    from sklearn_pid.demo import demo_table, interval_columns

    if sys.argv[1:] != ["--overwrite"]:
        sys.exit("This rewrites the stored reference values; pass --overwrite.")
    warnings.simplefilter("ignore")
    np.savez(HERE / "values.npz", **compute())
    # the point estimates; the demo's bootstrap intervals are not stored
    demo_table(seed=0).drop(columns=["seconds", *interval_columns()]).to_csv(
        HERE / "demo.csv", float_format="%.17g"
    )
