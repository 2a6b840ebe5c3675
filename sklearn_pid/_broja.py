"""Solvers for the BROJA optimisation problem of a discrete joint table.

Given ``p[x1, x2, y]``, find the table ``q`` with the same ``(x1, y)`` and
``(x2, y)`` marginals that has the largest conditional entropy
``H_q(Y | X1, X2)`` (Bertschinger et al., 2014; Liang et al., 2023, §3.1).

Two routes solve it:

* ``"newton"``: a specialised interior-point method on the dual problem. With
  ``s(x1, x2, y) = lam(x1, y) + mu(x2, y)`` the dual is the geometric program
  ``max <p1, lam> + <p2, mu>`` subject to ``logsumexp_y s(x1, x2, y) <= 0`` for
  every cell, and ``q(x1, x2, y) = theta(x1, x2) softmax_y s(x1, x2, y)`` where
  ``theta`` are the multipliers of those constraints. A log-barrier Newton
  method with a dense Hessian of size ``(|X1| + |X2|) |Y|`` solves it. It stops
  on a certificate: the primal value of the polished ``q`` (which meets the
  marginals) minus the value of the current dual point (which is feasible)
  bounds the error of every atom, and must fall below ``tol`` (1e-9 nats).
* any exponential-cone solver installed for CVXPY (``"CLARABEL"``, ``"ECOS"``,
  ``"SCS"``, ...), on the convex program with variables on the support only.

Both routes end with a short Sinkhorn polish that removes the solver's
residual marginal violation (each label's slice of ``q`` is rescaled to its
row and column sums; the zero pattern is kept).
"""

import functools
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse
from scipy.linalg import lapack
from threadpoolctl import ThreadpoolController

from ._validation import warn

#: Exponential-cone solvers tried, in this order, after the chosen solver fails.
FALLBACK_SOLVERS = ("CLARABEL", "ECOS", "SCS")

#: CLARABEL settings of the ``"auto"`` route (atoms exact to ~1e-9 bit).
TIGHT_CLARABEL = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}

#: Keyword options of the Newton solver.
_NEWTON_OPTIONS = {"tol", "max_iter"}

#: Largest number of dual variables (|X1| + |X2|) |Y| of the Newton solver: its
#: dense Hessian takes 8 n^2 bytes (n = 6000: 288 MB), and its per-cell
#: |X1| |X2| |Y|^2 array at most 8 n^2 / 4 bytes.
NEWTON_MAX_DUAL = 6000

#: Factor by which the barrier parameter mu falls once the iterate is centred.
_MU_FACTOR = 0.2

#: The iterate counts as centred for mu when the marginal residual and every
#: cell's deviation from theta * s = mu are below this multiple of mu.
_KAPPA_CENTRED = 10.0

#: theta * s is kept within [mu / K, K mu] on every cell after a step, so that
#: no cell's multiplier drifts far from the central path.
_KAPPA_SPREAD = 1e4

#: Fraction to the boundary: a step keeps at least this share of every cell's
#: slack s = -F and of every multiplier theta.
_KEEP = 0.01

#: A Newton solve that runs out of steps still returns its best table when the
#: table's certified gap is below this multiple of ``tol`` (status
#: ``"optimal_inaccurate"``): near ``tol`` the gap is limited by floating-point
#: precision, not by the method (1e-7 nats by default, every atom exact to
#: 1.5e-7 bits).
_STALL_FACTOR = 100.0

#: Certifications in a row without halving the gap that count as a stall.
_STALL_CHECKS = 3

#: Once n_cells * mu is below this multiple of ``tol``, the duality gap is
#: also certified every ``_CHECK_EVERY`` steps, centred or not (on tables whose
#: dual optimum lies at infinity the iterates approach it slowly).
_CHECK_BELOW = 100.0

#: Newton steps between two certifications of the duality gap near the end.
_CHECK_EVERY = 5

#: Largest number of table entries on the support handed to a CVXPY solver.
#: Measured with CLARABEL on the modular sum y = x1 + x2 mod m: m = 32 (32,768
#: entries) 24 s and 0.34 GB; m = 64 (262,144) over 10 min at 1.7 GB. The
#: former formulation asked for 329 GB there, and a failed allocation ends
#: the Python process: past this size the route raises instead.
CVXPY_MAX_ENTRIES = 100_000

#: Largest number of Jacobian entries, |Y| (|X1| + |X2|)^2, for which the
#: final rescaling of q to its marginals starts with Newton steps (80 MB).
_NEWTON_POLISH_MAX = 10_000_000

#: Below this many dual variables the Newton solver runs BLAS on one thread:
#: multithreaded factorisations of small matrices only add synchronisation,
#: which costs up to 10x on a busy machine or inside parallel grid searches.
_SINGLE_THREAD_BELOW = 1500


class SolverError(RuntimeError):
    """Raised when every solver tried failed on the BROJA problem."""


@dataclass
class BrojaSolution:
    """Result of :func:`solve_broja`.

    Attributes
    ----------
    q : ndarray of shape (n_1, n_2, n_y)
        The optimal table.
    solver : str
        Name of the solver that produced ``q``.
    status : str
        ``"optimal"`` or the solver's own status string.
    marginal_violation : float
        ``max |q(xi, y) - p(xi, y)|`` over both marginals.
    n_iter : int
        Newton steps (``"newton"``) or solver iterations (CVXPY), when known.
    """

    q: np.ndarray
    solver: str
    status: str
    marginal_violation: float
    n_iter: int


def solve_broja(p, solver="auto", solver_options=None, verbose=0):
    """Solve the BROJA problem for a joint table.

    Parameters
    ----------
    p : ndarray of shape (n_1, n_2, n_y)
        Joint probability table ``p[x1, x2, y]`` (non-negative, sums to 1).
    solver : str, default="auto"
        ``"auto"`` runs ``"newton"`` and, where it does not certify the
        optimum within its step budget, CLARABEL with tight tolerances
        (:data:`TIGHT_CLARABEL`). ``"newton"`` or a CVXPY solver name runs that
        solver. In both cases, if the solver fails, the other installed
        exponential-cone solvers of :data:`FALLBACK_SOLVERS` are tried in turn
        with a warning.
    solver_options : dict or None
        Keyword arguments for the first solver (``tol``, ``max_iter`` for
        ``"newton"``; settings passed to ``cvxpy.Problem.solve`` otherwise).
    verbose : int, default=0
        ``>= 1`` prints the Newton solver's progress (one line per centring
        stage); ``> 1`` also lets CVXPY solvers print their log.

    Returns
    -------
    BrojaSolution

    Raises
    ------
    SolverError
        If no solver reached an optimal (or optimal-inaccurate) status; the
        message holds every solver's error.
    """
    p = np.asarray(p, dtype=float)
    keep = [p.sum(axis=ax) > 0 for ax in ((1, 2), (0, 2), (0, 1))]
    p_red = p[np.ix_(*keep)]
    p_red = p_red / p_red.sum()
    errors = []
    for name, options in _solver_chain(solver, solver_options):
        try:
            q_red, status, n_iter = _run(name, p_red, options, verbose)
        except _failures() as exc:  # a numerical failure moves to the next solver
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if errors:
            warn(
                _fallback_message(errors[0], name, status, p_red, q_red), RuntimeWarning
            )
        q = np.zeros_like(p)
        q[np.ix_(*keep)] = q_red * p.sum()
        return BrojaSolution(q, name, status, marginal_violation(p, q), n_iter)
    raise SolverError("No solver could solve the BROJA problem:\n" + "\n".join(errors))


def _fallback_message(error, name, status, p, q):
    """One sentence: what failed, which solver took over, and its check."""
    accuracy = "" if status == "optimal" else f" (its status: {status!r})"
    return (
        f"The BROJA solver {error}; {name!r} solved the problem instead{accuracy}, "
        f"and its table meets the marginals of p to "
        f"{marginal_violation(p, q):.1g}."
    )


def _solver_chain(solver, options):
    """(name, options) pairs to try in order; checks names and Newton options."""
    installed = _installed_cvxpy_solvers()
    known = {"auto", "newton"} | installed
    if solver not in known:
        raise ValueError(
            f"Unknown solver {solver!r}; use 'auto', 'newton' or an installed CVXPY "
            f"solver: {sorted(installed)}."
        )
    options = dict(options or {})
    if solver in ("auto", "newton"):
        unknown = set(options) - _NEWTON_OPTIONS
        if unknown:
            raise ValueError(
                f"Unknown option(s) {sorted(unknown)} for the 'newton' solver; it "
                f"takes {sorted(_NEWTON_OPTIONS)}."
            )
    if solver == "auto":
        chain = [("newton", options), ("CLARABEL", TIGHT_CLARABEL)]
    else:
        chain = [(solver, options)]
    chain += [
        (s, {})
        for s in FALLBACK_SOLVERS
        if s in installed and s not in {name for name, _ in chain}
    ]
    return chain


def marginal_violation(p, q):
    """Largest absolute difference between the (xi, y) marginals of p and q."""
    return float(
        max(
            np.abs(p.sum(axis=1) - q.sum(axis=1)).max(),
            np.abs(p.sum(axis=0) - q.sum(axis=0)).max(),
        )
    )


def _failures():
    """Exceptions that mean "this solver could not solve it": try the next."""
    from cvxpy.error import SolverError as CvxpySolverError

    return (
        RuntimeError,
        ArithmeticError,
        MemoryError,
        linalg.LinAlgError,
        CvxpySolverError,
    )


@functools.cache
def _installed_cvxpy_solvers():
    """The installed CVXPY solvers (asked once: CVXPY imports each solver's
    package to answer, about 8 ms a call, a sixth of a small table's solve)."""
    import cvxpy as cp

    return frozenset(cp.installed_solvers())


@functools.cache
def _blas_threads():
    """One controller of the loaded BLAS libraries: finding them reads the
    process's memory map, 4.5 ms a call, a third of a small table's solve."""
    return ThreadpoolController()


def _run(name, p, options, verbose):
    """Solve the reduced problem with one solver and polish the result."""
    p1, p2 = p.sum(axis=1), p.sum(axis=0)
    allowed = (p1[:, None, :] > 0) & (p2[None, :, :] > 0)
    if name == "newton":
        n_dual = (p1.shape[0] + p2.shape[0]) * p1.shape[1]
        if n_dual > NEWTON_MAX_DUAL:
            raise MemoryError(
                f"{n_dual} dual variables exceed the Newton solver's dense limit "
                f"({NEWTON_MAX_DUAL}); fewer states (n_bins, n_clusters) keep it fast"
            )
        limits = 1 if n_dual < _SINGLE_THREAD_BELOW else None
        # a barrier parameter past what float64 resolves gives inf and nan,
        # which the certificate rejects: nothing to report to the user
        with (
            _blas_threads().limit(limits=limits, user_api="blas"),
            np.errstate(all="ignore"),
        ):
            q, status, n_iter = _solve_newton(
                p1, p2, allowed, verbose=verbose, **options
            )
    else:
        q, status, n_iter = _solve_cvxpy(p1, p2, allowed, name, options, verbose)
    q = _polish(np.where(allowed, np.clip(q, 0, None), 0.0), p1, p2)
    return q, status, n_iter


def _polish(q, p1, p2, tol=1e-15, max_iter=1000):
    """Rescale each label's slice of q to the target row and column sums.

    Newton steps on the scaling factors first (quadratic convergence from a
    nearly feasible q, where alternating rescaling can take a thousand sweeps),
    then alternating row and column rescaling (Sinkhorn) until the row sums
    are within ``tol``.
    """
    n1, n2, ny = q.shape
    if ny * (n1 + n2) ** 2 <= _NEWTON_POLISH_MAX:
        q = _newton_scale(q, p1, p2, tol)
    for _ in range(max_iter):
        rows = q.sum(axis=1)
        q = q * np.divide(p1, rows, out=np.ones_like(p1), where=rows > 0)[:, None, :]
        cols = q.sum(axis=0)
        q = q * np.divide(p2, cols, out=np.ones_like(p2), where=cols > 0)[None, :, :]
        if np.abs(q.sum(axis=1) - p1).max() <= tol:
            break
    return q


def _newton_scale(q, p1, p2, tol, max_steps=5):
    """Scale each label's slice, q * exp(a_x1 + b_x2), to its marginals by Newton.

    The equations of one label (row and column sums) have the Jacobian
    ``[[diag(rows), Q], [Q^T, diag(cols)]]``; one column per label is pinned
    (the factors are defined up to a constant moved from a to b). Stops when
    a step does not reduce the violation (q is then not close enough to
    feasible, and the rescaling loop takes over).
    """
    n1, n2, ny = q.shape
    labels = np.arange(ny)
    pinned = n1 + np.argmax(p2, axis=0)
    violation = _violation(q, p1, p2)
    for _ in range(max_steps):
        if violation <= tol:
            break
        slices = q.transpose(2, 0, 1)  # (ny, n1, n2)
        rows, cols = slices.sum(axis=2), slices.sum(axis=1)
        jac = np.zeros((ny, n1 + n2, n1 + n2))
        jac[:, :n1, n1:] = slices
        jac[:, n1:, :n1] = slices.transpose(0, 2, 1)
        diag = np.concatenate([rows, cols], axis=1)
        rhs = np.concatenate([p1.T - rows, p2.T - cols], axis=1)
        diag[diag <= 0] = 1.0  # rows without mass: their factor is not used
        jac[:, np.arange(n1 + n2), np.arange(n1 + n2)] = diag
        jac[labels, pinned, :] = 0.0
        jac[labels, :, pinned] = 0.0
        jac[labels, pinned, pinned] = 1.0
        rhs[labels, pinned] = 0.0
        try:
            step = np.linalg.solve(jac, rhs[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            break
        scaled = q * np.exp(step[:, :n1].T[:, None, :] + step[:, n1:].T[None, :, :])
        new_violation = _violation(scaled, p1, p2)
        if not new_violation < violation:
            break
        q, violation = scaled, new_violation
    return q


def _violation(q, p1, p2):
    """Largest absolute row or column sum error of q against p1 and p2."""
    return max(np.abs(q.sum(axis=1) - p1).max(), np.abs(q.sum(axis=0) - p2).max())


# --------------------------------------------------------------------------- CVXPY


def _solve_cvxpy(p1, p2, allowed, name, options, verbose):
    """The convex program on the support, solved by a CVXPY conic solver."""
    import cvxpy as cp

    n1, n2, ny = allowed.shape
    i, j, k = np.nonzero(allowed)
    n = i.size
    if n > CVXPY_MAX_ENTRIES:
        raise MemoryError(
            f"{n} table entries on the support exceed the CVXPY route's limit "
            f"({CVXPY_MAX_ENTRIES}); fewer states (n_bins, n_clusters) keep it solvable"
        )
    _, cell = np.unique(i * n2 + j, return_inverse=True)
    sum_cells = sparse.csr_array((np.ones(n), (cell, np.arange(n))))
    rows1, inv1 = np.unique(i * ny + k, return_inverse=True)
    rows2, inv2 = np.unique(j * ny + k, return_inverse=True)
    marg1 = sparse.csr_array((np.ones(n), (inv1, np.arange(n))))
    marg2 = sparse.csr_array((np.ones(n), (inv2, np.arange(n))))
    v = cp.Variable(n, nonneg=True)
    # q(x1, x2) as its own variable: each entry's cone then refers to one cell
    # variable, not to the |Y| entries of its cell (a |Y| times sparser
    # problem: 15x faster at 16x16x16, and no fill-in that exhausts memory)
    q12 = cp.Variable(sum_cells.shape[0], nonneg=True)
    problem = cp.Problem(
        cp.Minimize(cp.sum(cp.rel_entr(v, q12[cell]))),
        [
            marg1 @ v == p1.ravel()[rows1],
            marg2 @ v == p2.ravel()[rows2],
            sum_cells @ v == q12,
        ],
    )
    with warnings.catch_warnings():  # its status says it; the caller reports it
        warnings.filterwarnings("ignore", "Solution may be inaccurate")
        problem.solve(solver=name, verbose=verbose > 1, **options)
    if problem.status not in ("optimal", "optimal_inaccurate") or v.value is None:
        raise RuntimeError(f"solver status {problem.status!r}")
    q = np.zeros(allowed.shape)
    q[i, j, k] = v.value
    n_iter = problem.solver_stats.num_iters or 0
    return q, problem.status, int(n_iter)


# -------------------------------------------------------------------------- Newton


def _solve_newton(p1, p2, allowed, tol=1e-9, max_iter=500, verbose=0):
    """Primal-dual interior-point method on the dual geometric program.

    With the slack ``s = -F(z)`` of each cell's constraint and its multiplier
    ``theta`` (the cell's mass ``q(x1, x2)``), each step is a Newton step on
    ``sum_cells theta grad F = c`` (``q = theta softmax`` meets the marginals)
    and ``theta s = mu``. The z step keeps every slack positive and decreases
    the barrier function ``-<c, z> - mu sum log s`` (Armijo); ``mu`` falls by
    ``_MU_FACTOR`` each time the iterate is centred.

    Parameters
    ----------
    p1, p2 : ndarray of shape (n_1, n_y), (n_2, n_y)
        Target marginals p(x1, y) and p(x2, y).
    allowed : ndarray of bool, shape (n_1, n_2, n_y)
        Support: ``p1[x1, y] > 0 and p2[x2, y] > 0``.
    tol : float, default=1e-9
        Certified duality gap at which to stop, in nats: the primal value of
        the polished ``q`` minus the dual value of the current dual point.
    max_iter : int, default=500
        Largest number of Newton steps. If they run out, or if the gap has not
        halved in ``_STALL_CHECKS`` certifications in a row (rounding then
        limits it, not the method), the best table met is returned when its
        certified gap is below ``_STALL_FACTOR * tol`` (status
        ``"optimal_inaccurate"``).

    Returns
    -------
    q : ndarray of shape (n_1, n_2, n_y)
    status : str
    n_iter : int

    Raises
    ------
    RuntimeError
        If the steps ran out before the gap fell below ``_STALL_FACTOR * tol``.
    """
    dual = _Dual(p1, p2, allowed)
    cells, n_cells = dual.cells, dual.n_cells
    z = dual.start()
    f, pi = dual.evaluate(z)
    s = np.where(cells, -f, 1.0)
    mu = 1.0 / (1.0 / s[cells]).sum()
    theta = np.where(cells, mu / s, 0.0)
    mu_min = tol / (10.0 * n_cells)
    best_q, best_gap, stalled, stage_steps = None, np.inf, 0, 0
    for n_iter in range(max_iter):
        residual = np.abs(dual.marginals(theta[:, :, None] * pi) - dual.c).max()
        spread = np.abs(theta * s - mu)[cells].max()
        centred = max(residual, spread) <= _KAPPA_CENTRED * mu
        near = n_cells * mu <= _CHECK_BELOW * tol and n_iter % _CHECK_EVERY == 0
        if (centred and n_cells * mu <= tol / 2) or near:
            q = _polish(theta[:, :, None] * pi, p1, p2, max_iter=200)
            gap = _neg_cond_entropy(q) - dual.c @ z
            if gap <= tol:
                return q, "optimal", n_iter
            stalled = 0 if gap < best_gap / 2 else stalled + 1
            if gap < best_gap:
                best_q, best_gap = q, gap
            if stalled >= _STALL_CHECKS and best_gap <= _STALL_FACTOR * tol:
                return best_q, "optimal_inaccurate", n_iter  # rounding stops it
        if centred and mu > mu_min:
            if verbose:
                print(
                    f"newton: mu={mu:.3g}, {stage_steps} steps, residual {residual:.3g}"
                )
            mu, stage_steps = max(mu_min, _MU_FACTOR * mu), 0
        z, f, pi, s, theta = _step(dual, z, pi, s, theta, mu)
        stage_steps += 1
    if best_gap <= _STALL_FACTOR * tol:
        return best_q, "optimal_inaccurate", max_iter
    raise RuntimeError(
        f"no convergence in {max_iter} Newton steps (certified gap {best_gap:.3g} nats)"
    )


def _step(dual, z, pi, s, theta, mu):
    """One primal-dual Newton step towards theta * s = mu; returns the new point."""
    cells = dual.cells
    weight = np.where(cells, theta / s - theta, 0.0)
    hess = dual.hessian(theta, weight, pi)
    rhs = dual.c - dual.marginals(np.where(cells, mu / s, 0.0)[:, :, None] * pi)
    _pin(hess, rhs, dual.free)
    dz = _solve_spd(hess, rhs)
    slope_s = dual.along(pi, dz)  # -ds: first-order change of F per unit step
    d_theta = np.where(cells, (mu - theta * s + theta * slope_s) / s, 0.0)
    alpha_theta = _to_boundary(theta[cells], d_theta[cells])
    alpha = _to_boundary(s[cells], -slope_s[cells])
    gain = dual.c @ dz
    slope = -gain + mu * (slope_s[cells] / s[cells]).sum()  # barrier's derivative
    while alpha > 1e-14:
        new_f, new_pi = dual.evaluate(z + alpha * dz)
        new_s = -new_f[cells]
        if np.all(new_s >= _KEEP * s[cells]):
            change = -alpha * gain - mu * np.log(new_s / s[cells]).sum()
            if change <= 1e-4 * alpha * slope:
                break
            alpha *= 0.5
        else:
            alpha *= 0.8
    else:
        raise RuntimeError("the Newton line search found no step")
    theta = theta + alpha_theta * d_theta
    s = np.where(cells, -new_f, 1.0)
    low, high = mu / (_KAPPA_SPREAD * s), _KAPPA_SPREAD * mu / s
    theta = np.where(cells, np.clip(theta, low, high), 0.0)
    return z + alpha * dz, new_f, new_pi, s, theta


def _to_boundary(x, dx):
    """Largest step <= 1 that keeps the share ``1 - _KEEP`` of positive x's."""
    shrinking = dx < 0
    if not shrinking.any():
        return 1.0
    return min(1.0, (1 - _KEEP) * float((-x[shrinking] / dx[shrinking]).min()))


def _neg_cond_entropy(q):
    """-H_q(Y | X1, X2) in nats, the primal objective."""
    q12 = q.sum(axis=2, keepdims=True)
    mask = q > 0
    return float(
        (q[mask] * np.log(q[mask] / np.broadcast_to(q12, q.shape)[mask])).sum()
    )


class _Dual:
    """The dual problem of a table: its data, constraint functions and Hessian.

    The dual variables ``z`` are ``lam`` (n_1 * n_y, row-major) followed by
    ``mu`` (n_2 * n_y); one ``mu`` per label is pinned at 0 (a gauge: adding a
    constant to ``lam[:, y]`` and subtracting it from ``mu[:, y]`` changes
    nothing).
    """

    def __init__(self, p1, p2, allowed):
        self.allowed = allowed
        self.cells = allowed.any(axis=2)
        self.n_cells = int(self.cells.sum())
        self.n1, self.n2, self.ny = allowed.shape
        free_m = p2 > 0
        free_m[np.argmax(free_m, axis=0), np.arange(self.ny)] = False
        self.free = np.concatenate([(p1 > 0).ravel(), free_m.ravel()])
        self.c = np.concatenate([p1.ravel(), p2.ravel()]) * self.free
        # positions of the n_1 + n_2 diagonal blocks (n_y x n_y) of the Hessian
        ny = self.ny
        first = np.arange(self.n1 + self.n2)[:, None, None] * ny
        block = np.arange(ny)
        rows = first + block[:, None]
        cols = first + block[None, :]
        self.block_rows, self.block_cols = (
            np.broadcast_to(a, (self.n1 + self.n2, ny, ny)).ravel()
            for a in (rows, cols)
        )

    def start(self):
        """A strictly feasible point: every F = log(n_allowed / n_y) - 1 < 0."""
        return np.concatenate(
            [
                np.full(self.n1 * self.ny, -np.log(self.ny) - 1.0),
                np.zeros(self.n2 * self.ny),
            ]
        )

    def split(self, z):
        """``lam`` (n_1, n_y) and ``mu`` (n_2, n_y) of a dual vector."""
        d1 = self.n1 * self.ny
        return z[:d1].reshape(self.n1, self.ny), z[d1:].reshape(self.n2, self.ny)

    def evaluate(self, z):
        """Return F (n_1, n_2) = logsumexp_y s and the softmax pi (n_1, n_2, n_y)."""
        lam, mu = self.split(z)
        s = np.where(self.allowed, lam[:, None, :] + mu[None, :, :], -np.inf)
        # logsumexp over y and the softmax in one pass (scipy's logsumexp
        # costs half of a small table's solve in array-API overhead)
        top = s.max(axis=2, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        e = np.exp(s - top)
        total = e.sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.log(total) + top[:, :, 0]
            pi = e / total[:, :, None]
        return np.where(self.cells, f, -np.inf), np.where(self.allowed, pi, 0.0)

    def marginals(self, a):
        """The (x1, y) and (x2, y) sums of a[x1, x2, y] as one dual-sized vector,
        zero at the pinned variables."""
        return (
            np.concatenate([a.sum(axis=1).ravel(), a.sum(axis=0).ravel()]) * self.free
        )

    def along(self, pi, dz):
        """Per cell, the derivative of F along dz: sum_y pi (dlam + dmu)."""
        d_lam, d_mu = self.split(dz)
        return (pi * (d_lam[:, None, :] + d_mu[None, :, :])).sum(axis=2)

    def hessian(self, theta, weight, pi):
        """sum over cells of theta diag(pi) + weight pi pi^T, on (lam, mu)."""
        n1, n2, ny = self.n1, self.n2, self.ny
        outer = (weight[:, :, None] * pi)[:, :, :, None] * pi[:, :, None, :]
        eye = np.arange(ny)
        outer[:, :, eye, eye] += theta[:, :, None] * pi
        d1 = n1 * ny
        hess = np.zeros((d1 + n2 * ny, d1 + n2 * ny))
        hess[:d1, d1:] = outer.transpose(0, 2, 1, 3).reshape(d1, n2 * ny)
        hess[d1:, :d1] = hess[:d1, d1:].T
        blocks = np.concatenate([outer.sum(axis=1), outer.sum(axis=0)])
        hess[self.block_rows, self.block_cols] = blocks.ravel()
        return hess


def _pin(hess, grad, free):
    """Fix the variables outside ``free``: identity rows/columns, zero gradient."""
    pinned = np.flatnonzero(~free)
    hess[pinned, :] = 0.0
    hess[:, pinned] = 0.0
    hess[pinned, pinned] = 1.0
    grad[pinned] = 0.0


def _solve_spd(h, b):
    """Solve h x = b for a symmetric positive definite h by
    LAPACK's Cholesky routines directly (scipy's wrappers cost a fifth of a
    small table's step); a growing ridge is added if h is numerically singular."""
    factor, info = lapack.dpotrf(h, lower=True, clean=False, overwrite_a=False)
    ridge = max(np.abs(np.diag(h)).max(), 1e-300) * 1e-14
    while info != 0:
        factor, info = lapack.dpotrf(
            h + ridge * np.eye(h.shape[0]), lower=True, clean=False
        )
        ridge *= 100
    x, info = lapack.dpotrs(factor, b, lower=True)
    if info != 0:
        raise linalg.LinAlgError(f"LAPACK dpotrs failed (info={info})")
    return x
