"""Solvers for the BROJA optimisation problem of a discrete joint table.

Given ``p[x1, x2, y]``, find the table ``q`` with the same ``(x1, y)`` and
``(x2, y)`` marginals that has the largest conditional entropy
``H_q(Y | X1, X2)`` (Bertschinger et al., 2014; Liang et al., 2023, §3.1).

Both routes work on the problem's support only: the entries ``(x1, x2, y)``
with ``p(x1, y) > 0`` and ``p(x2, y) > 0`` (:class:`_Problem`), so a sparse
table (a large alphabet whose states each meet few labels) costs what its
allowed entries cost, not ``|X1| |X2| |Y|``.

* ``"newton"``: a primal-dual interior-point method on the dual problem. With
  ``s(x1, x2, y) = lam(x1, y) + mu(x2, y)`` the dual is the geometric program
  ``max <p1, lam> + <p2, mu>`` subject to ``logsumexp_y s(x1, x2, y) <= 0`` for
  every cell, and ``q(x1, x2, y) = theta(x1, x2) softmax_y s(x1, x2, y)`` where
  ``theta`` are the multipliers of those constraints. Each Newton system is
  solved through the Schur complement of one side of the dual variables
  (the other side's block is block diagonal), densely, or by a sparse
  factorisation, whichever fits the problem. It stops on a certificate: the
  primal value of the polished ``q`` (which meets the marginals) minus the
  value of the current dual point (which is feasible) bounds the error of
  every atom, and must fall below ``tol`` (1e-9 nats).
* any exponential-cone solver installed for CVXPY (``"CLARABEL"``, ``"ECOS"``,
  ``"SCS"``, ...), on the convex program with one variable per allowed entry.

Both routes end with a polish that removes the solver's residual marginal
violation (each label's entries of ``q`` are rescaled to their row and column
sums, by Newton steps and then alternating rescaling; the zero pattern is
kept).
"""

import functools
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse
from scipy.linalg import lapack
from scipy.sparse import linalg as sparse_linalg
from threadpoolctl import ThreadpoolController

from ._validation import warn

#: Exponential-cone solvers tried, in this order, after the chosen solver fails.
FALLBACK_SOLVERS = ("CLARABEL", "ECOS", "SCS")

#: CLARABEL settings of the ``"auto"`` route (atoms exact to ~1e-9 bit).
TIGHT_CLARABEL = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}

#: Keyword options of the Newton solver.
_NEWTON_OPTIONS = {"tol", "max_iter"}

#: Largest number of dual variables (one per positive p(x1, y) and p(x2, y))
#: whose Newton system is factorised densely: 8 n^2 bytes (n = 6000: 288 MB).
_DENSE_MAX_VARS = 6000

#: Up to this many dual variables the Newton system is always dense; above it,
#: a sparse factorisation is used unless the system holds more than
#: ``_DENSE_SHARE`` of a dense one's entries.
_SPARSE_ABOVE = 1500
_DENSE_SHARE = 0.05

#: From this many dual variables on, the Newton system is solved through the
#: Schur complement of its larger side when that pays (see :class:`_Schur`).
_SCHUR_ABOVE = 300

#: Largest coupling block (padded eliminated variables x kept variables) of
#: the Schur route: 400 MB.
_SCHUR_MAX = 50_000_000

#: Largest number of allowed entries (x1, x2, y) of a problem: past it
#: solve_broja raises a SolverError instead of exhausting memory. The Newton
#: solver's ordered pairs of entries of one cell (about 100 bytes each across
#: its index arrays: 0.6 GB at 256x256x10) may reach 4x this; past that it
#: raises a MemoryError, and the next solver (CVXPY's, which refuses more than
#: CVXPY_MAX_ENTRIES) is tried.
MAX_ENTRIES = 10_000_000

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

#: Below this size of its dense factorisation the Newton solver runs BLAS on
#: one thread:
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
    q : ndarray or scipy.sparse.coo_array of shape (n_1, n_2, n_y)
        The optimal table (sparse when ``p`` was).
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
    p : ndarray of shape (n_1, n_2, n_y) or 3-D scipy.sparse.coo_array
        Joint probability table ``p[x1, x2, y]`` (non-negative, sums to 1). A
        sparse table is solved on its support: the work grows with the
        entries ``(x1, x2, y)`` whose marginals ``p(x1, y)`` and ``p(x2, y)``
        are both positive, not with ``n_1 n_2 n_y``.
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
        ``>= 1`` prints the Newton solver's progress (one line per value of
        its barrier parameter); ``> 1`` also lets CVXPY solvers print their log.

    Returns
    -------
    BrojaSolution
        Its ``q`` has the type of ``p`` (dense, or a sparse ``coo_array``).

    Raises
    ------
    SolverError
        If no solver reached an optimal (or optimal-inaccurate) status (the
        message holds every solver's error), or if the support has more than
        :data:`MAX_ENTRIES` entries.
    """
    table = _Table(p)
    problem = _Problem(table)
    errors = []
    for name, options in _solver_chain(solver, solver_options):
        try:
            q, status, n_iter = _run(name, problem, options, verbose)
        except _failures() as exc:  # a numerical failure moves to the next solver
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        violation = problem.violation(q) * table.total
        if errors:
            warn(_fallback_message(errors[0], name, status, violation), RuntimeWarning)
        return BrojaSolution(table.output(problem, q), name, status, violation, n_iter)
    raise SolverError("No solver could solve the BROJA problem:\n" + "\n".join(errors))


def _fallback_message(error, name, status, violation):
    """One sentence: what failed, which solver took over, and its check."""
    accuracy = "" if status == "optimal" else f" (its status: {status!r})"
    return (
        f"The BROJA solver {error}; {name!r} solved the problem instead{accuracy}, "
        f"and its table meets the marginals of p to {violation:.1g}."
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


def _run(name, problem, options, verbose):
    """Solve the problem with one solver; the polished q on the entries."""
    if name == "newton":
        limits = 1 if problem.factor_size() < _SINGLE_THREAD_BELOW else None
        # a barrier parameter past what float64 resolves gives inf and nan,
        # which the certificate rejects: nothing to report to the user
        with (
            _blas_threads().limit(limits=limits, user_api="blas"),
            np.errstate(all="ignore"),
        ):
            q, status, n_iter = _solve_newton(problem, verbose=verbose, **options)
    else:
        q, status, n_iter = _solve_cvxpy(problem, name, options, verbose)
    with np.errstate(all="ignore"):  # a rescaling step that overflows is refused
        return problem.polish(np.clip(q, 0, None)), status, n_iter


# ---------------------------------------------------------------------- the table


class _Table:
    """The non-zero entries of a table ``p[x1, x2, y]``, normalised.

    Parameters
    ----------
    p : ndarray of shape (n_1, n_2, n_y) or 3-D scipy.sparse.coo_array
    """

    def __init__(self, p):
        self.sparse = sparse.issparse(p)
        if self.sparse:
            p = sparse.coo_array(p, dtype=float)  # before summing duplicates
            p.sum_duplicates()
            x1, x2, y = p.coords
            values = np.asarray(p.data, dtype=float)
        else:
            p = np.asarray(p, dtype=float)
            x1, x2, y = np.nonzero(p)
            values = p[x1, x2, y]
        self.shape = p.shape
        keep = values > 0
        if not keep.any():
            raise ValueError("p has no positive entry.")
        self.x1, self.x2, self.y = x1[keep], x2[keep], y[keep]
        self.total = float(values[keep].sum())
        self.values = values[keep] / self.total

    def output(self, problem, q):
        """q on the entries of ``problem`` as a table of the type of p."""
        q = q * self.total
        if self.sparse:
            return sparse.coo_array(
                (q, (problem.x1, problem.x2, problem.y)), shape=self.shape
            )
        out = np.zeros(self.shape)
        out[problem.x1, problem.x2, problem.y] = q
        return out


class _Problem:
    """The BROJA problem on its support.

    Its rows are the pairs ``(x1, y)`` with ``p(x1, y) > 0``, its columns the
    pairs ``(x2, y)`` with ``p(x2, y) > 0``, and its entries the allowed
    ``(x1, x2, y)``: a row and a column of the same label. Entries are sorted
    by cell ``(x1, x2)``. The dual variables are one ``lam`` per row and one
    ``mu`` per column; for each label one ``mu`` is pinned at 0 (adding a
    constant to the label's ``lam`` and subtracting it from its ``mu``
    changes nothing).
    """

    def __init__(self, table):
        n1, n2, ny = table.shape
        row_codes, row_of = np.unique(table.y * n1 + table.x1, return_inverse=True)
        col_codes, col_of = np.unique(table.y * n2 + table.x2, return_inverse=True)
        self.p_row = np.bincount(row_of, table.values, row_codes.size)
        self.p_col = np.bincount(col_of, table.values, col_codes.size)
        row_y, col_y = row_codes // n1, col_codes // n2
        # every row meets every column of its label (columns sorted by label)
        per_label = np.bincount(col_y, minlength=ny)
        first_col = np.cumsum(per_label) - per_label
        counts = per_label[row_y]
        n_entries = int(counts.sum())
        if n_entries > MAX_ENTRIES:
            raise SolverError(
                f"{n_entries} table entries on the support exceed the solvers' limit "
                f"({MAX_ENTRIES}); fewer states (n_bins, n_clusters) keep it solvable"
            )
        row = np.repeat(np.arange(row_codes.size), counts)
        offset = np.arange(n_entries) - np.repeat(np.cumsum(counts) - counts, counts)
        col = first_col[row_y[row]] + offset
        x1, x2 = row_codes[row] % n1, col_codes[col] % n2
        cell_codes, cell = np.unique(x1 * n2 + x2, return_inverse=True)
        order = np.argsort(cell, kind="stable")
        self.row, self.col, self.cell = row[order], col[order], cell[order]
        self.x1, self.x2, self.y = x1[order], x2[order], row_y[row[order]]
        self.n_rows, self.n_cols = row_codes.size, col_codes.size
        self.n_cells, self.n_entries = cell_codes.size, n_entries
        self.starts = np.flatnonzero(np.r_[True, np.diff(self.cell) > 0])
        self.sizes = np.diff(np.r_[self.starts, n_entries])
        self._set_gauge(col_y)

    def _set_gauge(self, col_y):
        """Pin the largest column of each label; number the rest.

        Every row of a label meets every column of that label, so the rows
        and columns of one label are connected and one pin per label fixes
        the gauge.
        """
        order = np.lexsort((-self.p_col, col_y))
        first = order[np.r_[True, np.diff(col_y[order]) > 0]]
        free = np.ones(self.n_cols, dtype=bool)
        free[first] = False
        self.free_col = free
        self.col_var = np.where(free, self.n_rows + np.cumsum(free) - 1, -1)
        self.n_vars = self.n_rows + int(free.sum())
        self.c = np.concatenate([self.p_row, self.p_col[free]])

    def factor_size(self):
        """Size of the dense matrix the Newton solver factorises (about)."""
        if self.n_vars < _SCHUR_ABOVE:
            return self.n_vars
        return min(self.n_rows, self.n_vars - self.n_rows)

    # -- per-entry and per-cell arithmetic

    def cell_sum(self, a):
        """Sum of a per-entry array over each cell."""
        return np.add.reduceat(a, self.starts)

    def marginals(self, q):
        """Row and column sums of q (per entry)."""
        return (
            np.bincount(self.row, q, self.n_rows),
            np.bincount(self.col, q, self.n_cols),
        )

    def violation(self, q):
        """Largest absolute error of q's row and column sums."""
        rows, cols = self.marginals(q)
        return float(
            max(np.abs(rows - self.p_row).max(), np.abs(cols - self.p_col).max())
        )

    def to_vars(self, rows, cols):
        """A dual-sized vector from per-row and per-column values."""
        return np.concatenate([rows, cols[self.free_col]])

    def entry_values(self, z):
        """lam(row) + mu(col) of each entry (pinned mu are 0)."""
        mu = np.zeros(self.n_cols)
        mu[self.free_col] = z[self.n_rows :]
        return z[: self.n_rows][self.row] + mu[self.col]

    def neg_cond_entropy(self, q):
        """-H_q(Y | X1, X2) in nats, the primal objective."""
        q12 = self.cell_sum(q)[self.cell]
        mask = q > 0
        return float((q[mask] * np.log(q[mask] / q12[mask])).sum())

    # -- rescaling to the marginals

    def polish(self, q, tol=1e-15, max_iter=1000):
        """Rescale q's entries of each label to the target row and column sums.

        Newton steps on the scaling factors first (quadratic convergence from
        a nearly feasible q, where alternating rescaling can take a thousand
        sweeps), then alternating row and column rescaling (Sinkhorn) until
        the row sums are within ``tol``.
        """
        q = self._newton_scale(q, tol)
        rows = np.bincount(self.row, q, self.n_rows)
        for _ in range(max_iter):
            q = q * _ratio(self.p_row, rows)[self.row]
            cols = np.bincount(self.col, q, self.n_cols)
            q = q * _ratio(self.p_col, cols)[self.col]
            rows = np.bincount(self.row, q, self.n_rows)
            if np.abs(rows - self.p_row).max() <= tol:
                break
        return q

    def _newton_scale(self, q, tol, max_steps=5):
        """Newton steps on q * exp(a_row + b_col) towards the marginals.

        The Jacobian of the row and column sums is
        ``[[diag(rows), Q], [Q^T, diag(cols)]]`` on the dual variables (the
        pinned columns keep b = 0). Stops when a step does not reduce the
        violation (q is then not close enough to feasible, and the rescaling
        loop takes over).
        """
        violation = self.violation(q)
        r_var, c_var = self.row, self.col_var[self.col]
        on = c_var >= 0
        for _ in range(max_steps):
            if violation <= tol:
                break
            rows, cols = self.marginals(q)
            diag = self.to_vars(rows, cols)
            index = np.arange(self.n_vars)
            i = np.concatenate([index, c_var[on]])  # columns come after rows
            j = np.concatenate([index, r_var[on]])
            v = np.concatenate([np.where(diag > 0, diag, 1.0), q[on]])
            rhs = self.to_vars(self.p_row - rows, self.p_col - cols)
            try:
                step = _solve_spd(i, j, v, self.n_vars, rhs)
            except linalg.LinAlgError:
                break
            scaled = q * np.exp(self.entry_values(step))
            new_violation = self.violation(scaled)
            if not new_violation < violation:
                break
            q, violation = scaled, new_violation
        return q


def _ratio(target, current):
    """target / current, 1 where current is 0."""
    return np.divide(target, current, out=np.ones_like(target), where=current > 0)


# ------------------------------------------------------------ linear algebra


def _solve_spd(i, j, v, n, b):
    """Solve A x = b for a symmetric positive definite A of size n.

    A is given by its lower triangle: values ``v`` at distinct positions
    ``(i, j)`` with ``i >= j``. Dense Cholesky up to ``_SPARSE_ABOVE``
    unknowns, and up to ``_DENSE_MAX_VARS`` when A holds more than
    ``_DENSE_SHARE`` of a dense matrix's entries; sparse LU otherwise (the
    Newton solver refuses dense systems past ``_DENSE_MAX_VARS`` up front).
    """
    if n <= _DENSE_MAX_VARS and (n <= _SPARSE_ABOVE or i.size > _DENSE_SHARE * n * n):
        a = np.zeros(n * n)
        a[i * n + j] = v
        # the transpose is Fortran-ordered (no copy for LAPACK): its upper triangle
        return _cholesky_solve(a.reshape(n, n).T, b)
    off = i != j
    a = sparse.csc_array(
        (np.r_[v, v[off]], (np.r_[i, j[off]], np.r_[j, i[off]])), shape=(n, n)
    )
    try:
        lu = sparse_linalg.splu(
            a,
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
    except RuntimeError as exc:  # "Factor is exactly singular"
        raise linalg.LinAlgError(str(exc)) from exc
    return lu.solve(b)


def _cholesky_solve(h, b):
    """Solve h x = b for a symmetric positive definite h, given by its upper
    triangle, by LAPACK's Cholesky routines directly (scipy's wrappers cost a
    fifth of a small table's step); a growing ridge is added if h is
    numerically singular."""
    factor, info = lapack.dpotrf(h, lower=False, clean=False, overwrite_a=False)
    ridge = max(np.abs(np.diag(h)).max(), 1e-300) * 1e-14
    while info != 0:
        factor, info = lapack.dpotrf(
            h + ridge * np.eye(h.shape[0]), lower=False, clean=False
        )
        ridge *= 100
    x, info = lapack.dpotrs(factor, b, lower=False)
    if info != 0:
        raise linalg.LinAlgError(f"LAPACK dpotrs failed (info={info})")
    return x


# --------------------------------------------------------------------------- CVXPY


def _solve_cvxpy(problem, name, options, verbose):
    """The convex program on the support, solved by a CVXPY conic solver."""
    import cvxpy as cp

    n = problem.n_entries
    if n > CVXPY_MAX_ENTRIES:
        raise MemoryError(
            f"{n} table entries on the support exceed the CVXPY route's limit "
            f"({CVXPY_MAX_ENTRIES}); fewer states (n_bins, n_clusters) keep it solvable"
        )
    entries = np.arange(n)
    ones = np.ones(n)
    sum_cells = sparse.csr_array((ones, (problem.cell, entries)))
    marg1 = sparse.csr_array((ones, (problem.row, entries)))
    marg2 = sparse.csr_array((ones, (problem.col, entries)))
    v = cp.Variable(n, nonneg=True)
    # q(x1, x2) as its own variable: each entry's cone then refers to one cell
    # variable, not to the |Y| entries of its cell (a |Y| times sparser
    # problem: 15x faster at 16x16x16, and no fill-in that exhausts memory)
    q12 = cp.Variable(problem.n_cells, nonneg=True)
    program = cp.Problem(
        cp.Minimize(cp.sum(cp.rel_entr(v, q12[problem.cell]))),
        [marg1 @ v == problem.p_row, marg2 @ v == problem.p_col, sum_cells @ v == q12],
    )
    with warnings.catch_warnings():  # its status says it; the caller reports it
        warnings.filterwarnings("ignore", "Solution may be inaccurate")
        program.solve(solver=name, verbose=verbose > 1, **options)
    if program.status not in ("optimal", "optimal_inaccurate") or v.value is None:
        raise RuntimeError(f"solver status {program.status!r}")
    n_iter = program.solver_stats.num_iters or 0
    return np.asarray(v.value, dtype=float), program.status, int(n_iter)


# -------------------------------------------------------------------------- Newton


def _solve_newton(problem, tol=1e-9, max_iter=500, verbose=0):
    """Primal-dual interior-point method on the dual geometric program.

    With ``F`` the log-sum-exp of ``lam + mu`` over a cell's entries, the
    slack ``s = -F`` of each cell's constraint and its multiplier ``theta``
    (the cell's mass ``q(x1, x2)``), each step is a Newton step on
    ``sum_cells theta grad F = c`` (``q = theta softmax`` meets the marginals)
    and ``theta s = mu``. The z step keeps every slack positive and decreases
    the barrier function ``-<c, z> - mu sum log s`` (Armijo); ``mu`` falls by
    ``_MU_FACTOR`` each time the iterate is centred.

    Parameters
    ----------
    problem : _Problem
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
    q : ndarray of shape (n_entries,)
    status : str
    n_iter : int

    Raises
    ------
    RuntimeError
        If the steps ran out before the gap fell below ``_STALL_FACTOR * tol``.
    MemoryError
        If the Hessian is too large to factorise.
    """
    dual = _Dual(problem)
    n_cells = problem.n_cells
    z = dual.start()
    f, pi = dual.evaluate(z)
    s = -f
    mu = 1.0 / (1.0 / s).sum()
    theta = mu / s
    mu_min = tol / (10.0 * n_cells)
    best_q, best_gap, stalled, stage_steps = None, np.inf, 0, 0
    for n_iter in range(max_iter):
        q = theta[problem.cell] * pi
        residual = np.abs(problem.to_vars(*problem.marginals(q)) - problem.c).max()
        spread = np.abs(theta * s - mu).max()
        centred = max(residual, spread) <= _KAPPA_CENTRED * mu
        near = n_cells * mu <= _CHECK_BELOW * tol and n_iter % _CHECK_EVERY == 0
        if (centred and n_cells * mu <= tol / 2) or near:
            q = problem.polish(q, max_iter=200)
            gap = problem.neg_cond_entropy(q) - problem.c @ z
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
    gap = (
        f"certified gap {best_gap:.3g} nats"
        if np.isfinite(best_gap)
        else "no duality gap certified yet"
    )
    raise RuntimeError(f"no convergence in {max_iter} Newton steps ({gap})")


def _step(dual, z, pi, s, theta, mu):
    """One primal-dual Newton step towards theta * s = mu; returns the new point."""
    problem = dual.problem
    rhs = problem.c - dual.marginals(mu / s, pi)
    dz = dual.newton_direction(theta, theta / s - theta, pi, rhs)
    slope_s = dual.along(pi, dz)  # -ds: first-order change of F per unit step
    d_theta = (mu - theta * s + theta * slope_s) / s
    alpha_theta = _to_boundary(theta, d_theta)
    alpha = _to_boundary(s, -slope_s)
    gain = problem.c @ dz
    slope = -gain + mu * (slope_s / s).sum()  # the barrier's derivative
    while alpha > 1e-14:
        new_f, new_pi = dual.evaluate(z + alpha * dz)
        new_s = -new_f
        if np.all(new_s >= _KEEP * s):
            change = -alpha * gain - mu * np.log(new_s / s).sum()
            if change <= 1e-4 * alpha * slope:
                break
            alpha *= 0.5
        else:
            alpha *= 0.8
    else:
        raise RuntimeError("the Newton line search found no step")
    theta = theta + alpha_theta * d_theta
    theta = np.clip(theta, mu / (_KAPPA_SPREAD * new_s), _KAPPA_SPREAD * mu / new_s)
    return z + alpha * dz, new_f, new_pi, new_s, theta


def _to_boundary(x, dx):
    """Largest step <= 1 that keeps the share ``1 - _KEEP`` of positive x's."""
    shrinking = dx < 0
    if not shrinking.any():
        return 1.0
    return min(1.0, (1 - _KEEP) * float((-x[shrinking] / dx[shrinking]).min()))


class _Dual:
    """The dual geometric program of a problem: constraint values, softmax,
    and the Newton system.

    Per cell, ``F = logsumexp(lam + mu)`` over its entries and ``pi`` the
    softmax; the Hessian of the Newton system is, summed over cells,
    ``theta diag(pi) + weight pi pi^T`` mapped onto the (lam, mu) of the
    cell's entries. Its values come from every ordered pair of entries of a
    cell (``sum sizes^2`` of them): a (lam, mu) entry from exactly one pair,
    a (lam, lam) or (mu, mu) entry summed over the cells of its x1 or x2, so
    the (lam, lam) block is block diagonal (one block per x1) and so is the
    (mu, mu) block. Where each pair goes is laid out once here.
    """

    def __init__(self, problem):
        self.problem = p = problem
        pair_count = int((p.sizes**2).sum())
        if pair_count > 4 * MAX_ENTRIES:
            raise MemoryError(
                f"{pair_count} pairs of entries in a cell exceed the Newton solver's "
                f"limit ({4 * MAX_ENTRIES}); fewer states (n_bins, n_clusters) keep "
                "it solvable"
            )
        reps = p.sizes[p.cell]
        a = np.repeat(np.arange(p.n_entries), reps)
        b = p.starts[p.cell[a]] + (
            np.arange(pair_count) - np.repeat(np.cumsum(reps) - reps, reps)
        )
        self.a, self.b, self.pair_cell = a, b, p.cell[a]
        self.diagonal = np.flatnonzero(a == b)
        self.schur = _Schur.build(p, a, b) if p.n_vars >= _SCHUR_ABOVE else None
        if self.schur is None:
            self._layout_triplets(a, b)
            n_stored = sum(i.size for i, *_ in self.blocks) + self.mixed[0].size
            if p.n_vars > _DENSE_MAX_VARS and n_stored > _DENSE_SHARE * p.n_vars**2:
                raise MemoryError(
                    f"the Newton system of {p.n_vars} dual variables is too dense "
                    f"for a sparse factorisation and too large for a dense one "
                    f"({_DENSE_MAX_VARS}); fewer states (n_bins, n_clusters) keep "
                    "it solvable"
                )

    def _layout_triplets(self, a, b):
        """Lower-triangle positions of every pair, for :func:`_solve_spd`."""
        p = self.problem
        lam, mu = p.row, p.col_var[p.col]
        mixed = np.flatnonzero(mu[a] >= 0)  # mu after lam: below the diagonal
        self.mixed = (mu[a[mixed]], lam[b[mixed]], mixed)
        lower_lam = np.flatnonzero(lam[a] >= lam[b])
        lower_mu = np.flatnonzero((mu[b] >= 0) & (mu[a] >= mu[b]))
        self.blocks = [
            _summed(lam[a[lower_lam]], lam[b[lower_lam]], lower_lam, p.n_vars),
            _summed(mu[a[lower_mu]], mu[b[lower_mu]], lower_mu, p.n_vars),
        ]

    def start(self):
        """A strictly feasible point: every F <= log(size / largest size) - 1."""
        p = self.problem
        return np.concatenate(
            [
                np.full(p.n_rows, -np.log(p.sizes.max()) - 1.0),
                np.zeros(p.n_vars - p.n_rows),
            ]
        )

    def evaluate(self, z):
        """F (n_cells,) and the softmax pi (n_entries,) at z."""
        p = self.problem
        values = p.entry_values(z)
        top = np.maximum.reduceat(values, p.starts)
        e = np.exp(values - top[p.cell])
        total = np.add.reduceat(e, p.starts)
        return np.log(total) + top, e / total[p.cell]

    def marginals(self, theta, pi):
        """Dual-sized row and column sums of theta[cell] * pi."""
        p = self.problem
        return p.to_vars(*p.marginals(theta[p.cell] * pi))

    def along(self, pi, dz):
        """Per cell, the derivative of F along dz: sum of pi (dlam + dmu)."""
        return self.problem.cell_sum(pi * self.problem.entry_values(dz))

    def newton_direction(self, theta, weight, pi, rhs):
        """Solve (sum_cells theta diag(pi) + weight pi pi^T) dz = rhs."""
        values = weight[self.pair_cell] * pi[self.a] * pi[self.b]
        d = self.diagonal
        values[d] += theta[self.pair_cell[d]] * pi[self.a[d]]
        if self.schur is not None:
            return self.schur.solve(values, rhs)
        i_m, j_m, mixed = self.mixed
        rows, cols, parts = [i_m], [j_m], [values[mixed]]
        for i, j, inverse, pairs in self.blocks:
            rows.append(i)
            cols.append(j)
            parts.append(np.bincount(inverse, values[pairs], i.size))
        return _solve_spd(
            np.concatenate(rows),
            np.concatenate(cols),
            np.concatenate(parts),
            self.problem.n_vars,
            rhs,
        )


def _summed(u, w, pairs, n):
    """Distinct positions (i, j) of pairs that share them (their values are
    summed), the position of each pair, and the pairs' indices."""
    codes, inverse = np.unique(u * n + w, return_inverse=True)
    return codes // n, codes % n, inverse, pairs


class _Schur:
    """A Newton system ``[[D, B], [B^T, A]]`` whose ``A`` is block diagonal,
    solved through the Schur complement ``S = D - B A^-1 B^T``.

    One side of the dual variables (``lam`` grouped by x1, or ``mu`` grouped
    by x2: the larger side) is eliminated block by block, and the dense
    Cholesky factorisation is of the other side only: about 4x fewer
    operations than factorising the whole system when both sides are equal.
    The eliminated variables are numbered ``group * m + slot`` (``m`` the
    largest group); unused slots get an identity row.
    """

    @classmethod
    def build(cls, problem, a, b):
        """The layout for ``problem``'s pairs (a, b), or None where it does not
        pay: a kept side too large for a dense factorisation, or too sparse."""
        p = problem
        lam, mu = p.row, p.col_var[p.col]  # each entry's variables (-1: pinned)
        n_mu = p.n_vars - p.n_rows
        if p.n_rows >= n_mu:  # eliminate lam (by x1), keep mu
            elim, keep = lam, np.where(mu >= 0, mu - p.n_rows, -1)
            elim_vars, keep_vars = np.arange(p.n_rows), np.arange(p.n_rows, p.n_vars)
            elim_key = np.zeros(p.n_rows, dtype=np.int64)
            elim_key[p.row] = p.x1
        else:  # eliminate mu (by x2), keep lam
            elim, keep = mu, lam
            elim_vars, keep_vars = p.col_var[p.free_col], np.arange(p.n_rows)
            x2 = np.zeros(p.n_cols, dtype=np.int64)
            x2[p.col] = p.x2
            elim_key = x2[p.free_col]
        n_keep = keep_vars.size
        mixed = np.flatnonzero((keep[a] >= 0) & (elim[b] >= 0))
        dense_enough = mixed.size >= _DENSE_SHARE * n_keep * elim_vars.size
        if not 0 < n_keep <= _DENSE_MAX_VARS or not dense_enough:
            return None
        _, group = np.unique(elim_key, return_inverse=True)
        sizes = np.bincount(group)
        padded_size = sizes.size * int(sizes.max())  # groups padded to the largest
        if padded_size > 2 * elim_vars.size or padded_size * n_keep > _SCHUR_MAX:
            return None
        self = cls()
        order = np.argsort(group, kind="stable")
        slot = np.empty_like(group)
        slot[order] = np.arange(group.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        g, m = sizes.size, int(sizes.max())
        self.n_groups, self.m, self.n_keep = g, m, n_keep
        padded = np.full(p.n_vars, -1)
        padded[elim_vars] = group * m + slot
        self.elim_vars, self.elim_pad, self.keep_vars = (
            elim_vars,
            padded[elim_vars],
            keep_vars,
        )
        # A: both variables eliminated (then in one group), summed over cells
        both = np.flatnonzero((elim[a] >= 0) & (elim[b] >= 0))
        ea, eb = padded[elim[a[both]]], padded[elim[b[both]]]
        self.a_pos, self.a_pairs = ea * m + eb % m, both  # (group, slot, slot)
        unused = np.setdiff1d(np.arange(g * m), self.elim_pad)
        self.a_unused = unused * m + unused % m
        # D: both kept, summed over cells; B: one of each, one pair per entry
        kept = np.flatnonzero((keep[a] >= 0) & (keep[b] >= 0))
        i, j, self.d_inverse, self.d_pairs = _summed(
            keep[a[kept]], keep[b[kept]], kept, n_keep
        )
        self.d_pos = i * n_keep + j
        self.b_pos = padded[elim[b[mixed]]] * n_keep + keep[a[mixed]]
        self.b_pairs = mixed
        return self

    def solve(self, values, rhs):
        """The Newton direction for the pairs' Hessian values.

        With ``A = L L^T`` block by block and ``V = L^-1 B^T``, the Schur
        complement is ``D - V^T V`` (one symmetric rank-k product).
        """
        g, m, nk = self.n_groups, self.m, self.n_keep
        blocks = np.bincount(self.a_pos, values[self.a_pairs], g * m * m)
        blocks[self.a_unused] = 1.0
        lower = _block_cholesky(blocks.reshape(g, m, m))
        d = np.zeros(nk * nk)
        d[self.d_pos] = np.bincount(
            self.d_inverse, values[self.d_pairs], self.d_pos.size
        )
        coupling = np.zeros(g * m * nk)
        coupling[self.b_pos] = values[self.b_pairs]
        r_elim = np.zeros(g * m)
        r_elim[self.elim_pad] = rhs[self.elim_vars]
        # coupling is B^T laid out (group, slot, kept), the right-hand side last
        both = np.concatenate(
            [coupling.reshape(g, m, nk), r_elim.reshape(g, m, 1)], axis=2
        )
        both = np.linalg.solve(lower, both).reshape(g * m, nk + 1)
        v, v_r = both[:, :nk], both[:, nk]
        schur = d.reshape(nk, nk) - v.T @ v
        x_keep = _cholesky_solve(schur, rhs[self.keep_vars] - v.T @ v_r)
        x_elim = np.linalg.solve(
            lower.transpose(0, 2, 1), (v_r - v @ x_keep).reshape(g, m, 1)
        ).reshape(g * m)
        dz = np.empty_like(rhs)
        dz[self.keep_vars] = x_keep
        dz[self.elim_vars] = x_elim[self.elim_pad]
        return dz


def _block_cholesky(blocks):
    """Lower Cholesky factors of a stack of symmetric positive definite blocks,
    with a growing ridge where rounding leaves them singular."""
    try:
        return np.linalg.cholesky(blocks)
    except np.linalg.LinAlgError:
        pass
    eye = np.eye(blocks.shape[1])
    ridge = max(np.abs(blocks).max(), 1e-300) * 1e-14
    while True:
        try:
            return np.linalg.cholesky(blocks + ridge * eye)
        except np.linalg.LinAlgError:
            ridge *= 100
