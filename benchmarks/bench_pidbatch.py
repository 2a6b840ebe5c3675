"""PIDBatch against a direct reimplementation of the research BATCH procedure.

Both run in the same process on the same data:

* ``reference``: the procedure of Liang et al.'s ``critic_ce_alignment`` as
  described in ``shared/reference/pid-research-code-measured.md`` (written
  from that description, not copied): three 5-layer MLP classifiers (hidden
  32, Adam 1e-3, ``--ref-discrim-epochs`` epochs of cross-entropy); two
  alignment MLPs of the same shape with ``10 * n_classes`` outputs,
  standardised per label; ``A = exp(<f1, f2> / sqrt(10))``; a Sinkhorn
  projection **per label in a Python loop**, up to 500 iterations, each
  normalising columns then rows and stopping when the other side is within
  ``atol = 0.01`` (``torch.allclose``); the loss ``I_q(X2;Y|X1)`` of the
  coupling; batches of 256 with ``drop_last``; per-batch
  ``R, U1, U2, S`` averaged over the test batches.
* ``PIDBatch``: :class:`sklearn_pid.PIDBatch` with its defaults, except
  ``hidden_dim=32, n_layers=4`` (the reference's encoder size) and
  ``max_epochs`` (``--epochs``); and ``PIDBatch defaults``, the estimator as
  a user gets it (``PIDBatch(random_state=seed)``: 2-layer encoders, at most
  10 alignment epochs with early stopping).

Both are warmed up first on a tiny problem (torch's lazy imports cost about
5 s on the first optimiser step of a process). Reported per task and size:
alignment seconds per epoch (PIDBatch: training plus its validation pass),
total fit seconds (posteriors, alignment and the estimate),
the share of Sinkhorn projections that hit the iteration cap, and the atoms
against the exact reference (PIDCVX on the same samples for AND; PIDCVX on a
50-bin histogram of ``--ref-samples`` samples for the Gaussian mixture).

Usage::

    python benchmarks/bench_pidbatch.py                 # n = 10,000 and 100,000
    python benchmarks/bench_pidbatch.py --quick         # n = 2,000, 1 epoch
    python benchmarks/bench_pidbatch.py --sizes 10000 --tasks and --epochs 10

Set ``OMP_NUM_THREADS`` (or ``--threads``) for reproducible CPU timings.
"""

import argparse
import math
import platform
import sys
import time
import warnings

import numpy as np
import torch

from sklearn_pid import PIDCVX, PIDBatch
from sklearn_pid.datasets import make_bitwise, make_gaussian_mixture

ATOMS = ["redundancy", "unique_1", "unique_2", "synergy"]
BATCH = 256
LN2 = math.log(2)


# ------------------------------------------------------- the reference procedure


def _mlp(n_in, n_out, hidden=32, layers=3):
    mods = [torch.nn.Linear(n_in, hidden), torch.nn.ReLU()]
    for _ in range(layers):
        mods += [torch.nn.Linear(hidden, hidden), torch.nn.ReLU()]
    mods.append(torch.nn.Linear(hidden, n_out))
    return torch.nn.Sequential(*mods)


def _batches(n, shuffle, gen):
    order = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
    for start in range(0, n - BATCH + 1, BATCH):  # drop_last=True
        yield order[start : start + BATCH]


def _train_classifier(X, y, n_classes, epochs, gen):
    net = _mlp(X.shape[1], n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in _batches(len(X), True, gen):
            loss = torch.nn.functional.cross_entropy(net(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net


def _sinkhorn_loop(A, p1, p2, stats, max_iter=500, atol=0.01):
    """One label: alternate column/row normalisation with the reference's test."""
    for _ in range(max_iter):
        A = A / (A.sum(dim=0, keepdim=True) + 1e-8) * p2[None, :]
        if torch.allclose(A.sum(dim=1), p1, rtol=0, atol=atol):
            stats["done"] += 1
            return A
        A = A / (A.sum(dim=1, keepdim=True) + 1e-8) * p1[:, None]
        if torch.allclose(A.sum(dim=0), p2, rtol=0, atol=atol):
            stats["done"] += 1
            return A
    stats["capped"] += 1
    return A


class _Alignment(torch.nn.Module):
    def __init__(self, d1, d2, n_classes, embed=10):
        super().__init__()
        self.f1 = _mlp(d1, embed * n_classes)
        self.f2 = _mlp(d2, embed * n_classes)
        self.n_classes, self.embed = n_classes, embed

    def _std(self, e):
        e = e.view(e.shape[0], self.n_classes, self.embed)
        return (e - e.mean(2, keepdim=True)) / (e.std(2, keepdim=True) + 1e-8)

    def forward(self, x1, x2, p1, p2, stats):
        e1, e2 = self._std(self.f1(x1)), self._std(self.f2(x2))
        qs = []
        for y in range(self.n_classes):  # Python loop over labels
            A = torch.exp(e1[:, y] @ e2[:, y].T / math.sqrt(self.embed))
            qs.append(_sinkhorn_loop(A, p1[:, y], p2[:, y], stats))
        q = torch.stack(qs, dim=2)  # (m, m, C)
        q_x2 = q / (q.sum(dim=1, keepdim=True) + 1e-8)  # q(x2_b | x1_a, y)
        mix = (q_x2 * p1[:, None, :]).sum(dim=2, keepdim=True)
        term = p1[:, None, :] * q_x2 * (torch.log(q_x2 + 1e-8) - torch.log(mix + 1e-8))
        return term.sum(dim=(1, 2)).mean()  # in-batch I_q(X2;Y|X1), nats


def run_reference(X1, X2, y, n_classes, discrim_epochs, ce_epochs, seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    X1t, X2t = (
        torch.tensor(X1, dtype=torch.float32),
        torch.tensor(X2, dtype=torch.float32),
    )
    X12 = torch.cat([X1t, X2t], 1)
    yt = torch.tensor(y, dtype=torch.int64)
    start = time.perf_counter()
    nets = [
        _train_classifier(Xk, yt, n_classes, discrim_epochs, gen)
        for Xk in (X1t, X2t, X12)
    ]
    with torch.no_grad():
        post = [torch.softmax(net(Xk), 1) for net, Xk in zip(nets, (X1t, X2t, X12))]
    prior = torch.bincount(yt, minlength=n_classes).float() / len(yt)
    align = _Alignment(X1.shape[1], X2.shape[1], n_classes)
    opt = torch.optim.Adam(align.parameters(), lr=1e-3)
    stats = {"done": 0, "capped": 0}
    epoch_times = []
    for _ in range(ce_epochs):
        t0 = time.perf_counter()
        for idx in _batches(len(y), True, gen):
            loss = align(X1t[idx], X2t[idx], post[0][idx], post[1][idx], stats)
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_times.append(time.perf_counter() - t0)
    values = []
    with torch.no_grad():
        for idx in _batches(len(y), False, gen):
            cond = align(X1t[idx], X2t[idx], post[0][idx], post[1][idx], stats)
            kl = [
                (p[idx] * (torch.log(p[idx] + 1e-8) - torch.log(prior))).sum(1).mean()
                for p in post
            ]
            iq = kl[0] + cond
            values.append(
                [
                    float(kl[0] + kl[1] - iq),
                    float(iq - kl[1]),
                    float(iq - kl[0]),
                    float(kl[2] - iq),
                ]
            )
    total = time.perf_counter() - start
    atoms = np.mean(values, axis=0) / LN2
    cap = stats["capped"] / max(1, stats["capped"] + stats["done"])
    return atoms, float(np.mean(epoch_times)), total, cap


# ------------------------------------------------------------------- PIDBatch


def run_pidbatch(X, y, modalities, epochs, seed, device, defaults=False):
    """``defaults``: PIDBatch as a user gets it (only ``modalities``, seed)."""
    params = {} if defaults else {"hidden_dim": 32, "n_layers": 4, "max_epochs": epochs}
    est = PIDBatch(modalities=modalities, device=device, random_state=seed, **params)
    start = time.perf_counter()
    est.fit(X, y)
    total = time.perf_counter() - start
    per_epoch = float(np.mean([e["dur"] for e in est.net_.history]))
    return est.decomposition_.to_numpy(), per_epoch, total, est.sinkhorn_cap_rate_


# ---------------------------------------------------------------------- tasks


def make_task(task, n, seed, ref_samples):
    """Data (X, modalities, split columns, y) and the exact reference atoms."""
    if task == "and":
        X, y = make_bitwise("and", n, one_hot=True, random_state=seed)
        ref = PIDCVX(modalities=2, discretizer="discrete").fit(X, y)
        return X, 2, y, ref.decomposition_.to_numpy()
    X, y = make_gaussian_mixture(n, angle=np.pi / 4, random_state=seed)
    Xr, yr = make_gaussian_mixture(ref_samples, angle=np.pi / 4, random_state=12345)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = PIDCVX(discretizer="uniform", n_bins=50, bin_range=(-5, 5)).fit(Xr, yr)
    return X, None, y, ref.decomposition_.to_numpy()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--tasks", nargs="+", default=["and", "gmm"], choices=["and", "gmm"]
    )
    parser.add_argument("--epochs", type=int, default=10, help="PIDBatch max_epochs")
    parser.add_argument("--ref-epochs", type=int, default=1, help="reference ce_epochs")
    parser.add_argument("--ref-discrim-epochs", type=int, default=40)
    parser.add_argument("--ref-samples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="n = 2000, 1 epoch each, 5 classifier epochs, 1e5 reference samples",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.epochs, args.ref_epochs = [2000], 1, 1
        args.ref_discrim_epochs, args.ref_samples = 5, 100_000
    if args.threads:
        torch.set_num_threads(args.threads)

    print(
        f"# PIDBatch vs the research BATCH loop\n\nmachine: {platform.platform()}, "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, device {args.device}\n"
    )
    header = (
        "| task | n | method | align s/epoch | total s | cap rate | "
        "R | U1 | U2 | S | max err |"
    )
    print(header)
    print("|" + "---|" * 11)
    # one-time costs (torch's lazy imports on the first optimiser step, about
    # 5 s) are paid here, outside the timings
    Xw, yw = make_bitwise("and", 600, one_hot=True, random_state=0)
    run_pidbatch(Xw, yw, 2, 1, 0, args.device)
    if not args.skip_reference:
        run_reference(Xw[:, :2], Xw[:, 2:], yw, 2, 1, 1, 0)
    rows = []
    for task in args.tasks:
        for n in args.sizes:
            X, modalities, y, ref = make_task(task, n, args.seed, args.ref_samples)
            cut = 2 if modalities == 2 else 1
            results = {}
            if not args.skip_reference:
                results["reference"] = run_reference(
                    X[:, :cut].astype(float),
                    X[:, cut:].astype(float),
                    y,
                    int(y.max()) + 1,
                    args.ref_discrim_epochs,
                    args.ref_epochs,
                    args.seed,
                )
            results["PIDBatch"] = run_pidbatch(
                X, y, modalities, args.epochs, args.seed, args.device
            )
            results["PIDBatch defaults"] = run_pidbatch(
                X, y, modalities, None, args.seed, args.device, defaults=True
            )
            for method, (atoms, per_epoch, total, cap) in results.items():
                err = float(np.abs(atoms - ref).max())
                line = (
                    f"| {task} | {n} | {method} | {per_epoch:.2f} | {total:.1f} | "
                    f"{cap:.0%} | "
                    + " | ".join(f"{a:.4f}" for a in atoms)
                    + f" | {err:.4f} |"
                )
                print(line, flush=True)
                rows.append(line)
            print(
                f"| {task} | {n} | exact | | | | "
                + " | ".join(f"{a:.4f}" for a in ref)
                + " | |",
                flush=True,
            )
            if "reference" in results:
                speedup = results["reference"][1] / results["PIDBatch"][1]
                print(
                    f"| {task} | {n} | speed-up per epoch | {speedup:.1f}x |"
                    " | | | | | | |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
