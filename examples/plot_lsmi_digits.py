"""
Split a dataset by per-sample redundancy (LSMI on digits halves)
================================================================

Each 8x8 digit image is cut into two modalities, the top half and the bottom
half (:func:`sklearn_pid.datasets.load_digits_halves`).
:class:`sklearn_pid.LSMIEstimator` gives every *training* image its own
redundancy, uniqueness and synergy (out-of-fold, thanks to cross-fitting),
and pandas does the rest:

1. the mean interactions per digit: which digits can be read from either half
   (high redundancy) and which need both halves together (synergy);
2. the training set split at the median redundancy into a *high-redundancy*
   half (easy samples: either half of the image alone identifies the digit)
   and a *low-redundancy* half, plus a random half as the control; a
   classifier of the full image is trained on each and scored on the same
   held-out test images.

What to expect: the low-redundancy half holds the hard, ambiguous samples,
which carry most of what a classifier needs near its decision boundaries; the
high-redundancy half is made of easy samples. This is the kind of data
curation the per-sample values exist for. The numbers (bits) are estimates:
their quality is the quality of the fitted posteriors and densities
(``score`` reports the held-out bound on ``I(X1,X2;Y)``).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_pid import LSMIEstimator
from sklearn_pid.datasets import load_digits_halves

ATOMS = ["redundancy", "unique_1", "unique_2", "synergy"]


def make_classifier():
    """The downstream classifier trained on each half of the training set."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def run(seed=0, cv=5, max_epochs=200):
    """Fit LSMI on the training images, then split them by redundancy.

    Parameters
    ----------
    seed : int, default=0
        Seed of the train/test split, the estimator and the random half.
    cv : int or None, default=5
        Cross-fitting folds of the estimator.
    max_epochs : int, default=200
        Epoch budget of each network of the estimator.

    Returns
    -------
    per_digit : DataFrame
        Mean out-of-fold interactions (bits) of the training images, per digit.
    splits : DataFrame
        One row per training subset (``high redundancy``, ``low redundancy``,
        ``random half``, ``all``): its size, mean redundancy and the test
        accuracy of :func:`make_classifier` trained on it.
    info : dict
        ``score`` (held-out bound on I(X1,X2;Y), bits), ``seconds`` (fit).
    """
    X, y = load_digits_halves(as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.33, stratify=y, random_state=seed
    )
    est = LSMIEstimator(modalities=32, cv=cv, max_epochs=max_epochs, random_state=seed)
    start = time.perf_counter()
    est.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    values = est.interactions(X_train, y_train)  # out-of-fold, indexed like X
    per_digit = values.groupby(y_train).mean()
    per_digit.index.name = "digit"

    high = values.redundancy >= values.redundancy.median()
    rng = np.random.default_rng(seed)
    random_half = pd.Series(rng.permutation(len(values)) < high.sum(), values.index)
    subsets = {
        "high redundancy": high,
        "low redundancy": ~high,
        "random half": random_half,
        "all": pd.Series(True, values.index),
    }
    rows = []
    for name, mask in subsets.items():
        clf = make_classifier().fit(X_train[mask], y_train[mask])
        rows.append(
            {
                "subset": name,
                "n_train": int(mask.sum()),
                "mean redundancy": values.redundancy[mask].mean(),
                "test accuracy": clf.score(X_test, y_test),
            }
        )
    splits = pd.DataFrame(rows).set_index("subset")
    info = {"score": est.score(X_test, y_test), "seconds": seconds}
    return per_digit, splits, info


def plot(per_digit, splits, path):
    """Stacked per-digit interactions and the accuracy per subset, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    per_digit[ATOMS].plot.bar(stacked=True, ax=left, width=0.8)
    left.set_ylabel("mean per-sample value (bits)")
    left.set_title("LSMI interactions per digit (top vs bottom half)")
    splits["test accuracy"].plot.bar(ax=right, color="tab:gray")
    right.set_ylim(0.8, 1.0)
    right.set_ylabel("test accuracy")
    right.set_title("classifier trained on each subset")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description="LSMI on digits halves.")
    parser.add_argument("--out", default="lsmi_digits.png", help="PNG to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cv", type=int, default=5)
    args = parser.parse_args(argv)
    per_digit, splits, info = run(seed=args.seed, cv=args.cv)
    with pd.option_context("display.float_format", "{:.3f}".format):
        print("Mean out-of-fold interactions per digit (bits):")
        print(per_digit)
        print("\nTraining subsets and test accuracy:")
        print(splits)
    print(
        f"\nheld-out bound on I(X1,X2;Y): {info['score']:.3f} bits "
        f"(fit: {info['seconds']:.1f} s)"
    )
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib).")
        return 0
    print(f"plot: {plot(per_digit, splits, Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
