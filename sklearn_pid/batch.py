"""PIDBatch: neural dataset-level PID of continuous, high-dimensional modalities."""

import math
import numbers

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import ATOMS, DecompositionMixin
from ._posteriors import check_classifiers, fit_posteriors, log_posteriors
from ._validation import check_not_constant, encode_labels, validate_modalities
from .nn._align import (
    AlignmentModule,
    AlignmentNet,
    InBatchInformation,
    pack_inputs,
    project_batch,
)
from .nn._mlp import MLPPosterior
from .nn._sinkhorn import PROBA_FLOOR
from .nn._train import (
    BatchLoader,
    cpu_threads,
    draw_seed,
    resolve_device,
    torch_seed,
    training_setup,
)


class PIDBatch(DecompositionMixin, TransformerMixin, BaseEstimator):
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
    modalities : None, int or pair of selections, default=None
        Which columns of ``X`` form modality 1 and modality 2: ``None`` for
        exactly two columns, an int ``k`` for ``[0, k)`` / ``[k, n)``, or a pair
        of slices, index lists, boolean masks or column names.
    classifier_1, classifier_2, classifier_joint : classifier or None, default=None
        Posteriors ``p(y|x1)``, ``p(y|x2)``, ``p(y|x1,x2)``: scikit-learn
        classifiers with ``predict_proba`` (cloned and fitted on the encoded
        labels), or ``None`` for an :class:`~sklearn_pid.nn.MLPPosterior` with
        the ``classifier_*`` hyperparameters below. The estimate is only as
        good as their calibration.
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
    embed_dim : int, default=10
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
    base : float, default=2
        Logarithm base of every reported number (2: bits, ``math.e``: nats).
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
        Resolved into ``device_`` at fit.
    random_state : int, RandomState or None, default=None
        Seeds the posteriors, the alignment (initial weights, batch order,
        validation split) and the batches of the estimate.
    verbose : int, default=0
        ``>= 1`` shows a progress bar for each network.

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
    classes_ : ndarray of shape (n_classes,)
    prior_ : ndarray of shape (n_classes,)
        Class frequencies of the fitting labels, ``p(y)``.
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
    modality_columns_ : tuple of ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.

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
    Bertschinger, Rauh, Olbrich, Jost, Ay. "Quantifying unique information."
    Entropy 16 (2014). Liang et al. "Quantifying & modeling multimodal
    interactions: an information decomposition framework." NeurIPS 2023.

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
        "modalities": [
            None,
            "array-like",
            Interval(numbers.Integral, 1, None, closed="left"),
            tuple,
        ],
        "classifier_1": [None, HasMethods(["fit", "predict_proba"])],
        "classifier_2": [None, HasMethods(["fit", "predict_proba"])],
        "classifier_joint": [None, HasMethods(["fit", "predict_proba"])],
        "classifier_hidden_sizes": [tuple, list],
        "classifier_max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "classifier_lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "classifier_patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "hidden_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "embed_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_layers": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "sinkhorn_tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "sinkhorn_max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "sinkhorn_unroll": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "base": [Interval(numbers.Real, 0, None, closed="neither")],
        "device": [StrOptions({"auto"}), str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

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
        embed_dim=10,
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
    ):
        self.modalities = modalities
        self.classifier_1 = classifier_1
        self.classifier_2 = classifier_2
        self.classifier_joint = classifier_joint
        self.classifier_hidden_sizes = classifier_hidden_sizes
        self.classifier_max_epochs = classifier_max_epochs
        self.classifier_lr = classifier_lr
        self.classifier_patience = classifier_patience
        self.hidden_dim = hidden_dim
        self.embed_dim = embed_dim
        self.n_layers = n_layers
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.sinkhorn_tol = sinkhorn_tol
        self.sinkhorn_max_iter = sinkhorn_max_iter
        self.sinkhorn_unroll = sinkhorn_unroll
        self.base = base
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Train the posteriors and the alignment, then estimate the PID.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Both modalities (numeric), split by ``modalities``.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : PIDBatch
        """
        self._validate_params()
        if self.base == 1:
            raise ValueError("base must be different from 1.")
        check_classifiers(self)
        X1, X2, y = validate_modalities(self, X, y, reset=True, dtype=np.float64)
        self.classes_, y_index = encode_labels(y)
        check_not_constant(X1, X2)
        n_samples, n_classes = X1.shape[0], self.classes_.size
        rng = check_random_state(self.random_state)
        self.device_ = resolve_device(self.device)
        self.prior_ = np.bincount(y_index, minlength=n_classes) / n_samples

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
        self.classifiers_ = fit_posteriors(self, default, X1, X2, y_index, rng)
        log_post = log_posteriors(self.classifiers_, X1, X2, n_classes)
        self.scalers_ = (StandardScaler().fit(X1), StandardScaler().fit(X2))
        packed = self._pack(X1, X2, log_post)
        proba = np.exp(log_post[:2])
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(proba > 0, proba * (log_post[:2] - np.log(self.prior_)), 0)
        self.info_targets_ = kl.sum(axis=2).mean(axis=1)  # (2,), nats

        seed = draw_seed(rng)
        train_split, callbacks = training_setup(
            n_samples,
            validation_fraction=self.validation_fraction,
            patience=self.patience,
            seed=seed,
            verbose=self.verbose,
            # improvements below 0.1 % of I_q change no reported digit
            threshold=1e-3,
        )
        self.net_ = AlignmentNet(
            AlignmentModule,
            module__n_features_1=X1.shape[1],
            module__n_features_2=X2.shape[1],
            module__n_classes=n_classes,
            module__embed_dim=self.embed_dim,
            module__hidden_dim=self.hidden_dim,
            module__n_layers=self.n_layers,
            criterion=InBatchInformation,
            criterion__log_prior=np.log(self.prior_),
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
            iterator_train=BatchLoader,
            iterator_valid=BatchLoader,
            iterator_train__shuffle=True,
            device=self.device_,
            verbose=0,
        )
        with torch_seed(seed, self.device_), self._threads(self.device_):
            self.net_.fit(packed, None)
        self.n_epochs_ = len(self.net_.history)
        self.net_.criterion_.last = None  # the last batch's tensors
        self.eval_seed_ = draw_seed(rng)

        point, batch_index, stats = self._pointwise(packed, log_post)
        self.sinkhorn_residual_ = stats["residual"]
        self.sinkhorn_cap_rate_ = stats["cap_rate"]
        self.n_batches_ = stats["n_batches"]
        rows = np.arange(n_samples)
        atoms = point[rows, y_index]  # (n, 4), in base
        ln_base = np.log(self.base)
        info = (log_post[:, rows, y_index] - np.log(self.prior_[y_index])) / ln_base
        values = dict(zip(ATOMS, atoms.mean(axis=0)))
        values.update(mi_1=info[0].mean(), mi_2=info[1].mean(), mi_joint=info[2].mean())
        self._set_decomposition(values)
        per_batch = pd.DataFrame(atoms, columns=list(ATOMS)).groupby(batch_index).mean()
        self.batch_std_ = per_batch.std(ddof=1 if len(per_batch) > 1 else 0)
        self.batch_std_.name = "batch_std"
        return self

    def transform(self, X):
        """Expected per-sample interactions under the joint posterior.

        For each sample, ``sum_y p(y | x1, x2) * interactions(x, y)``; ``y`` is
        not needed. Samples are coupled within batches of ``X`` (see Notes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 4)
            Columns ``redundancy, unique_1, unique_2, synergy`` in ``base``.
        """
        X1, X2, _ = self._validated(X)
        point, log_post = self._point_of(X1, X2)
        return np.einsum("nk,nkj->nj", np.exp(log_post[2]), point)

    def interactions(self, X, y):
        """Label-conditioned per-sample interactions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels among ``classes_``.

        Returns
        -------
        pandas.DataFrame of shape (n_samples, 4)
            Columns ``redundancy, unique_1, unique_2, synergy`` in ``base``;
            their mean over the fitting samples is ``decomposition_``.
        """
        X1, X2, y_index = self._validated(X, y)
        point, _ = self._point_of(X1, X2)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return self._atoms_frame(point[np.arange(y_index.size), y_index], index=index)

    def predict_proba(self, X):
        """Joint posterior ``p(y | x1, x2)`` of ``classifier_joint``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        X1, X2, _ = self._validated(X)
        return np.exp(self._log_posteriors(X1, X2)[2])

    def predict(self, X):
        """Most probable class under :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X1, X2, _ = self._validated(X)
        log_post = self._log_posteriors(X1, X2)[2]
        return self.classes_[np.argmax(log_post, axis=1)]

    def score(self, X, y):
        """Held-out variational lower bound on ``I(X1,X2;Y)``, in ``base``.

        The mean of ``log p(y | x1, x2) - log p(y)`` under the joint posterior
        and the fitted class prior; higher is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        float
        """
        X1, X2, y_index = self._validated(X, y)
        log_post = self._log_posteriors(X1, X2)[2]
        rows = np.arange(y_index.size)
        point = log_post[rows, y_index] - np.log(self.prior_[y_index])
        return float(point.mean() / np.log(self.base))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags

    # ------------------------------------------------------------------ helpers

    def _validated(self, X, y="no_validation"):
        """``X1``, ``X2`` and the class indices of ``y`` (None without ``y``)."""
        check_is_fitted(self)
        X1, X2, y = validate_modalities(self, X, y, reset=False, dtype=np.float64)
        y_index = None if y is None else encode_labels(y, self.classes_)[1]
        return X1, X2, y_index

    def _log_posteriors(self, X1, X2):
        return log_posteriors(self.classifiers_, X1, X2, self.classes_.size)

    def _point_of(self, X1, X2):
        """Per-sample, per-label atoms of new data and its log posteriors."""
        log_post = self._log_posteriors(X1, X2)
        point, _, _ = self._pointwise(self._pack(X1, X2, log_post), log_post)
        return point, log_post

    def _threads(self, device):
        """One CPU thread when a batch's largest operation (the kernel, ``m^2
        n_classes d`` multiply-adds) is small: torch's threads then cost more
        than they save, and much more on a busy machine."""
        flops = self.batch_size**2 * self.classes_.size * self.embed_dim
        return cpu_threads(device, flops)

    def _pack(self, X1, X2, log_post):
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

    def _pointwise(self, packed, log_post):
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
        n_samples, n_classes = packed.shape[0], self.classes_.size
        module = self.net_.module_
        # the net's device, not device_: skorch moves a CUDA-fitted net to the
        # CPU when it is unpickled on a machine without CUDA
        device = self.net_.device
        module.eval()
        log_prior = torch.as_tensor(
            np.log(self.prior_), dtype=torch.float32, device=device
        )
        info_targets = torch.as_tensor(
            self.info_targets_, dtype=torch.float32, device=device
        )
        iq = np.empty((n_samples, n_classes))
        batch_index = np.empty(n_samples, dtype=np.int64)
        residuals = []
        batches = self._batches(packed)
        with torch.inference_mode(), self._threads(device):
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
        lp = np.maximum(log_post, np.log(PROBA_FLOOR)) - np.log(self.prior_)
        i1, i2, i12 = lp[0], lp[1], lp[2]
        point = np.stack([i1 + i2 - iq, iq - i2, iq - i1, i12 - iq], axis=-1)
        point /= np.log(self.base)
        stats = {
            "residual": float(residuals.max()),
            "cap_rate": float(np.mean(residuals > self.sinkhorn_tol)),
            "n_batches": len(batches),
        }
        return point, batch_index, stats
