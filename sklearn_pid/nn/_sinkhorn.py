"""Log-domain Sinkhorn projection of in-batch couplings, vectorised over labels.

:class:`~sklearn_pid.PIDBatch` couples the ``m`` samples of a batch:
for each label ``y`` a matrix ``q[y, i, j]`` over (row sample ``i`` seen through
``x1``, column sample ``j`` seen through ``x2``) whose row sums follow
``p(x1_i, y)`` and column sums ``p(x2_j, y)``. Three pieces:

* :func:`tilt_weights`: sample weights that make the batch's label marginal
  equal the class prior. Within a batch ``sum_i p(y|x1_i) / m`` differs from
  ``sum_j p(y|x2_j) / m`` (and from ``p(y)``), so the two sets of marginals
  cannot both be met by any coupling; the research code's Sinkhorn then runs
  to its iteration cap. Reweighting the rows (and, separately, the columns)
  by the smallest change in KL divergence that restores ``p(y)`` removes the
  inconsistency *and* the batch-to-batch fluctuation of the label marginal,
  which otherwise biases ``I_q(X1,X2;Y)`` upwards (it is at least the larger
  of two noisy unimodal informations).
* :func:`consistent_targets`: row and column targets with the same mass per
  label (any remaining mismatch, e.g. a class absent from a small batch, is
  split evenly).
* :func:`sinkhorn`: alternating log-domain scaling of all labels at once,
  stopped on a relative residual checked every ``check_every`` iterations.
"""

import math

import torch

#: Probabilities are clipped to this floor before taking logs (a class with
#: exactly zero posterior would make the log-domain scaling undefined).
PROBA_FLOOR = 1e-30

#: Over-relaxation stops for a label whose residual grows by more than this
#: factor between two checks (see :func:`sinkhorn`).
RESET_GROWTH = 1.1


def tilt_weights(features, target, max_iter=50, tol=1e-7, ridge=1e-6):
    """Sample weights ``w`` (summing to 1) with ``sum_i w_i features_i ~= target``.

    The weights closest to uniform in KL divergence: ``w_i`` proportional to
    ``exp(lambda . features_i)``, with ``lambda`` found by damped Newton steps
    on the dual ``log mean_i exp(lambda . features_i) - lambda . target +
    ridge |lambda|^2 / 2``. The ridge is a quadratic penalty on the moment
    mismatch: it keeps ``lambda`` finite where ``target`` is outside the
    convex hull of the rows (a class absent from a small batch, constraints
    that contradict each other), and changes feasible solutions by
    ``O(ridge)``.

    Parameters
    ----------
    features : Tensor of shape (m, n_features)
        E.g. the posteriors ``p(y | x_i)`` (and their information
        ``KL(p(.|x_i) || p(y))``).
    target : Tensor of shape (n_features,)
    max_iter : int, default=50
    tol : float, default=1e-7
        Stop when the dual gradient (the moment mismatch plus the ridge term)
        is below it in every coordinate.
    ridge : float, default=1e-6

    Returns
    -------
    Tensor of shape (m,)
    """
    dtype = features.dtype
    f = features.double()
    target = target.double()
    # centre the features so that the ridge and the damping are scale-free
    centre = f.mean(dim=0)
    f = f - centre
    target = target - centre
    k = f.shape[1]
    lam = torch.zeros(k, dtype=f.dtype, device=f.device)
    eye = torch.eye(k, dtype=f.dtype, device=f.device)
    w = torch.full((f.shape[0],), 1.0 / f.shape[0], dtype=f.dtype, device=f.device)
    for _ in range(max_iter):
        mean = w @ f
        grad = mean - target + ridge * lam
        if float(grad.abs().max()) < tol:
            break
        cov = (f * w[:, None]).T @ f - torch.outer(mean, mean)
        step = torch.linalg.solve(cov + ridge * eye, grad)
        # damping: never move the log-weights by more than 2 per step
        moves = f @ step
        spread = float(moves.max() - moves.min())
        if not math.isfinite(spread):
            break
        if spread > 2.0:
            step = step * (2.0 / spread)
        lam = lam - step
        w = torch.softmax(f @ lam, dim=0)
    return w.to(dtype)


def information_features(proba, log_prior):
    """Features of :func:`tilt_weights`: ``[p(y|x), KL(p(.|x) || p(y))]`` per row.

    Parameters
    ----------
    proba : Tensor of shape (m, n_classes)
    log_prior : Tensor of shape (n_classes,)

    Returns
    -------
    Tensor of shape (m, n_classes + 1)
    """
    log_p = torch.log(proba.clamp_min(PROBA_FLOOR))
    kl = (proba * (log_p - log_prior)).sum(dim=1, keepdim=True)
    return torch.cat([proba, kl], dim=1)


def consistent_targets(w1, proba1, w2, proba2):
    """Row and column targets ``p(x1_i, y)``, ``p(x2_j, y)`` of equal mass per label.

    Parameters
    ----------
    w1, w2 : Tensor of shape (m,)
        Row and column sample weights (each summing to 1).
    proba1, proba2 : Tensor of shape (m, n_classes)
        ``p(y | x1_i)`` and ``p(y | x2_j)``.

    Returns
    -------
    rows, cols : Tensor of shape (n_classes, m)
        Non-negative, each summing to 1, with ``rows.sum(1) == cols.sum(1)``
        (both the mean of the two label masses).
    """
    rows = (w1[:, None] * proba1).T
    cols = (w2[:, None] * proba2).T
    mass_r = rows.sum(dim=1, keepdim=True)
    mass_c = cols.sum(dim=1, keepdim=True)
    target = (mass_r + mass_c) / 2
    rows = rows * (target / mass_r.clamp_min(PROBA_FLOOR))
    cols = cols * (target / mass_c.clamp_min(PROBA_FLOOR))
    return rows, cols


def sinkhorn(
    log_kernel,
    rows,
    cols,
    tol=1e-3,
    max_iter=200,
    check_every=10,
    unroll=None,
    accelerate=True,
):
    """Scale ``exp(log_kernel)`` so that each label's matrix has the given marginals.

    The scalings are kept in the log domain (targets may span many orders of
    magnitude), and each half-step is one batched matrix-vector product:
    ``log sum_j exp(K[i, j] + v[j]) = log(exp(K - max K) @ exp(v - max v)) +
    max K + max v``. The shifts make every exponential at most 1, and the sum
    of row ``i`` is at least its largest term, so nothing overflows and only
    terms below ``exp(-87)`` times the largest are lost (float32).

    With ``accelerate``, the iterations after the first ``2 * check_every``
    are over-relaxed, ``u <- (1 - w) u + w * (plain update)`` (Thibault et
    al., 2021), with ``w = 2 / (1 + sqrt(1 - rho))`` set per label from the
    contraction rate ``rho`` of the plain iterations between the first two
    checks (the optimal factor of successive over-relaxation for that rate).
    A label whose residual grows by more than ``RESET_GROWTH`` (10 %) between
    two checks goes back to ``w = 1``, the plain (always convergent)
    iteration. Sharp kernels, whose plain
    iterations contract slowly, gain the most.

    Parameters
    ----------
    log_kernel : Tensor of shape (n_classes, m, m2)
        ``log A[y, i, j]``; gradients flow through the unrolled iterations.
    rows : Tensor of shape (n_classes, m)
        Target row sums (mass-consistent with ``cols``, see
        :func:`consistent_targets`).
    cols : Tensor of shape (n_classes, m2)
        Target column sums.
    tol : float, default=1e-3
        Stop when every label's relative row residual
        ``sum_i |q[y, i, :].sum() - rows[y, i]| / rows[y].sum()`` is below it,
        measured after a plain column update (columns are then exact).
    max_iter : int, default=200
        Cap on iterations (one iteration scales rows then columns).
    check_every : int, default=10
        Residual checks happen every ``check_every`` iterations only: each
        check reads one number back from the device.
    unroll : int or None, default=None
        ``None`` differentiates through every iteration. An int runs the
        iterations to convergence without recording gradients, then
        ``unroll`` more (plain) recorded iterations from the converged
        scalings (truncated back-propagation: the gradient of the last
        ``unroll`` steps, at a fraction of the memory and time of the full
        unrolling).
    accelerate : bool, default=True
        Adaptive over-relaxation (see above); ``False`` runs plain Sinkhorn.

    Returns
    -------
    log_q : Tensor of shape (n_classes, m, m2)
        ``log q[y, i, j]``; ``q`` sums to the targets' total mass.
    residual : Tensor of shape (n_classes,)
        Final relative row residual of each label (detached).
    n_iter : int
        Iterations run.
    """
    # the floored targets are what the iterations meet, so the residual is
    # measured against them too (a label absent from the batch converges)
    rows = rows.clamp_min(PROBA_FLOOR)
    cols = cols.clamp_min(PROBA_FLOOR)
    log_r, log_c = torch.log(rows), torch.log(cols)
    mass = rows.sum(dim=1)
    shift = log_kernel.amax(dim=(1, 2), keepdim=True)
    kernel = torch.exp(log_kernel - shift)  # in (0, 1]
    kernel_t = kernel.transpose(1, 2)
    u = torch.zeros_like(log_r)
    v = torch.zeros_like(log_c)
    truncated = unroll is not None and torch.is_grad_enabled()
    n_iter = 0
    residual = previous = None
    omega = None  # over-relaxation factor per label, shape (n_classes, 1)
    with torch.set_grad_enabled(torch.is_grad_enabled() and not truncated):
        k = kernel.detach() if truncated else kernel
        k_t = kernel_t.detach() if truncated else kernel_t
        while n_iter < max_iter:
            n_iter += 1
            u_plain = log_r - _log_matvec(k, v)
            u = u_plain if omega is None else omega * u_plain + (1 - omega) * u
            if n_iter % check_every and n_iter < max_iter:
                v_plain = log_c - _log_matvec(k_t, u)
                v = v_plain if omega is None else omega * v_plain + (1 - omega) * v
                continue
            v = log_c - _log_matvec(k_t, u)  # plain: the columns are exact
            previous, residual = residual, _row_residual(k, u, v, rows, mass)
            if float(residual.max()) < tol:
                break
            if accelerate and previous is not None:
                omega = _relaxation(omega, residual, previous, check_every)
    if truncated:
        u, v = u.detach(), v.detach()
        for _ in range(unroll):
            u = log_r - _log_matvec(kernel, v)
            v = log_c - _log_matvec(kernel_t, u)
        n_iter += unroll
        residual = None
    log_q = log_kernel - shift + u[:, :, None] + v[:, None, :]
    if residual is None:
        residual = _row_residual(kernel, u, v, rows, mass)
    return log_q, residual, n_iter


@torch.no_grad()
def _relaxation(omega, residual, previous, check_every):
    """Over-relaxation factors after a check (see :func:`sinkhorn`)."""
    if omega is None:  # rate of the plain iterations between the first checks
        ratio = residual / previous.clamp_min(torch.finfo(residual.dtype).tiny)
        rho = ratio.clamp(0, 0.999) ** (1 / check_every)
        omega = 2 / (1 + torch.sqrt(1 - rho))
        # a residual that grew between the first checks (beyond rounding, as
        # in the reset below): stay plain
        accelerate = ratio <= RESET_GROWTH
        return torch.where(accelerate, omega.clamp(1, 1.95), 1.0)[:, None]
    # 10 % of slack: on a plateau the float32 residual wobbles by rounding,
    # and treating that as growth would give up the acceleration exactly where
    # it helps most (measured on trained AND kernels: 1,020 iterations
    # instead of 100)
    return torch.where((residual > RESET_GROWTH * previous)[:, None], 1.0, omega)


def _log_matvec(kernel, v):
    """``log(kernel @ exp(v))`` per label, shifted so that ``exp`` stays <= 1."""
    top = v.amax(dim=1, keepdim=True).detach()
    # a row vector times the transposed matrix: the same numbers as
    # ``bmm(kernel, x[:, :, None])``, 5-10x faster on CPU (a batched GEMV
    # otherwise takes a slow path; measured with torch 2.13, one thread)
    prod = torch.bmm(torch.exp(v - top)[:, None, :], kernel.transpose(1, 2))[:, 0, :]
    return torch.log(prod.clamp_min(torch.finfo(prod.dtype).tiny)) + top


@torch.no_grad()
def _row_residual(kernel, u, v, rows, mass):
    row_sums = torch.exp(_log_matvec(kernel, v) + u)
    return (row_sums - rows).abs().sum(dim=1) / mass


def coupling_terms(log_q, log_prior):
    """Anchored information terms of an in-batch coupling.

    With ``log q(y | i, j)`` the label posterior of the coupled pair ``(i, j)``,

    * ``g1[i, y] = sum_j q(j | i, y) (log q(y | i, j) - log p(y))`` (anchored on
      row ``i``, i.e. on ``x1_i``, and label ``y``),
    * ``g2[j, y] = sum_i q(i | j, y) (log q(y | i, j) - log p(y))``,
    * ``info = sum_{y,i,j} q (log q(y|i,j) - log p(y)) / sum q``, the batch
      ``I_q(X1, X2; Y)`` against the class prior (the training loss).

    Parameters
    ----------
    log_q : Tensor of shape (n_classes, m, m2)
    log_prior : Tensor of shape (n_classes,)

    Returns
    -------
    g1 : Tensor of shape (m, n_classes)
    g2 : Tensor of shape (m2, n_classes)
    info : Tensor (scalar)
    """
    log_post = log_q - torch.logsumexp(log_q, dim=0, keepdim=True)
    point = log_post - log_prior[:, None, None]
    log_row = torch.logsumexp(log_q, dim=2, keepdim=True)
    log_col = torch.logsumexp(log_q, dim=1, keepdim=True)
    g1 = (torch.exp(log_q - log_row) * point).sum(dim=2).T
    g2 = (torch.exp(log_q - log_col) * point).sum(dim=1).T
    log_total = torch.logsumexp(log_q.reshape(-1), dim=0)
    info = (torch.exp(log_q - log_total) * point).sum()
    return g1, g2, info


def log_kernel(e1, e2):
    """``log A[y, i, j] = <e1[i, y], e2[j, y]> / sqrt(d)``.

    Parameters
    ----------
    e1 : Tensor of shape (m, n_classes, d)
    e2 : Tensor of shape (m2, n_classes, d)

    Returns
    -------
    Tensor of shape (n_classes, m, m2)
    """
    return torch.einsum("icd,jcd->cij", e1, e2) / math.sqrt(e1.shape[-1])
