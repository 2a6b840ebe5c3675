"""Tests of ``sklearn-pid estimate`` (the demo is tested in test_demo.py)."""

import dataclasses
import io
import re
import subprocess
import sys
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


# ------------------------------------------- --bootstrap and --permutations

#: The rows of the inference table and of --summary, in order.
QUANTITIES = ATOMS + ["mi_1", "mi_2", "mi_joint"]

#: A printed row: name, estimate, [low, high], bias-corrected, p-value.
ROW = re.compile(
    r"(\w+) +(-?\d\.\d{4}) +\[(-?\d\.\d{4}), (-?\d\.\d{4})\] +(-?\d\.\d{4}) +"
    r"(\d\.\d{4}|-)"
)


def without_seconds(text):
    """``text`` without wall times such as ``(0.4 s)`` or ``, 2.1 s)``."""
    return re.sub(r"\d+\.\d s\)", "... s)", text)


def nulls_of(printed):
    """``{quantity: null}`` from the footnote lines under ``p-values:``."""
    lines = printed.split("p-values: ")[1].splitlines()[1:]
    nulls = {}
    for line in lines:
        if not line.startswith("  "):
            break
        names, null = line.strip().split(": ", 1)
        nulls.update(dict.fromkeys(names.split(", "), null))
    return nulls


@pytest.fixture
def small_and_csv(tmp_path):
    X, y = make_bitwise("and", 400, random_state=0)
    path = tmp_path / "and400.csv"
    pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "label": y}).to_csv(path, index=False)
    return path


def inference_argv(path, *extra):
    argv = ["estimate", str(path), "--modality-1", "x1", "--modality-2", "x2"]
    argv += ["--target", "label", "--param", "discretizer=discrete"]
    return argv + [str(a) for a in extra]


def test_estimate_with_bootstrap_and_permutations(small_and_csv, tmp_path, capsys):
    summary = tmp_path / "summary.csv"
    argv = inference_argv(small_and_csv, "--bootstrap", 8, "--permutations", 9)
    assert cli.main(argv + ["--summary", str(summary)]) == 0
    first = capsys.readouterr().out
    lines = first.splitlines()
    assert lines[0].startswith("PIDCVX on ")
    assert lines[1].split() == [
        "estimate",
        "95",
        "%",
        "interval",
        "bias-corrected",
        "p-value",
    ]
    rows = [ROW.fullmatch(line) for line in lines[2:9]]
    assert all(rows), lines[2:9]
    assert [row[1] for row in rows] == QUANTITIES
    table = pd.read_csv(summary)
    assert table.columns.tolist() == [
        "quantity",
        "estimate",
        "bias_corrected",
        "standard_error",
        "low",
        "high",
        "pvalue",
        "null",
    ]
    assert table["quantity"].tolist() == QUANTITIES
    # The printed numbers are the file's, to 4 decimals (-0.0000 prints 0.0000).
    for row, (_, values) in zip(rows, table.iterrows()):
        printed = [float(row[k]) for k in range(2, 6)]
        stored = values[["estimate", "low", "high", "bias_corrected"]]
        np.testing.assert_allclose(printed, stored.astype(float), atol=5.1e-5)
        if pd.isna(values["pvalue"]):
            assert row[6] == "-"
        else:
            assert float(row[6]) == pytest.approx(values["pvalue"], abs=5.1e-5)
    assert (table["low"] <= table["high"]).all()
    assert (table["standard_error"] >= 0).all()
    # 9 permutations: p-values are multiples of 1/10, at least 1/10 (NaN where
    # PIDCVX has no valid null).
    pvalues = table["pvalue"].dropna()
    assert len(pvalues) >= 4  # redundancy and the informations at least
    np.testing.assert_allclose(pvalues * 10, (pvalues * 10).round())
    assert (pvalues >= 0.1).all()
    assert "bootstrap: 95 % bias-corrected intervals from 8 resamples" in first
    assert "p-values: one-sided, from 9 permutations" in first
    # The footnote names the null of each p-value, as in the file.
    assert nulls_of(first) == {
        q: "no valid null for this estimator (-)" if pd.isna(p) else null
        for q, p, null in zip(table["quantity"], table["pvalue"], table["null"])
    }
    assert f"summary: {summary} (columns quantity, estimate, bias_corrected" in first
    # The seed is fixed by default: the same command prints the same numbers.
    assert cli.main(argv) == 0
    second = capsys.readouterr().out
    assert without_seconds(second) == without_seconds(first).replace(
        f"summary: {summary} (columns quantity, estimate, bias_corrected, "
        "standard_error, low, high, pvalue, null)\n",
        "",
    )


def test_estimate_without_inference_is_unchanged(small_and_csv, tmp_path, capsys):
    summary = tmp_path / "summary.csv"
    assert cli.main(inference_argv(small_and_csv, "--summary", summary)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:5]] == ATOMS
    assert lines[5].startswith("discretizer: ")
    table = pd.read_csv(summary)
    assert table.columns.tolist() == ["quantity", "estimate"]
    assert table["quantity"].tolist() == QUANTITIES
    for line, value in zip(lines[1:5], table["estimate"]):
        assert float(line.split()[1]) == pytest.approx(value, abs=5.1e-5)


def test_estimate_nan_pvalues_are_a_dash(small_and_csv, monkeypatch, capsys):
    """Where the estimator has no valid null (neural estimators: uniqueness
    and synergy) the p-value is NaN: a dash, explained under the table. The
    seed, --n-jobs and the progress wish reach the inference functions."""
    from sklearn_pid import inference

    calls = []
    real = inference.permutation_test

    def no_null_for_atoms(estimator, X, y, **kwargs):
        calls.append(kwargs)
        result = real(estimator, X, y, **kwargs)
        pvalue = result.pvalue.copy()
        null = result.null.copy()
        pvalue[["unique_1", "unique_2", "synergy"]] = np.nan
        null[["unique_1", "unique_2", "synergy"]] = "none"
        return dataclasses.replace(result, pvalue=pvalue, null=null)

    monkeypatch.setattr(inference, "permutation_test", no_null_for_atoms)
    argv = inference_argv(small_and_csv, "--permutations", 4, "--seed", 3)
    assert cli.main(argv + ["--n-jobs", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert calls == [{"n_resamples": 4, "n_jobs": 2, "random_state": 3, "verbose": 0}]
    lines = out.splitlines()
    assert lines[1].split() == ["estimate", "p-value"]  # no --bootstrap
    pvalues = {name: p for name, _, p in map(str.split, lines[2:9])}
    assert [pvalues[q] for q in ("unique_1", "unique_2", "synergy")] == ["-"] * 3
    assert pvalues["redundancy"] == "0.2000"  # 1 / (1 + 4): AND has redundancy
    nulls = nulls_of(out)
    for name in ("unique_1", "unique_2", "synergy"):
        assert nulls[name] == "no valid null for this estimator (-)"
    assert set(nulls) == set(QUANTITIES)


def test_estimate_inference_progress_follows_the_terminal(
    small_and_csv, monkeypatch, capsys
):
    from sklearn_pid import inference

    seen = []

    def fake_bootstrap(estimator, X, y, **kwargs):
        seen.append(kwargs["verbose"])
        return real(estimator, X, y, **(kwargs | {"verbose": 0}))

    real = inference.bootstrap
    monkeypatch.setattr(inference, "bootstrap", fake_bootstrap)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    argv = inference_argv(small_and_csv, "--bootstrap", 2)
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert cli.main(argv) == 0
    assert cli.main(argv + ["--quiet"]) == 0
    monkeypatch.undo()
    assert seen == [1, 0]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--bootstrap", "1", "expected a whole number of resamples >= 2, got '1'"),
        ("--permutations", "0", "expected a whole number of resamples >= 1, got '0'"),
        ("--bootstrap", "-5", "got '-5'"),
        ("--bootstrap", "many", "got 'many'"),
        ("--permutations", "2.5", "got '2.5'"),
        ("--n-jobs", "0", "expected a number of jobs (1, 2, ...; -1: all cores)"),
    ],
)
def test_estimate_rejects_bad_resample_counts(
    small_and_csv, capsys, option, value, message
):
    with pytest.raises(SystemExit) as info:
        cli.main(inference_argv(small_and_csv, option, value))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"sklearn-pid estimate: error: argument {option}: " in err
    assert message in err


def test_estimate_help_is_fast_and_names_the_options():
    code = (
        "import sys\n"
        "from sklearn_pid.__main__ import main\n"
        "try:\n"
        "    main(['estimate', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sklearn', 'pandas', 'numpy') or m == 'sklearn_pid.inference'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.endswith("[]\n")  # nothing heavy imported
    for option in ("--bootstrap N", "--permutations N", "--n-jobs N", "--summary"):
        assert option in result.stdout
