"""
Choosing a fusion model by its PID agreement with the data (digits halves)
==========================================================================

The workflow of Liang et al. (NeurIPS 2023, §4.3-4.4), end to end, on the
8x8 digits cut into a top half and a bottom half
(:func:`sklearn_pid.datasets.load_digits_halves`, ``modalities=32``):

1. **quantify the dataset**: redundancy R, uniqueness U1 (top) and U2
   (bottom) and synergy S of the test images and their labels, and what
   :func:`sklearn_pid.metrics.recommend_fusion` advises for such data;
2. **train several models** on the training images: an early-fusion MLP
   (:class:`~sklearn_pid.dmi.JointFusionClassifier`), a late-fusion ensemble
   of two unimodal networks (:class:`~sklearn_pid.dmi.EnsembleFusionClassifier`),
   :class:`~sklearn_pid.dmi.DMIClassifier`, and two weak *unimodal* models
   (logistic regression on the top half only, on the bottom half only), the
   paper's "unimodal" family;
3. **quantify each model** on the test images with its own predictions,
   ``PID(x1, x2, model.predict(x))``
   (:func:`sklearn_pid.metrics.quantify_model`);
4. **rank the models by agreement** ``alpha`` (eq. 6 of the paper,
   :func:`sklearn_pid.metrics.pid_agreement`): the model's interactions
   weighted by the data's shares of them;
5. **compare that ranking with the test accuracy** (Spearman's rank
   correlation).

Everything is repeated on ``n_repeats`` stratified 50/50 splits, and the table
shows the means; the Spearman correlation of each split is printed too.

Which estimator quantifies
--------------------------
:class:`sklearn_pid.PIDCVX` with ``discretizer="kmeans", n_clusters=10`` (the
paper's recipe for real data: k-means states per modality, then the exact
convex solution). The labels decomposed for a *model* are its predictions,
discrete by nature, and the agreement compares BROJA atoms of the data with
BROJA atoms of the models, which PIDCVX gives exactly and cheaply (well under
a second per fit here). The clusters are fitted on the test images only, not
on the labels, with a fixed seed, so the dataset and every model are
decomposed over *the same* states: their rows differ only by the labels
(``y`` or ``y_hat``). :class:`sklearn_pid.LSMIEstimator`, which works on the
continuous halves, was not used: its dataset means are pointwise (LSMI)
atoms, not BROJA ones, its uniqueness can be negative (``pid_agreement``
clips only the data's atoms), its redundancy depends on densities of pixel
grey levels that sit on a lattice (see ``docs/lsmi.md``, Pitfalls), and it
would train ``5 x cv`` networks per model. The price of PIDCVX is the
discretisation (``docs/pidcvx.md``): 10 x 10 states and 10 classes for about
900 test images is a small-sample table, the plug-in ``I(X1,X2;Y)`` is
biased upwards (the script prints PIDCVX's ``plugin_bias_``, a pessimistic
figure when, as here, the labels are predictable from the states) and the
synergy with it. Since the dataset and the models share the same states and
sample size, the bias shifts all rows alike; read the absolute synergy with
care, the comparison less so.

What to expect
--------------
The data are mostly redundant, with both halves also carrying unique
information (bits, mean of 5 splits: R 0.95, U1 0.69, U2 0.82, S 0.24, shares
35 / 26 / 30 / 9 %), so ``recommend_fusion`` advises late fusion, by a small
margin over U2. The three multimodal models reach 93-96 % accuracy and
capture decompositions close to the data's, so their agreements lie within
0.01 bit of each other (0.771-0.777); the unimodal models (85 %) lose much
of the other half's unique information and agree clearly less (0.675 and
0.731). On the means over the splits the two rankings coincide (Spearman
+1.00), but on single splits Spearman ranges from +0.50 to +1.00: the big
split, every multimodal model above every unimodal one, holds on each of the
5 splits, while the multimodal model with the highest agreement changes from
split to split (DMI, late, early, early, late fusion) and early fusion is the
most accurate on all of them. With five models a rank correlation is only
indicative; agreement is a cheap filter, not a substitute for validation.
Note also that the predictions of the top-half model show *more* synergy
(0.29) than the labels, although they are a function of the top half alone:
they are a function of its pixels, not of its k-means state, and the pair of
states resolves them better than one state does (plus the plug-in bias).
Atoms are always relative to the discretisation.

Run it with ``python examples/plot_model_selection_digits.py [--out FILE.png]``:
it prints the table and saves a figure (stacked decompositions, agreement
against accuracy) when matplotlib is installed. With the defaults (5 splits,
20 epochs per network) it took 40-70 s on two shared CPU cores
(``OMP_NUM_THREADS=1``, 26-38 s of CPU time, depending on the other load),
about a third of it in the 30 PIDCVX fits and the rest mostly training.
"""

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, mutual_info_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_pid import PIDCVX
from sklearn_pid.datasets import load_digits_halves
from sklearn_pid.dmi import (
    DMIClassifier,
    EnsembleFusionClassifier,
    JointFusionClassifier,
)
from sklearn_pid.metrics import pid_agreement, quantify_model, recommend_fusion

ATOMS = ["redundancy", "unique_1", "unique_2", "synergy"]

#: Pixel columns of each half in ``load_digits_halves``.
TOP, BOTTOM = list(range(32)), list(range(32, 64))

#: Column order of the printed table.
COLUMNS = [
    *ATOMS,
    "total",
    "agreement",
    "rank_by_agreement",
    "test_accuracy",
    "rank_by_accuracy",
]


def make_models(seed=0, max_epochs=20):
    """The candidate models, by name.

    The three multimodal networks share encoders and budget (``max_epochs``
    epochs; DMI splits them 1/4 + 1/4 + 1/2 over its three stages, the
    paper's 5 + 5 + 10 for 20); the unimodal models are logistic regressions
    on one standardised half.
    """
    warmup = max(1, max_epochs // 4)
    decomposition = max(1, max_epochs // 4)
    finetune = max(1, max_epochs - warmup - decomposition)

    def unimodal(columns):
        return make_pipeline(
            ColumnTransformer([("half", StandardScaler(), columns)]),
            LogisticRegression(max_iter=2000),
        )

    return {
        "early fusion": JointFusionClassifier(
            modalities=32, max_epochs=max_epochs, random_state=seed
        ),
        "late fusion": EnsembleFusionClassifier(
            modalities=32, max_epochs=max_epochs, random_state=seed
        ),
        "DMI": DMIClassifier(
            modalities=32,
            warmup_epochs=warmup,
            decomposition_epochs=decomposition,
            finetune_epochs=finetune,
            n_init=1,  # one training, like the other models here (default 3)
            random_state=seed,
        ),
        "top half only": unimodal(TOP),
        "bottom half only": unimodal(BOTTOM),
    }


def make_estimator(seed=0, n_clusters=10):
    """The PID estimator that decomposes the data and every model."""
    return PIDCVX(
        modalities=32, discretizer="kmeans", n_clusters=n_clusters, random_state=seed
    )


def joint_information(fitted, X, labels):
    """Plug-in ``I(X1,X2; labels)`` in bits over ``fitted``'s states.

    Computed independently of the solver (scikit-learn's
    ``mutual_info_score`` on the pair of k-means states of each row), so
    ``R + U1 + U2 + S`` of a row can be checked against it.
    """
    X = np.asarray(X)
    states = [
        d.transform(X[:, columns])
        for d, columns in zip(fitted.discretizers_, fitted.modality_columns_)
    ]
    pair = states[0] * (states[1].max() + 1) + states[1]
    return mutual_info_score(pair, labels) / math.log(2)


def _quietly(function, *args):
    """Call ``function`` with PIDCVX's plug-in bias warning silenced (the
    script reports ``plugin_bias_`` itself)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The plug-in bias")
        return function(*args)


def _ranks(values):
    """1 for the largest value; ties share the best rank."""
    return values.rank(ascending=False, method="min").astype(int)


def run(seed=0, n_repeats=5, test_size=0.5, n_clusters=10, max_epochs=20):
    """Quantify the data and the models, rank by agreement, compare accuracy.

    Parameters
    ----------
    seed : int, default=0
        Split ``r`` (``r = 0 .. n_repeats - 1``) uses seed ``seed + r`` for
        the split, the k-means states and every model.
    n_repeats : int, default=5
        Number of stratified train/test splits.
    test_size : float, default=0.5
        Fraction of the 1797 images held out; the decompositions are computed
        on them.
    n_clusters : int, default=10
        k-means states per modality of :func:`make_estimator`.
    max_epochs : int, default=20
        Training epochs of each network of :func:`make_models`.

    Returns
    -------
    table : DataFrame
        One row per model (index ``model``), means over the splits: the four
        atoms of its predictions (bits), ``total`` (the plug-in
        ``I(X1,X2;Y_hat)`` over the same states, computed independently),
        ``agreement`` (``alpha``), ``test_accuracy``, and the ranks of the
        means (1 = highest). Sorted by agreement.
    info : dict
        ``dataset`` (Series: mean atoms and ``total`` of the test labels),
        ``recommendation`` (:class:`~sklearn_pid.metrics.FusionRecommendation`
        for ``dataset``), ``spearman`` (rank correlation of the mean agreement
        and mean accuracy), ``spearman_per_split`` (list), ``plugin_bias``
        (mean ``plugin_bias_`` of the dataset fits, bits), ``splits`` (long
        DataFrame: one row per split and row, dataset included),
        ``last_split`` (dict with ``X_test``, ``y_test``, the fitted
        ``models`` and the fitted dataset ``estimator`` of the last split),
        ``seconds``.
    """
    start = time.perf_counter()
    X, y = load_digits_halves()
    rows, biases = [], []
    for split in range(n_repeats):
        split_seed = seed + split
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=test_size, stratify=y, random_state=split_seed
        )
        estimator = make_estimator(split_seed, n_clusters)
        data = _quietly(clone(estimator).fit, X_test, y_test)
        biases.append(data.plugin_bias_)
        rows.append(
            {
                "split": split,
                "model": "dataset",
                **data.decomposition_,
                "total": joint_information(data, X_test, y_test),
            }
        )
        models = make_models(split_seed, max_epochs)
        for name, model in models.items():
            model.fit(X_train, y_train)
            captured = _quietly(quantify_model, model, X_test, estimator)
            predictions = model.predict(X_test)
            rows.append(
                {
                    "split": split,
                    "model": name,
                    **captured,
                    "total": joint_information(data, X_test, predictions),
                    "agreement": pid_agreement(data.decomposition_, captured)["total"],
                    "test_accuracy": accuracy_score(y_test, predictions),
                }
            )
    splits = pd.DataFrame(rows)
    is_model = splits["model"] != "dataset"
    means = splits.groupby("model", sort=False).mean(numeric_only=True)
    dataset = means.loc["dataset", [*ATOMS, "total"]].rename("dataset")
    table = means.drop(index="dataset").drop(columns="split")
    table["rank_by_agreement"] = _ranks(table["agreement"])
    table["rank_by_accuracy"] = _ranks(table["test_accuracy"])
    table = table[COLUMNS].sort_values("agreement", ascending=False)
    per_split = [
        float(spearmanr(group["agreement"], group["test_accuracy"]).statistic)
        for _, group in splits[is_model].groupby("split")
    ]
    info = {
        "dataset": dataset,
        "recommendation": recommend_fusion(dataset),
        "spearman": float(
            spearmanr(table["agreement"], table["test_accuracy"]).statistic
        ),
        "spearman_per_split": per_split,
        "plugin_bias": float(np.mean(biases)),
        "splits": splits,
        "last_split": {
            "X_test": X_test,
            "y_test": y_test,
            "models": models,
            "estimator": data,
        },
        "seconds": time.perf_counter() - start,
    }
    return table, info


def plot(table, dataset, spearman, path):
    """Stacked decompositions and agreement against accuracy, as a PNG.

    Returns False (nothing saved) without matplotlib, else ``path``.
    """
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_pid.plotting import plot_decompositions

    bars = pd.concat([dataset.to_frame().T, table])[ATOMS]
    bars.index = [str(name).replace(" ", "\n", 1) for name in bars.index]
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 2]}
    )
    plot_decompositions(
        bars, ax=left, title="PID of the test labels and of each model's predictions"
    )
    left.set_ylabel("bits")
    left.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    right.scatter(table["test_accuracy"], table["agreement"], color="tab:purple")
    by_accuracy = table.sort_values("test_accuracy")
    for k, (name, row) in enumerate(by_accuracy.iterrows()):
        right.annotate(  # labels alternately above and below: close points
            name,
            (row["test_accuracy"], row["agreement"]),
            textcoords="offset points",
            xytext=(-10, 7 if k % 2 else -13),
            fontsize="small",
        )
    right.set_xlabel("test accuracy")
    right.set_ylabel("PID agreement alpha (bits)")
    right.set_title(f"agreement vs accuracy (Spearman {spearman:+.2f})")
    right.margins(x=0.25, y=0.15)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    """Print the table and the recommendation; save the figure. Returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n")[0])
    parser.add_argument("--out", default="model_selection_digits.png", help="PNG")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-repeats", type=int, default=5, help="splits (5)")
    parser.add_argument("--n-clusters", type=int, default=10, help="k-means (10)")
    parser.add_argument("--max-epochs", type=int, default=20, help="per net (20)")
    args = parser.parse_args(argv)
    table, info = run(
        seed=args.seed,
        n_repeats=args.n_repeats,
        n_clusters=args.n_clusters,
        max_epochs=args.max_epochs,
    )
    with pd.option_context(
        "display.float_format", "{:.3f}".format, "display.width", 120
    ):
        print(
            f"PID of the test labels (bits, mean of {args.n_repeats} splits; "
            f"plug-in bias of the total about {info['plugin_bias']:.2f}):"
        )
        print(info["dataset"].to_frame().T.to_string())
        recommendation = info["recommendation"]
        print(f"\nrecommend_fusion: {recommendation.family}")
        print(f"  {recommendation.explanation}")
        print("\nModels, ranked by PID agreement (bits; accuracy on the test half):")
        print(table.to_string())
    per_split = ", ".join(f"{value:+.2f}" for value in info["spearman_per_split"])
    print(
        f"\nSpearman(agreement, accuracy): {info['spearman']:+.2f} on the means; "
        f"per split: {per_split} ({len(table)} models: indicative only)"
    )
    print(f"run time: {info['seconds']:.1f} s")
    path = plot(table, info["dataset"], info["spearman"], Path(args.out))
    if path:
        print(f"plot: {path}")
    else:
        print("matplotlib is not installed: no plot (pip install matplotlib).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
