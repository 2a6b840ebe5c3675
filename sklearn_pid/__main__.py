"""Command-line entry point: ``sklearn-pid demo`` / ``sklearn-pid estimate``.

Also runnable as ``python -m sklearn_pid``.
"""

import argparse
import ast
import fnmatch
import importlib.util
import os
import sys
import time
from pathlib import Path

import pandas as pd

from .batch import PIDBatch
from .cvx import PIDCVX
from .demo import demo_notes, demo_table
from .dmi import DMIClassifier
from .lsmi import LSMIEstimator

HEADER = (
    "sklearn-pid demo: partial information decomposition, in bits "
    "(seconds: wall time of fit), seed={seed}"
)


def _run_demo(args):
    table = demo_table(seed=args.seed)
    print(HEADER.format(seed=args.seed))
    print()
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    print()
    print(demo_notes())
    for name, messages in table.attrs["warnings"].items():
        for message in messages:
            print(f"Warning ({', '.join(name)}): {message}")
    return 0


#: Estimators that ``estimate`` can run, by the name given to ``--estimator``.
ESTIMATORS = {
    "pidcvx": PIDCVX,
    "lsmi": LSMIEstimator,
    "batch": PIDBatch,
    "dmi": DMIClassifier,
}


class CommandError(Exception):
    """A user error of the command line: printed, exit status 2."""


#: File extensions read and written as Parquet; any other is read as CSV.
PARQUET_SUFFIXES = (".parquet", ".pq")


def _is_parquet(path):
    """Whether ``path`` is read and written as Parquet (by its extension)."""
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


def _read_table(path):
    """A DataFrame from a CSV or Parquet file (by extension)."""
    path = Path(path)
    if not path.exists():
        raise CommandError(f"no such file: {path}")
    if _is_parquet(path):  # a folder of Parquet files is a dataset
        try:
            return pd.read_parquet(path)
        except ImportError as error:
            raise CommandError(
                f"reading {path.name} needs pyarrow: pip install pyarrow"
            ) from error
    if path.is_dir():
        raise CommandError(f"{path} is a directory, not a CSV or Parquet file")
    try:
        return pd.read_csv(path)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from error


def _check_output(path):
    """Fail now, before any fit, if the values could not be written to ``path``."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"--output {path} is a directory")
    if path.suffix.lower() not in (".csv", *PARQUET_SUFFIXES):
        raise CommandError(
            f"--output {path}: the file name must end in .csv, .parquet or .pq"
        )
    folder = path.parent
    if not folder.is_dir():
        raise CommandError(f"--output {path}: no such folder: {folder}")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise CommandError(f"--output {path}: permission denied")
    if _is_parquet(path) and not any(
        importlib.util.find_spec(engine) for engine in ("pyarrow", "fastparquet")
    ):
        raise CommandError(f"writing {path.name} needs pyarrow: pip install pyarrow")


def _check_numbers(frame, columns):
    """Fail on a column of numbers in which some cells are not numbers.

    A column that ``read_csv`` left as text because of a stray cell (``"abc"``,
    ``"?"``) would otherwise be taken as discrete with one state per distinct
    value. A column mostly of text (``"red"``, ``"blue"``) is categorical and
    passes.
    """
    for column in columns:
        cells = frame[column]
        if pd.api.types.is_numeric_dtype(cells):
            continue
        bad = pd.to_numeric(cells, errors="coerce").isna() & cells.notna()
        n_bad = int(bad.sum())
        if 0 < n_bad and 2 * n_bad < cells.notna().sum():
            row = bad.idxmax()
            more = f" ({n_bad} such cells in the column)" if n_bad > 1 else ""
            raise CommandError(
                f"column {column!r} row {row}: {cells[row]!r} is not a number{more}"
            )


def _select(frame, spec, what):
    """Column names of ``frame`` matching a comma-separated list of names/globs."""
    names = []
    for pattern in (p.strip() for p in spec.split(",") if p.strip()):
        matches = [c for c in frame.columns if fnmatch.fnmatchcase(str(c), pattern)]
        if not matches:
            raise CommandError(
                f"{what}: no column matches {pattern!r}; columns are "
                f"{', '.join(map(str, frame.columns[:20]))}"
                + (" ..." if frame.shape[1] > 20 else "")
            )
        names += [c for c in matches if c not in names]
    return names


def _parse_params(items):
    """``["n_bins=20", "discretizer=kmeans"]`` -> ``{"n_bins": 20, ...}``."""
    params = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(f"--param expects NAME=VALUE, got {item!r}")
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value  # a bare string such as kmeans
    return params


def _run_estimate(args):
    try:
        if args.output:
            _check_output(args.output)
        frame = _read_table(args.data)
        cols1 = _select(frame, args.modality_1, "--modality-1")
        cols2 = _select(frame, args.modality_2, "--modality-2")
        targets = _select(frame, args.target, "--target")
        if len(targets) != 1:
            raise CommandError(f"--target matches {len(targets)} columns: {targets}")
        (target,) = targets
        overlap = set(cols1) & set(cols2) | {target} & set(cols1 + cols2)
        if overlap:
            raise CommandError(f"columns used twice: {sorted(map(str, overlap))}")
        data = frame[cols1 + cols2 + [target]]
        _check_numbers(data, cols1 + cols2)
        missing = data.columns[data.isna().any()].tolist()
        if missing:
            raise CommandError(
                f"missing values in columns {missing}: drop or impute them first"
            )
        params = {"modalities": len(cols1), "base": args.base} | _parse_params(
            args.param
        )
        if args.verbose:
            params.setdefault("verbose", 1)
        estimator = ESTIMATORS[args.estimator]().set_params(**params)
        X, y = data[cols1 + cols2], data[target]
        start = time.perf_counter()
        estimator.fit(X, y)
    except (CommandError, ValueError, TypeError) as error:
        print(f"sklearn-pid estimate: error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(
        f"{type(estimator).__name__} on {args.data}: {len(cols1)} + {len(cols2)} "
        f"columns, target {target!r}, {len(data)} rows, in base {args.base:g} "
        f"({seconds:.1f} s)"
    )
    print(estimator.decomposition_.to_string(float_format=lambda v: f"{v:.4f}"))
    if args.output:
        values = estimator.interactions(X, y)
        if _is_parquet(args.output):
            values.to_parquet(args.output)
        else:
            values.to_csv(args.output, index=False)
        print(f"per-sample interactions: {args.output}")
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-pid",
        description="Partial information decomposition of two modalities.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = commands.add_parser(
        "demo",
        help="print every estimator on classic and real datasets (1-2 minutes)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the data and the discretisers (default: 0)",
    )
    demo.set_defaults(handler=_run_demo)
    estimate = commands.add_parser(
        "estimate",
        help="decompose the columns of a CSV or Parquet file",
        description=(
            "Fit an estimator on two groups of columns and a target column of a "
            "table and print redundancy, uniqueness and synergy. Columns are "
            "given as comma-separated names or glob patterns (e.g. 'top_*')."
        ),
    )
    estimate.add_argument("data", help="CSV or Parquet file")
    estimate.add_argument(
        "--modality-1", required=True, help="columns of modality 1 (names/globs)"
    )
    estimate.add_argument(
        "--modality-2", required=True, help="columns of modality 2 (names/globs)"
    )
    estimate.add_argument("--target", required=True, help="the label column")
    estimate.add_argument(
        "--estimator",
        choices=sorted(ESTIMATORS),
        default="pidcvx",
        help="which estimator (default: pidcvx)",
    )
    estimate.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="an estimator parameter, e.g. --param n_bins=20 (repeatable)",
    )
    estimate.add_argument(
        "--base", type=float, default=2.0, help="logarithm base (default: 2, bits)"
    )
    estimate.add_argument(
        "--output", help="write per-sample interactions to this CSV/Parquet file"
    )
    estimate.add_argument(
        "--verbose", action="store_true", help="progress bars while training"
    )
    estimate.set_defaults(handler=_run_estimate)
    return parser


def main(argv=None):
    """Run the ``sklearn-pid`` command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        Exit status (0 on success). A missing or unknown command exits with
        status 2 after printing the usage.
    """
    args = _parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
