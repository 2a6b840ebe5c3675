"""The estimator contract of ``DESIGN.md``, written once.

:class:`MultimodalEstimator` validates in ``fit`` (parameters, ``base``,
modalities, labels, constant modalities: one order, one set of messages) and
calls one hook, ``_fit(X1, X2, y_index, sample_weight)``; ``predict_proba`` and
``predict`` derive from the hook ``_log_proba(X1, X2)``.
:class:`DecompositionMixin` derives ``transform``, ``interactions``,
``get_feature_names_out`` and the dataset attributes from the pointwise hook
``_pointwise(X1, X2) -> (atoms per class, log-posterior)``.
:class:`InformationEstimator` joins them for the three information
estimators, with ``score`` the held-out bound on ``I(X1,X2;Y)``.
"""

import math
import numbers
import string

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from . import _groups
from ._modalities import n_groups
from ._validation import (
    check_not_constant,
    check_sample_weight,
    encode_labels,
    validate_modalities,
    warn,
)

#: Column order of ``transform`` / ``interactions`` and index of ``decomposition_``.
ATOMS = ("redundancy", "unique_1", "unique_2", "synergy")

#: Pointwise terms of LSMI: entropies of each modality, then pointwise MIs.
LSMI_TERMS = ("h_1", "h_2", "i_1", "i_2", "i_joint")

#: Dataset terms beside the atoms: I(X1;Y), I(X2;Y), I(X1,X2;Y).
MI_TERMS = ("mi_1", "mi_2", "mi_joint")

#: Rows per chunk of the per-sample methods: memory stays flat in n.
CHUNK_SIZE = 8192

#: Constraints of the parameters that every estimator shares.
COMMON_CONSTRAINTS = {
    "modalities": [
        None,
        "array-like",
        Interval(numbers.Integral, 1, None, closed="left"),
        tuple,
        dict,
    ],
    # a base below 1 makes every information negative
    "base": [Interval(numbers.Real, 1, None, closed="neither")],
    "device": [StrOptions({"auto"}), str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

#: Numpydoc entries shared by the estimators' docstrings, substituted where a
#: docstring of a subclass of :class:`MultimodalEstimator` says ``$name``.
DOCS = {
    "modalities": """modalities : None, int, sequence or dict, default=None
        Which columns of ``X`` form modality 1 and modality 2: ``None`` for
        exactly two columns, an int ``k`` for ``[0, k)`` / ``[k, n)``, or a pair
        of slices, index lists, boolean masks or column names. Three or more
        selections (a sequence, or a dict ``name -> selection`` whose names
        label the outputs) decompose every pair of modalities and each
        modality against the rest: see ``decompositions_`` and the
        modalities page of the documentation.""",
    "base": """base : float, default=2
        Logarithm base of every reported number, greater than 1 (2: bits,
        ``math.e``: nats).""",
    "posteriors": "classifier_1, classifier_2, classifier_joint : classifier or "
    """None, default=None
        Posteriors ``p(y|x1)``, ``p(y|x2)``, ``p(y|x1,x2)``: scikit-learn
        classifiers with ``predict_proba``, cloned and fitted on ``x1``, ``x2``
        and ``[x1, x2]`` (labels encoded as ``0 .. n_classes-1``), or ``None``
        for an :class:`~sklearn_pid.nn.MLPPosterior` with the hyperparameters
        below. The estimate is only as good as their calibration.""",
    "device": """device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
        Resolved into ``device_`` at fit.""",
    "verbose": """verbose : int, default=0
        ``>= 1`` shows a progress bar for each network.""",
    "decomposition_attributes": """redundancy_, unique_1_, unique_2_, synergy_ : float
        The decomposition of ``I(X1, X2; Y)``, in ``base``.
    mi_1_, mi_2_, mi_joint_ : float
        ``I(X1;Y)``, ``I(X2;Y)``, ``I(X1,X2;Y)``, in ``base``.
    decomposition_ : pandas.Series
        The four atoms, indexed ``redundancy, unique_1, unique_2, synergy``.
        With three or more modalities none of the above is set but
        ``mi_joint_`` (the mean of the "against the rest" estimates of
        ``I(X_1..X_k; Y)``); instead:
    decompositions_ : pandas.DataFrame
        Three or more modalities: one row per pair of modalities, then per
        modality against the union of the others (``source_2 == "rest"``),
        with columns ``source_1, source_2, redundancy, unique_1, unique_2,
        synergy, mi_1, mi_2, mi_joint`` in ``base`` (``unique_1`` is the
        information of ``source_1`` alone).
    pair_estimators_ : dict
        Three or more modalities: ``(source_1, source_2) ->`` the fitted
        two-modality estimator of that row.
    modality_names_ : list of str
        Three or more modalities: their names (the dict's keys, or ``"1"``,
        ``"2"``, ...).""",
    "input_attributes": """classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the fitting labels, ``p(y)``.
    modality_columns_ : tuple of 2 ndarray
        Column indices of the two modalities.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.""",
    "fusion_parameters": """$modalities
    encoder_1, encoder_2 : torch.nn.Module class or None, default=None
        Encoder of each modality, called as
        ``encoder_m(n_in, embedding_dim, **encoder_m_kwargs)``; it must map a
        float tensor ``(batch, n_in)`` to ``(batch, embedding_dim)``. ``None``
        gives an MLP (:class:`~sklearn_pid.nn.MLP`) with
        ``encoder_hidden_sizes``. A wrong signature or output size is an
        error at ``fit``.
        Pass the class, not an instance, and define it in an importable
        module (not ``__main__``) so the fitted estimator pickles.
    encoder_1_kwargs, encoder_2_kwargs : dict or None, default=None
        Extra keyword arguments of the encoder classes.
    encoder_hidden_sizes : tuple of int, default=(64,)
        Hidden layers of the default MLP encoders.
    embedding_dim : int, default=32
        Size of each encoder's output ``Z_m``.""",
    "fusion_training": """lr : float, default=3e-3
        AdamW learning rate.
    weight_decay : float, default=1e-4
        AdamW weight decay.
    batch_size : int, default=128
        Training and prediction batch size.
    $device
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the batch order and the latent samples:
        the same seed gives the same model on CPU.
    verbose : int, default=0
        ``>= 1`` shows a progress bar per stage.
    hidden_sizes : tuple of int, default="deprecated"
        Deprecated name of ``encoder_hidden_sizes`` (FutureWarning).""",
    "fusion_attributes": """net_ : FusionNet
        The fitted skorch net; ``net_.history`` has one row per epoch with
        its ``train_loss`` and ``stage``.
    scaler_ : StandardScaler
        Standardisation of the columns of both modalities.
    device_ : str
    n_epochs_ : int
        Epochs trained in total.
    $input_attributes""",
    "broja_references": """Bertschinger, Rauh, Olbrich, Jost, Ay. "Quantifying unique
    information." Entropy 16 (2014). Liang et al. "Quantifying & modeling
    multimodal interactions: an information decomposition framework." NeurIPS
    2023.""",
}


def _is_set(value):
    """Whether a deprecated parameter was given (its default is "deprecated")."""
    return not (isinstance(value, str) and value == "deprecated")


def expected_atoms(point, log_proba):
    """The four atoms of each sample averaged over labels under its posterior.

    Parameters
    ----------
    point : ndarray of shape (n_samples, n_classes, n_columns)
        Per-class atoms (the first four columns).
    log_proba : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples, 4)
    """
    weights = np.exp(log_proba)
    with np.errstate(invalid="ignore"):  # classes of probability 0
        return np.column_stack(
            [
                np.where(weights > 0, weights * point[:, :, j], 0).sum(1)
                for j in range(len(ATOMS))
            ]
        )


class MultimodalEstimator(BaseEstimator):
    """Validation, ``fit`` and the posterior methods shared by every estimator.

    Subclasses implement ``_fit(X1, X2, y_index, sample_weight)`` (returns a
    dict of dataset values, or None) and ``_log_proba(X1, X2)`` (the
    multimodal log-posterior, shape ``(n_samples, n_classes)``); optionally
    ``_check_params()`` (checks beyond ``_parameter_constraints``).
    ``_input_dtype`` is the dtype of the modalities (``None`` keeps strings)
    and ``_chunk_size`` the rows handled at once by the per-sample methods
    (``None``: all rows together).
    """

    _input_dtype = np.float64
    _chunk_size = CHUNK_SIZE
    _renamed_params = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for _ in range(2):  # entries may hold entries ($modalities in fusion_*)
            if cls.__doc__:
                cls.__doc__ = string.Template(cls.__doc__).safe_substitute(DOCS)

    def _store_params(self, arguments):
        """Set the constructor's arguments (``locals()``) as attributes."""
        for name in self._get_param_names():
            setattr(self, name, arguments[name])

    def _param(self, name):
        """The value of parameter ``name``, or of its deprecated old name if set.

        A renamed parameter keeps its old name in the signature (listed in
        ``_renamed_params``, old -> new) with the default ``"deprecated"``;
        setting it warns at ``fit`` and takes precedence.
        """
        for old, new in self._renamed_params.items():
            if new == name and _is_set(getattr(self, old)):
                return getattr(self, old)
        return getattr(self, name)

    def fit(self, X, y):
        """Fit the estimator.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Both modalities, split by ``modalities``.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self
        """
        return self._validated_fit(X, y)

    def _validated_fit(self, X, y, sample_weight=None):
        """Validate in one order, then call ``_fit``.

        A fit that fails leaves the estimator unfitted (``NotFittedError``),
        never half of an old model and half of a new one.
        """
        self._forget_fit()
        try:
            return self._checked_fit(X, y, sample_weight)
        except Exception:
            self._forget_fit()
            raise

    def _forget_fit(self):
        for name in [n for n in vars(self) if n.endswith("_") and n[0] != "_"]:
            delattr(self, name)

    def _checked_fit(self, X, y, sample_weight):
        self._validate_params()
        for old, new in self._renamed_params.items():
            if _is_set(getattr(self, old)):
                warn(
                    f"{old} was renamed to {new} in 0.1 and will be removed in "
                    f"0.3; set {new}={getattr(self, old)!r} instead.",
                    FutureWarning,
                )
        self._check_params()
        if n_groups(self.modalities) > 2:
            return self._fit_groups(X, y, sample_weight)
        X1, X2, y = validate_modalities(self, X, y, reset=True, dtype=self._input_dtype)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X1.shape[0])
            rows = sample_weight > 0  # a zero weight is the same as leaving the row out
            X1, X2, y, sample_weight = X1[rows], X2[rows], y[rows], sample_weight[rows]
        self.classes_, y_index = encode_labels(y, sample_weight=sample_weight)
        check_not_constant(X1, X2)
        self.class_prior_ = np.bincount(
            y_index, weights=sample_weight, minlength=self.classes_.size
        ) / (y_index.size if sample_weight is None else sample_weight.sum())
        values = self._fit(X1, X2, y_index, sample_weight)
        if values is not None:
            self._set_decomposition(values)
        return self

    def _check_params(self):
        """Checks of the parameters beyond ``_parameter_constraints``."""

    def _fit_groups(self, X, y, sample_weight):
        """Fit on three or more modalities (:mod:`sklearn_pid._groups`)."""
        raise ValueError(
            f"{type(self).__name__} takes two modalities for now; got "
            f"modalities={self.modalities!r}. Decompose three or more modalities "
            "with PIDCVX, PIDBatch or LSMIEstimator (every pair, and each "
            "modality against the rest)."
        )

    def _modalities_of(self, X, y="no_validation"):
        """``X1``, ``X2`` and the class indices of ``y`` (None without ``y``)."""
        check_is_fitted(self)
        X1, X2, y = validate_modalities(
            self, X, y, reset=False, dtype=self._input_dtype
        )
        y_index = None if y is None else encode_labels(y, self.classes_)[1]
        return X1, X2, y_index

    def _chunks(self, n_samples):
        """Row slices covering ``range(n_samples)`` in chunks of ``_chunk_size``."""
        size = self._chunk_size or max(n_samples, 1)
        return [slice(s, s + size) for s in range(0, n_samples, size)]

    def _map_chunks(self, hook, *arrays):
        """``hook(*chunk)`` over row chunks of ``arrays``, concatenated."""
        chunks = self._chunks(arrays[0].shape[0]) or [slice(None)]
        return np.concatenate([hook(*(a[rows] for a in arrays)) for rows in chunks])

    def predict_log_proba(self, X):
        """``log p(y | x1, x2)`` of the fitted model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        if _groups.is_grouped(self):
            return _groups.joint_estimator(self).predict_log_proba(X)
        X1, X2, _ = self._modalities_of(X)
        return self._map_chunks(self._log_proba, X1, X2)

    def predict_proba(self, X):
        """``p(y | x1, x2)`` of the fitted model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Most probable class of each sample under ``predict_proba``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]


class DecompositionMixin(TransformerMixin):
    """Per-sample and dataset outputs of a PID, from the hook ``_pointwise``.

    ``_pointwise(X1, X2)`` returns ``(point, log_proba)``: the atoms of every
    sample for every possible label, shape ``(n_samples, n_classes, 4)`` in
    ``base`` (more columns after the four atoms where ``_extra_terms`` names
    them), and the log-posterior under which :meth:`transform` takes their
    expectation, shape ``(n_samples, n_classes)``.
    """

    _extra_terms = ()
    _decomposition_name = "pid"

    def transform(self, X):
        """Expected per-sample interactions under the fitted posterior.

        For each sample, ``sum_y p(y | x1, x2) * interactions(x, y)``; ``y``
        is not needed, so it runs inside a Pipeline at predict time.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 4)
            Columns ``redundancy, unique_1, unique_2, synergy`` in ``base``;
            with three or more modalities, these four for every pair
            (``get_feature_names_out``).
        """
        if _groups.is_grouped(self):
            return _groups.grouped_transform(self, X)
        X1, X2, _ = self._modalities_of(X)
        return self._map_chunks(self._expected, X1, X2)

    def _expected(self, X1, X2):
        return expected_atoms(*self._pointwise(X1, X2))

    def interactions(self, X, y):
        """Label-conditioned per-sample interactions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels among ``classes_``.

        Returns
        -------
        pandas.DataFrame of shape (n_samples, 4)
            Columns ``redundancy, unique_1, unique_2, synergy`` in ``base``
            (the index of ``X`` when it is a DataFrame); with three or more
            modalities, ``redundancy[a,b]``... for every pair.
        """
        if _groups.is_grouped(self):
            return _groups.grouped_interactions(self, X, y)
        return self._interactions(X, y, ATOMS)

    def _interactions(self, X, y, columns):
        """The named per-sample columns at the true labels, as a DataFrame."""
        X1, X2, y_index = self._modalities_of(X, y)
        keep = [(ATOMS + self._extra_terms).index(c) for c in columns]

        def at_labels(X1, X2, y_index):
            point = self._pointwise(X1, X2)[0]
            return point[np.arange(y_index.size), y_index][:, keep]

        values = self._map_chunks(at_labels, X1, X2, y_index)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(values, columns=list(columns), index=index)

    def get_feature_names_out(self, input_features=None):
        """Names of the four output columns.

        Parameters
        ----------
        input_features : array-like of str or None
            Only checked against ``feature_names_in_``; the output names are
            fixed.

        Returns
        -------
        ndarray of str
            ``["redundancy", "unique_1", "unique_2", "synergy"]``; with three
            or more modalities ``"redundancy[a,b]"``, ... for every pair
            ``(a, b)`` of ``decompositions_`` (``b`` may be ``"rest"``).
        """
        if _groups.is_grouped(self):
            return _groups.grouped_feature_names(self, input_features, ATOMS)
        _check_feature_names_in(self, input_features)
        return np.asarray(ATOMS, dtype=object)

    def _set_decomposition(self, values):
        """Set ``redundancy_`` ... ``synergy_``, ``mi_*_`` and ``decomposition_``.

        Parameters
        ----------
        values : dict
            The four atoms and ``mi_1``, ``mi_2``, ``mi_joint`` in ``base``.
        """
        for name in ATOMS + MI_TERMS:
            setattr(self, f"{name}_", float(values[name]))
        self.decomposition_ = pd.Series(
            [values[a] for a in ATOMS],
            index=list(ATOMS),
            name=self._decomposition_name,
            dtype=float,
        )


class InformationEstimator(DecompositionMixin, MultimodalEstimator):
    """Base of the information estimators (PIDCVX, PIDBatch, LSMIEstimator)."""

    def _fit_groups(self, X, y, sample_weight):
        return _groups.fit_groups(self, X, y, sample_weight)

    def score(self, X, y, sample_weight=None):
        """Held-out variational lower bound on ``I(X1,X2;Y)``, in ``base``.

        The mean of ``log p(y | x1, x2) - log p(y)`` under the fitted
        posterior and class prior; higher is better, so it can drive
        ``GridSearchCV``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,) or None

        Returns
        -------
        float
        """
        if _groups.is_grouped(self):
            return _groups.joint_estimator(self).score(X, y, sample_weight)
        X1, X2, y_index = self._modalities_of(X, y)
        log_proba = self._map_chunks(self._log_proba, X1, X2)
        point = log_proba[np.arange(y_index.size), y_index]
        point = point - np.log(self.class_prior_[y_index])
        weights = check_sample_weight(sample_weight, y_index.size)
        return float(np.average(point, weights=weights) / math.log(self.base))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags
