"""Tests of ``sklearn-pid estimate`` (the demo is tested in test_demo.py)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ATOMS

from sklearn_pid import __main__ as cli
from sklearn_pid.datasets import load_digits_halves, make_bitwise


@pytest.fixture
def and_csv(tmp_path):
    X, y = make_bitwise("and", 4000, random_state=0)
    path = tmp_path / "and.csv"
    pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "label": y}).to_csv(path, index=False)
    return path


def test_estimate_prints_the_decomposition(and_csv, tmp_path, capsys):
    out = tmp_path / "values.csv"
    status = cli.main(
        [
            "estimate",
            str(and_csv),
            "--modality-1",
            "x1",
            "--modality-2",
            "x2",
            "--target",
            "label",
            "--param",
            "discretizer=discrete",
            "--output",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert printed.startswith("PIDCVX on ")
    lines = dict(line.split() for line in printed.splitlines()[1:5])
    # AND: R = 0.311, S = 0.5 bits up to sampling (see test_demo for the bounds).
    assert float(lines["redundancy"]) == pytest.approx(0.311, abs=0.03)
    assert float(lines["synergy"]) == pytest.approx(0.5, abs=0.03)
    values = pd.read_csv(out)
    assert values.columns.tolist() == ["row", "label", *ATOMS]
    assert values.shape == (4000, 6)
    assert values["synergy"].mean() == pytest.approx(float(lines["synergy"]), abs=1e-4)


def test_estimate_with_patterns_and_another_estimator(tmp_path, capsys):
    X, y = load_digits_halves(as_frame=True)
    frame = X.assign(digit=y)
    path = tmp_path / "digits.csv"
    frame.to_csv(path, index=False)
    status = cli.main(
        [
            "estimate",
            str(path),
            "--modality-1",
            "top_*",
            "--modality-2",
            "bottom_*",
            "--target",
            "digit",
            "--estimator",
            "pidcvx",
            "--param",
            "n_clusters=5",
            "--param",
            "random_state=0",
            "--base",
            "2.718281828459045",
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert "32 + 32 columns, target 'digit', 1797 rows, in base 2.71828" in printed


def test_estimate_with_pidbatch(tmp_path, capsys):
    X, y = make_bitwise("xor", 2000, one_hot=True, random_state=0)
    frame = pd.DataFrame(X, columns=["a0", "a1", "b0", "b1"]).assign(label=y)
    path = tmp_path / "xor.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "values.csv"
    argv = ["estimate", str(path), "--modality-1", "a*", "--modality-2", "b*"]
    argv += ["--target", "label", "--estimator", "batch", "--output", str(out)]
    for param in ("max_epochs=2", "classifier_max_epochs=30", "random_state=0"):
        argv += ["--param", param]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("PIDBatch on ")
    lines = dict(line.split() for line in printed.splitlines()[1:5])
    # XOR: all of the 1 bit is synergy (test_batch checks this to 0.01 bits)
    assert float(lines["synergy"]) == pytest.approx(1.0, abs=0.05)
    assert "random_state: 0 (from --param)" in printed
    assert pd.read_csv(out).shape == (2000, 6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--modality-1": "nope"}, "--modality-1: no column matches 'nope'"),
        ({"--target": "x*"}, "--target matches 2 columns"),
        ({"--modality-2": "x1"}, "columns used twice"),
        ({"--param": "n_bins"}, "--param expects NAME=VALUE"),
        ({"--param": "no_such_parameter=1"}, "no_such_parameter"),
    ],
)
def test_estimate_errors_are_clear(and_csv, capsys, change, message):
    args = {"--modality-1": "x1", "--modality-2": "x2", "--target": "label"}
    args.update(change)
    argv = ["estimate", str(and_csv)] + [v for kv in args.items() for v in kv]
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_estimate_rejects_missing_values_and_continuous_targets(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.integers(0, 2, 100), "b": rng.integers(0, 2, 100)}
    ).astype(float)
    frame["y"] = rng.normal(size=100)
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    argv = ["estimate", str(path), "--modality-1", "a", "--modality-2", "b"]
    assert cli.main(argv + ["--target", "y"]) == 2
    assert "y looks continuous" in capsys.readouterr().err
    frame.loc[3, "a"] = np.nan
    frame["y"] = rng.integers(0, 2, 100)
    frame.to_csv(path, index=False)
    assert cli.main(argv + ["--target", "y"]) == 2
    assert "missing values in columns ['a']" in capsys.readouterr().err
    assert (
        cli.main(
            ["estimate", str(tmp_path / "none.csv")] + argv[2:] + ["--target", "y"]
        )
        == 2
    )
    assert "no such file" in capsys.readouterr().err


def test_estimate_rejects_a_directory_as_data(tmp_path, capsys):
    argv = ["estimate", str(tmp_path), "--modality-1", "x1", "--modality-2", "x2"]
    assert cli.main(argv + ["--target", "label"]) == 2
    assert capsys.readouterr().err == (
        f"sklearn-pid estimate: error: {tmp_path} is a directory, "
        "not a CSV or Parquet file\n"
    )


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("no_such_folder/values.csv", "no such folder: "),
        ("values.txt", "the file name must end in .csv, .parquet or .pq"),
        (".", "is a directory"),
    ],
)
def test_estimate_checks_the_output_before_reading(tmp_path, capsys, output, message):
    # The data file does not exist: the output is checked first, so its error
    # (not "no such file") shows that nothing was read or fitted.
    argv = ["estimate", str(tmp_path / "none.csv"), "--modality-1", "x1"]
    argv += ["--modality-2", "x2", "--target", "label"]
    assert cli.main(argv + ["--output", str(tmp_path / output)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sklearn-pid estimate: error: --output ")
    assert message in err and err.count("\n") == 1


def test_estimate_rejects_a_stray_text_cell_in_a_numeric_column(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "mean radius": rng.normal(size=50).astype(object),
            "colour": rng.choice(["red", "blue"], 50),
            "label": rng.integers(0, 2, 50).astype(object),
        }
    )
    frame.loc[17, "mean radius"] = "abc"
    frame.loc[3, "label"] = "oops"  # labels may be text: not checked
    path = tmp_path / "cells.csv"
    frame.to_csv(path, index=False)
    argv = ["estimate", str(path), "--modality-1", "mean radius"]
    argv += ["--modality-2", "colour", "--target", "label"]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == (
        "sklearn-pid estimate: error: column 'mean radius' row 17: "
        "'abc' is not a number\n"
    )
    frame.loc[40, "mean radius"] = "?"
    frame.to_csv(path, index=False)
    assert cli.main(argv) == 2
    assert "row 17: 'abc' is not a number (2 such cells in the column)" in (
        capsys.readouterr().err
    )
    # A text column ("red"/"blue") is categorical: allowed.
    frame["mean radius"] = rng.integers(0, 3, 50)
    frame.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plug-in bias of 50 samples
        assert cli.main(argv) == 0
    assert capsys.readouterr().out.startswith("PIDCVX on ")
