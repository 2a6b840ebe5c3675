"""Time PIDCVX's BROJA solver on large alphabets and sparse supports.

The tables of ``bench_pidcvx.py`` are dense. These are the other kind met in
practice and in BROJA_2PID's own test suite: labels with many values, each
source state seen with few of them.

* ``copy_990x25``: the Copy gate, ``y = (x1, x2)`` with x1 uniform on 990
  states and x2 on 25 (BROJA_2PID's test case; 24,750 labels). Exact:
  ``U1 = log2 990``, ``U2 = log2 25``, ``R = S = 0``.
* ``sparse_64x64x100``: each x1 and each x2 sees its own random 30 of 100
  labels; ``p`` is Dirichlet(1) over the (x1, x2, y) whose label both see
  (about 9 % of the 409,600 cells).
* ``modsum_m``: ``y = (x1 + x2) mod m`` with x1, x2 uniform (m^2 non-zero
  cells of m^3, every m^3 entry allowed). Exact: ``S = log2 m``, all else 0.
* ``dense_32x32x32`` and ``dense_16x16x100``: Dirichlet(1) over every cell.

Methods, each in its own subprocess with a time limit and one thread:

* ``pidcvx``: ``broja_decomposition`` on the table given as a sparse
  ``scipy.sparse.coo_array`` (solved on its support);
* ``clarabel``: the package's CVXPY route (CLARABEL, tolerances 1e-10) on the
  same support, the accuracy reference where no closed form exists;
* ``dit_cone``: ``dit.pid.PID_BROJA(d, method="cone")`` on the non-zero
  outcomes, limited to ``--timeout`` seconds and 8 GB of memory.

Results go to ``benchmarks/results/sparse.md``.
"""

import os

THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "RAYON_NUM_THREADS": "1",
    "DIT_OPT_JOBS": "1",
}
os.environ.update(THREAD_ENV)

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ATOMS = ("redundancy", "unique_1", "unique_2", "synergy")
METHODS = ("pidcvx", "clarabel", "dit_cone")
CASES = (
    "copy_990x25",
    "sparse_64x64x100",
    "modsum_16",
    "modsum_32",
    "modsum_64",
    "dense_32x32x32",
    "dense_16x16x100",
)
#: Memory a worker may take (dit's cone route builds dense arrays).
MEMORY_LIMIT = 8 * 2**30


def make_table(case, seed=0):
    """The table of a case as a 3-D ``coo_array``, and its exact atoms (bits)
    or None."""
    from scipy import sparse

    rng = np.random.default_rng(seed)
    if case.startswith("copy_"):
        n1, n2 = map(int, case[5:].split("x"))
        x1, x2 = np.divmod(np.arange(n1 * n2), n2)
        p = sparse.coo_array(
            (np.full(x1.size, 1 / x1.size), (x1, x2, x1 * n2 + x2)),
            shape=(n1, n2, n1 * n2),
        )
        return p, [0.0, np.log2(n1), np.log2(n2), 0.0]
    if case.startswith("modsum_"):
        m = int(case[7:])
        x1, x2 = np.divmod(np.arange(m * m), m)
        p = sparse.coo_array(
            (np.full(m * m, 1 / m**2), (x1, x2, (x1 + x2) % m)), shape=(m, m, m)
        )
        return p, [0.0, 0.0, 0.0, np.log2(m)]
    n1, n2, ny = map(int, case.split("_")[1].split("x"))
    if case.startswith("sparse_"):
        seen1 = np.stack([rng.permutation(ny) < 30 for _ in range(n1)])
        seen2 = np.stack([rng.permutation(ny) < 30 for _ in range(n2)])
        support = seen1[:, None, :] & seen2[None, :, :]
    else:
        support = np.ones((n1, n2, ny), dtype=bool)
    x1, x2, y = np.nonzero(support)
    values = rng.dirichlet(np.ones(x1.size))
    return sparse.coo_array((values, (x1, x2, y)), shape=(n1, n2, ny)), None


def run_method(method, p):
    """Atoms (bits) of one method on the table, and a status string."""
    if method == "pidcvx":
        from sklearn_pid import broja_decomposition

        values = broja_decomposition(p)
        return [float(values[a]) for a in ATOMS], "solved"
    if method == "clarabel":
        from sklearn_pid._broja import TIGHT_CLARABEL, solve_broja
        from sklearn_pid._information import pid_from_tables

        solution = solve_broja(p, "CLARABEL", TIGHT_CLARABEL)
        values = pid_from_tables(p, solution.q)
        return [float(values[a]) for a in ATOMS], solution.status
    import dit
    from dit.pid import PID_BROJA

    x1, x2, y = p.coords
    outcomes = [(int(a), int(b), int(c)) for a, b, c in zip(x1, x2, y)]
    pid = PID_BROJA(dit.Distribution(outcomes, p.data), [[0], [1]], [2], method="cone")
    nodes = (((0,), (1,)), ((0,),), ((1,),), ((0, 1),))
    return [float(pid.get_pi(node)) for node in nodes], "n/a"


def worker(case, method):
    """Time one method on one case; print a JSON line."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    run_method(method, make_table("modsum_4")[0])  # imports and caches, untimed
    p, _ = make_table(case)
    t0, c0 = time.perf_counter(), time.process_time()
    atoms, status = run_method(method, p)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        "RESULT "
        + json.dumps({"atoms": atoms, "status": status, "wall": wall, "cpu": cpu})
    )


def run_worker(case, method, limit):
    """Run :func:`worker` in a subprocess; its result or why it has none."""
    cmd = [sys.executable, __file__, "--worker", case, method]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit + 30)
    except subprocess.TimeoutExpired:
        return {"failed": f"> {limit:.0f} s (killed)"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"failed": f"error: {last[:160]}"}
    result = json.loads(lines[-1][7:])
    if result["wall"] > limit:
        result["failed"] = f"> {limit:.0f} s ({result['wall']:.0f} s)"
    return result


def describe_table(case):
    """Shape, stored entries and allowed entries of a case."""
    from sklearn_pid._broja import _Problem, _Table

    p, exact = make_table(case)
    problem = _Problem(_Table(p))
    return p.shape, p.nnz, problem.n_entries, problem.n_vars, exact


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--out", default="benchmarks/results/sparse.md")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    lines = [
        "# BROJA on large alphabets and sparse supports",
        "",
        f"- Date: {now}",
        f"- Machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; load average at start {load}",
        f"- Command: `python {' '.join(sys.argv)}`",
        "- One thread per process; each method in its own subprocess, limited to "
        f"{args.timeout:.0f} s and {MEMORY_LIMIT / 2**30:.0f} GB; wall time of one run "
        "(imports and a warm-up call on a 4x4x4 table excluded). Tables and methods: "
        "see the docstring of `benchmarks/bench_sparse.py`.",
        "- allowed: entries (x1, x2, y) with p(x1, y) > 0 and p(x2, y) > 0, the "
        "variables of the solvers; dual: PIDCVX's Newton variables.",
        "- Δ: largest |atom difference| in bits from the exact atoms where they "
        "exist, else from `clarabel`.",
        "",
        "| table | non-zeros | allowed | dual | method | wall (s) | cpu (s) | "
        "R | U1 | U2 | S | Δ (bits) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case in args.cases:
        shape, nnz, allowed, n_vars, exact = describe_table(case)
        results = {m: run_worker(case, m, args.timeout) for m in METHODS}
        reference = exact or results["clarabel"].get("atoms")
        for method, r in results.items():
            name = f"{case} ({'x'.join(map(str, shape))})"
            if "failed" in r and "atoms" not in r:
                cells = f"{r['failed']} | | | | | | |"
            else:
                delta = (
                    max(abs(a - b) for a, b in zip(r["atoms"], reference))
                    if reference
                    else None
                )
                cells = (
                    f"{r['wall']:.3f} | {r['cpu']:.3f} | "
                    + " | ".join(f"{a:.6f}" for a in r["atoms"])
                    + f" | {'' if delta is None else f'{delta:.1e}'} |"
                )
            lines.append(
                f"| {name} | {nnz} | {allowed} | {n_vars} | {method} | {cells}"
            )
            print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
