"""Tests of ``examples/plot_dmi_gridsearch.py`` (GridSearchCV of DMIClassifier
over ``beta`` and the stage schedule on the digits halves)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plot_dmi_gridsearch.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location(EXAMPLE.stem, EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_grid_lists_only_the_given_schedules(example):
    grid = example.make_grid(betas=(0.1, 1.0), schedules=((5, 5, 10), (2, 2, 16)))
    assert grid == [
        {
            "beta": [0.1, 1.0],
            "warmup_epochs": [5],
            "decomposition_epochs": [5],
            "finetune_epochs": [10],
        },
        {
            "beta": [0.1, 1.0],
            "warmup_epochs": [2],
            "decomposition_epochs": [2],
            "finetune_epochs": [16],
        },
    ]


def test_run_returns_a_ranked_table(example):
    table, search, test_accuracy = example.run(
        betas=(1e-3, 1e-1), schedules=((1, 1, 2),), cv=2, n_samples=500
    )
    assert table.columns.tolist() == [
        "beta",
        "schedule",
        "mean_accuracy",
        "std_accuracy",
        "rank",
    ]
    assert sorted(table["beta"]) == [1e-3, 1e-1]
    assert set(table["schedule"]) == {"1 + 1 + 2"}
    assert table["rank"].is_monotonic_increasing
    assert np.all((table["mean_accuracy"] > 0.1) & (table["mean_accuracy"] <= 1))
    assert 0 <= test_accuracy <= 1
    assert search.best_estimator_.interaction_proportions_.sum() == pytest.approx(1)


def test_main_quick_prints_the_table(example, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status = example.main(["--quick", "--n-samples", "400"])
    out = capsys.readouterr().out
    assert status == 0
    assert "GridSearchCV of DMIClassifier" in out
    assert "1 + 1 + 2" in out and "held-out accuracy" in out
    assert "interaction proportions of the best model" in out
    assert list(tmp_path.iterdir()) == []  # no plot without --out


@pytest.mark.slow
def test_script_end_to_end_as_a_user_runs_it(tmp_path):
    """The full default grid (2 betas x 2 schedules, 3 folds): ~40 s."""
    pytest.importorskip("matplotlib")
    out = tmp_path / "grid.png"
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    candidates = [r for r in rows if len(r) == 9 and r[2] == "+"]
    assert len(candidates) == 4
    accuracies = [float(r[6]) for r in candidates]
    assert min(accuracies) > 0.85  # measured 0.925-0.936
    assert out.read_bytes()[:8] == PNG_SIGNATURE
