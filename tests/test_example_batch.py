"""Tests of ``examples/plot_pidbatch_gmm.py`` (PIDBatch vs PIDCVX on the
Gaussian mixture as the angle of mu varies).

Exact facts used (bits, ``||mu|| = 2``): ``I(X1,X2;Y) = 0.9128`` at every
angle; at angle 0, ``x2`` is independent of ``(x1, y)`` so U1 takes
everything; at pi/2 U2 does. The quick tests use small samples and few
epochs, so they check the structure and the qualitative shape only; the slow
test runs the defaults and checks the agreement quoted in the docstring.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import ATOMS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plot_pidbatch_gmm.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXACT_MI = 0.9128222857744822

QUICK = {"max_epochs": 2, "classifier_max_epochs": 30}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location(EXAMPLE.stem, EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table(example):
    return example.run(n_samples=3000, angles=[0.0, np.pi / 2], seed=0, **QUICK)


def test_run_returns_the_documented_table(table):
    assert table.index.names == ["estimator", "angle"]
    names = list(dict.fromkeys(table.index.get_level_values("estimator")))
    assert names == ["PIDCVX", "PIDBatch"]
    assert table.columns.tolist() == [
        "degrees",
        *ATOMS,
        "I(X1;Y)",
        "I(X2;Y)",
        "I(X1,X2;Y)",
        "seconds",
    ]
    np.testing.assert_allclose(table.loc["PIDBatch", "degrees"], [0, 90])
    batch = table.loc["PIDBatch"]
    # PIDBatch's identities hold exactly (its atoms are defined through them)
    np.testing.assert_allclose(
        batch["redundancy"] + batch["unique_1"], batch["I(X1;Y)"], atol=1e-9
    )
    np.testing.assert_allclose(batch[ATOMS].sum(axis=1), batch["I(X1,X2;Y)"], atol=1e-9)


def test_mirror_angles_are_unique_to_one_modality(table):
    batch = table.loc["PIDBatch"]
    a0, a90 = batch.loc[0.0], batch.loc[np.pi / 2]
    # even a quick fit puts most of I(X1,X2;Y) into the right unique term
    assert a0["unique_1"] >= 0.8 * a0["I(X1,X2;Y)"]
    assert a90["unique_2"] >= 0.8 * a90["I(X1,X2;Y)"]
    # the total is the exact 0.9128 bits up to posterior error and sampling
    # noise of the mean of log p(y|x)/p(y) at n = 3000 (sd ~0.015 bits)
    assert a0["I(X1,X2;Y)"] == pytest.approx(EXACT_MI, abs=0.06)


def test_main_prints_the_table_and_saves_the_png(example, tmp_path, capsys):
    out = tmp_path / "gmm.png"
    status = example.main(
        [
            "--out",
            str(out),
            "--n-samples",
            "1500",
            "--n-angles",
            "2",
            "--max-epochs",
            "1",
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert "PIDBatch" in printed and "PIDCVX" in printed
    assert "largest |PIDBatch - PIDCVX|" in printed
    if "plot saved to" in printed:
        assert out.read_bytes()[:8] == PNG_SIGNATURE
    else:
        assert "matplotlib is not installed" in printed


def test_main_without_matplotlib(example, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status = example.main(
        ["--n-samples", "1000", "--n-angles", "2", "--max-epochs", "1"]
    )
    assert status == 0
    assert "matplotlib is not installed" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_full_run_agrees_with_cvx(example):
    """Default samples (20000) and PIDBatch, at the angles 0, pi/4 and pi/2
    of the script's 7 (all 7: six minutes on 2 cores; test_batch covers pi/8)."""
    table = example.run(angles=example.ANGLES[::3])
    gap = (table.loc["PIDBatch", ATOMS] - table.loc["PIDCVX", ATOMS]).abs()
    # measured: largest gap ~0.02-0.03 bits near pi/4 (batch coupling bias,
    # see tests/test_batch.py), below 0.015 at 0, 15 and 90 degrees
    assert gap.max().max() <= 0.04
    batch = table.loc["PIDBatch"]
    assert batch["redundancy"].idxmax() == pytest.approx(np.pi / 4)
    assert batch.loc[0.0, "unique_1"] >= 0.9 * batch.loc[0.0, "I(X1,X2;Y)"]
