"""A newcomer's first hour with the command line: demo progress, ``--version``,
separators, ``--base`` words, estimator names, column errors, two modalities,
the ``--output`` table, the seed and discretiser shown, one-line warnings."""

import io
import math
import re
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ATOMS
from sklearn.datasets import load_breast_cancer

import sklearn_pid
from sklearn_pid import PIDCVX, DMIClassifier, LSMIEstimator, PIDBatch, demo
from sklearn_pid import __main__ as cli

# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def cancer():
    """scikit-learn's breast cancer table (569 rows, 30 features + target)."""
    return load_breast_cancer(as_frame=True).frame


@pytest.fixture
def cancer_csv(cancer, tmp_path):
    path = tmp_path / "cancer.csv"
    cancer.to_csv(path, index=False)
    return path


#: Two columns per modality: a fast PIDCVX fit (k-means on 569 rows).
MODALITIES = ["--modality-1", "mean radius,mean texture"]
MODALITIES += ["--modality-2", "worst radius,worst texture"]


def run(capsys, *argv):
    """``(status, stdout, stderr)`` of ``sklearn-pid *argv``."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def without_time(text):
    """``text`` without the wall time ``(0.4 s)`` of the fit."""
    return re.sub(r"\(\d+\.\d s\)", "(... s)", text)


class Terminal(io.StringIO):
    """A standard error that says it is a terminal."""

    def isatty(self):
        return True


# ---------------------------------------------------------------------- demo


def fake_demo_table(seed=0, on_row=None, messages=()):
    """A demo table of random values with the real rows and intervals,
    reported one by one."""
    rng = np.random.default_rng(seed)
    columns = [*demo.DEMO_COLUMNS.values(), "seconds"]
    rows = {}
    for name in demo.demo_rows():
        values = rng.uniform(-0.5, 3.5, len(columns))
        values[-1] = rng.uniform(0, 60)  # seconds
        bounds = pd.Series(np.nan, index=demo.interval_columns())
        if name in demo.DEMO_INTERVALS:
            width = rng.uniform(0, 0.2, len(columns) - 1)
            low, high = values[:-1] - width, values[:-1] + width
            bounds[:] = np.column_stack([low, high]).ravel()  # low, high per column
        rows[name] = pd.concat([pd.Series(values, index=columns), bounds])
        rows[name].name = name
        if on_row is not None:
            on_row(name, rows[name], list(messages))
    table = pd.DataFrame(rows).T
    table.index.names = ["estimator", "dataset"]
    table.attrs["warnings"] = {name: list(messages) for name in rows}
    return table


def test_demo_prints_each_row_as_soon_as_it_is_fitted(monkeypatch):
    out = io.StringIO()
    seen = []

    def recording(seed=0, on_row=None):
        def check(name, row, messages):
            on_row(name, row, messages)
            # printed (and flushed) before the next row is fitted
            seen.append(out.getvalue().count("\n"))

        return fake_demo_table(seed, check)

    monkeypatch.setattr(demo, "demo_table", recording)
    monkeypatch.setattr(sys, "stdout", out)
    assert cli.main(["demo"]) == 0
    header_lines = 4  # title, blank line, column names, index names
    assert seen == [header_lines + k for k in range(1, 11)]


def test_demo_rows_are_laid_out_as_the_final_table(monkeypatch, capsys):
    tables = []

    def recording(seed=0, on_row=None):
        tables.append(fake_demo_table(seed, on_row))
        return tables[-1]

    monkeypatch.setattr(demo, "demo_table", recording)
    assert cli.main(["demo", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    (table,) = tables
    main = table[[*demo.DEMO_COLUMNS.values(), "seconds"]]
    expected = main.to_string(float_format=cli._number)
    title, printed, intervals, notes = out.split("\n\n")
    assert printed == expected  # between the title and the intervals
    assert demo.demo_rows() == table.index.tolist()
    # The intervals of the atoms, [low, high] to 3 decimals, for the rows that
    # have them, fit in 100 columns; then the notes.
    lines = intervals.splitlines()
    assert lines[0] == "95 % bootstrap intervals [low, high] of the atoms, in bits:"
    assert lines[1].split() == ATOMS
    assert len(lines) == 2 + len(demo.DEMO_INTERVALS)
    for line, name in zip(lines[2:], demo.DEMO_INTERVALS):
        assert line.split()[:3] == [name[0], *name[1].split()]
        cells = re.findall(r"\[(-?\d\.\d{3}), (-?\d\.\d{3})\]", line)
        np.testing.assert_allclose(
            np.array(cells, dtype=float),
            [[table.loc[name, f"{a} {end}"] for end in ("low", "high")] for a in ATOMS],
            atol=5.1e-4,
        )
    assert max(map(len, intervals.splitlines())) <= 100
    assert notes == demo.demo_notes() + "\n"


def test_demo_progress_on_a_terminal_and_quiet(monkeypatch, capsys):
    monkeypatch.setattr(demo, "demo_table", fake_demo_table)
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert cli.main(["demo"]) == 0
    status = sys.stderr.getvalue()
    assert "\rfitting PIDCVX on AND (1/10) ..." in status
    assert "\rfitting DMIClassifier on digits halves (10/10) ..." in status
    assert status.endswith("\r")  # the status line is erased at the end
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert cli.main(["demo", "--quiet"]) == 0
    assert sys.stderr.getvalue() == ""
    # Not a terminal (pytest's capture): no status line either.
    monkeypatch.undo()
    monkeypatch.setattr(demo, "demo_table", fake_demo_table)
    assert cli.main(["demo"]) == 0
    assert capsys.readouterr().err == ""


def test_demo_warnings_are_one_line_each_once(monkeypatch, capsys):
    messages = ["The plug-in bias is\n  large.", "The plug-in bias is large."]
    monkeypatch.setattr(
        demo,
        "demo_table",
        lambda seed=0, on_row=None: fake_demo_table(messages=messages),
    )
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    line = "Warning (PIDCVX, GMM): The plug-in bias is large."
    assert out.count(line + "\n") == 1
    assert "UserWarning" not in out and "__main__" not in out


def test_demo_table_reports_rows_and_each_warning_once(monkeypatch):
    class Warns:
        """Warns twice (same message) in fit; has the attributes of a row."""

        def fit(self, X, y):
            for _ in range(2):
                warnings.warn("too many states", UserWarning)
            for attr in demo.DEMO_COLUMNS:
                setattr(self, attr, 0.5)
            return self

    def cases(seed):
        yield "Fake", "one", lambda: (None, None), Warns()
        yield "Fake", "two", lambda: (None, None), Warns()

    monkeypatch.setattr(demo, "_demo_cases", cases)
    calls = []
    table = demo.demo_table(on_row=lambda *args: calls.append(args))
    assert [name for name, _, _ in calls] == [("Fake", "one"), ("Fake", "two")]
    name, row, messages = calls[0]
    assert row.index.tolist() == table.columns.tolist()
    assert row["synergy"] == 0.5 and messages == ["too many states"]
    assert table.attrs["warnings"][("Fake", "two")] == ["too many states"]
    assert demo.demo_rows() == [("Fake", "one"), ("Fake", "two")]


def test_demo_first_row_comes_within_seconds():
    """The real command, as a user runs it: the first result row (PIDCVX on
    AND) is printed while the demo is still running. Measured ~7 s on the
    shared 2-core machine (import ~6 s); the issue asks for 15 s; 60 s
    leaves room for a loaded machine."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "sklearn_pid", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in process.stdout:
            if line.startswith("PIDCVX"):
                break
        seconds = time.perf_counter() - start
        still_running = process.poll() is None
    finally:
        process.kill()
        process.wait()
    assert line.split()[:2] == ["PIDCVX", "AND"]
    assert still_running  # the rest of the demo takes a minute or more
    assert seconds < 60, seconds


# ------------------------------------------------------------------ --version


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"sklearn-pid {sklearn_pid.__version__}\n"


# ----------------------------------------------------------------- separators


@pytest.mark.parametrize(
    ("name", "options", "described"),
    [
        ("cancer.csv", {}, ""),
        ("cancer.tsv", {"sep": "\t"}, "tab-separated"),
        ("cancer.txt", {"sep": "\t"}, "tab-separated"),
        ("cancer.csv", {"sep": ";"}, "semicolon-separated"),
        (
            "cancer.csv",
            {"sep": ";", "decimal": ","},
            "semicolon-separated, decimal comma",
        ),
        ("cancer.csv", {"sep": "|"}, "pipe-separated"),
        ("cancer.tsv.gz", {"sep": "\t"}, "tab-separated"),
    ],
)
def test_separators_are_sniffed(cancer, tmp_path, name, options, described):
    path = tmp_path / name
    cancer.to_csv(path, index=False, **options)
    frame, got = cli._read_table(path)
    assert got == described
    pd.testing.assert_frame_equal(frame, cancer, check_dtype=False)


def test_quoted_separators_and_one_column(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('name,x\n"Smith, J.",1\n"Doe; A.",2\n"Roe\tB",3\n')
    frame, described = cli._read_table(path)
    assert described == "" and frame.columns.tolist() == ["name", "x"]
    assert frame["name"].tolist() == ["Smith, J.", "Doe; A.", "Roe\tB"]
    path.write_text("x\n1\n2\n")
    assert cli._read_table(path)[0].columns.tolist() == ["x"]


def test_a_tsv_end_to_end_gives_the_csv_numbers(cancer, cancer_csv, tmp_path, capsys):
    tsv = tmp_path / "cancer.tsv"
    cancer.to_csv(tsv, sep="\t", index=False)
    argv = [*MODALITIES, "--target", "target"]
    status, from_csv, _ = run(capsys, "estimate", cancer_csv, *argv)
    assert status == 0
    status, from_tsv, _ = run(capsys, "estimate", tsv, *argv)
    assert status == 0
    assert f"PIDCVX on {tsv} (tab-separated): 2 + 2 columns, target 'target'" in (
        from_tsv
    )
    assert from_tsv.splitlines()[1:] == from_csv.splitlines()[1:]


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch, capsys):
    path = tmp_path / "cancer.parquet"
    path.write_bytes(b"PAR1")

    def no_pyarrow(*args, **kwargs):
        raise ImportError("Missing optional dependency 'pyarrow'")

    monkeypatch.setattr(pd, "read_parquet", no_pyarrow)
    status, _, err = run(capsys, "estimate", path, *MODALITIES, "--target", "target")
    assert status == 2
    assert err == (
        "sklearn-pid estimate: error: reading cancer.parquet needs pyarrow: "
        "pip install pyarrow\n"
    )


# ---------------------------------------------------------------------- base


@pytest.mark.parametrize(
    ("text", "base"),
    [
        ("2", 2),
        ("10", 10),
        ("2.718281828459045", math.e),
        ("e", math.e),
        ("bits", 2),
        ("Bits", 2),
        ("nats", math.e),
        ("bans", 10),
        ("dits", 10),
        ("1.5", 1.5),
    ],
)
def test_base_numbers_and_words(text, base):
    assert cli._parse_base(text) == base


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("bitz", " (did you mean 'bits'?)"),
        ("bogus", ""),
        ("1", ""),
        ("0.5", ""),
        ("0", ""),
        ("-2", ""),
        ("inf", ""),
        ("nan", ""),
    ],
)
def test_base_rejects_anything_else(cancer_csv, capsys, text, hint):
    argv = ["estimate", cancer_csv, *MODALITIES, "--target", "target", "--base", text]
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert err == (
        f"sklearn-pid estimate: error: --base {text!r}: expected a number > 1, "
        f"or e, bits (2), nats (e), bans or dits (10){hint}\n"
    )


def test_base_in_nats_end_to_end(cancer_csv, capsys):
    argv = ["estimate", cancer_csv, *MODALITIES, "--target", "target"]
    _, bits, _ = run(capsys, *argv)
    status, nats, _ = run(capsys, *argv, "--base", "nats")
    assert status == 0
    assert "rows, in base 2 (bits) (" in bits
    assert "rows, in base 2.71828 (nats) (" in nats

    def atoms(text):
        return np.array([float(line.split()[1]) for line in text.splitlines()[1:5]])

    np.testing.assert_allclose(atoms(nats), atoms(bits) * math.log(2), atol=1e-4)


# ----------------------------------------------------------------- estimators


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("PIDCVX", PIDCVX),
        ("pidcvx", PIDCVX),
        ("cvx", PIDCVX),
        ("PIDBatch", PIDBatch),
        ("pidbatch", PIDBatch),
        ("batch", PIDBatch),
        ("LSMIEstimator", LSMIEstimator),
        ("lsmiestimator", LSMIEstimator),
        ("lsmi", LSMIEstimator),
        ("DMIClassifier", DMIClassifier),
        ("DMI", DMIClassifier),
    ],
)
def test_estimator_names(name, cls):
    assert cli._estimator_class(name) is cls


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("pidcx", "; did you mean 'pidcvx'?"),
        ("LSMIEstimater", "; did you mean 'LSMIEstimator'?"),
        ("DMIClassifer", "; did you mean 'DMIClassifier'?"),
        ("forest", "."),
    ],
)
def test_unknown_estimator_lists_the_names(cancer_csv, capsys, name, hint):
    argv = [*MODALITIES, "--target", "target", "--estimator", name]
    status, _, err = run(capsys, "estimate", cancer_csv, *argv)
    assert status == 2
    assert err == (
        f"sklearn-pid estimate: error: --estimator: unknown estimator {name!r}"
        f"{hint} Estimators: PIDCVX (pidcvx, cvx), PIDBatch (batch, pidbatch), "
        "LSMIEstimator (lsmi), DMIClassifier (dmi)\n"
    )


# -------------------------------------------------------------------- columns


def test_a_wrong_target_lists_every_column(cancer, cancer_csv, capsys):
    argv = ["estimate", cancer_csv, *MODALITIES, "--target", "label"]
    status, _, err = run(capsys, *argv)
    assert status == 2
    columns = ", ".join(repr(c) for c in cancer.columns)
    assert err == (
        "sklearn-pid estimate: error: --target: no column matches 'label'; did "
        f"you mean 'target'? The 31 columns are: {columns}\n"
    )


def test_close_matches_come_first_in_a_wide_table(tmp_path, capsys):
    rng = np.random.default_rng(0)
    columns = [f"feature_{k:03d}" for k in range(500)] + ["mean radius", "target"]
    frame = pd.DataFrame(rng.integers(0, 2, (20, len(columns))), columns=columns)
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    argv = ["estimate", path, "--modality-1", "Mean radius", "--modality-2"]
    status, _, err = run(capsys, *argv, "feature_0*", "--target", "target")
    assert status == 2
    start = (
        "sklearn-pid estimate: error: --modality-1: no column matches "
        "'Mean radius'; did you mean 'mean radius'? The 502 columns are: "
        "'feature_000', 'feature_001', "
    )
    assert err.startswith(start)
    assert err.endswith("'feature_499', 'mean radius', 'target'\n")


# ----------------------------------------------------------------- modalities


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--modality-3", "worst area"],
            "unrecognized arguments: --modality-3 worst area; ",
        ),
        (["--param", "modalities=3"], "--param modalities: "),
        (["--param", "modalities=[[0], [1], [2]]"], "--param modalities: "),
        (["--modality", "a=worst area"], "give the modalities either with "),
    ],
)
def test_modality_options_are_said_clearly(cancer_csv, capsys, extra, message):
    argv = ["estimate", cancer_csv, *MODALITIES, *extra, "--target", "target"]
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err.startswith(f"sklearn-pid estimate: error: {message}")
    if "either" not in message:
        assert err.endswith(
            "give the modalities' columns with --modality-1 and --modality-2, or "
            "with --modality NAME=COLUMNS once per modality (two or more)\n"
        )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--modality-1", "mean radius"], "--modality-2 missing; "),
        (["--modality", "a=mean radius"], "one modality given; "),
        (["--modality", "a"], "--modality 'a': expected NAME=COLUMNS"),
        (
            ["--modality", "a=mean radius", "--modality", "a=worst radius"],
            "--modality 'a' is given twice",
        ),
        (
            ["--modality", "a=mean radius", "--modality", "b=worst radius"]
            + ["--modality", "c=mean area", "--bootstrap", "10"],
            "--bootstrap and --permutations take two modalities",
        ),
    ],
)
def test_bad_named_modalities(cancer_csv, capsys, argv, message):
    status, out, err = run(capsys, "estimate", cancer_csv, *argv, "--target", "target")
    assert (status, out) == (2, "")
    assert err.startswith(f"sklearn-pid estimate: error: {message}")


def test_three_named_modalities(cancer, cancer_csv, tmp_path, capsys):
    """Every pair and each modality against the rest, as PIDCVX fits them;
    --output has one column per pair and atom, --summary one row per pair."""
    groups = {"radius": ["mean radius"], "texture": ["mean texture"]}
    groups["area"] = ["worst area"]
    argv = [f"--modality={k}={','.join(v)}" for k, v in groups.items()]
    out_csv, summary_csv = tmp_path / "values.csv", tmp_path / "summary.csv"
    status, out, err = run(
        capsys,
        "estimate",
        cancer_csv,
        *argv,
        "--target",
        "target",
        "--output",
        str(out_csv),
        "--summary",
        str(summary_csv),
    )
    assert status == 0, err
    assert "1 + 1 + 1 columns (radius, texture, area)" in out
    assert "I(all modalities; Y) = " in out
    columns = [c for cols in groups.values() for c in cols]
    est = PIDCVX(modalities=groups, random_state=0)
    est.fit(cancer[columns], cancer["target"])
    summary = pd.read_csv(summary_csv)
    assert list(summary["source_2"]) == [
        "texture",
        "area",
        "area",
        "rest",
        "rest",
        "rest",
    ]
    np.testing.assert_allclose(
        summary["synergy"], est.decompositions_["synergy"], rtol=0, atol=1e-9
    )
    values = pd.read_csv(out_csv)
    assert "redundancy[radius,texture]" in values.columns
    assert values.shape[1] == 2 + 4 * 6


def test_other_unknown_options_are_usage_errors(cancer_csv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["estimate", str(cancer_csv), *MODALITIES, "--target", "target", "-x"])
    assert info.value.code == 2
    assert "unrecognized arguments: -x" in capsys.readouterr().err


# --------------------------------------------------------------------- output


def test_output_has_ids_target_and_clean_values(cancer, cancer_csv, tmp_path, capsys):
    out = tmp_path / "values.csv"
    argv = ["estimate", cancer_csv, *MODALITIES, "--target", "target"]
    status, printed, _ = run(capsys, *argv, "--output", out)
    assert status == 0
    assert printed.endswith(
        f"per-sample interactions: {out} (columns row, target, redundancy, "
        "unique_1, unique_2, synergy)\n"
    )
    values = pd.read_csv(out)
    assert values.columns.tolist() == ["row", "target", *ATOMS]
    assert values["row"].tolist() == list(range(569))
    assert values["target"].tolist() == cancer["target"].tolist()
    # No float noise such as 1.6e-16: at most 10 significant digits, and
    # values within 1e-12 of 0 are 0.
    text = out.read_text()
    assert not re.search(r"e-1\d", text)
    for number in re.findall(r"\d+\.\d+", text):
        assert len(number.lstrip("0.").replace(".", "")) <= 10, number
    atoms = values[ATOMS].to_numpy()
    assert not ((atoms != 0) & (np.abs(atoms) < 1e-12)).any()
    assert (atoms == 0).any()  # many rows: no uniqueness at all
    # The means are still the dataset atoms.
    lines = dict(line.split() for line in printed.splitlines()[1:5])
    for atom in ATOMS:
        assert values[atom].mean() == pytest.approx(float(lines[atom]), abs=1e-4)


def test_output_with_an_id_column(cancer, tmp_path, capsys):
    frame = cancer.assign(patient=[f"P{k:03d}" for k in range(len(cancer))])
    path = tmp_path / "patients.csv"
    frame.to_csv(path, sep=";", index=False)
    out = tmp_path / "values.csv"
    argv = ["estimate", path, *MODALITIES, "--target", "target", "--output", out]
    status, _, _ = run(capsys, *argv, "--id", "patient")
    assert status == 0
    values = pd.read_csv(out)
    assert values.columns.tolist() == ["patient", "target", *ATOMS]
    assert values["patient"].tolist() == frame["patient"].tolist()
    status, _, err = run(capsys, *argv, "--id", "patiend")
    assert status == 2
    assert "--id: no column matches 'patiend'; did you mean 'patient'?" in err
    status, _, err = run(capsys, *argv, "--id", "mean radius")
    assert status == 2
    assert "columns used twice: ['mean radius']" in err


# ------------------------------------------------------- seed and discretiser


def test_the_same_command_prints_the_same_numbers(cancer_csv, capsys):
    argv = ["estimate", cancer_csv, *MODALITIES, "--target", "target"]
    status, first, _ = run(capsys, *argv)
    assert status == 0
    _, second, _ = run(capsys, *argv)
    assert without_time(first) == without_time(second)
    lines = first.splitlines()
    assert re.fullmatch(
        r"discretizer: kmeans\(\d+\) for modality 1, kmeans\(\d+\) for modality 2",
        lines[5],
    )
    assert lines[6] == "random_state: 0 (--seed N changes it)"
    # One column per modality (quantile bins, a faster fit) for the seed lines.
    argv = ["estimate", cancer_csv, "--modality-1", "mean radius"]
    argv += ["--modality-2", "worst radius", "--target", "target"]
    _, other, _ = run(capsys, *argv, "--seed", "3")
    assert other.splitlines()[6] == "random_state: 3 (--seed N changes it)"
    _, given, _ = run(capsys, *argv, "--seed", "3", "--param", "random_state=5")
    assert given.splitlines()[6] == "random_state: 5 (from --param)"
    _, unseeded, _ = run(capsys, *argv, "--param", "random_state=None")
    assert unseeded.splitlines()[6] == (
        "random_state: None (from --param; runs may differ)"
    )


def test_every_estimator_gets_the_seed():
    for name in cli.ESTIMATORS:
        cls = getattr(sklearn_pid, name)
        assert "random_state" in cls().get_params(), cls


# ------------------------------------------------------------------- warnings


def test_estimate_warnings_are_one_clean_line_each(cancer_csv, monkeypatch, capsys):
    class Warning2(PIDCVX):
        def fit(self, X, y):
            for _ in range(2):
                warnings.warn("Something\n   to know.", UserWarning)
            warnings.warn("Another thing.", FutureWarning)
            return super().fit(X, y)

    monkeypatch.setattr(sklearn_pid, "PIDCVX", Warning2)
    argv = ["estimate", cancer_csv, *MODALITIES, "--target", "target"]
    status, out, err = run(capsys, *argv)
    assert status == 0 and out.startswith("Warning2 on ")
    assert err == "warning: Something to know.\nwarning: Another thing.\n"


def test_estimate_progress_on_a_terminal(cancer_csv, monkeypatch, capsys):
    argv = ["estimate", cancer_csv, *MODALITIES, "--target", "target"]
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert cli.main([str(a) for a in argv]) == 0
    status = sys.stderr.getvalue()
    assert f"\rreading {cancer_csv} ..." in status
    assert "\rfitting PIDCVX on 569 rows ..." in status
    assert status.endswith("\r")
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert cli.main([str(a) for a in argv] + ["--quiet"]) == 0
    assert sys.stderr.getvalue() == ""
    assert capsys.readouterr().out.count("PIDCVX on ") == 2


def test_a_failed_fit_shows_its_warnings_then_the_error(
    cancer_csv, monkeypatch, capsys
):
    class Fails(PIDCVX):
        def fit(self, X, y):
            warnings.warn("Before failing.", UserWarning)
            raise ValueError("Invalid modalities=(1, 2, 3).")

    monkeypatch.setattr(sklearn_pid, "PIDCVX", Fails)
    argv = ["estimate", cancer_csv, *MODALITIES, "--target", "target"]
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err == (
        "warning: Before failing.\n"
        "sklearn-pid estimate: error: Invalid modalities=(1, 2, 3). (give the "
        "modalities' columns with --modality-1 and --modality-2, or with "
        "--modality NAME=COLUMNS once per modality (two or more))\n"
    )
