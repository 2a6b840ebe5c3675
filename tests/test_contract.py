"""The estimator contract (docs/contract.md), checked once for every estimator.

Each test runs over the registry of cheap estimators (tests/estimators.py),
fitted once per module on the shared ``data`` (two one-column modalities,
160 fitting rows, 40 new rows). The sections:

* fit, names, shapes and the identities between the outputs;
* pickling;
* hostile input: each error names the problem;
* scale: ``X * 2.0**700`` and ``X * 2.0**-700`` give the same numbers as
  ``X`` bit for bit (the standardisation divides the columns by an exact
  power of two), ``X * 1e300`` and ``X * 1e-300`` finite numbers within a
  few float64 roundings of them;
* the deprecated parameter and attribute names.
"""

import copy
import math
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from estimators import (
    DECOMPOSITION,
    ESTIMATORS,
    HIDDEN_SIZES,
    INFORMATION,
    MULTIMODAL,
    NEURAL,
    PROBABILISTIC,
    RENAMED,
    make,
)
from helpers import ATOMS
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_pid import PIDCVX

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    # PIDCVX's cheap 3 x 3 bins on 160 rows: valid estimates, but it warns
    pytest.mark.filterwarnings("ignore:The plug-in bias:UserWarning"),
]

FUSION = ["DMIClassifier", "JointFusionClassifier", "EnsembleFusionClassifier"]


def outputs(estimator, X, y):
    """Every output of a fitted estimator on ``X`` (and labels ``y``), by name."""
    out = {}
    if hasattr(estimator, "predict_proba"):
        out["predict_proba"] = estimator.predict_proba(X)
        out["score"] = np.array(estimator.score(X, y))
    if hasattr(estimator, "score_samples"):
        out["score_samples"] = estimator.score_samples(X)
    if hasattr(estimator, "interactions"):
        out["transform"] = estimator.transform(X)
        out["interactions"] = estimator.interactions(X, y).to_numpy()
        out["decomposition_"] = estimator.decomposition_.to_numpy()
        out["mi_"] = np.array([estimator.mi_1_, estimator.mi_2_, estimator.mi_joint_])
    return out


def assert_same_outputs(got, expected, atol=None):
    """Equal outputs: bit for bit, or within ``atol`` and finite."""
    assert got.keys() == expected.keys()
    for key in expected:
        if atol is None:
            assert_array_equal(got[key], expected[key], err_msg=key)
        else:
            assert np.isfinite(got[key]).all(), key
            assert_allclose(got[key], expected[key], rtol=0, atol=atol, err_msg=key)


# -- fit, names, shapes ---------------------------------------------------------


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_fit_returns_self(name, data):
    estimator = make(name)
    assert estimator.fit(data.X, data.y) is estimator


@pytest.mark.parametrize("name", DECOMPOSITION)
def test_feature_names_out_are_the_atoms(name, fitted_estimator):
    assert fitted_estimator(name).get_feature_names_out().tolist() == ATOMS


@pytest.mark.parametrize("name", DECOMPOSITION)
def test_transform_shape_and_pandas_output(name, data, fitted_estimator):
    estimator = fitted_estimator(name)
    values = estimator.transform(data.X_new)
    assert values.shape == (len(data.X_new), 4)
    frame = (
        copy.deepcopy(estimator).set_output(transform="pandas").transform(data.X_new)
    )
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == ATOMS
    assert_array_equal(frame.to_numpy(), values)


@pytest.mark.parametrize("name", DECOMPOSITION)
def test_fit_transform_equals_fit_then_transform(name, data, fitted_estimator):
    # Exact for all four: PIDBatch couples the same batches (they depend on
    # the set of rows), LSMIEstimator looks the fitting rows up in its
    # out-of-fold values.
    assert_array_equal(
        make(name).fit_transform(data.X, data.y),
        fitted_estimator(name).transform(data.X),
    )


@pytest.mark.parametrize("name", DECOMPOSITION)
def test_interactions_is_a_frame_with_the_index_of_X(name, data, fitted_estimator):
    estimator = fitted_estimator(name)
    index = pd.Index([f"sample {i}" for i in range(len(data.X_new))])
    frame = estimator.interactions(pd.DataFrame(data.X_new, index=index), data.y_new)
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == ATOMS
    assert frame.index.equals(index)
    assert_array_equal(
        frame.to_numpy(), estimator.interactions(data.X_new, data.y_new).to_numpy()
    )


@pytest.mark.parametrize("name", INFORMATION)
def test_interactions_average_to_the_decomposition(name, data, fitted_estimator):
    estimator = fitted_estimator(name)
    means = estimator.interactions(data.X, data.y).mean()
    assert estimator.decomposition_.index.tolist() == ATOMS
    # The same per-sample numbers averaged in another order (PIDCVX: its q
    # keeps the (x_m, y) marginals to ~1e-15 here): rounding only, ~1e-16.
    assert_allclose(means, estimator.decomposition_, rtol=0, atol=1e-12)
    for atom in ATOMS:
        assert getattr(estimator, f"{atom}_") == estimator.decomposition_[atom]


def test_dmi_decomposition_is_the_mean_of_transform(data, fitted_estimator):
    estimator = fitted_estimator("DMIClassifier")
    # DMIClassifier's dataset values average the posterior expectation, not
    # the label-conditioned values (see its docstring); rounding only.
    means = estimator.transform(data.X).mean(axis=0)
    assert_allclose(estimator.decomposition_, means, rtol=0, atol=1e-12)
    assert estimator.mi_joint_ == pytest.approx(
        estimator.decomposition_.sum(), rel=0, abs=1e-12
    )


@pytest.mark.parametrize("name", INFORMATION)
def test_atoms_add_up_to_the_informations(name, fitted_estimator):
    estimator = fitted_estimator(name)
    atoms = estimator.decomposition_
    # R + U1 = I(X1;Y) term by term per sample: sums in another order, ~1e-16.
    tol = {"rel": 0, "abs": 1e-12}
    assert atoms["redundancy"] + atoms["unique_1"] == pytest.approx(
        estimator.mi_1_, **tol
    )
    assert atoms["redundancy"] + atoms["unique_2"] == pytest.approx(
        estimator.mi_2_, **tol
    )
    assert atoms.sum() == pytest.approx(estimator.mi_joint_, **tol)


@pytest.mark.parametrize("name", PROBABILISTIC)
def test_predict_proba_rows_sum_to_one(name, data, fitted_estimator):
    estimator = fitted_estimator(name)
    proba = estimator.predict_proba(data.X_new)
    assert proba.shape == (len(data.X_new), len(estimator.classes_))
    assert (proba >= 0).all()
    # exp of a normalised log-posterior (or a normalised table): rounding only
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


# -- pickling -------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_pickle_round_trip_gives_identical_outputs(name, data, fitted_estimator):
    estimator = fitted_estimator(name)
    restored = pickle.loads(pickle.dumps(estimator))
    assert restored.get_params() == estimator.get_params()
    # the fitting rows (LSMIEstimator: looked up in its out-of-fold values)
    # and new rows
    for X, y in [(data.X, data.y), (data.X_new, data.y_new)]:
        assert_same_outputs(outputs(restored, X, y), outputs(estimator, X, y))


# -- hostile input --------------------------------------------------------------


@pytest.mark.parametrize("modality", [1, 2])
@pytest.mark.parametrize("name", MULTIMODAL)
def test_constant_modality_is_named(name, modality, data):
    X = data.X.copy()
    X[:, modality - 1] = 3.0
    with pytest.raises(ValueError, match=f"Modality {modality} is constant"):
        make(name).fit(X, data.y)


@pytest.mark.parametrize("name", MULTIMODAL)
def test_mixed_label_types_are_named(name, data):
    y = np.array(["a", 3] * (len(data.y) // 2), dtype=object)
    with pytest.raises(ValueError, match="y mixes label types"):
        make(name).fit(data.X, y)


@pytest.mark.parametrize("name", [n for n in MULTIMODAL if n != "PIDCVX"])
def test_text_columns_of_numeric_estimators_are_named(name, data):
    """PIDCVX takes text as discrete states; the others say which columns."""
    X = pd.DataFrame(data.X, columns=[f"x{i}" for i in range(data.X.shape[1])])
    X["x1"] = np.where(data.X[:, 1] > 0, "high", "low")
    with pytest.raises(ValueError, match="needs numeric columns, but column 'x1'"):
        make(name).fit(X, data.y)


@pytest.mark.parametrize("base", [0.5, 1.0])
@pytest.mark.parametrize("name", DECOMPOSITION)
def test_base_at_most_one_is_named(name, base, data):
    """A base below 1 would make every information negative."""
    with pytest.raises(ValueError, match=r"'base' parameter .* range \(1.0, inf\)"):
        make(name, base=base).fit(data.X, data.y)


@pytest.mark.parametrize("name", [n for n in MULTIMODAL if n not in INFORMATION])
def test_more_than_two_modalities_are_named(name, data):
    """The classifiers take two modalities; the message names the estimators
    that decompose more (tests/test_groups.py)."""
    X = np.column_stack([data.X, data.X[:, :1] ** 2])
    with pytest.raises(ValueError, match="takes two modalities for now"):
        make(name, modalities=[[0], [1], [2]]).fit(X, data.y)


@pytest.mark.parametrize("widths", [(0,), (8, -1)])
@pytest.mark.parametrize("name", list(HIDDEN_SIZES))
def test_non_positive_layer_width_is_named(name, widths, data):
    parameter = HIDDEN_SIZES[name]
    estimator = make(name, **{parameter: widths})
    with pytest.raises(ValueError, match=f"{parameter} must be a tuple of positive"):
        estimator.fit(data.X, data.y)


class NoSizeArguments(torch.nn.Module):
    """An encoder whose constructor takes no ``(n_in, embedding_dim)``."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(1, 4)

    def forward(self, X):
        return self.linear(X)


class OneTooMany(torch.nn.Module):
    """An encoder that returns ``embedding_dim + 1`` columns."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.linear = torch.nn.Linear(n_in, n_out + 1)

    def forward(self, X):
        return self.linear(X)


@pytest.mark.parametrize("which", ["encoder_1", "encoder_2"])
@pytest.mark.parametrize("name", FUSION)
def test_encoder_with_a_wrong_signature_is_named(name, which, data):
    estimator = make(name, **{which: NoSizeArguments})
    message = rf"{which} must be a torch.nn.Module class called as {which}\(n_in, "
    with pytest.raises(TypeError, match=message):
        estimator.fit(data.X, data.y)


@pytest.mark.parametrize("which", ["encoder_1", "encoder_2"])
@pytest.mark.parametrize("name", FUSION)
def test_encoder_with_a_wrong_output_size_is_named(name, which, data):
    estimator = make(name, **{which: OneTooMany})
    message = rf"{which} must return a tensor of shape \(batch, embedding_dim\)"
    with pytest.raises(ValueError, match=message):
        estimator.fit(data.X, data.y)


@pytest.mark.parametrize("name", NEURAL)
def test_unknown_device_is_named(name, data):
    with pytest.raises(ValueError, match="device='tpu' is not a torch device"):
        make(name, device="tpu").fit(data.X, data.y)


def test_three_discretizers_are_rejected(data):
    estimator = PIDCVX(modalities=1, discretizer=("kmeans", "kmeans", "kmeans"))
    with pytest.raises(
        ValueError, match="discretizer must be one discretizer or a pair"
    ):
        estimator.fit(data.X, data.y)


# -- scale ----------------------------------------------------------------------

#: Estimators whose numbers do not depend on the scale of X at all.
SCALE_FREE = [
    "PIDCVX",  # quantile bins
    "PIDBatch",
    "DMIClassifier",
    "JointFusionClassifier",
    "EnsembleFusionClassifier",
    "MLPPosterior",
]


@pytest.mark.parametrize("exponent", [700, -700])
@pytest.mark.parametrize("name", SCALE_FREE)
def test_power_of_two_scale_gives_identical_numbers(
    name, exponent, data, fitted_estimator
):
    scale = 2.0**exponent
    scaled = make(name).fit(data.X * scale, data.y)
    assert_same_outputs(
        outputs(scaled, data.X_new * scale, data.y_new),
        outputs(fitted_estimator(name), data.X_new, data.y_new),
    )


@pytest.mark.parametrize("exponent", [700, -700])
def test_lsmi_power_of_two_scale_moves_only_the_entropies(
    exponent, data, fitted_estimator
):
    reference = fitted_estimator("LSMIEstimator")
    scale = 2.0**exponent
    scaled = make("LSMIEstimator").fit(data.X * scale, data.y)
    assert_array_equal(
        scaled.predict_proba(data.X_new * scale), reference.predict_proba(data.X_new)
    )
    # The atoms are differences of entropies of ~700 bits, whose float64
    # spacing is 1.1e-13: a few roundings (measured: 1.3e-15 on the dataset
    # values, 1.2e-13 per sample).
    assert_allclose(scaled.decomposition_, reference.decomposition_, rtol=0, atol=1e-12)
    got = scaled.interactions(data.X_new * scale, data.y_new, return_terms=True)
    expected = reference.interactions(data.X_new, data.y_new, return_terms=True)
    # h_m = -log2 p(x_m): a one-column modality scaled by 2**e gains e bits
    got[["h_1", "h_2"]] -= exponent
    assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("exponent", [700, -700])
def test_knife_power_of_two_scale_moves_by_the_log_jacobian(
    exponent, data, fitted_estimator
):
    scaled = make("KNIFEDensity").fit(data.X * 2.0**exponent)
    got = scaled.score_samples(data.X_new * 2.0**exponent)
    # two columns scaled by 2**e: log p(x) drops by 2 e log 2 nats (~970);
    # float64 spacing there is 1.1e-13
    assert_allclose(
        got + 2 * exponent * math.log(2),
        fitted_estimator("KNIFEDensity").score_samples(data.X_new),
        rtol=0,
        atol=1e-12,
    )


#: Entropies of ~1000 bits or nats (LSMIEstimator, KNIFEDensity): float64
#: spacing there is 2.3e-13 (measured: differences up to 3.3e-13, in
#: KNIFEDensity's log-density at 1e300); the others' numbers are of order 1.
#: The cross-fitted estimators temper their posteriors with an exponent found
#: by a bounded scalar search (to 1e-6), whose path an ulp of input moves:
#: measured 7.9e-12 on LSMIEstimator's transform.
EXTREME_SCALE_ATOL = {"LSMIEstimator": 1e-10, "PIDBatch": 1e-10, "KNIFEDensity": 1e-12}


@pytest.mark.parametrize("factor", [1e300, 1e-300])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_extreme_scale_gives_finite_numbers_close_to_the_unscaled(
    name, factor, data, fitted_estimator
):
    scaled = make(name).fit(data.X * factor, data.y)
    got = outputs(scaled, data.X_new * factor, data.y_new)
    if "score_samples" in got:  # a density: remove the log-Jacobian
        got["score_samples"] += 2 * math.log(factor)
    # X * 1e300 is rounded (1e300 is no power of two): the standardised
    # inputs differ from X's by an ulp, the outputs by a few (measured:
    # <= 6e-16 for numbers of order 1).
    assert_same_outputs(
        got,
        outputs(fitted_estimator(name), data.X_new, data.y_new),
        atol=EXTREME_SCALE_ATOL.get(name, 1e-14),
    )


# -- deprecated names -----------------------------------------------------------


@pytest.mark.parametrize("name", list(RENAMED))
def test_deprecated_parameter_name_warns_and_gives_the_same_numbers(
    name, data, fitted_estimator
):
    old, new = RENAMED[name]
    value = ESTIMATORS[name].get_params()[new]
    default = type(ESTIMATORS[name])().get_params()[new]
    assert value != default  # else the test could not tell which name was used
    # as a user of the old name writes it: the new name left at its default
    estimator = make(name, **{new: default, old: value})
    with pytest.warns(FutureWarning, match=f"{old} was renamed to {new}"):
        estimator.fit(data.X, data.y)
    assert_same_outputs(
        outputs(estimator, data.X_new, data.y_new),
        outputs(fitted_estimator(name), data.X_new, data.y_new),
    )


def test_deprecated_prior_attribute_warns(fitted_estimator):
    estimator = fitted_estimator("PIDBatch")
    with pytest.warns(FutureWarning, match="prior_ was renamed to class_prior_"):
        prior = estimator.prior_
    assert_array_equal(prior, estimator.class_prior_)


@pytest.mark.parametrize("name", DECOMPOSITION)
def test_chunked_per_sample_methods_equal_unchunked(name, data, monkeypatch):
    """Rows are handled in chunks of _chunk_size: the chunks must not show."""
    estimator = make(name).fit(data.X, data.y)
    if estimator._chunk_size is None:  # PIDBatch couples whole inputs
        pytest.skip("no chunks: a sample's values depend on the others")
    whole = _outputs(estimator, data)
    monkeypatch.setattr(estimator, "_chunk_size", 7)
    chunked = _outputs(estimator, data)
    for key in whole:
        if name == "DMIClassifier":
            # chunks of 7 rows cut its inference batches differently: float64
            # matrix products of another shape round the last bits (<= 1e-15
            # measured); anything that mixed rows would differ far more
            np.testing.assert_allclose(chunked[key], whole[key], rtol=0, atol=1e-14)
        else:
            np.testing.assert_array_equal(chunked[key], whole[key], err_msg=key)


def _outputs(estimator, data):
    return {
        "transform": estimator.transform(data.X),
        "interactions": estimator.interactions(data.X, data.y).to_numpy(),
        "predict_proba": estimator.predict_proba(data.X),
        "score": np.array(estimator.score(data.X, data.y)),
    }
