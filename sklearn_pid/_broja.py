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
from threadpoolctl import threadpool_limits

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

#: Factor by which the barrier parameter grows between centring stages.
_T_GROWTH = 10.0

#: A Newton solve that runs out of steps still returns its best table when the
#: table's certified gap is below this multiple of ``tol`` (status
#: ``"optimal_inaccurate"``): near ``tol`` the gap is limited by floating-point
#: precision, not by the method (1e-7 nats by default, every atom exact to
#: 1.5e-7 bits).
_STALL_FACTOR = 100.0

#: Certifications in a row without halving the gap that count as a stall.
_STALL_CHECKS = 3

#: Largest number of table entries on the support handed to a CVXPY solver.
#: Measured with CLARABEL on the modular sum y = x1 + x2 mod m: m = 32 (32,768
#: entries) 24 s and 0.34 GB; m = 64 (262,144) over 10 min at 1.7 GB. The
#: former formulation asked for 329 GB there, and a failed allocation ends
#: the Python process: past this size the route raises instead.
CVXPY_MAX_ENTRIES = 100_000

#: Below this many dual variables the Newton solver runs BLAS on one thread:
#: multithreaded factorisations of small matrices only add synchronisation,
#: which costs up to 10x on a busy machine or inside parallel grid searches.
_SINGLE_THREAD_BELOW = 1500

#: A Newton step may shrink no constraint's slack -F below this fraction of its
#: value (fraction to the boundary): iterates that jump next to the boundary
#: of a cell need tens of steps to leave it.
_KEEP_SLACK = 0.5

#: Newton steps between two certifications of the duality gap.
_CHECK_EVERY = 10


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
            threadpool_limits(limits=limits, user_api="blas"),
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
    """Rescale each label's slice of q to the target row and column sums."""
    for _ in range(max_iter):
        rows = q.sum(axis=1)
        q = q * np.divide(p1, rows, out=np.ones_like(p1), where=rows > 0)[:, None, :]
        cols = q.sum(axis=0)
        q = q * np.divide(p2, cols, out=np.ones_like(p2), where=cols > 0)[None, :, :]
        if np.abs(q.sum(axis=1) - p1).max() <= tol:
            break
    return q


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
    """Log-barrier Newton method on the dual geometric program.

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
        Largest total number of Newton steps. If they run out, or if the gap
        has not halved in ``_STALL_CHECKS`` certifications in a row (rounding
        then limits it, not the method), the best table met is returned when
        its certified gap is below ``_STALL_FACTOR * tol`` (status
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
    n1, n2, ny = allowed.shape
    cells = allowed.any(axis=2)
    n_cells = int(cells.sum())
    free_m = p2 > 0
    free_m[np.argmax(free_m, axis=0), np.arange(ny)] = False  # gauge: pin one mu per y
    free = np.concatenate([(p1 > 0).ravel(), free_m.ravel()])
    c = np.concatenate([p1.ravel(), p2.ravel()]) * free  # dual objective
    z = np.concatenate([np.full(n1 * ny, -np.log(ny) - 1.0), np.zeros(n2 * ny)])
    state = _DualState(allowed, cells)
    t = float(n_cells)
    n_iter = 0
    best_q, best_gap, stalled = None, np.inf, 0
    while True:
        stage_steps = 0
        centred = False
        while not centred:  # centre at t, certifying every _CHECK_EVERY steps
            budget = min(_CHECK_EVERY, max_iter - n_iter)
            if budget <= 0:
                if best_gap <= _STALL_FACTOR * tol:
                    return best_q, "optimal_inaccurate", n_iter
                raise RuntimeError(
                    f"no convergence in {n_iter} Newton steps (certified gap "
                    f"{best_gap:.3g} nats)"
                )
            z, f, pi, factor, steps, centred = _centre(state, z, free, c, t, budget)
            n_iter += steps
            stage_steps += steps
            theta = np.where(cells, 1.0 / (t * np.where(cells, -f, 1.0)), 0.0)
            q = _polish(theta[:, :, None] * pi, p1, p2, max_iter=200)
            gap = _neg_cond_entropy(q) - c @ z
            if gap <= tol:
                return q, "optimal", n_iter
            stalled = 0 if gap < best_gap / 2 else stalled + 1
            if gap < best_gap:
                best_q, best_gap = q, gap
            if stalled >= _STALL_CHECKS and best_gap <= _STALL_FACTOR * tol:
                return best_q, "optimal_inaccurate", n_iter  # rounding stops it
        if verbose:
            print(
                f"newton: t={t:.3g}, {stage_steps} steps, certified gap {gap:.3g} nats"
            )
        t_next = (
            min(_T_GROWTH * t, 2 * n_cells / tol) if t < 2 * n_cells / tol else 10 * t
        )
        z = _predict(state, z, c, factor, t_next - t)
        t = t_next


def _neg_cond_entropy(q):
    """-H_q(Y | X1, X2) in nats, the primal objective."""
    q12 = q.sum(axis=2, keepdims=True)
    mask = q > 0
    return float(
        (q[mask] * np.log(q[mask] / np.broadcast_to(q12, q.shape)[mask])).sum()
    )


class _DualState:
    """Evaluates the dual constraint functions and their derivatives."""

    def __init__(self, allowed, cells):
        self.allowed = allowed
        self.cells = cells
        self.n1, self.n2, self.ny = allowed.shape

    def evaluate(self, z):
        """Return F (n_1, n_2) = logsumexp_y s and the softmax pi (n_1, n_2, n_y)."""
        n1, n2, ny = self.n1, self.n2, self.ny
        lam = z[: n1 * ny].reshape(n1, ny)
        mu = z[n1 * ny :].reshape(n2, ny)
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

    def derivatives(self, f, pi, c, t):
        """Gradient and Hessian of the barrier in the full (lam, mu) space."""
        n1, n2, ny = self.n1, self.n2, self.ny
        w = np.where(self.cells, 1.0 / np.where(self.cells, -f, 1.0), 0.0)
        a = w[:, :, None] * pi
        grad = np.concatenate([a.sum(axis=1).ravel(), a.sum(axis=0).ravel()])
        grad -= t * c
        # per cell: w diag(pi) + (w^2 - w) pi pi^T, mapped onto lam and mu
        outer = ((w**2 - w)[:, :, None] * pi)[:, :, :, None] * pi[:, :, None, :]
        eye = np.arange(ny)
        outer[:, :, eye, eye] += a
        d1 = n1 * ny
        hess = np.zeros((d1 + n2 * ny, d1 + n2 * ny))
        hess[:d1, d1:] = outer.transpose(0, 2, 1, 3).reshape(d1, n2 * ny)
        hess[d1:, :d1] = hess[:d1, d1:].T
        h_ll = outer.sum(axis=1)
        h_mm = outer.sum(axis=0)
        for i in range(n1):
            hess[i * ny : (i + 1) * ny, i * ny : (i + 1) * ny] = h_ll[i]
        for j in range(n2):
            o = d1 + j * ny
            hess[o : o + ny, o : o + ny] = h_mm[j]
        return grad, hess


def _centre(state, z, free, c, t, budget, eps=1e-8):
    """Minimise the barrier at fixed t by damped Newton steps.

    The sufficient-decrease test uses the barrier's change, computed as
    ``-t <c, dz> - sum log(F_new / F_old)`` so that it stays accurate when the
    barrier's value itself is large.

    Returns
    -------
    z, f, pi : the last point and its constraint values and softmax
    factor : Cholesky factor of the Hessian at the last point
    steps : Newton steps taken
    centred : False if the budget ran out before the Newton decrement was small
    """
    f, pi = state.evaluate(z)
    cells = state.cells
    for step in range(1, budget + 1):
        grad, hess = state.derivatives(f, pi, c, t)
        _pin(hess, grad, free)
        factor = _cholesky(hess)
        full = -linalg.cho_solve(factor, grad, check_finite=False)
        decrement = -grad @ full
        if decrement / 2 <= eps:
            return z, f, pi, factor, step, True
        slope = -t * c @ full
        alpha = 1.0
        while alpha > 1e-10:
            new_f, new_pi = state.evaluate(z + alpha * full)
            if np.all(new_f[cells] < _KEEP_SLACK * f[cells]):
                change = alpha * slope - np.log(new_f[cells] / f[cells]).sum()
                if change <= -0.25 * alpha * decrement:
                    break
            alpha *= 0.5
        else:
            return z, f, pi, factor, step, True
        z, f, pi = z + alpha * full, new_f, new_pi
    return z, f, pi, factor, budget, False


def _predict(state, z, c, factor, dt):
    """Step along the central path's tangent dz/dt = H^-1 c, kept feasible."""
    full = dt * linalg.cho_solve(factor, c, check_finite=False)
    alpha = 1.0
    while alpha > 1e-3:
        f, _ = state.evaluate(z + alpha * full)
        if np.all(f[state.cells] < -1e-300):
            return z + 0.9 * alpha * full
        alpha *= 0.5
    return z


def _pin(hess, grad, free):
    """Fix the variables outside ``free``: identity rows/columns, zero gradient."""
    pinned = np.flatnonzero(~free)
    hess[pinned, :] = 0.0
    hess[:, pinned] = 0.0
    hess[pinned, pinned] = 1.0
    grad[pinned] = 0.0


def _cholesky(h):
    """Cholesky factor of h, with a growing ridge if h is numerically singular."""
    try:
        return linalg.cho_factor(h, check_finite=False)
    except linalg.LinAlgError:
        pass
    ridge = max(np.abs(np.diag(h)).max(), 1e-300) * 1e-14
    while True:
        try:
            return linalg.cho_factor(h + ridge * np.eye(h.shape[0]), check_finite=False)
        except linalg.LinAlgError:
            ridge *= 100
