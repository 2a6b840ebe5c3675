"""Coverage of LSMIEstimator's default 95 % bootstrap intervals on the Gaussian toy.

Yang et al.'s Gaussian model (``make_gaussian_modalities``, 2 classes,
``rho=0.5``), whose exact dataset values are the means of
``gaussian_modalities_pointwise`` (here over 10^6 samples: Monte Carlo error
below 0.002 bits). Each replicate draws ``--n-samples`` rows, fits the default
``LSMIEstimator(random_state=r)`` and calls ``bootstrap`` with
``--n-resamples`` resamples and the default 20 half-sample refits; it counts
whether each interval holds the exact value. The table of docs/inference.md.

    python benchmarks/bench_coverage.py                  # 100 replicates
    python benchmarks/bench_coverage.py --replicates 10  # a quick look
"""

import argparse
import time
import warnings

import pandas as pd

from sklearn_pid import LSMIEstimator
from sklearn_pid.datasets import gaussian_modalities_pointwise, make_gaussian_modalities
from sklearn_pid.inference import QUANTITIES, bootstrap

RHO = 0.5


def exact_values(n_samples=1_000_000):
    """The model's dataset atoms and informations, in bits."""
    X, y = make_gaussian_modalities(n_samples, rho=RHO, random_state=12345)
    exact = gaussian_modalities_pointwise(X, y, rho=RHO).mean()
    names = {"i_1": "mi_1", "i_2": "mi_2", "i_joint": "mi_joint"}
    return exact.rename(names)[list(QUANTITIES)]


def replicate(r, n_samples, n_resamples, n_jobs):
    X, y = make_gaussian_modalities(n_samples, rho=RHO, random_state=1000 + r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = bootstrap(
            LSMIEstimator(modalities=2, random_state=r),
            X,
            y,
            n_resamples=n_resamples,
            random_state=r,
            n_jobs=n_jobs,
        )
    return result.confidence_interval


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--n-samples", type=int, default=400)
    parser.add_argument("--n-resamples", type=int, default=100)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    truth = exact_values()
    start = time.perf_counter()
    hits = []
    print(f"exact values (bits): {truth.round(4).to_dict()}", flush=True)
    for r in range(args.replicates):
        ci = replicate(r, args.n_samples, args.n_resamples, args.n_jobs)
        hits.append((ci.low <= truth) & (truth <= ci.high))
        if (r + 1) % 10 == 0:
            so_far = pd.DataFrame(hits).mean().round(2).to_dict()
            print(f"after {r + 1} replicates: {so_far}", flush=True)
    coverage = pd.DataFrame(hits).mean()
    print(
        f"coverage of 95 % intervals, {args.replicates} replicates of "
        f"{args.n_samples} samples ({time.perf_counter() - start:.0f} s):"
    )
    print("| " + " | ".join(coverage.index) + " |")
    print("|" + "---|" * coverage.size)
    print("| " + " | ".join(f"{v:.2f}" for v in coverage) + " |")


if __name__ == "__main__":
    main()
