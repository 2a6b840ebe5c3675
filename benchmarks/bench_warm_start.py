"""Would warm starts help the BROJA solver on bootstrap resamples? (an experiment)

Issue 14 asked for warm starts across nearby tables (bootstrap and permutation
resamples). This measures the simplest one for the interior-point solver: start
each resample's solve from the dual point ``z`` of the fitted table's last
Newton step, moved into the interior by ``shift`` (the ``lam`` part lowered by
``shift``, so every cell's slack is at least ``shift``), instead of the cold
start. It patches the solver's private start point (``_Dual.start``) for the
duration of one solve; nothing here is package API. Only resamples with the
fitted table's support are used (same dual variables). Reports the mean Newton
steps and the solves that failed (line search without a step).

    python benchmarks/bench_warm_start.py
"""

import numpy as np

from sklearn_pid import _broja

CASES = [((3, 3, 2), 300), ((10, 10, 2), 569), ((10, 10, 2), 5000)]
CASES += [((16, 16, 4), 2000), ((32, 32, 10), 20000)]
SHIFTS = (0.1, 0.3, 1.0)


def solve(p, z0=None, shift=1.0):
    """Newton steps of one solve (None if it failed) and its last dual point."""
    problem = _broja._Problem(_broja._Table(p))
    last = {}
    step, start = _broja._step, _broja._Dual.start

    def recording_step(dual, z, *args):
        out = step(dual, z, *args)
        last["z"] = out[0]
        return out

    _broja._step = recording_step
    if z0 is not None:
        n_rows = problem.n_rows
        _broja._Dual.start = lambda self: np.concatenate(
            [z0[:n_rows] - shift, z0[n_rows:]]
        )
    try:
        _, _, n_iter = _broja._solve_newton(problem)
    except RuntimeError:
        n_iter = None
    finally:
        _broja._step, _broja._Dual.start = step, start
    return n_iter, last.get("z"), problem


def same_support(a, b):
    return (
        a.n_entries == b.n_entries
        and np.array_equal(a.row, b.row)
        and np.array_equal(a.col, b.col)
    )


def main(n_resamples=40, seed=0):
    rng = np.random.default_rng(seed)
    print(
        "| table | n | resamples (same support) | cold | "
        + " | ".join(f"warm, shift {s}" for s in SHIFTS)
        + " |"
    )
    print("|---|---|---|---|" + "---|" * len(SHIFTS))
    for shape, n in CASES:
        truth = np.exp(1.5 * rng.normal(size=shape))
        truth /= truth.sum()
        p = rng.multinomial(n, truth.ravel()).reshape(shape) / n
        _, z, fitted = solve(p)
        steps = {k: [] for k in ("cold", *SHIFTS)}
        failed = dict.fromkeys(steps, 0)
        used = 0
        for _ in range(n_resamples):
            resample = rng.multinomial(n, p.ravel()).reshape(shape) / n
            if not same_support(_broja._Problem(_broja._Table(resample)), fitted):
                continue
            used += 1
            for key in steps:
                n_iter = (
                    solve(resample)[0] if key == "cold" else solve(resample, z, key)[0]
                )
                if n_iter is None:
                    failed[key] += 1
                else:
                    steps[key].append(n_iter)
        cells = [
            f"{np.mean(steps[k]):.1f}" + (f" ({failed[k]} failed)" if failed[k] else "")
            for k in steps
        ]
        print(
            f"| {'x'.join(map(str, shape))} | {n} | {used} | "
            + " | ".join(cells)
            + " |"
        )


if __name__ == "__main__":
    main()
