"""DMIClassifier: a multimodal classifier that decomposes and learns every
interaction, and the two usual baselines (joint fusion, ensemble).

The three classifiers share one base class: the same input handling
(``modalities``), the same standardisation, the same modality encoders and the
same training loop (a :class:`~sklearn_pid.nn._dmi_modules.FusionNet`, i.e. a
skorch ``NeuralNet`` whose ``get_loss`` is the module's objective), so that
comparisons between them differ only in what is learned on top of the
encoders.
"""

import math
import numbers

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import (
    ATOMS,
    COMMON_CONSTRAINTS,
    DecompositionMixin,
    MultimodalEstimator,
    expected_atoms,
)
from ._standardize import Standardizer
from ._validation import check_hidden_sizes, warn
from .nn._common import STAGES, draw_seed

#: Default number of epochs of each DMI stage (the paper switched stages
#: around epochs 5 and 10); the baselines train for their sum.
DEFAULT_EPOCHS = {"warmup": 5, "decomposition": 5, "finetune": 10}
DEFAULT_MAX_EPOCHS = sum(DEFAULT_EPOCHS.values())

#: Default number of initialisations of DMIClassifier (``n_init``).
DEFAULT_N_INIT = 3

#: DMIClassifier warns when a share of ``interaction_proportions_`` differs by
#: more than this between its initialisations (``proportions_spread_``).
SPREAD_WARNING = 0.1

_COMMON_CONSTRAINTS = {
    **{k: v for k, v in COMMON_CONSTRAINTS.items() if k != "base"},
    "encoder_1": [None, type],
    "encoder_1_kwargs": [None, dict],
    "encoder_2": [None, type],
    "encoder_2_kwargs": [None, dict],
    "encoder_hidden_sizes": [tuple, list],
    "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
    "lr": [Interval(numbers.Real, 0, None, closed="neither")],
    "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    "hidden_sizes": [StrOptions({"deprecated"}), tuple, list],
}


class _FusionClassifier(ClassifierMixin, MultimodalEstimator):
    """Shared fit / predict of the three multimodal classifiers.

    Subclasses set ``_module`` (the name of the torch module class in
    :mod:`sklearn_pid.nn._dmi_modules`, imported with torch at fit), and
    define ``_module_kwargs()`` (extra module arguments) and ``_stages()`` (a
    list of ``(stage, epochs)``).
    """

    _module = None
    _parameter_constraints = dict(_COMMON_CONSTRAINTS)
    _renamed_params = {"hidden_sizes": "encoder_hidden_sizes"}

    def _check_params(self):
        if sum(epochs for _, epochs in self._stages()) < 1:
            raise ValueError("The training schedule has no epoch; give at least one.")
        sizes = self._param("encoder_hidden_sizes")
        check_hidden_sizes("encoder_hidden_sizes", sizes)

    def _fit(self, X1, X2, y_index, sample_weight):
        """Standardise each column and train the network, stage by stage."""
        Z = self._standardize(X1, X2).astype(np.float32)
        seed = draw_seed(self.random_state)
        self.net_ = self._train_net(Z, X1.shape[1], y_index, seed)
        self.n_epochs_ = len(self.net_.history)

    def _standardize(self, X1, X2):
        """Fit ``scaler_``, resolve ``device_``; the standardised samples."""
        from .nn._train import resolve_device

        self.scaler_ = Standardizer().fit(np.hstack([X1, X2]))
        Z = self._scaled(X1, X2)
        self.device_ = resolve_device(self.device)
        return Z

    def _train_net(self, Z, n_in_1, y_index, seed, label=None):
        """A new net trained on ``Z`` (float32) from ``seed``, stage by stage.

        ``label`` names its progress bars (default: the class name).
        """
        # torch is imported here, at fit, not with this module
        import torch

        from .nn import _dmi_modules
        from .nn._train import EpochProgress, build_net, training

        name = label or type(self).__name__
        stages = [(stage, epochs) for stage, epochs in self._stages() if epochs]
        progress = EpochProgress(name)
        callbacks = [("stage_logger", _dmi_modules.StageLogger())]
        if self.verbose:
            callbacks.append(("progress", progress))
        net = build_net(
            _dmi_modules.FusionNet,
            getattr(_dmi_modules, self._module),
            device=self.device_,
            module__n_in_1=n_in_1,
            module__n_in_2=Z.shape[1] - n_in_1,
            module__n_classes=self.classes_.size,
            module__embedding_dim=self.embedding_dim,
            module__hidden_sizes=tuple(self._param("encoder_hidden_sizes")),
            module__encoder_1=self.encoder_1,
            module__encoder_1_kwargs=self.encoder_1_kwargs,
            module__encoder_2=self.encoder_2,
            module__encoder_2_kwargs=self.encoder_2_kwargs,
            **{f"module__{k}": v for k, v in self._module_kwargs().items()},
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.AdamW,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=1,
            batch_size=self.batch_size,
            train_split=None,
            callbacks=callbacks,
        )
        with training(seed, self.device_, flops_per_step=0):
            net.initialize()
            for stage, epochs in stages:
                net.module_.set_stage(stage)
                # the stage's progress bar, drawn with verbose
                text = f"{name} stage {stage}" if len(stages) > 1 else name
                progress.set_params(label=text, total=epochs)
                net.partial_fit(Z, y_index.astype(np.int64), epochs=epochs)
        # Leave nothing frozen (a schedule may end with the decomposition).
        net.module_.set_stage(STAGES[-1]).eval()
        return net

    def _scaled(self, X1, X2):
        return self.scaler_.transform(np.hstack([X1, X2]))

    def _forward(self, X1, X2, method):
        """A module method on the standardised samples (see ``batched_forward``)."""
        from .nn._train import batched_forward

        Z = self._scaled(X1, X2)
        return batched_forward(self.net_, Z, self.batch_size, method, -2, flops=0)

    def _log_proba(self, X1, X2):
        return self._forward(X1, X2, "log_proba")


class JointFusionClassifier(_FusionClassifier):
    __doc__ = f"""Joint fusion baseline: concatenated embeddings, then an MLP.

    Each modality goes through its encoder, ``[Z_1, Z_2]`` through an MLP with
    one hidden layer of ``head_hidden`` units, and everything is trained
    end to end by cross-entropy for ``max_epochs`` epochs. The baseline of
    :class:`DMIClassifier` with the same encoders and budget.

    Parameters
    ----------
    $fusion_parameters
    head_hidden : int, default=64
        Hidden width of the fusion MLP.
    max_epochs : int, default={DEFAULT_MAX_EPOCHS}
        Training epochs (DMIClassifier's three stages together).
    $fusion_training

    Attributes
    ----------
    $fusion_attributes

    See Also
    --------
    DMIClassifier, EnsembleFusionClassifier

    Examples
    --------
    >>> from sklearn_pid.dmi import JointFusionClassifier
    >>> from sklearn_pid.datasets import load_digits_halves
    >>> X, y = load_digits_halves()
    >>> clf = JointFusionClassifier(modalities=32, max_epochs=5, random_state=0)
    >>> clf.fit(X[:1000], y[:1000]).score(X[1000:], y[1000:]) > 0.8
    True
    """

    _module = "JointFusionModule"
    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "head_hidden": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        modalities=None,
        encoder_1=None,
        encoder_1_kwargs=None,
        encoder_2=None,
        encoder_2_kwargs=None,
        encoder_hidden_sizes=(64,),
        embedding_dim=32,
        head_hidden=64,
        max_epochs=DEFAULT_MAX_EPOCHS,
        lr=3e-3,
        weight_decay=1e-4,
        batch_size=128,
        device="auto",
        random_state=None,
        verbose=0,
        hidden_sizes="deprecated",
    ):
        self._store_params(locals())

    def _module_kwargs(self):
        return {"head_hidden": self.head_hidden}

    def _stages(self):
        return [("finetune", self.max_epochs)]


class EnsembleFusionClassifier(_FusionClassifier):
    __doc__ = f"""Ensemble baseline: the average of two unimodal posteriors.

    Each modality has its encoder and a linear head; both are trained by the
    sum of the unimodal cross-entropies (the warm-up objective of
    :class:`DMIClassifier`) for ``max_epochs`` epochs, and the prediction is
    ``(p(y | x1) + p(y | x2)) / 2``. It sees no interaction between the
    modalities: it cannot learn synergy.

    Parameters
    ----------
    $fusion_parameters
    max_epochs : int, default={DEFAULT_MAX_EPOCHS}
        Training epochs (DMIClassifier's three stages together).
    $fusion_training

    Attributes
    ----------
    $fusion_attributes

    See Also
    --------
    DMIClassifier, JointFusionClassifier

    Examples
    --------
    >>> from sklearn_pid.dmi import EnsembleFusionClassifier
    >>> from sklearn_pid.datasets import load_digits_halves
    >>> X, y = load_digits_halves()
    >>> clf = EnsembleFusionClassifier(modalities=32, max_epochs=5, random_state=0)
    >>> clf.fit(X[:1000], y[:1000]).score(X[1000:], y[1000:]) > 0.8
    True
    """

    _module = "EnsembleFusionModule"
    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        modalities=None,
        encoder_1=None,
        encoder_1_kwargs=None,
        encoder_2=None,
        encoder_2_kwargs=None,
        encoder_hidden_sizes=(64,),
        embedding_dim=32,
        max_epochs=DEFAULT_MAX_EPOCHS,
        lr=3e-3,
        weight_decay=1e-4,
        batch_size=128,
        device="auto",
        random_state=None,
        verbose=0,
        hidden_sizes="deprecated",
    ):
        self._store_params(locals())

    def _module_kwargs(self):
        return {}

    def _stages(self):
        return [("warmup", self.max_epochs)]


class DMIClassifier(DecompositionMixin, _FusionClassifier):
    __doc__ = f"""Decomposition-based multimodal interaction learning (DMI).

    A classifier for paired modalities that splits what it learns into
    redundant, unique and synergistic parts and learns each ("Towards
    holistic multimodal interaction: an information-theoretic perspective",
    §3.4, App. A.5, B.2):

    * encoders ``phi_1``, ``phi_2`` give ``Z_1``, ``Z_2``;
    * a variational (VIB) encoder per modality splits ``Z_m`` into a
      task-related latent ``T_m = (R_m, U_m)`` and a task-irrelevant latent
      ``V_m`` (diagonal Gaussian posteriors, reparameterisation, KL to
      ``N(0, I)`` of weight ``beta``), and a decoder reconstructs ``Z_m``
      from ``(T_m, V_m)`` (weight ``reconstruction_weight``);
    * ``T_m`` is split into a redundant part ``R_m`` and a unique part
      ``U_m``: the class-conditional distributions of ``R_1`` and ``R_2``
      are aligned by a symmetric KL (weight ``alignment_weight``), so that
      ``R`` carries only what both modalities say about ``y``, and ``U_m``
      is decorrelated from ``R_m`` (weight ``separation_weight``); with
      ``common_dim > 0`` the alignment is also conditioned on a learnt
      *common latent*, the context both modalities share;
    * the synergy head reads the fusion ``[V_1, V_2]``;
    * heads on ``R``, ``U_1``, ``U_2`` and ``[V_1, V_2]`` give logits that
      add up to the prediction.

    Training has three stages, run one after the other on the same skorch
    net: ``warmup_epochs`` of the ensemble objective (unimodal heads on
    ``Z_m``), ``decomposition_epochs`` with the encoders frozen while the
    decomposition modules learn, and ``finetune_epochs`` of everything
    jointly. The objective is written out in
    :class:`~sklearn_pid.nn._dmi_modules.DMIModule`. The whole training is
    run ``n_init`` times from different seeds and the fit with the lowest
    final objective is kept; ``init_results_`` shows the shares of every
    run, and a warning says when they disagree.

    ``transform(X)`` gives, per sample, how much information about ``y`` each
    part contributes to the prediction, in ``base`` units (bits by default).
    With ``pi`` the training class frequencies and the model's posteriors
    ``p_R1 = p(y | R_1)``, ``p_R2`` (redundancy head), ``p_1 = p(y | R_1,
    U_1)``, ``p_2`` (task-related parts) and ``p_12`` (fused prediction),
    the label-conditioned values of a sample ``(x, y)`` are
    (:meth:`interactions`)::

        redundancy = (log p_R1(y)/pi(y) + log p_R2(y)/pi(y)) / 2
        unique_m   = log p_m(y) / p_Rm(y)
        synergy    = log p_12(y) / pi(y) - redundancy - unique_1 - unique_2

    and ``transform`` is their expectation under the model's own fused
    posterior ``y ~ p_12(. | x)`` (no label needed). The four columns sum to
    ``KL(p_12(. | x) || pi)``, the sample's information about ``y`` under
    the model, whose mean estimates ``I(X1, X2; Y)``; ``redundancy`` and
    ``unique_m`` are differences of the same kind of quantity for the heads,
    so that their means estimate ``I(R; Y)`` and ``I(T_m; Y) - I(R_m; Y)``.
    A single value may be negative where a head disagrees with the fused
    posterior; the dataset-level means of well-fitted heads are not.

    Parameters
    ----------
    $fusion_parameters
    latent_dim : int, default=8
        Dimension of each of ``R_m``, ``U_m`` and ``V_m``.
    head_hidden : int, default=64
        Hidden width of the synergy head and of the decoders.
    beta : float, default=1e-3
        Weight of the KL of the latent posteriors to ``N(0, I)``.
    reconstruction_weight : float, default=1.0
        Weight of the squared error of the reconstruction of ``Z_m``.
    alignment_weight : float, default=1.0
        Weight of the class-conditional KL between ``R_1`` and ``R_2``.
    separation_weight : float, default=0.1
        Weight of the squared cross-correlation between ``R_m`` and ``U_m``.
    common_dim : int, default=0
        Dimension of a common latent on which the two modalities agree
        sample by sample (trained from the warm-up on); ``R_1`` and ``R_2``
        are then aligned given the class *and* this shared context. ``0``
        aligns on the class alone, which counts as redundant the unique
        information of a mixture of samples informative through modality 1
        only and samples informative through modality 2 only (the ``"U"``
        mixture of :func:`~sklearn_pid.datasets.make_interaction_mixture`
        gets shares 0.51 / 0 / 0 / 0.49 with 0 and 0 / 0.5 / 0.5 / 0 with 4).
        Experimental: with 4 the synergy head sometimes failed to learn in
        our runs (``benchmarks/dmi.py``), so the default is 0; see the user
        guide.
    common_weight : float, default=1.0
        Weight of the agreement (and variance) loss of the common latent.
    warmup_epochs : int, default={DEFAULT_EPOCHS["warmup"]}
        Epochs of stage 1 (encoders and unimodal heads, ensemble objective).
    decomposition_epochs : int, default={DEFAULT_EPOCHS["decomposition"]}
        Epochs of stage 2 (encoders frozen, decomposition modules train).
    finetune_epochs : int, default={DEFAULT_EPOCHS["finetune"]}
        Epochs of stage 3 (everything trains). Stages 2 and 3 together need
        at least one epoch.
    n_init : int, default={DEFAULT_N_INIT}
        Number of initialisations, as in :class:`~sklearn.cluster.KMeans`:
        the network is trained ``n_init`` times, from seeds drawn from
        ``random_state`` before the first training, and the fit with the
        lowest final training objective is kept: the fine-tuning objective
        of :class:`~sklearn_pid.nn._dmi_modules.DMIModule` (nats per
        sample) at the posterior means, averaged over the training batches
        (``init_results_["objective"]``). Costs ``n_init`` times the time
        of one training (memory: two networks during the fit).
        Initialisations can split the same information differently: on the
        1/3 AND + 1/3 OR + 1/3 XOR boolean mixture
        (:func:`~sklearn_pid.datasets.make_boolean_mixture`, 10,000
        samples), 7 of 32 single trainings put 4 to 12 points of the
        redundancy into the unique parts, all with higher objectives than
        every training within 2 points of the exact shares; with
        ``n_init=3`` the kept fit was within 1.2 points for each of
        ``random_state`` 0 to 7. When a share differs by more than
        {SPREAD_WARNING} between the initialisations
        (``proportions_spread_``), a UserWarning says so: the decomposition
        then depends on the initialisation, and the objective chose.
        ``n_init=1`` trains once, without that check; its model is that of
        earlier versions for the same ``random_state`` (and the first
        initialisation of any ``n_init``).
    $base
    $fusion_training

    Attributes
    ----------
    $fusion_attributes
    decomposition_ : pandas.Series
        Means of ``transform`` over the training data, indexed
        ``redundancy, unique_1, unique_2, synergy``, in ``base``.
    redundancy_, unique_1_, unique_2_, synergy_ : float
        The entries of ``decomposition_``.
    mi_joint_ : float
        Their sum: the mean of ``KL(p_12(. | x) || pi)`` over the training
        data, the model's estimate of ``I(X1, X2; Y)``.
    mi_1_, mi_2_ : float
        Means of ``sum_y p_12(y | x) log p_m(y) / pi(y)``: the information
        of the task-related part ``T_m`` under the model's posterior. Equal
        to ``redundancy_ + unique_m_`` when the heads of ``R_1`` and ``R_2``
        agree, close to it when they are aligned.
    interaction_proportions_ : pandas.Series
        ``decomposition_`` with negative values set to 0, divided by its sum:
        dataset-level shares that sum to 1.
    stage_epochs_ : dict
        Epochs trained in each stage.
    init_results_ : pandas.DataFrame of shape (n_init, 6)
        One row per initialisation, in the order trained: its ``seed``, its
        final training ``objective`` (nats per sample, lower is better) and
        its ``interaction_proportions_`` (columns ``redundancy``,
        ``unique_1``, ``unique_2``, ``synergy``).
    best_init_ : int
        Row of ``init_results_`` that was kept (the lowest objective, the
        first one on ties).
    proportions_spread_ : float
        Largest range (max - min) of a share of ``interaction_proportions_``
        over the initialisations, in ``[0, 1]``; ``0`` with ``n_init=1``.
        Above {SPREAD_WARNING} the fit warns.

    See Also
    --------
    JointFusionClassifier, EnsembleFusionClassifier
    sklearn_pid.PIDCVX : exact decomposition of discrete(-ised) data.

    Examples
    --------
    >>> from sklearn_pid.dmi import DMIClassifier
    >>> from sklearn_pid.datasets import load_digits_halves
    >>> X, y = load_digits_halves()
    >>> clf = DMIClassifier(modalities=32, random_state=0).fit(X[:1000], y[:1000])
    >>> clf.score(X[1000:], y[1000:]) > 0.8
    True
    >>> clf.transform(X[:2]).shape
    (2, 4)
    >>> round(float(clf.interaction_proportions_.sum()), 6)
    1.0
    """

    _module = "DMIModule"
    _decomposition_name = "dmi"
    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "head_hidden": [Interval(numbers.Integral, 1, None, closed="left")],
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
        "reconstruction_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "alignment_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "separation_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "common_dim": [Interval(numbers.Integral, 0, None, closed="left")],
        "common_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "warmup_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "decomposition_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "finetune_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "base": COMMON_CONSTRAINTS["base"],
    }

    def __init__(
        self,
        *,
        modalities=None,
        encoder_1=None,
        encoder_1_kwargs=None,
        encoder_2=None,
        encoder_2_kwargs=None,
        encoder_hidden_sizes=(64,),
        embedding_dim=32,
        latent_dim=8,
        head_hidden=64,
        beta=1e-3,
        reconstruction_weight=1.0,
        alignment_weight=1.0,
        separation_weight=0.1,
        common_dim=0,
        common_weight=1.0,
        warmup_epochs=DEFAULT_EPOCHS["warmup"],
        decomposition_epochs=DEFAULT_EPOCHS["decomposition"],
        finetune_epochs=DEFAULT_EPOCHS["finetune"],
        n_init=DEFAULT_N_INIT,
        base=2,
        lr=3e-3,
        weight_decay=1e-4,
        batch_size=128,
        device="auto",
        random_state=None,
        verbose=0,
        hidden_sizes="deprecated",
    ):
        self._store_params(locals())

    def _module_kwargs(self):
        return {
            "latent_dim": self.latent_dim,
            "head_hidden": self.head_hidden,
            "beta": self.beta,
            "reconstruction_weight": self.reconstruction_weight,
            "alignment_weight": self.alignment_weight,
            "separation_weight": self.separation_weight,
            "common_dim": self.common_dim,
            "common_weight": self.common_weight,
        }

    def _stages(self):
        return list(
            zip(
                STAGES,
                (self.warmup_epochs, self.decomposition_epochs, self.finetune_epochs),
            )
        )

    def _check_params(self):
        super()._check_params()
        if self.decomposition_epochs + self.finetune_epochs < 1:
            raise ValueError(
                "decomposition_epochs + finetune_epochs must be at least 1: the "
                "decomposition heads, which make the prediction, are trained "
                "in those stages."
            )

    def _fit(self, X1, X2, y_index, sample_weight):
        from .nn._dmi_modules import final_objective

        Z = self._standardize(X1, X2)
        # every seed is drawn before the first fit; the first one is the seed
        # of a single fit (n_init=1) with the same random_state
        rng = check_random_state(self.random_state)
        seeds = [draw_seed(rng) for _ in range(self.n_init)]
        name = type(self).__name__
        Z32 = Z.astype(np.float32)
        rows, best = [], None
        for k, seed in enumerate(seeds):
            label = name if self.n_init == 1 else f"{name} init {k + 1}/{self.n_init}"
            self.net_ = self._train_net(Z32, X1.shape[1], y_index, seed, label)
            terms = final_objective(self.net_, Z, y_index, self.batch_size)
            objective = terms["objective"]
            values, shares = self._dataset_values(X1, X2)
            row = np.full(len(ATOMS), np.nan) if shares is None else shares
            rows.append([seed, objective, *row])
            # a diverged fit (NaN objective) is never kept over a finite one
            key = objective if np.isfinite(objective) else np.inf
            if best is None or key < best[0]:
                best = (key, k, self.net_, values, shares)
        _, self.best_init_, self.net_, values, shares = best
        self.n_epochs_ = len(self.net_.history)
        self.stage_epochs_ = dict(self._stages())
        self.init_results_ = pd.DataFrame(rows, columns=["seed", "objective", *ATOMS])
        self.init_results_.index.name = "init"
        spread = self.init_results_[list(ATOMS)].agg(lambda c: c.max() - c.min())
        self.proportions_spread_ = float(spread.max())
        if self.proportions_spread_ > SPREAD_WARNING:
            table = self.init_results_.round(3).to_string()
            warn(
                f"The {self.n_init} initialisations of DMIClassifier disagree: a "
                f"share of interaction_proportions_ ranges over "
                f"{self.proportions_spread_:.2f} between them (more than "
                f"{SPREAD_WARNING}). Init {self.best_init_}, of lowest training "
                "objective, was kept; the decomposition depends on the "
                "initialisation. More finetune_epochs or n_init may settle it. "
                f"init_results_:\n{table}",
                UserWarning,
            )
        if shares is None:
            warn(
                "The model carries no information about y on the training "
                "data; interaction_proportions_ is set to equal shares. Check "
                "that it trained (more epochs, another lr) and that y depends "
                "on X.",
                UserWarning,
            )
            shares = np.full(len(ATOMS), 1 / len(ATOMS))
        self.interaction_proportions_ = pd.Series(
            shares, index=list(ATOMS), name="proportion", dtype=float
        )
        return values

    def _dataset_values(self, X1, X2):
        """The dataset values of ``net_`` on the training data, and the shares.

        Returns
        -------
        values : dict
            The atoms, ``mi_joint``, ``mi_1``, ``mi_2`` in ``base``.
        shares : ndarray of shape (4,) or None
            The positive part of the atoms over its sum; None when no atom
            is positive.
        """
        logs = self._forward(X1, X2, "part_log_probas")
        means = expected_atoms(self._atoms(logs), logs[4]).mean(axis=0)
        weights = np.exp(logs[4])
        log_prior = np.log(self.class_prior_)
        values = dict(zip(ATOMS, means), mi_joint=means.sum())
        for m, log_m in ((1, logs[2]), (2, logs[3])):
            info = (weights * (log_m - log_prior)).sum(axis=1).mean()
            values[f"mi_{m}"] = info / math.log(self.base)
        positive = np.clip(means, 0, None)
        shares = positive / positive.sum() if positive.sum() > 0 else None
        return values, shares

    def _pointwise(self, X1, X2):
        logs = self._forward(X1, X2, "part_log_probas")
        return self._atoms(logs), logs[4]

    def _atoms(self, logs):
        """Per-sample, per-class atoms in ``base`` from the part log-posteriors.

        Parameters
        ----------
        logs : ndarray of shape (5, n_samples, n_classes)
            ``log p`` of ``R_1``, ``R_2``, ``T_1``, ``T_2`` and the fused head.

        Returns
        -------
        ndarray of shape (n_samples, n_classes, 4)
        """
        log_r1, log_r2, log_1, log_2, log_12 = logs
        log_prior = np.log(self.class_prior_)
        redundancy = 0.5 * (log_r1 + log_r2) - log_prior
        unique_1 = log_1 - log_r1
        unique_2 = log_2 - log_r2
        synergy = log_12 - log_prior - redundancy - unique_1 - unique_2
        atoms = np.stack([redundancy, unique_1, unique_2, synergy], axis=-1)
        return atoms / math.log(self.base)
