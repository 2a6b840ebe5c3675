"""LSMIEstimator against a reimplementation of the research procedure.

Three parts, all single-threaded (``torch.set_num_threads(1)``), CPU seconds
from ``time.process_time``:

1. Accuracy and CPU time at n = 2000 (1600 fit, 400 held out) on the toy model
   of Yang et al. (``make_gaussian_modalities``, noise 0.5), K = 2 and 10,
   against the exact per-sample values: LSMIEstimator with its defaults
   (``cv=5``), LSMIEstimator with ``cv=None``, and the research procedure as
   the issue describes it (``research_lsmi`` below).
2. LSMIEstimator alone at n = 100,000 with 64 + 64 features and 10 classes:
   fit time (``cv=None``), transform throughput and the transform's peak
   NumPy memory at two sizes (it works in chunks, so it should not grow).

Usage::

    python benchmarks/bench_lsmi.py            # everything, writes a table
    python benchmarks/bench_lsmi.py --quick    # small sizes, a smoke run
"""

import argparse
import math
import platform
import time
import tracemalloc

import numpy as np
import torch

from sklearn_pid import LSMIEstimator
from sklearn_pid.datasets import gaussian_modalities_pointwise, make_gaussian_modalities
from sklearn_pid.nn import MLP

ATOMS = ["redundancy", "unique_1", "unique_2", "synergy"]


# -- the research procedure, as described in the issue ------------------------


class ResearchKNIFE(torch.nn.Module):
    """5 kernels, random initial means, tanh-clamped log-scales, mixing matrix."""

    def __init__(self, n_features, n_kernels=5):
        super().__init__()
        self.means = torch.nn.Parameter(torch.randn(n_kernels, n_features))
        self.logvar = torch.nn.Parameter(torch.zeros(n_kernels, n_features))
        self.tri = torch.nn.Parameter(torch.zeros(n_kernels, n_features, n_features))
        self.weights = torch.nn.Parameter(torch.zeros(n_kernels))
        self.register_buffer("mask", torch.tril(torch.ones(n_features, n_features), -1))

    def forward(self, x):
        log_scale = torch.tanh(self.logvar)  # clamped to (-1, 1)
        L = self.tri * self.mask + torch.diag_embed(torch.exp(-log_scale))
        z = torch.einsum("kij,bkj->bki", L, x[:, None, :] - self.means)
        log_k = -0.5 * (z**2).sum(-1) - log_scale.sum(-1)
        log_k = log_k - 0.5 * x.shape[1] * math.log(2 * math.pi)
        return torch.logsumexp(log_k + torch.log_softmax(self.weights, 0), dim=1)


def _train(module, loss_fn, X, y, epochs=30, batch_size=32, zero_grad=True):
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    n = X.shape[0]
    for _ in range(epochs):
        for idx in torch.randperm(n).split(batch_size):
            if zero_grad:
                opt.zero_grad()
            loss_fn(module, X[idx], None if y is None else y[idx]).backward()
            opt.step()
        sched.step()
    return module


def _ce(module, X, y):
    return torch.nn.functional.cross_entropy(module(X), y)


def _nll(module, X, y):
    return -module(X).mean()


def research_lsmi(X1, X2, y, X1_test, X2_test, y_test, n_classes, seed=0):
    """30 + 30 epochs, batch 32, 5 kernels, log K prior, gradients never reset.

    Evaluated here on held-out samples (the research code evaluates on its
    training data; that would only flatter it).
    """
    torch.manual_seed(seed)
    t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    X1, X2, X1_test, X2_test = map(t, (X1, X2, X1_test, X2_test))
    y, y_test = torch.as_tensor(y), torch.as_tensor(y_test)
    X12, X12_test = torch.hstack([X1, X2]), torch.hstack([X1_test, X2_test])
    terms = {}
    for name, Xa, Xb in (
        ("1", X1, X1_test),
        ("2", X2, X2_test),
        ("joint", X12, X12_test),
    ):
        clf = _train(MLP(Xa.shape[1], n_classes), _ce, Xa, y)
        with torch.no_grad():
            log_post = torch.log_softmax(clf(Xb), 1)[torch.arange(len(y_test)), y_test]
        terms["i_" + name] = log_post.numpy() + math.log(n_classes)
    for name, Xa, Xb in (("1", X1, X1_test), ("2", X2, X2_test)):
        knife = _train(ResearchKNIFE(Xa.shape[1]), _nll, Xa, None, zero_grad=False)
        with torch.no_grad():
            terms["h_" + name] = -knife(Xb).numpy()
    h1, h2, i1, i2, i12 = (terms[k] for k in ("h_1", "h_2", "i_1", "i_2", "i_joint"))
    r = np.minimum(h1, h2) - np.minimum(h1 - i1, h2 - i2)
    return {
        "redundancy": r,
        "unique_1": i1 - r,
        "unique_2": i2 - r,
        "synergy": i12 - i1 - i2 + r,
        "h_1": h1,
        "h_2": h2,
    }


# -- part 1: accuracy at n = 2000 ---------------------------------------------


def accuracy_rows(n_classes, rho, n_samples, seed):
    X, y = make_gaussian_modalities(
        n_samples, n_classes=n_classes, rho=rho, random_state=seed
    )
    n_fit = int(0.8 * n_samples)
    K = n_classes
    X_fit, y_fit, X_test, y_test = X[:n_fit], y[:n_fit], X[n_fit:], y[n_fit:]
    exact = gaussian_modalities_pointwise(
        X_test, y_test, n_classes=K, rho=rho, base=math.e
    )
    rows = []
    for label, run in (
        ("LSMIEstimator (cv=5)", lambda: _ours(X_fit, y_fit, X_test, y_test, K, 5)),
        (
            "LSMIEstimator (cv=None)",
            lambda: _ours(X_fit, y_fit, X_test, y_test, K, None),
        ),
        (
            "research procedure",
            lambda: research_lsmi(
                X_fit[:, :K],
                X_fit[:, K:],
                y_fit,
                X_test[:, :K],
                X_test[:, K:],
                y_test,
                K,
            ),
        ),
    ):
        start = time.process_time()
        got = run()
        cpu = time.process_time() - start
        rows.append(
            {
                "K": K,
                "rho": rho,
                "method": label,
                "cpu_s": cpu,
                "pearson_r": np.corrcoef(got["redundancy"], exact.redundancy)[0, 1],
                "pearson_s": np.corrcoef(got["synergy"], exact.synergy)[0, 1],
                **{
                    f"mae_{a}": np.mean(np.abs(np.asarray(got[a]) - exact[a]))
                    for a in ATOMS + ["h_1"]
                },
            }
        )
    return rows


def _ours(X_fit, y_fit, X_test, y_test, K, cv):
    est = LSMIEstimator(modalities=K, cv=cv, base=math.e, random_state=0)
    est.fit(X_fit, y_fit)
    return est.interactions(X_test, y_test, return_terms=True)


# -- part 2: scale -------------------------------------------------------------


def embedded_toy(n_samples, n_classes=10, n_features=64, seed=0):
    """The toy model's K-dimensional views, rotated into ``n_features`` dims."""
    X, y = make_gaussian_modalities(
        n_samples, n_classes=n_classes, rho=0.5, random_state=seed
    )
    rng = np.random.default_rng(seed)
    parts = []
    for m in range(2):
        Q, _ = np.linalg.qr(rng.standard_normal((n_features, n_features)))
        view = np.hstack(
            [
                X[:, m * n_classes : (m + 1) * n_classes],
                0.5 * rng.standard_normal((n_samples, n_features - n_classes)),
            ]
        )
        parts.append(view @ Q.T)
    return np.hstack(parts), y


def scale_rows(n_samples, n_features):
    X, y = embedded_toy(n_samples, n_features=n_features)
    est = LSMIEstimator(modalities=n_features, cv=None, random_state=0)
    start = time.process_time()
    wall = time.perf_counter()
    est.fit(X, y)
    fit_cpu, fit_wall = time.process_time() - start, time.perf_counter() - wall
    start, wall = time.process_time(), time.perf_counter()
    est.transform(X)
    transform_cpu = time.process_time() - start
    transform_wall = time.perf_counter() - wall
    peaks = {}
    for n in (n_samples // 4, n_samples):
        tracemalloc.start()
        est.transform(X[:n])
        peaks[n] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {
        "n": n_samples,
        "features": f"{n_features}+{n_features}",
        "fit_cpu_s": fit_cpu,
        "fit_wall_s": fit_wall,
        "transform_samples_per_s": n_samples / transform_wall,
        "transform_samples_per_cpu_s": n_samples / transform_cpu,
        "peak_mib": peaks,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument(
        "--part",
        choices=["all", "accuracy", "scale"],
        default="all",
        help="what to run",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    accuracy_rows(2, 0.5, 200, seed=1)  # untimed warm-up: imports, first calls
    print(
        f"# LSMIEstimator benchmark ({platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, 1 thread)\n"
    )
    if args.part in ("all", "accuracy"):
        accuracy_table(500 if args.quick else 2000)
    if args.part in ("all", "scale"):
        scale_line(*((5_000, 16) if args.quick else (100_000, 64)))


def accuracy_table(n_samples):
    print(
        "| K | rho | method | CPU s | Pearson r | Pearson s | MAE r | MAE u1 | "
        "MAE u2 | MAE s | MAE h_1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for K, rho in [(2, 0.0), (2, 0.5), (2, 0.9), (10, 0.0), (10, 0.5)]:
        for row in accuracy_rows(K, rho, n_samples, seed=0):
            print(
                f"| {row['K']} | {row['rho']} | {row['method']} | {row['cpu_s']:.2f} | "
                f"{row['pearson_r']:.3f} | {row['pearson_s']:.3f} | "
                + " | ".join(f"{row['mae_' + a]:.3f}" for a in ATOMS + ["h_1"])
                + " |",
                flush=True,
            )


def scale_line(n_samples, n_features):
    row = scale_rows(n_samples, n_features)
    peaks = ", ".join(f"{v:.0f} MiB at n={k}" for k, v in row["peak_mib"].items())
    print(
        f"\nScale: n={row['n']}, {row['features']} features, 10 classes, cv=None: "
        f"fit {row['fit_cpu_s']:.1f} CPU s ({row['fit_wall_s']:.1f} s wall); "
        f"transform {row['transform_samples_per_s']:,.0f} samples per wall second "
        f"({row['transform_samples_per_cpu_s']:,.0f} per CPU second); "
        f"transform peak NumPy memory {peaks}."
    )


if __name__ == "__main__":
    main()
