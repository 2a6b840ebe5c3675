"""PIDBatch: neural dataset-level PID of continuous, high-dimensional modalities."""

import math
import numbers

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import ATOMS, COMMON_CONSTRAINTS, MI_TERMS, InformationEstimator
from ._crossfit import (
    OutOfFold,
    fit_temperature,
    log_mean,
    make_folds,
    move_to_prior,
    temper,
)
from ._information import broja_atoms
from ._posteriors import (
    POSTERIOR_CONSTRAINTS,
    check_classifiers,
    distinct_columns,
    fit_common_posteriors,
    fit_posteriors,
    joint_input,
    log_posteriors,
    log_posteriors_of,
)
from ._standardize import Standardizer
from ._validation import check_hidden_sizes, warn
from .nn._common import draw_seed

#: Sharpness ``beta`` of the posterior kernels ``exp(beta * BC)`` tried beside
#: the learned one (see ``PIDBatch._best_coupling``).
MATCHING_BETAS = (2.0, 6.0, 20.0, 60.0, 200.0)

#: Index of ``coupling_counts_``: the candidate couplings of a batch.
COUPLINGS = (
    "learned",
    *(f"posterior kernel beta={beta:g}" for beta in MATCHING_BETAS),
    "comonotone matching",
)


class PIDBatch(InformationEstimator):
    """Neural partial information decomposition on mini-batches ("BATCH").

    Estimates the Bertschinger et al. (2014) decomposition ("BROJA", the one
    :class:`~sklearn_pid.PIDCVX` solves exactly on discrete tables) directly
    on continuous, high-dimensional modalities, following Liang et al.
    (NeurIPS 2023, §3.2 and App. B.3):

    1. Three class posteriors ``p(y|x1)``, ``p(y|x2)``, ``p(y|x1,x2)`` are
       trained and frozen (:class:`~sklearn_pid.nn.MLPPosterior` by default,
       or the given classifiers). With ``cv`` (the default) they are
       cross-fitted: fitted once per fold on the other folds, and every
       fitting sample's log-posteriors come from the fold that did not see
       it (out-of-fold), so that the informations below are held-out
       estimates, not the inflated in-sample ones (see Notes).
    2. Two encoders give one embedding per label, ``f1(x1)[y]`` and
       ``f2(x2)[y]``. For a batch of ``m`` samples the kernel
       ``A[y, i, j] = exp(<f1(x1_i)[y], f2(x2_j)[y]> / sqrt(d))`` is projected
       by log-domain Sinkhorn scaling onto the couplings ``q(i, j, y)`` whose
       rows follow ``w1_i p(y|x1_i)`` and columns ``w2_j p(y|x2_j)``: a
       distribution with the unimodal marginals ``p(x1, y)``, ``p(x2, y)`` of
       the batch. The weights ``w`` (close to ``1/m``) make the batch's label
       marginal equal the class prior on both sides, so that the two sets of
       marginals are consistent, and the batch's unimodal informations equal
       their dataset values (see Notes).
    3. The encoders are trained by gradient descent through the scaling to
       minimise the coupling's ``I_q(X1, X2; Y)``: the optimum is the BROJA
       ``q`` restricted to the batch. They see the (out-of-fold)
       log-posteriors, never the labels.
    4. After training the whole fitting set is coupled batch by batch (with
       ``cv``, each batch by the candidate coupling of smallest ``I_q``: the
       learned one or a posterior-matching one, see Notes) and

       * ``unique_2 = I_q(X1,X2;Y) - I(X1;Y)``, ``unique_1 = I_q - I(X2;Y)``,
       * ``redundancy = I(X1;Y) + I(X2;Y) - I_q``,
       * ``synergy = I(X1,X2;Y) - I_q``,

       with ``I(X1;Y)``, ``I(X2;Y)``, ``I(X1,X2;Y)`` from the posteriors.

    Parameters
    ----------
    $modalities
    $posteriors
    classifier_hidden_sizes : tuple of int, default=(64, 64)
        Hidden layers of the default posteriors.
    classifier_max_epochs : int, default=200
        Epoch cap of the default posteriors (they stop early on the
        validation cross-entropy).
    classifier_lr : float, default=1e-2
        Learning rate (AdamW) of the default posteriors.
    classifier_patience : int, default=10
        Early-stopping patience (epochs) of the default posteriors.
    hidden_dim : int, default=32
        Width of the hidden layers of the alignment encoders.
    embedding_dim : int, default=10
        Embedding size ``d`` per label (the paper's 10).
    n_layers : int, default=2
        Hidden layers of each alignment encoder.
    batch_size : int, default=256
        Batch size ``m`` of the couplings (the paper's 256), for training and
        estimation, and the mini-batch size of the default posteriors.
        Memory and time per batch grow as ``m^2 n_classes``.
    max_epochs : int, default=10
        Epoch cap of the alignment training.
    lr : float, default=1e-3
        Learning rate (Adam) of the alignment encoders.
    validation_fraction : float, default=0.2
        Held-out fraction for early stopping of the default posteriors and of
        the alignment (on the held-out ``I_q``); 0 trains every epoch on all
        samples.
    patience : int, default=3
        Early-stopping patience (epochs) of the alignment: it stops when the
        held-out ``I_q`` has not improved by 0.1 % in ``patience`` epochs.
    sinkhorn_tol : float, default=1e-3
        Sinkhorn stops when every label's relative row residual
        ``sum_i |q(x1_i, y) - target| / sum_i target`` is below it.
    sinkhorn_max_iter : int, default=1000
        Iteration cap of each Sinkhorn projection (iterations beyond the
        last ``sinkhorn_unroll`` record no gradient, so a high cap costs time
        only where the projections need it, not memory).
    sinkhorn_unroll : int or None, default=10
        In training, Sinkhorn runs to convergence without recording
        gradients, then ``sinkhorn_unroll`` more iterations are back-propagated
        through (truncated unrolling: about 3x less time per step than the full
        unrolling, with the same fitted values on the test problems). ``None``
        back-propagates through every iteration, as the paper does.
    cv : int, cross-validation splitter, iterable or None, default=5
        Cross-fitting folds of the three posteriors (an int gives shuffled
        stratified folds; every class needs at least ``cv`` samples, and a
        splitter must partition the samples, each training fold holding
        every class). ``None`` fits the posteriors once on all the data and
        evaluates the fitting samples in-sample: the estimator of
        sklearn-pid 0.1.0.dev0 before cross-fitting, bit for bit (three
        independent seeds, the joint posterior on all the columns, the
        learned coupling only), whose informations are biased up by the
        posteriors' overfitting (e.g. 0.18 bits of synergy on shuffled
        breast-cancer labels).
    n_jobs : int or None, default=None
        Folds fitted in parallel by joblib (``None``: 1, ``-1``: all cores),
        in worker processes. Each fold has its own seed, drawn before any
        fitting, and small default posteriors (under 5 million multiply-adds
        per training batch, e.g. 256 rows of 100 columns) train on one CPU
        thread, so the numbers do not depend on ``n_jobs``. On a single GPU,
        keep 1.
    calibration : {"temperature", "none"}, default="temperature"
        With ``cv``: each out-of-fold posterior is tempered,
        ``p_t(y|x) ∝ p(y|x)^t p(y)^(1-t)``, with the exponent ``t`` in
        ``[0, 4]`` that maximises its out-of-fold log-likelihood
        (``temperatures_``), before the couplings, as in
        :class:`~sklearn_pid.LSMIEstimator`: held-out posteriors of networks
        that overfit are overconfident, which puts held-out informations
        below the truth (-0.02 to -0.05 bits on shuffled breast-cancer
        labels); ``t = 0`` where a posterior carries nothing that
        generalises. New data gets the same exponents.
    $base
    $device
    random_state : int, RandomState or None, default=None
        Seeds the folds, the posteriors, the alignment (initial weights,
        batch order, validation split) and the batches of the estimate.
    $verbose
    embed_dim : int, default="deprecated"
        Deprecated name of ``embedding_dim`` (FutureWarning).

    Attributes
    ----------
    redundancy_, unique_1_, unique_2_, synergy_ : float
        The decomposition of ``I(X1, X2; Y)``, in ``base``: the mean over the
        fitting samples of :meth:`interactions` (out-of-fold with ``cv``),
        i.e. the size-weighted mean of the per-batch values.
    mi_1_, mi_2_, mi_joint_ : float
        ``I(X1;Y)``, ``I(X2;Y)``, ``I(X1,X2;Y)``, in ``base``: mean of
        ``log p(y|x) - log p(y)`` over the fitting samples (out-of-fold with
        ``cv``: a held-out bound, negative when a posterior predicts worse
        than the class prior).
    decomposition_ : pandas.Series
        The four atoms, indexed ``redundancy, unique_1, unique_2, synergy``.
    batch_std_ : pandas.Series
        Standard deviation of the four atoms across the estimation batches.
    n_batches_ : int
        Number of estimation batches (``ceil(n_samples / batch_size)`` of
        near-equal size: every sample is used).
    classifiers_ : list of list of 3 classifiers
        One list per fold (a single one with ``cv=None``): the posteriors of
        ``x1``, ``x2`` and ``[x1, x2[:, joint_columns_]]`` fitted on the
        other folds (on all the data with ``cv=None``). Fold ``k`` gives the
        out-of-fold values of the samples of test fold ``k``; new samples
        get the average of the folds.
    temperatures_ : ndarray of shape (3,)
        The exponents of ``calibration`` of ``p(y|x1)``, ``p(y|x2)``,
        ``p(y|x1,x2)`` (ones without ``cv`` or with ``"none"``).
    joint_columns_ : ndarray of int
        The columns of modality 2 (indices within it) that the joint
        posterior sees beside all of modality 1's. With ``cv``, those equal
        to no column of modality 1 on the fitting data (a duplicated input
        adds nothing, but a network learns it twice as fast); all with
        ``cv=None``.
    scalers_ : tuple of 2 StandardScaler
        Standardisation of each modality before its encoder.
    info_targets_ : ndarray of shape (2,)
        Means over the fitting samples of ``KL(p(.|x1) || p(y))`` and
        ``KL(p(.|x2) || p(y))`` (nats): the unimodal informations that the
        batch reweighting gives every batch.
    eval_seed_ : int
        Seed of the assignment of samples to estimation batches.
    net_ : AlignmentNet
        The trained skorch alignment net (its ``history`` records the losses
        and, per batch, ``sinkhorn_residual`` and ``sinkhorn_capped``).
    n_epochs_ : int
        Alignment epochs trained.
    sinkhorn_residual_ : float
        Largest final relative residual of the estimation projections (of
        the couplings used, 0 for the comonotone matching).
    sinkhorn_cap_rate_ : float
        Fraction of the estimation projections (one per batch and label)
        stopped by ``sinkhorn_max_iter`` rather than ``sinkhorn_tol`` (the
        posterior kernels are used only where they converged).
    coupling_counts_ : pandas.Series of int
        Estimation batches coupled by each candidate: ``"learned"``,
        ``"posterior kernel beta=..."`` and ``"comonotone matching"`` (see
        Notes); all ``"learned"`` with ``cv=None``.
    device_ : str
    $input_attributes

    Notes
    -----
    **Cross-fitting.** With ``cv``, the posteriors are fitted once per fold;
    fold ``k``'s posteriors, moved by Bayes' rule from the class frequencies
    of their training folds to ``class_prior_``, give the log-posteriors of
    the samples of test fold ``k``. Everything downstream (the tilt targets
    ``info_targets_``, the alignment, the couplings and the per-sample
    values) uses these out-of-fold log-posteriors. Without it, posteriors
    evaluated on their own training data are overconfident, and every
    information, the synergy most, is inflated: on breast_cancer (569 rows,
    10 + 10 columns) with shuffled labels, whose true values are all 0,
    ``cv=None`` gave up to 0.21 bits of ``I(X1,X2;Y)`` and 0.18 of synergy;
    ``cv=5`` gave atoms within 0.05 bits of 0 and slightly negative
    informations (-0.02 to -0.06 bits: held-out posteriors that know nothing
    predict a little worse than the class prior).
    New rows (:meth:`transform`, :meth:`interactions`,
    :meth:`predict_proba` on data not in the fit) get the average, as
    probabilities, of the fold posteriors (each moved to the prior); a row
    equal to a fitting row gets that row's out-of-fold values (identical
    fitting rows share their average), which is why ``fit_transform(X, y)``
    equals ``fit(X, y).transform(X)``.

    **Common random numbers.** With ``cv``, the three default posteriors of a
    fold share one seed (initial weights, validation split, batch order),
    and the joint posterior does not see the columns of ``x2`` that repeat a
    column of ``x1`` (``joint_columns_``). The seed-to-seed noise of the
    three posteriors is then positively correlated and partly cancels from
    the atoms, which are differences of their informations; in particular,
    two identical modalities give three identical posteriors, and
    ``unique_1 = unique_2 = synergy = 0``. Seed noise is large on small
    data: on breast_cancer's 10 "mean" columns the out-of-fold ``I(X;Y)`` of
    a default posterior ranged over 0.66-0.76 bits across 6 seeds, and the
    information of a posterior of ``[x, x]`` minus that of ``x``, each with
    its own seed, over -0.03 to +0.04 bits: unique or synergistic
    information made up by the seeds.

    **Candidate couplings.** Any coupling of a batch with the batch's targets
    is feasible for the minimisation of ``I_q``, so with ``cv`` each batch
    is coupled by the candidate of smallest ``I_q``: the learned kernel's
    projection; the projections of the posterior kernels
    ``exp(beta * sum_y sqrt(p(y|x1_i) p(y|x2_j)))`` for ``beta`` in
    2, 6, 20, 60, 200 (those whose Sinkhorn iterations converge); and the
    comonotone matching, which couples each label's row and column masses in
    the order of ``p(y|x)`` (exactly, by their cumulative masses). The
    BROJA optimum depends on the samples only through their posteriors, and
    often pairs samples of similar posteriors (at the extreme, identical
    modalities: the optimum is the diagonal, ``I_q = I(X1;Y)``), which the
    learned kernel can only approach (see Known bias). ``coupling_counts_``
    says which candidate each batch used.

    **Per-sample values.** For a sample ``a`` with label ``y`` coupled in its
    batch, with ``i1 = log p(y|x1_a) - log p(y)``, ``i2``, ``i12`` likewise,
    and ``iq`` the average of the two anchored terms
    ``sum_j q(j | a, y) [log q(y | a, j) - log p(y)]`` (row ``a``, i.e. anchored
    on ``x1_a``) and ``sum_i q(i | a, y) [...]`` (column ``a``, anchored on
    ``x2_a``):
    ``r = i1 + i2 - iq``, ``u1 = iq - i2``, ``u2 = iq - i1``, ``s = i12 - iq``.
    :meth:`interactions` returns these; their mean over the fitting samples
    is ``decomposition_`` exactly. :meth:`transform` returns their expectation
    under ``p(y | x1, x2)`` (no label needed), whose mean is close to, not
    equal to, ``decomposition_``. The same definition as
    :class:`~sklearn_pid.PIDCVX`'s, with the batch coupling in place of the
    table ``q``.

    **Batches.** ``X`` is split into ``ceil(n / batch_size)`` batches of
    near-equal size by a fixed random assignment drawn at fit (it depends on
    the set of rows, not on their order, so :meth:`transform` of the same
    ``X``, or of ``X`` shuffled, gives the same values), and the coupling of a
    sample is with the other samples of its batch. A sample's values
    therefore depend on the other samples passed with it: :meth:`transform`
    of a subset of ``X`` is not the subset of :meth:`transform` of ``X``, and
    inputs smaller than ``batch_size`` are coupled within themselves only
    (noisier). Pass whole datasets, as for the fit.

    **Differences from the research code.** Before Sinkhorn, the rows and
    (separately) the columns of a batch are reweighted (exponential tilting:
    the weights closest to uniform in KL divergence) so that the batch's label
    marginal is ``p(y)`` and its ``sum_i w_i KL(p(.|x_i) || p(y))`` is the
    dataset's ``I(X;Y)``, on both sides. Without it the row and column
    targets have different masses, Sinkhorn cannot meet both (77-81 % of the
    reference's projections hit its cap), and ``I_q(X1,X2;Y)``, which is at
    least the larger of the two in-batch unimodal informations, is biased up
    by their batch-to-batch fluctuation (0.015 bits on AND at ``m = 256``,
    even with the exact posteriors and the exact batch optimum; 0.003 with the
    tilt). The kernel has a learnable sharpness ``exp(s_y)`` per label.
    Sinkhorn runs in the log domain on all labels at once with a relative
    stopping rule; every sample is used in the estimate (no ``drop_last``);
    values are in ``base``.

    **Known bias.** Where the optimal ``q`` is a deterministic matching of
    continuous values (e.g. the Gaussian mixture at ``pi/4``, where ``q``
    pairs ``x1`` and ``x2`` with equal posteriors), the learned coupling's
    ``I_q`` stays above its population value: two finite samples of a batch
    cannot be matched exactly, and the kernel family cannot express a
    near-deterministic matching (larger batches do not remove it). On that
    mixture, with ``cv=None``, ``unique_1``, ``unique_2`` come out near
    0.015-0.02 bits each instead of 0, and ``synergy`` about 0.02 bits low
    (the research code: 0.024, 0.041 and 0.028). The posterior-matching
    candidates of ``cv`` address this case: 0.010 and 0.014 bits, synergy
    0.017 bits low (20,000 samples, seed 0; most batches took a posterior
    kernel). Discrete data (one-hot states) are not affected.

    **New data.** :meth:`transform` and :meth:`interactions` tilt every batch
    to the class prior and the unimodal informations of the *fitting* data
    (``info_targets_``); on held-out data whose posteriors are less
    confident, this reweights its batches towards the confident samples.
    Per-sample values on new data are therefore comparable with each other
    and with the fitting values, but their mean is not a fresh estimate of
    the decomposition of the new data: fit on that data for that.

    References
    ----------
    $broja_references

    Examples
    --------
    >>> from sklearn_pid import PIDBatch
    >>> from sklearn_pid.datasets import make_bitwise
    >>> X, y = make_bitwise("xor", n_samples=1000, one_hot=True, random_state=0)
    >>> est = PIDBatch(modalities=2, max_epochs=2, classifier_max_epochs=30,
    ...                random_state=0).fit(X, y)
    >>> (est.decomposition_.round(1) + 0.0).tolist()  # R, U1, U2, S in bits
    [0.0, 0.0, 0.0, 1.0]
    >>> est.transform(X).shape
    (1000, 4)
    """

    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        **POSTERIOR_CONSTRAINTS,
        "classifier_hidden_sizes": [tuple, list],
        "classifier_max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "classifier_lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "classifier_patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "hidden_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_layers": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "sinkhorn_tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "sinkhorn_max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "sinkhorn_unroll": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "cv": [None, "cv_object"],
        "n_jobs": [None, Interval(numbers.Integral, -1, None, closed="left")],
        "calibration": [StrOptions({"temperature", "none"})],
        "embed_dim": [
            StrOptions({"deprecated"}),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
    }
    _chunk_size = None  # a sample's values depend on the samples coupled with it
    _nonnegative_atoms = True  # BROJA atoms (bootstrap bounds clipped at 0)
    # inference.bootstrap: the half-sample refits widen the intervals but do not
    # shift them. Measured on a noisy AND gate (500 samples, 100 replicates):
    # the split-half shift removed little of the atoms' bias (unique 0.016 ->
    # 0.014 bits, which falls slower than 1/n at the boundary 0) and lowered the
    # coverage of redundancy / unique_2 from 0.90 / 0.90 to 0.87 / 0.86.
    _split_half_correction = False
    _renamed_params = {"embed_dim": "embedding_dim"}

    def __init__(
        self,
        *,
        modalities=None,
        classifier_1=None,
        classifier_2=None,
        classifier_joint=None,
        classifier_hidden_sizes=(64, 64),
        classifier_max_epochs=200,
        classifier_lr=1e-2,
        classifier_patience=10,
        hidden_dim=32,
        embedding_dim=10,
        n_layers=2,
        batch_size=256,
        max_epochs=10,
        lr=1e-3,
        validation_fraction=0.2,
        patience=3,
        sinkhorn_tol=1e-3,
        sinkhorn_max_iter=1000,
        sinkhorn_unroll=10,
        cv=5,
        n_jobs=None,
        calibration="temperature",
        base=2,
        device="auto",
        random_state=None,
        verbose=0,
        embed_dim="deprecated",
    ):
        self._store_params(locals())

    @property
    def prior_(self):
        """Deprecated alias of ``class_prior_``."""
        warn(
            "prior_ was renamed to class_prior_ in 0.1 and will be removed in 0.3.",
            FutureWarning,
        )
        return self.class_prior_

    def _check_params(self):
        check_classifiers(self)
        check_hidden_sizes("classifier_hidden_sizes", self.classifier_hidden_sizes)

    def _fit(self, X1, X2, y_index, sample_weight):
        # torch is imported by the methods that train or run a net
        from .nn import MLPPosterior
        from .nn._train import resolve_device

        n_samples = X1.shape[0]
        rng = check_random_state(self.random_state)
        self.device_ = resolve_device(self.device)
        default = MLPPosterior(
            hidden_sizes=tuple(self.classifier_hidden_sizes),
            max_epochs=self.classifier_max_epochs,
            lr=self.classifier_lr,
            batch_size=self.batch_size,
            validation_fraction=self.validation_fraction,
            patience=self.classifier_patience,
            device=self.device_,
            verbose=self.verbose,
        )
        self._out_of_fold = self._fold_counts = None
        self._oof_values = self._oof_folds = None
        self._matching = self.cv is not None
        self.temperatures_ = np.ones(3)
        if self.cv is None:
            self.joint_columns_ = np.arange(X2.shape[1])
            self.classifiers_ = [
                fit_posteriors(self, default, X1, X2, y_index, rng, type(self).__name__)
            ]
            test_fold = None
        else:
            test_fold = self._cross_fit(default, X1, X2, y_index, rng)
        log_post = self._log_posteriors(X1, X2)
        raw_log_post = log_post
        if test_fold is not None and self.calibration == "temperature":
            log_prior = np.log(self.class_prior_)
            self.temperatures_ = np.array(
                [fit_temperature(lp, y_index, log_prior) for lp in log_post]
            )
            log_post = temper(log_post, self.temperatures_, log_prior)
        self.scalers_ = (Standardizer().fit(X1), Standardizer().fit(X2))
        packed = self._pack(X1, X2, log_post)
        self.info_targets_ = self._info_targets(log_post)
        self.net_ = self._train_alignment(packed, X1.shape[1], X2.shape[1], rng)
        self.eval_seed_ = draw_seed(rng)

        point, batch_index, stats = self._couple(packed, log_post)
        self.sinkhorn_residual_ = stats["residual"]
        self.sinkhorn_cap_rate_ = stats["cap_rate"]
        self.coupling_counts_ = pd.Series(
            stats["choices"], index=COUPLINGS, name="batches"
        )
        self.n_batches_ = stats["n_batches"]
        rows = np.arange(n_samples)
        atoms = point[rows, y_index]  # (n, 4), in base
        info = log_post[:, rows, y_index] - np.log(self.class_prior_[y_index])
        info /= np.log(self.base)
        per_batch = pd.DataFrame(atoms, columns=list(ATOMS)).groupby(batch_index).mean()
        self.batch_std_ = per_batch.std(ddof=1 if len(per_batch) > 1 else 0)
        self.batch_std_.name = "batch_std"
        if test_fold is not None:
            # every candidate label: (n, n_classes, 3) pointwise informations
            mi = (log_post - np.log(self.class_prior_)) / np.log(self.base)
            self._oof_values = np.concatenate([point, mi.transpose(1, 2, 0)], axis=2)
            self._oof_folds = test_fold
            self._oof_log_post = raw_log_post
        values = dict(zip(ATOMS, atoms.mean(axis=0)))
        return values | dict(zip(MI_TERMS, map(np.mean, info)))

    def _cross_fit(self, default, X1, X2, y_index, rng):
        """Fit the fold posteriors and store the fitting rows' out-of-fold values.

        Returns
        -------
        test_fold : ndarray of int of shape (n_samples,)
            The test fold of each fitting sample.
        """
        n_classes = self.classes_.size
        folds = make_folds(self.cv, y_index, n_classes, rng)
        seeds = [draw_seed(rng) for _ in folds]  # same numbers for any n_jobs
        self.joint_columns_ = distinct_columns(X1, X2)
        self.classifiers_ = Parallel(n_jobs=self.n_jobs)(
            delayed(fit_common_posteriors)(
                self,
                default,
                X1[train],
                X2[train],
                y_index[train],
                seed,
                f"{type(self).__name__} fold {k}/{len(folds)}",
                self.joint_columns_,
            )
            for k, ((train, _), seed) in enumerate(zip(folds, seeds), start=1)
        )
        self._fold_counts = np.stack(
            [np.bincount(y_index[train], minlength=n_classes) for train, _ in folds]
        )
        log_post = np.empty((3, y_index.size, n_classes))
        test_fold = np.empty(y_index.size, dtype=np.intp)
        for k, (_, test) in enumerate(folds):
            log_post[:, test] = self._fold_log_posteriors(k, X1[test], X2[test])
            test_fold[test] = k
        dens = np.zeros((2, y_index.size))  # OutOfFold's densities: unused here
        self._out_of_fold = OutOfFold(X1, X2, log_post, dens)
        return test_fold

    def _fold_log_posteriors(self, k, X1, X2):
        """``log p(y|x)`` ``(3, n, n_classes)`` of fold ``k``'s posteriors, moved
        from the fold's class frequencies to ``class_prior_``."""
        n_classes = self.classes_.size
        inputs = (X1, X2, joint_input(X1, X2, self.joint_columns_))
        log_post = log_posteriors_of(self.classifiers_[k], inputs, n_classes)
        train_labels = np.repeat(np.arange(n_classes), self._fold_counts[k])
        return move_to_prior(log_post, train_labels, np.log(self.class_prior_))

    def _log_posteriors(self, X1, X2):
        """The three log-posteriors ``(3, n, n_classes)`` of samples.

        Without ``cv``, the posteriors fitted on all the fitting data. With
        ``cv``, rows equal to a fitting row get that row's out-of-fold values,
        the others the average (of probabilities) of the fold posteriors.
        """
        if self._out_of_fold is None:
            return log_posteriors(self.classifiers_[0], X1, X2, self.classes_.size)
        log_post = np.empty((3, X1.shape[0], self.classes_.size))
        codes = self._out_of_fold.lookup(X1, X2)
        known = codes >= 0
        log_post[:, known] = self._out_of_fold.log_post[:, codes[known]]
        new = ~known
        if new.any():
            log_post[:, new] = log_mean(
                [
                    self._fold_log_posteriors(k, X1[new], X2[new])
                    for k in range(len(self.classifiers_))
                ]
            )
        if np.any(self.temperatures_ != 1):
            log_post = temper(log_post, self.temperatures_, np.log(self.class_prior_))
        return log_post

    def _train_alignment(self, packed, n_features_1, n_features_2, rng):
        """The skorch alignment net, trained to minimise the batches' ``I_q``."""
        import torch

        from .nn._align import AlignmentModule, AlignmentNet, InBatchInformation
        from .nn._train import build_net, training, training_setup

        seed = draw_seed(rng)
        train_split, callbacks = training_setup(
            packed.shape[0],
            validation_fraction=self.validation_fraction,
            patience=self.patience,
            seed=seed,
            verbose=self.verbose,
            label=f"{type(self).__name__} alignment",
            # improvements below 0.1 % of I_q change no reported digit
            threshold=1e-3,
        )
        net = build_net(
            AlignmentNet,
            AlignmentModule,
            device=self.device_,
            module__n_features_1=n_features_1,
            module__n_features_2=n_features_2,
            module__n_classes=self.classes_.size,
            module__embedding_dim=self._param("embedding_dim"),
            module__hidden_dim=self.hidden_dim,
            module__n_layers=self.n_layers,
            criterion=InBatchInformation,
            criterion__log_prior=np.log(self.class_prior_),
            criterion__sinkhorn_tol=self.sinkhorn_tol,
            criterion__sinkhorn_max_iter=self.sinkhorn_max_iter,
            criterion__sinkhorn_unroll=self.sinkhorn_unroll,
            criterion__info_targets=self.info_targets_,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
        )
        with training(seed, self.device_, self._kernel_flops()):
            net.fit(packed, None)
        self.n_epochs_ = len(net.history)
        net.criterion_.last = None  # the last batch's tensors
        return net

    def _log_proba(self, X1, X2):
        return self._log_posteriors(X1, X2)[2]

    def _pointwise(self, X1, X2):
        log_post = self._log_posteriors(X1, X2)
        point, _, _ = self._couple(self._pack(X1, X2, log_post), log_post)
        return point, log_post[2]

    def _out_of_fold_values(self):
        """Per-sample values of the fitting data for every candidate label.

        Returns
        -------
        values : ndarray of shape (n_samples, n_classes, 7) or None
            redundancy, unique_1, unique_2, synergy, mi_1, mi_2, mi_joint (in
            ``base``) of each fitting sample as if its label were each class,
            evaluated by models that did not see the sample (out-of-fold); None
            without cross-fitting (cv=None).
        folds : ndarray of int of shape (n_samples,) or None
            The test fold of each fitting sample.

        Notes
        -----
        Copies of the stored arrays. Identical fitting rows share the
        average of their out-of-fold posteriors (as in :meth:`transform`).
        A sample's out-of-fold posteriors were fitted without its label, and
        the alignment and the couplings see no labels: its values at the
        other classes use the same posteriors and couplings as at its own.
        """
        check_is_fitted(self)
        if self._oof_values is None:
            return None, None
        return self._oof_values.copy(), self._oof_folds.copy()

    def _out_of_fold_statistic(self, X):
        """The dataset values as a function of fitting rows and their labels.

        Used by :mod:`sklearn_pid.inference`. As ``fit`` does, on the rows
        given (a resample, duplicates included): the raw out-of-fold
        posteriors are calibrated again (temperatures fitted on ``labels``),
        the batch targets recomputed, and the rows split into new batches and
        coupled again by the fitted alignment net and the candidate couplings.
        Only the posterior networks and the alignment net stay fixed, so the
        interval includes the variability of the couplings (the atoms of a
        batch move with the samples it holds), not that of the networks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The fitting data, in the order of the fit: the encoders' inputs
            (not stored by ``fit``).

        Returns
        -------
        statistic : callable or None
            ``statistic(rows, labels)`` -> ndarray of shape (7,), in ``base``;
            None with ``cv=None``.
        folds : ndarray of int of shape (n_samples,) or None
        """
        check_is_fitted(self)
        if self._oof_folds is None:
            return None, None
        X1, X2, _ = self._modalities_of(X)
        if X1.shape[0] != self._oof_folds.size:
            raise ValueError(
                f"X has {X1.shape[0]} rows; the fit had {self._oof_folds.size}."
            )
        inputs = (self.scalers_[0].transform(X1), self.scalers_[1].transform(X2))
        return _Statistic(self, inputs), self._oof_folds.copy()

    # ------------------------------------------------------------------ helpers

    def _info_targets(self, log_post):
        """Means of ``KL(p(.|x1) || p(y))`` and ``KL(p(.|x2) || p(y))``,
        ndarray of shape (2,), in nats."""
        proba = np.exp(log_post[:2])
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(
                proba > 0, proba * (log_post[:2] - np.log(self.class_prior_)), 0
            )
        return kl.sum(axis=2).mean(axis=1)

    def _kernel_flops(self):
        """Multiply-adds of a batch's kernel, ``m^2 n_classes d``: below
        :data:`~sklearn_pid.nn._train.SMALL_STEP_FLOPS`, one CPU thread (torch's
        threads then cost more than they save, much more on a busy machine)."""
        return self.batch_size**2 * self.classes_.size * self._param("embedding_dim")

    def _pack(self, X1, X2, log_post):
        from .nn._align import pack_inputs

        Z1 = self.scalers_[0].transform(X1)
        Z2 = self.scalers_[1].transform(X2)
        return pack_inputs(Z1, Z2, log_post[0], log_post[1])

    def _batches(self, packed):
        """Split into ``ceil(n / batch_size)`` near-equal batches.

        The samples are first put in a canonical order (by a fixed random
        projection of their packed rows), then permuted by a permutation drawn
        at fit: the batches depend on the set of samples, not on their order
        in ``X`` (identical rows are interchangeable).
        """
        n_samples = packed.shape[0]
        rng = np.random.RandomState(self.eval_seed_)
        key = packed.astype(np.float64) @ rng.standard_normal(packed.shape[1])
        order = np.argsort(key, kind="stable")[rng.permutation(n_samples)]
        n_batches = max(1, math.ceil(n_samples / self.batch_size))
        return np.array_split(order, n_batches)

    def _best_coupling(self, e1, e2, log_p1, log_p2, log_prior, info_targets):
        """The candidate coupling of a batch with the smallest ``I_q``.

        The candidates: the learned kernel's projection, the projections of
        the posterior kernels ``exp(beta * BC(p(.|x1_i), p(.|x2_j)))`` for
        ``beta`` in :data:`MATCHING_BETAS` (``BC``: the Bhattacharyya
        coefficient, ``sum_y sqrt(p(y|x1_i) p(y|x2_j))``) whose Sinkhorn
        iterations converged, and :func:`matched_log_coupling`. All meet the
        batch's targets, so all are feasible for the minimisation of ``I_q``.

        Returns
        -------
        result : CouplingResult
        choice : int
            0: learned, ``1 .. len(MATCHING_BETAS)``: a posterior kernel,
            ``len(MATCHING_BETAS) + 1``: the comonotone matching.
        """
        from .nn._align import CouplingResult, batch_targets
        from .nn._sinkhorn import coupling_terms, log_kernel, sinkhorn

        n_classes = log_p1.shape[1]
        rows, cols = batch_targets(log_p1, log_p2, log_prior, info_targets)
        affinity = (0.5 * log_p1).exp() @ (0.5 * log_p2).exp().T  # BC, (m1, m2)
        kernels = [log_kernel(e1, e2)] + [
            (beta * affinity).expand(n_classes, -1, -1) for beta in MATCHING_BETAS
        ]
        best, choice = None, 0
        for k, kernel in enumerate(kernels):
            log_q, residual, _ = sinkhorn(
                kernel, rows, cols, self.sinkhorn_tol, self.sinkhorn_max_iter
            )
            if k and float(residual.max()) > self.sinkhorn_tol:
                continue  # misses the targets: not a feasible candidate
            result = CouplingResult(residual, *coupling_terms(log_q, log_prior))
            if best is None or float(result.info) < float(best.info):
                best, choice = result, k
        matched = matched_log_coupling(rows, cols, log_p1, log_p2)
        g1, g2, info = coupling_terms(matched, log_prior.double().cpu())
        if float(info) < float(best.info):
            zero = best.residual.new_zeros(best.residual.shape)
            best, choice = CouplingResult(zero, g1, g2, info), len(kernels)
        return best, choice

    def _couple(self, packed, log_post, info_targets=None):
        """Couple ``packed`` batch by batch (to ``info_targets``, default
        ``info_targets_``).

        Returns
        -------
        point : ndarray of shape (n_samples, n_classes, 4)
            The atoms of each sample for each possible label, in ``base``.
        batch_index : ndarray of shape (n_samples,)
        stats : dict
            ``residual`` (largest final Sinkhorn residual), ``cap_rate``,
            ``n_batches`` and ``choices`` (batches per candidate coupling, in
            the order of :data:`COUPLINGS`).
        """
        import torch

        from .nn._align import project_batch
        from .nn._sinkhorn import PROBA_FLOOR
        from .nn._train import cpu_threads

        n_samples, n_classes = packed.shape[0], self.classes_.size
        module = self.net_.module_
        # the net's device, not device_: skorch moves a CUDA-fitted net to the
        # CPU when it is unpickled on a machine without CUDA
        device = self.net_.device
        module.eval()
        log_prior = torch.as_tensor(
            np.log(self.class_prior_), dtype=torch.float32, device=device
        )
        if info_targets is None:
            info_targets = self.info_targets_
        info_targets = torch.as_tensor(info_targets, dtype=torch.float32, device=device)
        iq = np.empty((n_samples, n_classes))
        batch_index = np.empty(n_samples, dtype=np.int64)
        residuals = []
        choices = []
        batches = self._batches(packed)
        with torch.inference_mode(), cpu_threads(device, self._kernel_flops()):
            for b, rows in enumerate(batches):
                batch = torch.as_tensor(packed[rows], device=device)
                if self._matching:
                    result, choice = self._best_coupling(
                        *module(batch), log_prior, info_targets
                    )
                else:
                    result, choice = (
                        project_batch(
                            *module(batch),
                            log_prior,
                            info_targets,
                            self.sinkhorn_tol,
                            self.sinkhorn_max_iter,
                        ),
                        0,
                    )
                choices.append(choice)
                iq[rows] = ((result.g1 + result.g2) / 2).double().cpu().numpy()
                batch_index[rows] = b
                residuals.append(result.residual.double().cpu().numpy())
        residuals = np.concatenate(residuals)
        # pointwise informations, (3, n, C); log p floored as in the
        # coupling's inputs, so that a classifier's 0 probabilities (trees,
        # kNN) give finite values
        lp = np.maximum(log_post, np.log(PROBA_FLOOR)) - np.log(self.class_prior_)
        point = broja_atoms(lp[0], lp[1], lp[2], iq) / np.log(self.base)
        stats = {
            "residual": float(residuals.max()),
            "cap_rate": float(np.mean(residuals > self.sinkhorn_tol)),
            "n_batches": len(batches),
            "choices": np.bincount(choices, minlength=len(COUPLINGS)),
        }
        return point, batch_index, stats


def matched_log_coupling(rows, cols, log_p1, log_p2):
    """The posterior-matching coupling of a batch, in logs.

    For each label ``y``, the row masses ``rows[y]`` (``w1_i p(y|x1_i)``) and
    the column masses ``cols[y]`` (``w2_j p(y|x2_j)``) are coupled
    comonotonically in ``p(y|x)``: both sorted by it, then matched by their
    cumulative masses (the north-west corner rule, i.e. the quantile
    coupling; the limit of a kernel ``exp(-beta |p(.|x1_i) - p(.|x2_j)|^2)``
    as ``beta`` grows). It meets the marginals exactly. Where the two
    posteriors of every sample agree (identical modalities), it is the
    diagonal, whose ``I_q(X1,X2;Y)`` is ``I(X1;Y)``: the BROJA optimum,
    which the learned kernel cannot express (it is a deterministic matching).

    Parameters
    ----------
    rows, cols : Tensor of shape (n_classes, m)
        Targets of equal mass per label
        (:func:`~sklearn_pid.nn._align.batch_targets`).
    log_p1, log_p2 : Tensor of shape (m, n_classes)

    Returns
    -------
    Tensor of shape (n_classes, m, m), float64 on the CPU
        ``log q``; empty cells hold ``log(1e-300)``, far below any mass, so
        that the logs stay finite.
    """
    import torch

    rows, cols, p1, p2 = (
        t.double().cpu().numpy() for t in (rows, cols, log_p1, log_p2)
    )
    n_classes, m1 = rows.shape
    m2 = cols.shape[1]
    q = np.zeros((n_classes, m1, m2))
    for y in range(n_classes):
        order_1 = np.argsort(p1[:, y], kind="stable")
        order_2 = np.argsort(p2[:, y], kind="stable")
        cum_1 = np.cumsum(rows[y, order_1])
        cum_2 = np.cumsum(cols[y, order_2])
        cum_2 *= cum_1[-1] / cum_2[-1]  # equal masses up to rounding
        cuts = np.unique(np.concatenate([[0.0], cum_1, cum_2]))
        mids = (cuts[:-1] + cuts[1:]) / 2
        i = order_1[np.minimum(np.searchsorted(cum_1, mids), m1 - 1)]
        j = order_2[np.minimum(np.searchsorted(cum_2, mids), m2 - 1)]
        np.add.at(q[y], (i, j), np.diff(cuts))
    return torch.as_tensor(np.log(np.maximum(q, 1e-300)))


class _Statistic:
    """``PIDBatch``'s dataset values on resampled fitting rows (see
    ``PIDBatch._out_of_fold_statistic``)."""

    def __init__(self, estimator, inputs):
        self.estimator = estimator
        self.inputs = inputs  # the standardised x1 and x2 of the encoders
        self.log_post = estimator._oof_log_post
        self.log_prior = np.log(estimator.class_prior_)
        self.calibrate = estimator.calibration == "temperature"
        self.scale = 1 / np.log(estimator.base)

    def __call__(self, rows, labels):
        from .nn._align import pack_inputs

        est = self.estimator
        log_post = self.log_post[:, rows]
        if self.calibrate:
            exponents = [fit_temperature(lp, labels, self.log_prior) for lp in log_post]
            log_post = temper(log_post, exponents, self.log_prior)
        Z1, Z2 = (Z[rows] for Z in self.inputs)
        packed = pack_inputs(Z1, Z2, log_post[0], log_post[1])
        point, _, _ = est._couple(packed, log_post, est._info_targets(log_post))
        index = np.arange(labels.size)
        atoms = point[index, labels].mean(axis=0)
        info = log_post[:, index, labels] - self.log_prior[labels]
        return np.concatenate([atoms, info.mean(axis=1) * self.scale])
