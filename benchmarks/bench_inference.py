"""Intervals, bias correction and p-values on breast_cancer, and their cost.

The acceptance run of issue 15: scikit-learn's ``load_breast_cancer`` (569
rows), modality 1 = the 10 "mean" columns, modality 2 = the 10 "worst"
columns, default estimators (``random_state=0``), the real labels and five
label shuffles; ``bootstrap(n_resamples=200)`` and
``permutation_test(n_resamples=199)`` with ``n_jobs=2``, each timed (wall,
fit included). Writes a Markdown report (default
``benchmarks/results/inference.md``).

    python benchmarks/bench_inference.py                       # all three
    python benchmarks/bench_inference.py --estimators PIDCVX --shuffles 2
"""

import argparse
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

from sklearn_pid import PIDCVX, LSMIEstimator, PIDBatch
from sklearn_pid.inference import bootstrap, permutation_test

ESTIMATORS = {"PIDCVX": PIDCVX, "LSMIEstimator": LSMIEstimator, "PIDBatch": PIDBatch}
MODALITIES = ([*range(10)], [*range(10, 20)])
ATOMS = ["redundancy", "unique_1", "unique_2", "synergy"]


def data():
    d = load_breast_cancer()
    return np.hstack([d.data[:, :10], d.data[:, 20:30]]), d.target


def markdown(frame, index=True):
    """A pipe table of a DataFrame (no tabulate needed)."""
    frame = frame.reset_index() if index else frame
    rows = [list(map(str, frame.columns))]
    rows += [[str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "---|" * len(frame.columns))
    return "\n".join(lines)


def one_case(name, X, y, n_jobs):
    """Bootstrap and permutation test of one estimator on one labelling."""
    est = ESTIMATORS[name](modalities=MODALITIES, random_state=0)
    start = time.perf_counter()
    boot = bootstrap(est, X, y, n_resamples=200, random_state=0, n_jobs=n_jobs)
    boot_s = time.perf_counter() - start
    start = time.perf_counter()
    perm = permutation_test(est, X, y, n_resamples=199, random_state=0, n_jobs=n_jobs)
    perm_s = time.perf_counter() - start
    frame = boot.to_frame().join(perm.to_frame()[["pvalue"]])
    return frame, boot_s, perm_s, boot.route


def checks(labels, frame):
    """The acceptance conditions of one labelling, as text."""
    atoms = frame.loc[ATOMS]
    if labels == "real":
        ok = (
            frame.pvalue["redundancy"] < 0.01
            and frame.low["redundancy"] > 0.3
            and not (atoms.high < 0).any()
        )
        return "pass" if ok else "FAIL", "R p < 0.01, R low > 0.3, no CI below 0"
    ok = (
        ((atoms.low <= 1e-12) & (atoms.high >= -1e-12)).all()
        and (atoms.bias_corrected.abs() <= 0.03).all()
        and frame.pvalue["mi_joint"] > 0.05
    )
    return (
        "pass" if ok else "FAIL",
        "0 in every CI, abs(bias-corrected) <= 0.03, p(I) > 0.05",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS))
    parser.add_argument("--shuffles", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results/inference.md"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    X, y = data()
    rng = np.random.default_rng(0)
    labellings = [("real", y)] + [
        (f"shuffle {k}", rng.permutation(y)) for k in range(1, args.shuffles + 1)
    ]
    lines = [
        "# Inference on breast_cancer (mean vs worst columns)",
        "",
        f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"n_jobs={args.n_jobs}; bootstrap 200 resamples "
        "(bias-corrected 95 % intervals), "
        "permutation test 199; wall seconds include the estimate's fit.",
        "",
    ]
    summary = []
    for name in args.estimators:
        for labels, yy in labellings:
            frame, boot_s, perm_s, route = one_case(name, X, yy, args.n_jobs)
            verdict, what = checks(labels, frame)
            summary.append((name, labels, route, boot_s, perm_s, verdict, what))
            lines += [
                f"## {name}, {labels} ({route}; bootstrap {boot_s:.1f} s, "
                f"permutation test {perm_s:.1f} s): {verdict}",
                "",
                markdown(frame.round(3)),
                "",
            ]
            print(lines[-3], flush=True)
            print(frame.round(3).to_string(), flush=True)
    table = pd.DataFrame(
        summary,
        columns=[
            "estimator",
            "labels",
            "route",
            "bootstrap s",
            "permutation s",
            "acceptance",
            "conditions",
        ],
    )
    lines[4:4] = ["## Summary", "", markdown(table.round(1), index=False), ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(table.round(1).to_string(index=False))


if __name__ == "__main__":
    main()
