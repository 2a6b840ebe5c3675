"""PIDBatch: neural dataset-level PID of continuous, high-dimensional modalities."""

import math
import numbers

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import ATOMS, COMMON_CONSTRAINTS, MI_TERMS, InformationEstimator
from ._information import broja_atoms
from ._posteriors import (
    POSTERIOR_CONSTRAINTS,
    check_classifiers,
    fit_posteriors,
    log_posteriors,
)
from ._standardize import Standardizer
from ._validation import check_hidden_sizes, warn
from .nn._common import draw_seed


class PIDBatch(InformationEstimator):
    """Neural partial information decomposition on mini-batches ("BATCH").

    Estimates the Bertschinger et al. (2014) decomposition ("BROJA", the one
    :class:`~sklearn_pid.PIDCVX` solves exactly on discrete tables) directly
    on continuous, high-dimensional modalities, following Liang et al.
    (NeurIPS 2023, §3.2 and App. B.3):

    1. Three class posteriors ``p(y|x1)``, ``p(y|x2)``, ``p(y|x1,x2)`` are
       trained and frozen (:class:`~sklearn_pid.nn.MLPPosterior` by default,
       or the given classifiers).
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
       ``q`` restricted to the batch.
    4. After training the whole fitting set is coupled batch by batch and

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
    $base
    $device
    random_state : int, RandomState or None, default=None
        Seeds the posteriors, the alignment (initial weights, batch order,
        validation split) and the batches of the estimate.
    $verbose
    embed_dim : int, default="deprecated"
        Deprecated name of ``embedding_dim`` (FutureWarning).

    Attributes
    ----------
    redundancy_, unique_1_, unique_2_, synergy_ : float
        The decomposition of ``I(X1, X2; Y)``, in ``base``: the mean over the
        fitting samples of :meth:`interactions`, i.e. the size-weighted mean
        of the per-batch values.
    mi_1_, mi_2_, mi_joint_ : float
        ``I(X1;Y)``, ``I(X2;Y)``, ``I(X1,X2;Y)``: mean of
        ``log p(y|x) - log p(y)`` over the fitting samples.
    decomposition_ : pandas.Series
        The four atoms, indexed ``redundancy, unique_1, unique_2, synergy``.
    batch_std_ : pandas.Series
        Standard deviation of the four atoms across the estimation batches.
    n_batches_ : int
        Number of estimation batches (``ceil(n_samples / batch_size)`` of
        near-equal size: every sample is used).
    classifiers_ : list of 3 classifiers
        The fitted posteriors for ``x1``, ``x2`` and ``[x1, x2]``.
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
        Largest final relative residual of the estimation projections.
    sinkhorn_cap_rate_ : float
        Fraction of the estimation projections (one per batch and label)
        stopped by ``sinkhorn_max_iter`` rather than ``sinkhorn_tol``.
    device_ : str
    $input_attributes

    Notes
    -----
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
    pairs ``x1`` and ``x2`` with equal posteriors), ``I_q`` stays above its
    population value: two finite samples of a batch cannot be matched
    exactly, and the kernel family cannot express a near-deterministic
    matching (larger batches do not remove it). On that mixture ``unique_1``,
    ``unique_2`` come out near 0.015-0.02 bits each instead of 0, and
    ``synergy`` about 0.02 bits low (the research code: 0.024, 0.041 and
    0.028). Discrete data (one-hot states) are not affected.

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
        "embed_dim": [
            StrOptions({"deprecated"}),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
    }
    _chunk_size = None  # a sample's values depend on the samples coupled with it
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

        n_samples, n_classes = X1.shape[0], self.classes_.size
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
        self.classifiers_ = fit_posteriors(
            self, default, X1, X2, y_index, rng, type(self).__name__
        )
        log_post = log_posteriors(self.classifiers_, X1, X2, n_classes)
        self.scalers_ = (Standardizer().fit(X1), Standardizer().fit(X2))
        packed = self._pack(X1, X2, log_post)
        proba = np.exp(log_post[:2])
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(
                proba > 0, proba * (log_post[:2] - np.log(self.class_prior_)), 0
            )
        self.info_targets_ = kl.sum(axis=2).mean(axis=1)  # (2,), nats
        self.net_ = self._train_alignment(packed, X1.shape[1], X2.shape[1], rng)
        self.eval_seed_ = draw_seed(rng)

        point, batch_index, stats = self._couple(packed, log_post)
        self.sinkhorn_residual_ = stats["residual"]
        self.sinkhorn_cap_rate_ = stats["cap_rate"]
        self.n_batches_ = stats["n_batches"]
        rows = np.arange(n_samples)
        atoms = point[rows, y_index]  # (n, 4), in base
        info = log_post[:, rows, y_index] - np.log(self.class_prior_[y_index])
        info /= np.log(self.base)
        per_batch = pd.DataFrame(atoms, columns=list(ATOMS)).groupby(batch_index).mean()
        self.batch_std_ = per_batch.std(ddof=1 if len(per_batch) > 1 else 0)
        self.batch_std_.name = "batch_std"
        values = dict(zip(ATOMS, atoms.mean(axis=0)))
        return values | dict(zip(MI_TERMS, map(np.mean, info)))

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
        return log_posteriors(self.classifiers_, X1, X2, self.classes_.size)[2]

    def _pointwise(self, X1, X2):
        log_post = log_posteriors(self.classifiers_, X1, X2, self.classes_.size)
        point, _, _ = self._couple(self._pack(X1, X2, log_post), log_post)
        return point, log_post[2]

    # ------------------------------------------------------------------ helpers

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

    def _couple(self, packed, log_post):
        """Couple ``packed`` batch by batch.

        Returns
        -------
        point : ndarray of shape (n_samples, n_classes, 4)
            The atoms of each sample for each possible label, in ``base``.
        batch_index : ndarray of shape (n_samples,)
        stats : dict
            ``residual`` (largest final Sinkhorn residual), ``cap_rate`` and
            ``n_batches``.
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
        info_targets = torch.as_tensor(
            self.info_targets_, dtype=torch.float32, device=device
        )
        iq = np.empty((n_samples, n_classes))
        batch_index = np.empty(n_samples, dtype=np.int64)
        residuals = []
        batches = self._batches(packed)
        with torch.inference_mode(), cpu_threads(device, self._kernel_flops()):
            for b, rows in enumerate(batches):
                batch = torch.as_tensor(packed[rows], device=device)
                result = project_batch(
                    *module(batch),
                    log_prior,
                    info_targets,
                    self.sinkhorn_tol,
                    self.sinkhorn_max_iter,
                )
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
        }
        return point, batch_index, stats
