"""Tests of ``examples/plot_model_selection_digits.py`` (quantify the digits
halves and five models with PIDCVX, rank the models by PID agreement, compare
with test accuracy).

The quick run uses two splits and 8 epochs per network: it checks the
structure and the exact properties (identities of the decomposition against
an independent plug-in mutual information, eq. 6 of the agreement, the
ranks), not the finding. The slow test runs the script as a user does and
checks the finding quoted in its docstring.
"""

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ATOMS
from scipy.stats import spearmanr
from sklearn.metrics import mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plot_model_selection_digits.py"
MULTIMODAL = ["early fusion", "late fusion", "DMI"]
UNIMODAL = ["top half only", "bottom half only"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
N_REPEATS = 2

#: ``R + U1 + U2 + S - I_p(X1,X2;Y) = I_p(X1;Y) - I_q(X1;Y)`` for the BROJA
#: atoms, so the identity only depends on how well the solver's ``q`` keeps
#: the ``(x1, y)`` marginals: ~1e-15 with the Newton solver (measured), below
#: 1e-9 with the CLARABEL fallback. A row decomposed over different k-means
#: states than the dataset's would miss by 0.01-0.1 bit.
IDENTITY_TOL = 1e-6


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location(EXAMPLE.stem, EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(example):
    # ~6 s on two cores: short training, two splits.
    return example.run(seed=0, n_repeats=N_REPEATS, max_epochs=8)


def test_table_has_one_row_per_model_and_the_documented_columns(example, quick_run):
    table, _ = quick_run
    assert sorted(table.index) == sorted(MULTIMODAL + UNIMODAL)
    assert table.columns.tolist() == [
        *ATOMS,
        "total",
        "agreement",
        "rank_by_agreement",
        "test_accuracy",
        "rank_by_accuracy",
    ]
    assert table.columns.tolist() == example.COLUMNS
    assert np.isfinite(table.to_numpy(dtype=float)).all()
    assert table["agreement"].is_monotonic_decreasing


def test_ranks_follow_the_values(quick_run):
    table, _ = quick_run
    for value, rank in [
        ("agreement", "rank_by_agreement"),
        ("test_accuracy", "rank_by_accuracy"),
    ]:
        expected = 1 + np.array(
            [(table[value] > v).sum() for v in table[value]]
        )  # 1 = best, ties share the best rank
        np.testing.assert_array_equal(table[rank].to_numpy(), expected)


def test_every_row_sums_to_the_independent_plugin_information(quick_run):
    """R + U1 + U2 + S = I(X1,X2; labels) over the same k-means states, for
    the dataset and each model on each split: the solver's atoms against
    scikit-learn's plug-in mutual information of the state pairs."""
    _, info = quick_run
    splits = info["splits"]
    assert len(splits) == N_REPEATS * 6  # dataset + 5 models per split
    gap = (splits[ATOMS].sum(axis=1) - splits["total"]).abs()
    assert gap.max() < IDENTITY_TOL
    assert (splits["total"] > 1.0).all()  # bits; at most log2(10) = 3.32
    assert (splits["total"] <= math.log2(10) + 1e-9).all()


def test_unimodal_identities_on_the_last_split(quick_run):
    """R + U_m = I(X_m; y_hat) for each model, each modality, and the
    quantified atoms are those of PIDCVX fitted on the predictions."""
    _, info = quick_run
    last = info["last_split"]
    X_test, fitted = np.asarray(last["X_test"]), last["estimator"]
    states = [
        d.transform(X_test[:, columns])
        for d, columns in zip(fitted.discretizers_, fitted.modality_columns_)
    ]
    rows = info["splits"][info["splits"]["split"] == N_REPEATS - 1]
    rows = rows.set_index("model")
    for name, model in last["models"].items():
        predictions = model.predict(X_test)
        row = rows.loc[name]
        for m, unique in ((0, "unique_1"), (1, "unique_2")):
            mi = mutual_info_score(states[m], predictions) / math.log(2)
            assert row["redundancy"] + row[unique] == pytest.approx(mi, abs=1e-6)
        assert row["test_accuracy"] == pytest.approx(
            model.score(X_test, last["y_test"])
        )


def test_agreement_is_equation_6_of_the_paper(quick_run):
    """alpha = sum over atoms of (data share, clipped at 0) x (model atom)."""
    _, info = quick_run
    splits = info["splits"]
    for _, group in splits.groupby("split"):
        data = group.loc[group["model"] == "dataset", ATOMS].iloc[0].clip(lower=0)
        shares = data / data.sum()
        models = group[group["model"] != "dataset"]
        expected = models[ATOMS].to_numpy() @ shares.to_numpy()
        np.testing.assert_allclose(models["agreement"], expected, rtol=1e-12)
        # a convex combination of the model's atoms: between the extremes
        assert (models["agreement"] <= models[ATOMS].max(axis=1) + 1e-12).all()
        assert (models["agreement"] >= models[ATOMS].min(axis=1) - 1e-12).all()


def test_accuracies_and_better_than_chance(quick_run):
    table, _ = quick_run
    accuracy = table["test_accuracy"]
    assert accuracy.between(0, 1).all()
    # chance is 0.1 (ten balanced digits); 8 epochs give 0.78-0.93, LR ~0.85
    assert (accuracy[MULTIMODAL] > 0.5).all()
    assert (accuracy[UNIMODAL] > 0.7).all()


def test_dataset_decomposition_and_recommendation(quick_run):
    _, info = quick_run
    dataset, recommendation = info["dataset"], info["recommendation"]
    assert dataset.index.tolist() == [*ATOMS, "total"]
    assert (dataset[ATOMS] > -1e-9).all()  # BROJA atoms are non-negative
    assert recommendation.shares.sum() == pytest.approx(1)
    assert recommendation.dominant == dataset[ATOMS].idxmax()
    assert recommendation.family in {
        "unimodal_1",
        "unimodal_2",
        "late_fusion",
        "multiplicative_fusion",
    }
    assert 0 < info["plugin_bias"] < dataset["total"]
    assert info["seconds"] > 0


def test_spearman_is_that_of_the_table(quick_run):
    table, info = quick_run
    expected = spearmanr(table["agreement"], table["test_accuracy"]).statistic
    assert info["spearman"] == pytest.approx(expected)
    assert len(info["spearman_per_split"]) == N_REPEATS
    assert all(-1 <= s <= 1 for s in info["spearman_per_split"])


def test_plot_writes_a_png(example, quick_run, tmp_path):
    pytest.importorskip("matplotlib")
    table, info = quick_run
    path = example.plot(table, info["dataset"], info["spearman"], tmp_path / "a.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def _table_rows(stdout):
    """``{model: [9 numbers]}`` from the printed table."""
    rows = {}
    for line in stdout.splitlines():
        for name in MULTIMODAL + UNIMODAL:
            if line.startswith(name + " "):
                rows[name] = [float(v) for v in line[len(name) :].split()]
    return rows


@pytest.mark.slow
def test_script_end_to_end_as_a_user_runs_it(tmp_path):
    """The defaults (5 splits, 20 epochs): 40-70 s on two shared cores."""
    out = tmp_path / "selection.png"
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "recommend_fusion: late_fusion" in result.stdout
    assert "Spearman(agreement, accuracy)" in result.stdout
    rows = _table_rows(result.stdout)
    assert sorted(rows) == sorted(MULTIMODAL + UNIMODAL)
    agreement = {name: values[5] for name, values in rows.items()}
    # The docstring's finding: every multimodal model agrees more with the
    # data than either unimodal model (measured 0.771-0.777 vs 0.675-0.731).
    assert min(agreement[n] for n in MULTIMODAL) > max(agreement[n] for n in UNIMODAL)
    if importlib.util.find_spec("matplotlib") is not None:
        assert out.read_bytes()[:8] == PNG_SIGNATURE
