"""
Tuning DMIClassifier's KL weight and stage lengths with GridSearchCV
=====================================================================

:class:`sklearn_pid.dmi.DMIClassifier` trains in three stages: a warm-up of
the modality encoders with unimodal heads, a decomposition stage with the
encoders frozen, and a joint fine-tuning stage. Its hyperparameters are flat
constructor parameters, so scikit-learn's :class:`~sklearn.model_selection.GridSearchCV`
tunes them like any other estimator's. This example searches

* ``beta``, the weight of the KL term that pulls the variational latents
  towards ``N(0, I)`` (larger: more compressed, noisier latents), and
* the stage schedule, at a fixed budget of 20 epochs: the paper's
  ``5 + 5 + 10`` (warm-up, decomposition, fine-tuning) against a short
  warm-up ``2 + 2 + 16``,

on the digits split into top and bottom halves
(:func:`sklearn_pid.datasets.load_digits_halves`, ``modalities=32``). Each
stage schedule is one dict of the grid, so that only the listed
combinations are tried. The search scores by accuracy (DMIClassifier's
``score``), refits the best candidate on the whole training split, and the
script reports its held-out accuracy and the shares of redundancy, uniqueness
and synergy it found (``interaction_proportions_``).

Run it with ``python examples/plot_dmi_gridsearch.py [--out FILE.png]``: it
prints the table of candidates and, with ``--out`` and matplotlib, saves a bar
chart of their cross-validated accuracy. It takes under a minute on one CPU
core.
"""

import argparse
import sys

import pandas as pd
from sklearn.model_selection import GridSearchCV, train_test_split

from sklearn_pid.datasets import load_digits_halves
from sklearn_pid.dmi import DMIClassifier

#: KL weights tried.
BETAS = (1e-3, 1e-1)

#: Stage schedules tried, (warm-up, decomposition, fine-tuning) epochs.
SCHEDULES = ((5, 5, 10), (2, 2, 16))


def make_grid(betas=BETAS, schedules=SCHEDULES):
    """One grid dict per stage schedule, each with every ``beta``."""
    return [
        {
            "beta": list(betas),
            "warmup_epochs": [warmup],
            "decomposition_epochs": [decomposition],
            "finetune_epochs": [finetune],
        }
        for warmup, decomposition, finetune in schedules
    ]


def run(betas=BETAS, schedules=SCHEDULES, cv=3, n_samples=None, seed=0):
    """Grid-search DMIClassifier on the digits halves.

    Parameters
    ----------
    betas : sequence of float
    schedules : sequence of (int, int, int)
        ``(warmup_epochs, decomposition_epochs, finetune_epochs)``.
    cv : int, default=3
        Folds of the search (stratified).
    n_samples : int or None, default=None
        Use only the first ``n_samples`` digits (all 1797 by default).
    seed : int, default=0
        Seed of the train/test split and of every fit.

    Returns
    -------
    table : pandas.DataFrame
        One row per candidate, best first: ``beta``, ``schedule``,
        ``mean_accuracy``, ``std_accuracy``, ``rank``.
    search : GridSearchCV
        The fitted search (``best_estimator_`` refitted on the training split).
    test_accuracy : float
        Accuracy of ``best_estimator_`` on the held-out 25 %.
    """
    X, y = load_digits_halves()
    if n_samples is not None:
        X, y = X[:n_samples], y[:n_samples]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    search = GridSearchCV(
        # one training per fit keeps the search fast; the default n_init=3
        # guards a single fit against a rare bad initialisation
        DMIClassifier(modalities=32, n_init=1, random_state=seed),
        make_grid(betas, schedules),
        cv=cv,
    )
    search.fit(X_train, y_train)
    results = pd.DataFrame(search.cv_results_)
    table = pd.DataFrame(
        {
            "beta": results["param_beta"].astype(float),
            "schedule": [
                f"{w} + {d} + {f}"
                for w, d, f in zip(
                    results["param_warmup_epochs"],
                    results["param_decomposition_epochs"],
                    results["param_finetune_epochs"],
                )
            ],
            "mean_accuracy": results["mean_test_score"],
            "std_accuracy": results["std_test_score"],
            "rank": results["rank_test_score"],
        }
    ).sort_values(["rank", "beta"], ignore_index=True)
    return table, search, search.score(X_test, y_test)


def plot(table, path):
    """Bar chart of the candidates' accuracy. False (nothing saved) without
    matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"beta={b:g}\n{s}" for b, s in zip(table["beta"], table["schedule"])]
    fig, ax = plt.subplots(figsize=(1.6 * len(table) + 2, 3.5))
    ax.bar(labels, table["mean_accuracy"], yerr=table["std_accuracy"], capsize=4)
    low = (table["mean_accuracy"] - table["std_accuracy"]).min()
    ax.set_ylim(max(0.0, low - 0.02), 1.0)
    ax.set_ylabel("cross-validated accuracy")
    ax.set_title("DMIClassifier on the digits halves")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=None):
    """Print the search table; save the plot with ``--out``. Returns 0."""
    # split("\n")[0], not splitlines()[0]: the docs' gallery (sphinx-gallery)
    # runs this script with __doc__ == "".
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n")[0])
    parser.add_argument("--out", help="PNG file for a bar chart (needs matplotlib)")
    parser.add_argument("--cv", type=int, default=3, help="folds (default: 3)")
    parser.add_argument(
        "--n-samples", type=int, default=None, help="use the first N digits"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one beta, one schedule of 1 + 1 + 2 epochs, 2 folds (a smoke run)",
    )
    args = parser.parse_args(argv)
    betas, schedules, cv = BETAS, SCHEDULES, args.cv
    if args.quick:
        betas, schedules, cv = (1e-3,), ((1, 1, 2),), 2
    table, search, test_accuracy = run(
        betas, schedules, cv=cv, n_samples=args.n_samples, seed=args.seed
    )
    print(f"GridSearchCV of DMIClassifier on the digits halves, {cv}-fold")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    best = search.best_params_
    print(
        f"best: beta={best['beta']:g}, schedule {best['warmup_epochs']} + "
        f"{best['decomposition_epochs']} + {best['finetune_epochs']}; "
        f"held-out accuracy {test_accuracy:.4f}"
    )
    shares = search.best_estimator_.interaction_proportions_
    print(
        "interaction proportions of the best model: "
        + ", ".join(f"{name} {value:.3f}" for name, value in shares.items())
    )
    if args.out:
        if plot(table, args.out):
            print(f"plot saved to {args.out}")
        else:
            print("matplotlib is not installed: no plot (pip install matplotlib)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
