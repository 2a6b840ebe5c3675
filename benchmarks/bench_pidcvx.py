"""Time PIDCVX against the paper's CVXPY formulation and dit's BROJA.

All methods decompose the same random tables ``p[x1, x2, y]`` (Dirichlet(1)
over the n x n x |Y| cells, ``numpy.random.default_rng(seed)``) in the same
run:

* ``pidcvx``: ``sklearn_pid._broja.solve_broja(p)`` followed
  by ``pid_from_tables`` (PIDCVX's default solver route);
* ``pidcvx_fit``: ``PIDCVX(discretizer="discrete", bias_correction="none")
  .fit(X, y, sample_weight=w)`` end to end (one solve, as the others), where
  ``X`` lists every (x1, x2) pair once per label and ``w`` is
  ``p`` (so the fitted table is ``p`` exactly);
* ``paper``: a transcription of ``solve_Q_new(P)`` of pliang279/PID (Liang et
  al., NeurIPS 2023) with CLARABEL's default tolerances (see
  :func:`paper_formulation`);
* ``paper_tight``: the same program with CLARABEL tolerances of 1e-10; its
  atoms are the reference of the accuracy column;
* ``dit_cone`` and ``dit_auto``: ``dit.pid.PID_BROJA`` with
  ``method="cone"`` (ECOS) and with its default route.

Each method runs in its own subprocess (``--worker``) with a time limit, so a
slow or stuck solver cannot stall the benchmark and every method is timed in
a fresh interpreter. Results go to a Markdown file (``--out``).
"""

import os

#: One thread everywhere, set before numpy is imported (the workers inherit
#: it): the solvers then neither compete for the machine's few cores nor
#: differ in how many they use, and the CPU time of a process is comparable
#: with its wall time.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "RAYON_NUM_THREADS": "1",  # Rust solvers (Clarabel)
    "DIT_OPT_JOBS": "1",  # dit's parallel optimisation sweeps
}
os.environ.update(THREAD_ENV)

import argparse  # noqa: E402
import datetime  # noqa: E402
import functools  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

SIZES = (4, 8, 16, 32, 64, 128, 256)
QUICK_SIZES = (4, 8)
LABELS = (2, 10)
METHODS = ("pidcvx", "pidcvx_fit", "paper_tight", "paper", "dit_cone", "dit_auto")

#: Largest n at which dit's default route is tried: the measured reference
#: took 92 s at 8x8x4 and more than 120 s at 16x16x2 and 8x8x10.
DIT_AUTO_MAX_N = 8
#: Largest n at which dit's cone route is tried. A trial on this machine took
#: 2.9 s at 64x64x2 and 39 s at 64x64x10; n = 128 is for PIDCVX and the paper
#: formulation only.
DIT_CONE_MAX_N = 64
#: Largest n at which the paper formulation (and its tight reference) runs:
#: 170 s and 200 s at 128x128x10 on this machine, so n = 256 would spend the
#: whole 10-minute budget to time out. Above it PIDCVX runs alone and its
#: certified duality gap is the accuracy check.
PAPER_MAX_N = 128
#: Seconds the CVXPY runs of one table (paper_tight, then paper) may take in
#: all, and the limit of each PIDCVX run. This is the 10-minute rule for
#: n = 128: past it the paper formulation is reported as skipped.
CVX_BUDGET = 600.0
#: Extra seconds a worker gets beyond its limit for starting Python and
#: importing its libraries (not part of the timed calls).
IMPORT_ALLOWANCE = 30.0
#: Tight CLARABEL settings of the reference solution.
TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}

DEFAULT_NOTE = (
    "The machine is a shared 2-vCPU VM on which other jobs run at the same "
    "time, so wall times are noisy (inflated and variable); CPU times and the "
    "ratios of methods timed in the same run are more reliable."
)


def random_table(n, n_labels, seed):
    """Dirichlet(1) joint table of shape (n, n, n_labels), full support."""
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(n * n * n_labels)).reshape(n, n, n_labels)


# ---------------------------------------------------------------- the methods
#
# Each ``prepare_*`` function does the untimed set-up for one table and returns
# the timed call, which returns the four atoms (bits), the marginal violation
# (None when the method does not expose its table), the solver and its status.


def atoms_of(p, q):
    """R, U1, U2, S in bits from the data table and the optimal table."""
    from sklearn_pid._information import pid_from_tables

    values = pid_from_tables(p, q, base=2)
    return [values[k] for k in ("redundancy", "unique_1", "unique_2", "synergy")]


def prepare_pidcvx(p):
    """PIDCVX's default solver on the table, then the atoms."""
    from sklearn_pid._broja import solve_broja

    def run():
        solution = solve_broja(p)
        return {
            "atoms": atoms_of(p, solution.q),
            "violation": solution.marginal_violation,
            "solver": solution.solver,
            "status": solution.status,
        }

    return run


def prepare_pidcvx_fit(p):
    """End-to-end ``PIDCVX.fit`` on samples whose weights are the table."""
    from sklearn_pid import PIDCVX

    x1, x2, y = np.indices(p.shape).reshape(3, -1)
    X = np.column_stack([x1, x2])
    weights = p.ravel()

    def run():
        with warnings.catch_warnings():
            # weights that are probabilities look like a tiny sample to the
            # plug-in bias check; the table itself is exact here
            warnings.filterwarnings("ignore", message="The plug-in bias")
            # one solve, as the other methods: the default split-half bias
            # correction adds six half-table solves, meaningless for a table
            # given exactly
            est = PIDCVX(discretizer="discrete", bias_correction="none").fit(
                X, y, sample_weight=weights
            )
        return {
            "atoms": [est.redundancy_, est.unique_1_, est.unique_2_, est.synergy_],
            "violation": est.marginal_violation_,
            "solver": est.solver_,
            "status": est.status_,
        }

    return run


def paper_formulation(p, solver_options):
    """The paper's ``solve_Q_new(P)``, solved by CLARABEL with a status check.

    As in pliang279/PID: one non-negative (|X1|, |X2|) variable ``Q[y]`` per
    label and an auxiliary list ``Q_x1x2[y]`` constrained to
    ``sum_y' Q[y'] / |Y|``; the objective is
    ``sum_y sum(rel_entr(Q[y], Q_x1x2[y]))``; constraints are
    ``sum_y sum(Q[y]) == 1`` and the marginals [A] ``q(x1, y) = p(x1, y)`` and
    [B] ``q(x2, y) = p(x2, y)``. Unlike the reference, [A] and [B] are written
    per label with ``cp.sum(..., axis=...)`` (the same equalities the reference
    builds one scalar at a time), CLARABEL is named explicitly and the status
    is checked. The solution is clipped at 0 (no renormalisation) before the
    atoms are computed, since a negative entry makes ``rel_entr`` infinite.
    """
    import cvxpy as cp

    n1, n2, n_labels = p.shape
    p_x1y, p_x2y = p.sum(axis=1), p.sum(axis=0)
    Q = [cp.Variable((n1, n2), nonneg=True) for _ in range(n_labels)]
    Q_x1x2 = [cp.Variable((n1, n2), nonneg=True) for _ in range(n_labels)]
    constraints = [cp.sum([cp.sum(q) for q in Q]) == 1]
    for y in range(n_labels):
        constraints.append(cp.sum(Q[y], axis=1) == p_x1y[:, y])  # [A]
        constraints.append(cp.sum(Q[y], axis=0) == p_x2y[:, y])  # [B]
    constraints += [cp.sum(Q) / n_labels == Q_x1x2[y] for y in range(n_labels)]
    objective = cp.sum([cp.sum(cp.rel_entr(Q[y], Q_x1x2[y])) for y in range(n_labels)])
    problem = cp.Problem(cp.Minimize(objective), constraints)
    problem.solve(solver=cp.CLARABEL, **solver_options)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(f"CLARABEL status {problem.status!r}")
    q = np.clip(np.stack([v.value for v in Q], axis=2), 0, None)
    return q, problem.status


def prepare_paper(p, solver_options=None):
    """The paper formulation with CLARABEL's default tolerances."""
    from sklearn_pid._broja import marginal_violation

    def run():
        q, status = paper_formulation(p, solver_options or {})
        return {
            "atoms": atoms_of(p, q),
            "violation": marginal_violation(p, q),
            "solver": "CLARABEL",
            "status": status,
        }

    return run


def prepare_paper_tight(p):
    """The paper formulation with CLARABEL tolerances of 1e-10 (the reference)."""
    return prepare_paper(p, TIGHT)


def prepare_dit(p, method):
    """``dit.pid.PID_BROJA`` with ``method`` (None: dit's default route)."""
    import dit
    from dit.pid import PID_BROJA

    outcomes = [tuple(int(v) for v in idx) for idx in np.ndindex(p.shape)]
    dist = dit.Distribution(outcomes, p.ravel())
    kwargs = {} if method is None else {"method": method}

    def run():
        pid = PID_BROJA(dist, [[0], [1]], [2], **kwargs)
        nodes = (((0,), (1,)), ((0,),), ((1,),), ((0, 1),))  # R, U1, U2, S
        return {
            "atoms": [float(pid.get_pi(node)) for node in nodes],
            "violation": None,
            "solver": method or "auto",
            "status": "n/a",
        }

    return run


PREPARE = {
    "pidcvx": prepare_pidcvx,
    "pidcvx_fit": prepare_pidcvx_fit,
    "paper": prepare_paper,
    "paper_tight": prepare_paper_tight,
    "dit_cone": functools.partial(prepare_dit, method="cone"),
    "dit_auto": functools.partial(prepare_dit, method=None),
}


def worker(method, n, n_labels, seed, repeat, limit):
    """Time one method on one table and print its result as a JSON line.

    First solves a 2x2x2 table, untimed, so that lazy imports and first-call
    set-up (CVXPY's solver interfaces, caches) are not counted. Then runs the
    call up to ``repeat`` times, but starts another run only if the runs so
    far plus one more of the last run's length fit in ``limit`` seconds.
    Reports the best wall time, the process CPU time of that same run, the
    number of runs, their total wall time and the atoms of the last run.
    """
    PREPARE[method](random_table(2, 2, seed))()
    call = PREPARE[method](random_table(n, n_labels, seed))
    best, spent, runs = None, 0.0, 0
    while runs < repeat:
        t0, c0 = time.perf_counter(), time.process_time()
        result = call()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        runs += 1
        spent += wall
        if best is None or wall < best[0]:
            best = (wall, cpu)
        if spent + wall > limit:
            break
    result.update(wall=best[0], cpu=best[1], runs=runs, spent=spent)
    print("RESULT " + json.dumps(result), flush=True)


# ------------------------------------------------------------------ the driver


def run_worker(method, n, n_labels, seed, repeat, limit):
    """Run :func:`worker` in a subprocess; return its result or a failure.

    The subprocess is killed after ``limit`` plus :data:`IMPORT_ALLOWANCE`
    seconds; a result slower than ``limit`` also counts as a timeout.
    """
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        method,
        str(n),
        str(n_labels),
        "--seed",
        str(seed),
        "--repeat",
        str(repeat),
        "--timeout",
        str(limit),
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=limit + IMPORT_ALLOWANCE
        )
    except subprocess.TimeoutExpired:
        return {"failed": f"> {limit:.0f} s (killed)", "timeout": True}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        error = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"failed": f"error: {error[:150]}"}
    result = json.loads(lines[-1][len("RESULT ") :])
    result["requested"] = repeat
    if result["wall"] > limit:
        return {"failed": f"> {limit:.0f} s ({result['wall']:.0f} s)", "timeout": True}
    return result


def skip_reason(method, n, timed_out):
    """Why ``method`` is not run at size ``n``, or None to run it."""
    limits = {
        "dit_auto": DIT_AUTO_MAX_N,
        "dit_cone": DIT_CONE_MAX_N,
        "paper": PAPER_MAX_N,
        "paper_tight": PAPER_MAX_N,
    }
    if method in timed_out and n > timed_out[method]:
        return f"skipped (>timeout at n={timed_out[method]})"
    if n > limits.get(method, n):
        return f"skipped (>timeout; not run above n={limits[method]})"
    return None


def bench_table(n, n_labels, args, timed_out):
    """Run every method on one table; return ``{method: result}``.

    ``timed_out`` maps a method to the size at which it ran out of time for
    this ``n_labels``; it is updated, and larger sizes of that method are
    skipped.
    """
    results = {}
    paper_left = CVX_BUDGET
    for method in METHODS:
        reason = skip_reason(method, n, timed_out)
        if method == "paper" and paper_left <= 0:
            reason = f"skipped (paper_tight used the {CVX_BUDGET:.0f} s budget)"
            timed_out["paper"] = n
        if reason:
            results[method] = {"failed": reason}
            continue
        if method.startswith("dit"):
            limit = args.timeout
        elif method.startswith("paper"):
            limit = paper_left
        else:
            limit = CVX_BUDGET
        repeat = 1 if method == "paper_tight" else args.repeat  # reference: once
        result = run_worker(method, n, n_labels, args.seed, repeat, limit)
        if method.startswith("paper"):
            paper_left -= result.get("spent", limit if result.get("timeout") else 0.0)
        if result.get("timeout"):
            timed_out[method] = n
        results[method] = result
        print(f"  {n}x{n}x{n_labels} {method:14s} {describe(result)}", flush=True)
    add_comparisons(results)
    return results


def add_comparisons(results):
    """Add the atom difference to paper_tight and the speed ratio to paper."""
    reference = results["paper_tight"].get("atoms")
    paper_wall = results["paper"].get("wall")
    for result in results.values():
        if "atoms" in result and reference is not None:
            diff = np.subtract(result["atoms"], reference)
            result["delta"] = float(np.max(np.abs(diff)))
        if "wall" in result and paper_wall is not None:
            result["ratio"] = paper_wall / result["wall"]


def describe(result):
    """One-line summary of a worker result for the progress log."""
    if "failed" in result:
        return result["failed"]
    atoms = " ".join(f"{a:.6f}" for a in result["atoms"])
    return f"wall {result['wall']:.3f} s, cpu {result['cpu']:.3f} s, atoms {atoms}"


# -------------------------------------------------------------------- report


def machine_info():
    """CPU model, core counts and RAM, from /proc where available."""
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    fields = [line.split(":", 1) for line in text.splitlines() if ":" in line]
    model = next(
        (v.strip() for k, v in fields if k.strip() == "model name"),
        platform.processor() or "unknown",
    )
    cores = next((v.strip() for k, v in fields if k.strip() == "cpu cores"), "?")
    processors = sum(1 for k, _ in fields if k.strip() == "processor")
    meminfo = Path("/proc/meminfo")
    ram = "unknown"
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kib / 2**20:.1f} GiB"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return (
        f"{model}; /proc/cpuinfo: {processors} processors, {cores} cores per socket; "
        f"os.cpu_count() = {os.cpu_count()}, usable by this process = {usable}; "
        f"RAM {ram}"
    )


def versions():
    """Versions of Python and of the packages involved."""
    parts = [f"Python {platform.python_version()}"]
    for dist in ("numpy", "scipy", "cvxpy", "clarabel", "ecos", "dit", "sklearn-pid"):
        try:
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{dist} not installed")
    return ", ".join(parts)


def fmt(value, spec):
    """Format a number, or return an empty cell for None."""
    return "" if value is None else format(value, spec)


def detail_rows(all_results, args):
    """Rows of the per-method table."""
    rows = []
    for (n, n_labels), results in all_results.items():
        for method, r in results.items():
            size = f"{n}x{n}x{n_labels}"
            if "failed" in r:
                rows.append(f"| {size} | {method} | {r['failed']} | | | | | | |")
                continue
            delta = "ref" if method == "paper_tight" else fmt(r.get("delta"), ".1e")
            status = f"{r['solver']}: {r['status']}"
            runs = str(r["runs"])
            if r["runs"] < r["requested"]:
                runs += " (time limit)"
            rows.append(
                f"| {size} | {method} | {r['wall']:.3f} | {r['cpu']:.3f} | {runs} "
                f"| {delta} | {fmt(r['violation'], '.0e')} | {status} "
                f"| {fmt(r.get('ratio'), '.3g')} |"
            )
    return rows


def summary_rows(all_results):
    """Rows of the PIDCVX-vs-paper summary table."""

    def wall(r):
        return f"{r['wall']:.3f}" if "wall" in r else r["failed"]

    rows = []
    for (n, n_labels), res in all_results.items():
        pidcvx, fit, paper = res["pidcvx"], res["pidcvx_fit"], res["paper"]
        rows.append(
            f"| {n}x{n}x{n_labels} | {wall(pidcvx)} | {wall(fit)} | {wall(paper)} "
            f"| {wall(res['dit_cone'])} | {fmt(pidcvx.get('ratio'), '.3g')} "
            f"| {fmt(fit.get('ratio'), '.3g')} | {fmt(pidcvx.get('delta'), '.1e')} |"
        )
    return rows


def write_results(path, all_results, args, header, finished):
    """Write the Markdown report (rewritten after every table)."""
    state = "finished" if finished else "partial (still running, or interrupted)"
    lines = header + [
        f"- Status: {state}; written at "
        f"{datetime.datetime.now().astimezone().isoformat(timespec='seconds')}, "
        f"load average then {' / '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "",
        "## Summary: PIDCVX vs the paper formulation",
        "",
        "Best wall time in seconds; ratios are paper wall / PIDCVX wall; "
        "Δ is the largest |atom difference| (bits) of pidcvx from paper_tight.",
        "",
        "| table | pidcvx | pidcvx_fit | paper | dit_cone | paper / pidcvx "
        "| paper / fit | Δ pidcvx |",
        "|---|---|---|---|---|---|---|---|",
        *summary_rows(all_results),
        "",
        "## All methods",
        "",
        f"| table | method | wall (s), best of {args.repeat} "
        "| cpu (s) of that run | runs "
        "| Δ atoms (bits) vs paper_tight | marginal violation | solver: status "
        "| paper / method (wall) |",
        "|---|---|---|---|---|---|---|---|---|",
        *detail_rows(all_results, args),
        "",
    ]
    Path(path).write_text("\n".join(lines))


def make_header(args):
    """The report's header: date, machine, versions, command, settings."""
    threads = ", ".join(f"{k}={v}" for k, v in THREAD_ENV.items())
    return [
        "# PIDCVX benchmark",
        "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Machine: {machine_info()}",
        f"- Load average at start: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- Note: {args.note}",
        f"- Versions: {versions()}",
        f"- Command: `{shlex.join([sys.executable, *sys.argv])}`",
        f"- Threads: {threads} for every process, so each method uses one core.",
        f"- Tables: Dirichlet(1) over the n x n x |Y| cells, "
        f"`numpy.random.default_rng({args.seed})` drawn afresh for each table.",
        "- Timing: each method runs in its own subprocess; wall = "
        "`time.perf_counter()` around the call (imports, building the inputs and "
        "an untimed warm-up call on a 2x2x2 table excluded; CVXPY "
        "canonicalisation included), cpu = `time.process_time()` of the same run. "
        f"dit runs are limited to {args.timeout:.0f} s; the two CVXPY runs of one "
        f"table (paper_tight, then paper) to {CVX_BUDGET:.0f} s in all, so at n = 128 "
        "the paper formulation is reported only if it fits in 10 minutes (else "
        f"PIDCVX alone); PIDCVX runs to {CVX_BUDGET:.0f} s each. A method that runs "
        "out of time is skipped at the larger sizes with the same |Y|.",
        "- paper: per-label CVXPY transcription of `solve_Q_new` (pliang279/PID), "
        "with the marginal constraints vectorised as `cp.sum(Q[y], axis=...)` per "
        "label (the reference builds them one scalar at a time), CLARABEL named "
        "explicitly with default tolerances, status checked, q clipped at 0. "
        "paper_tight: the same with tol_gap_abs = tol_gap_rel = tol_feas = 1e-10, "
        f"solved once; it is the accuracy reference. Neither runs above n = "
        f"{PAPER_MAX_N} (the 10-minute budget would only time out); there PIDCVX's "
        "certified duality gap (1e-9 nats) is the accuracy check.",
        "- pidcvx: `solve_broja(p)` + `pid_from_tables`; "
        'pidcvx_fit: `PIDCVX(discretizer="discrete", bias_correction="none")'
        ".fit(X, y, sample_weight=p)` on every (x1, x2, y) index triple (the "
        "default split-half bias correction would add six half-table solves).",
        '- dit_cone: `dit.pid.PID_BROJA(d, method="cone")` (ECOS); dit_auto: its '
        f"default route. dit_auto is not run above n = {DIT_AUTO_MAX_N} and dit_cone "
        f"not above n = {DIT_CONE_MAX_N}. dit does not return its optimal table, "
        "so its marginal violation is blank.",
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        help=f"values of n (default {' '.join(map(str, SIZES))})",
    )
    parser.add_argument(
        "--labels",
        type=int,
        nargs="+",
        help=f"values of |Y| (default {' '.join(map(str, LABELS))})",
    )
    parser.add_argument(
        "--repeat", type=int, help="timed runs per method and table (default 3)"
    )
    parser.add_argument(
        "--timeout", type=float, help="seconds allowed to each dit run (default 120)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: n in 4 8, one run, 30 s dit limit",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the tables")
    parser.add_argument(
        "--out",
        default="benchmarks/results/pidcvx.md",
        help="Markdown report (default benchmarks/results/pidcvx.md)",
    )
    parser.add_argument(
        "--note", default=DEFAULT_NOTE, help="note on the machine written in the report"
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("METHOD", "N", "N_LABELS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    args.labels = args.labels or LABELS
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.timeout = args.timeout or (30.0 if args.quick else 120.0)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        method, n, n_labels = args.worker
        worker(method, int(n), int(n_labels), args.seed, args.repeat, args.timeout)
        return
    header = make_header(args)
    all_results = {}
    for n_labels in args.labels:
        timed_out = {}
        for n in sorted(args.sizes):
            print(f"table {n}x{n}x{n_labels}", flush=True)
            all_results[n, n_labels] = bench_table(n, n_labels, args, timed_out)
            write_results(args.out, all_results, args, header, finished=False)
    write_results(args.out, all_results, args, header, finished=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
