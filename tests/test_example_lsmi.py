"""Tests of ``examples/plot_lsmi_digits.py`` (LSMI on digits halves)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ATOMS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plot_lsmi_digits.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location(EXAMPLE.stem, EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(example):
    # Two folds and a short budget: the structure, not the accuracy.
    return example.run(seed=0, cv=2, max_epochs=10)


def test_per_digit_table(quick_run):
    per_digit, _, info = quick_run
    assert per_digit.index.tolist() == list(range(10))
    assert per_digit.columns.tolist() == ATOMS
    assert np.isfinite(per_digit.to_numpy()).all()
    assert info["score"] > 0 and info["seconds"] > 0


def test_subsets_split_the_training_set_at_the_median(quick_run):
    _, splits, _ = quick_run
    assert splits.index.tolist() == [
        "high redundancy",
        "low redundancy",
        "random half",
        "all",
    ]
    sizes = splits["n_train"]
    assert sizes["high redundancy"] + sizes["low redundancy"] == sizes["all"]
    assert abs(sizes["high redundancy"] - sizes["random half"]) == 0
    assert splits["test accuracy"].between(0.5, 1.0).all()


@pytest.mark.slow
def test_low_redundancy_half_trains_the_better_classifier(example):
    """The example's finding: hard (low-redundancy) samples teach more."""
    _, splits, _ = example.run(seed=0)
    accuracy = splits["test accuracy"]
    assert accuracy["low redundancy"] > accuracy["high redundancy"]


def test_plot_writes_a_png(example, quick_run, tmp_path):
    pytest.importorskip("matplotlib")
    path = example.plot(quick_run[0], quick_run[1], tmp_path / "lsmi.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.slow
def test_script_end_to_end_as_a_user_runs_it(tmp_path):
    out = tmp_path / "digits.png"
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "Training subsets and test accuracy" in result.stdout
    assert "held-out bound on I(X1,X2;Y)" in result.stdout
