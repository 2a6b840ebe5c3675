"""Command-line entry point: ``sklearn-pid demo`` / ``sklearn-pid estimate``.

Also runnable as ``python -m sklearn_pid``. Results go to standard output;
progress (a transient status line, on a terminal only, silenced by
``--quiet``), warnings and errors go to standard error.
"""

import argparse
import ast
import bz2
import difflib
import fnmatch
import gzip
import importlib.util
import lzma
import math
import os
import re
import sys
import time
import warnings
from pathlib import Path

from . import __version__

HEADER = (
    "sklearn-pid demo: partial information decomposition, in bits "
    "(seconds: wall time of fit), seed={seed}"
)

#: The four per-sample values of ``--output``, in order.
ATOM_NAMES = ("redundancy", "unique_1", "unique_2", "synergy")

#: Per-sample values closer to 0 than this are written as 0 (float noise).
ZERO_BELOW = 1e-12

#: Significant digits of the per-sample values written to CSV.
CSV_FLOAT_FORMAT = "%.10g"


class CommandError(Exception):
    """A user error of the command line: printed, exit status 2."""


def _number(value, decimals=4):
    """``value`` with 4 (``decimals``) decimals; a value that rounds to 0 is
    ``0.0000`` (never ``-0.0000``)."""
    text = f"{value:.{decimals}f}"
    return f"{0:.{decimals}f}" if float(text) == 0 else text


def _one_line(message):
    """A warning message on one line (runs of whitespace become one space)."""
    return " ".join(str(message).split())


class _Progress:
    """A status line on standard error while something long runs.

    On a terminal the line is transient (``\\r``, then erased); when
    ``permanent`` (``--verbose``, whose own output would garble it) each status
    is a line of its own. Disabled, it prints nothing.
    """

    def __init__(self, enabled, permanent=False, stream=None):
        self.enabled = enabled
        self.permanent = permanent
        self.stream = sys.stderr if stream is None else stream
        self._width = 0

    def show(self, text):
        if not self.enabled:
            return
        if self.permanent:
            print(text, file=self.stream, flush=True)
            return
        self.clear()
        self.stream.write(f"\r{text}")
        self.stream.flush()
        self._width = len(text)

    def clear(self):
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _wants_progress(args):
    """Progress is shown on a terminal, unless ``--quiet``."""
    return not args.quiet and sys.stderr.isatty()


# ----------------------------------------------------------------------- demo


class _DemoPrinter:
    """Print the demo table row by row, laid out as ``DataFrame.to_string``.

    Column widths are fixed beforehand (names from :func:`demo_rows`, values of
    at most 7 characters such as ``-0.0629``) so each row can be printed and
    flushed as soon as it is fitted.
    """

    def __init__(self, rows, columns, stream=None):
        self.stream = sys.stdout if stream is None else stream
        self.columns = [*columns, "seconds"]
        self.widths = [max(len(c), 7) for c in self.columns]
        self.index_widths = [
            max(len(level), *(len(name[k]) for name in rows))
            for k, level in enumerate(("estimator", "dataset"))
        ]
        self._previous = None

    def _cells(self, values):
        return "".join(f"  {v:>{w}}" for v, w in zip(values, self.widths))

    def _index(self, name):
        return " ".join(f"{n:<{w}}" for n, w in zip(name, self.index_widths))

    def header(self):
        blank = " " * (sum(self.index_widths) + 1)
        print(blank + self._cells(self.columns), file=self.stream)
        empty = self._cells([""] * len(self.columns))
        print(self._index(("estimator", "dataset")) + empty, file=self.stream)
        self.stream.flush()

    def row(self, name, row):
        method, dataset = name
        shown = "" if method == self._previous else method  # as pandas: sparse
        self._previous = method
        values = [_number(row[c]) for c in self.columns]
        print(self._index((shown, dataset)) + self._cells(values), file=self.stream)
        self.stream.flush()


def _interval_text(table, level):
    """The demo's intervals of the atoms, ``[low, high]`` with 3 decimals, one
    line per row that has them; None if none has.

    Laid out apart from the table, which they would make too wide to read.
    """
    bounds = [f"{atom} {end}" for atom in ATOM_NAMES for end in ("low", "high")]
    if not set(bounds) <= set(table.columns):
        return None
    shown = table[bounds].dropna()
    if shown.empty:
        return None
    cells = {
        atom: [
            f"[{_number(low, 3)}, {_number(high, 3)}]"
            for low, high in zip(shown[f"{atom} low"], shown[f"{atom} high"])
        ]
        for atom in ATOM_NAMES
    }
    widths = {atom: max(len(atom), *map(len, cells[atom])) for atom in ATOM_NAMES}
    names = [(str(method), str(dataset)) for method, dataset in shown.index]
    index = [max(len(name[k]) for name in names) for k in (0, 1)]
    lines = [
        f"{100 * level:g} % bootstrap intervals [low, high] of the atoms, in bits:",
        " " * (sum(index) + 1)
        + "".join(f"  {atom:>{widths[atom]}}" for atom in ATOM_NAMES),
    ]
    for k, (method, dataset) in enumerate(names):
        lines.append(
            f"{method:<{index[0]}} {dataset:<{index[1]}}"
            + "".join(f"  {cells[a][k]:>{widths[a]}}" for a in ATOM_NAMES)
        )
    return "\n".join(lines)


def _run_demo(args):
    from . import demo  # scikit-learn and the estimators: only when it runs

    rows = demo.demo_rows()
    progress = _Progress(_wants_progress(args))
    printer = _DemoPrinter(rows, demo.DEMO_COLUMNS.values())
    print(HEADER.format(seed=args.seed))
    print()
    printer.header()

    def fitting(k):
        if k < len(rows):
            method, dataset = rows[k]
            n_resamples = demo.DEMO_INTERVALS.get(rows[k])
            then = f" + {n_resamples} bootstrap resamples" if n_resamples else ""
            progress.show(
                f"fitting {method} on {dataset}{then} ({k + 1}/{len(rows)}) ..."
            )

    def on_row(name, row, messages):
        progress.clear()
        printer.row(name, row)
        fitting(rows.index(name) + 1)

    fitting(0)
    try:
        table = demo.demo_table(seed=args.seed, on_row=on_row)
    finally:
        progress.clear()
    print()
    intervals = _interval_text(table, demo.CONFIDENCE_LEVEL)
    if intervals:
        print(intervals)
        print()
    print(demo.demo_notes())
    for name, messages in table.attrs["warnings"].items():
        for message in dict.fromkeys(map(_one_line, messages)):
            print(f"Warning ({', '.join(name)}): {message}")
    return 0


# ------------------------------------------------------------------- estimate

#: Estimators of ``--estimator``, by class name (matched case-insensitively);
#: imported when a command runs, so that ``--help`` starts at once.
ESTIMATORS = ("PIDCVX", "PIDBatch", "LSMIEstimator", "DMIClassifier")

#: Short names of ``--estimator`` -> class name.
ALIASES = {
    "pidcvx": "PIDCVX",
    "cvx": "PIDCVX",
    "batch": "PIDBatch",
    "pidbatch": "PIDBatch",
    "lsmi": "LSMIEstimator",
    "dmi": "DMIClassifier",
}


def _estimator_names():
    """``"PIDCVX (pidcvx, cvx), PIDBatch (batch, pidbatch), ..."``."""
    return ", ".join(
        f"{name} ({', '.join(a for a, n in ALIASES.items() if n == name)})"
        for name in ESTIMATORS
    )


def _estimator_class(text):
    """The estimator class named ``text`` (a class name or an alias)."""
    names = {name.lower(): name for name in ESTIMATORS} | ALIASES
    key = text.strip().lower()
    if key in names:
        return getattr(importlib.import_module("sklearn_pid"), names[key])
    close = difflib.get_close_matches(key, list(names), n=1)
    hint = "."
    if close:
        shown = close[0] if close[0] in ALIASES else names[close[0]]
        hint = f"; did you mean {shown!r}?"
    raise CommandError(
        f"--estimator: unknown estimator {text!r}{hint} "
        f"Estimators: {_estimator_names()}"
    )


#: Words of ``--base`` -> logarithm base.
BASES = {
    "e": math.e,
    "bits": 2.0,
    "bit": 2.0,
    "nats": math.e,
    "nat": math.e,
    "bans": 10.0,
    "dits": 10.0,
    "hartleys": 10.0,
}


def _parse_base(text):
    """The logarithm base of ``--base``: a number (> 1) or a unit name."""
    key = text.strip().lower()
    if key in BASES:
        return BASES[key]
    try:
        base = float(key)
    except ValueError:
        base = None
    if base is None or not math.isfinite(base) or base <= 1:
        words = ("bits", "nats", "bans", "dits")
        close = difflib.get_close_matches(key, words, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CommandError(
            f"--base {text!r}: expected a number > 1, or e, bits (2), "
            f"nats (e), bans or dits (10){hint}"
        )
    return base


def _base_text(base):
    """``"base 2 (bits)"``, ``"base 2.71828 (nats)"``, ``"base 3"``."""
    unit = {2.0: "bits", math.e: "nats", 10.0: "bans"}.get(base)
    return f"base {base:g}" + (f" ({unit})" if unit else "")


#: File extensions read and written as Parquet; any other is read as text.
PARQUET_SUFFIXES = (".parquet", ".pq")

#: Column separators that are sniffed, in order of preference.
SEPARATORS = {"\t": "tab", ";": "semicolon", ",": "comma", "|": "pipe"}

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def _is_parquet(path):
    """Whether ``path`` is read and written as Parquet (by its extension)."""
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


def _head_lines(path, size=1 << 16):
    """The first complete, non-empty lines of a (possibly compressed) text file."""
    suffix = path.suffix.lower()
    if suffix in (".zip", ".zst", ".tar"):
        return []
    opener = _OPENERS.get(suffix, open)
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f:
            text = f.read(size)
    except (OSError, EOFError, lzma.LZMAError):
        return []
    lines = text.splitlines()
    if len(text) == size and len(lines) > 1:
        lines = lines[:-1]  # cut in the middle
    return [line for line in lines if line.strip()][:50]


def _sniff(path):
    """``(sep, decimal)`` of a delimited text file, from its first lines.

    A separator that occurs as often in the header as in every following line
    (outside double quotes) wins, tab first, then ``;``, ``,`` and ``|``;
    failing that, the one most frequent in the header; failing that, ``,``.
    A ``;``-separated file whose cells hold numbers like ``1,5`` has decimal
    commas.
    """
    lines = [re.sub(r'"[^"]*"', "", line) for line in _head_lines(path)]
    if not lines:
        return ",", "."
    sep = next(
        (
            s
            for s in SEPARATORS
            if lines[0].count(s)
            and all(line.count(s) == lines[0].count(s) for line in lines)
        ),
        None,
    )
    if sep is None:
        sep = max(SEPARATORS, key=lines[0].count)
        sep = sep if lines[0].count(sep) else ","
    decimal = "."
    if sep == ";" and any(
        re.search(r"(^|;)\s*[-+]?\d+,\d+\s*(;|$)", line) for line in lines[1:]
    ):
        decimal = ","
    return sep, decimal


def _read_table(path):
    """A DataFrame from a CSV/TSV or Parquet file (by extension), and its format.

    The format is ``""`` for Parquet and comma-separated files, else e.g.
    ``"tab-separated"``.
    """
    import pandas as pd  # imported when a command runs

    path = Path(path)
    if not path.exists():
        raise CommandError(f"no such file: {path}")
    if _is_parquet(path):  # a folder of Parquet files is a dataset
        try:
            return pd.read_parquet(path), ""
        except ImportError as error:
            raise CommandError(
                f"reading {path.name} needs pyarrow: pip install pyarrow"
            ) from error
    if path.is_dir():
        raise CommandError(f"{path} is a directory, not a CSV or Parquet file")
    sep, decimal = _sniff(path)
    try:
        frame = pd.read_csv(path, sep=sep, decimal=decimal)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot parse {path}: {_one_line(error)}") from error
    described = "" if sep == "," else f"{SEPARATORS[sep]}-separated"
    if decimal == ",":
        described += ", decimal comma"
    return frame, described


def _check_output(path, option="--output"):
    """Fail now, before any fit, if the values could not be written to ``path``."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{option} {path} is a directory")
    if path.suffix.lower() not in (".csv", *PARQUET_SUFFIXES):
        raise CommandError(
            f"{option} {path}: the file name must end in .csv, .parquet or .pq"
        )
    folder = path.parent
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: no such folder: {folder}")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise CommandError(f"{option} {path}: permission denied")
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
    import pandas as pd  # imported when a command runs

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


#: Usual names of a label column, suggested when ``--target`` matches nothing.
LABEL_NAMES = ("target", "label", "labels", "class", "y", "outcome", "diagnosis")


def _suggestions(pattern, columns, what):
    """Columns close to ``pattern`` (case-insensitive), best first."""
    by_lower = {}
    for column in columns:
        by_lower.setdefault(column.lower(), column)
    close = [
        by_lower[c]
        for c in difflib.get_close_matches(pattern.lower(), list(by_lower), n=3)
    ]
    if what == "--target":
        close += [c for c in columns if c.lower() in LABEL_NAMES and c not in close]
    return close


def _select(frame, spec, what):
    """Column names of ``frame`` matching a comma-separated list of names/globs."""
    names = []
    columns = [str(c) for c in frame.columns]
    for pattern in (p.strip() for p in spec.split(",") if p.strip()):
        matches = [c for c in frame.columns if fnmatch.fnmatchcase(str(c), pattern)]
        if not matches:
            close = _suggestions(pattern, columns, what)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else "."
            raise CommandError(
                f"{what}: no column matches {pattern!r}{hint} The {len(columns)} "
                f"columns are: {', '.join(map(repr, columns))}"
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


TWO_MODALITIES = (
    "give the modalities' columns with --modality-1 and --modality-2, or with "
    "--modality NAME=COLUMNS once per modality (two or more)"
)


def _modality_groups(frame, args):
    """``{name: columns}`` from ``--modality NAME=COLUMNS`` (repeated) or from
    ``--modality-1`` and ``--modality-2`` (named "1" and "2")."""
    pair = (args.modality_1, args.modality_2)
    if args.modality:
        if any(pair):
            raise CommandError(
                "give the modalities either with --modality-1/--modality-2 or "
                "with --modality NAME=COLUMNS, not both"
            )
        groups = {}
        for spec in args.modality:
            name, sep, columns = spec.partition("=")
            name = name.strip()
            if not sep or not name or not columns.strip():
                raise CommandError(
                    f"--modality {spec!r}: expected NAME=COLUMNS, e.g. "
                    "--modality audio='mfcc_*'"
                )
            if name in groups:
                raise CommandError(f"--modality {name!r} is given twice")
            groups[name] = _select(frame, columns, f"--modality {name}")
        if len(groups) < 2:
            raise CommandError(f"one modality given; {TWO_MODALITIES}")
        return groups
    if not all(pair):
        missing = [f"--modality-{k}" for k, v in enumerate(pair, 1) if not v]
        raise CommandError(f"{' and '.join(missing)} missing; {TWO_MODALITIES}")
    return {
        "1": _select(frame, args.modality_1, "--modality-1"),
        "2": _select(frame, args.modality_2, "--modality-2"),
    }


def _groups_text(estimator):
    """The pairwise table of three or more modalities, and the total."""
    table = estimator.decompositions_.set_index(["source_1", "source_2"])
    table.index.names = [None, None]
    total = f"I(all modalities; Y) = {_number(estimator.mi_joint_)}"
    return (
        f"{table.to_string(float_format=_number)}\n{total} (mean of the 'rest' "
        "rows)\nunique_1 / mi_1: the first modality of the row; rest: the union "
        "of the other modalities"
    )


def _seed_text(estimator, params):
    """``"random_state: 0 (...)"``: the seed of the fit and where it came from."""
    seed = estimator.get_params()["random_state"]
    origin = "from --param" if "random_state" in params else "--seed N changes it"
    if seed is None:
        origin += "; runs may differ"
    return f"random_state: {seed} ({origin})"


def _discretization_text(estimator):
    """``"discretizer: kmeans(20) for modality 1, ..."`` for PIDCVX, else None."""
    used = getattr(estimator, "discretization_", None)
    if not used:
        return None
    return "discretizer: " + ", ".join(
        f"{method} for {key.replace('_', ' ')}" for key, method in used.items()
    )


def _per_sample_table(estimator, X, y, frame, target, id_column):
    """The ``--output`` table: id, target, then the four per-sample values."""
    import pandas as pd  # imported when a command runs

    values = estimator.interactions(X, y).reset_index(drop=True)
    values = values.mask(values.abs() < ZERO_BELOW, 0.0)
    if id_column is None:
        id_name = frame.index.name or "row"
        if id_name in (target, *ATOM_NAMES):
            id_name = "row_index"
        ids = pd.Series(frame.index, name=id_name)
    else:
        ids = frame[id_column].rename(id_column)
    labels = frame[target]
    return pd.concat(
        [ids.reset_index(drop=True), labels.reset_index(drop=True), values], axis=1
    )


#: Quantities of ``--summary`` and of the inference table, in order.
QUANTITIES = (*ATOM_NAMES, "mi_1", "mi_2", "mi_joint")

#: Confidence level of the ``--bootstrap`` intervals.
CONFIDENCE_LEVEL = 0.95


def _resample_count(option, minimum=1):
    """The argparse type of ``option`` (``--bootstrap``: at least 2 resamples
    for a spread, ``--permutations``: at least 1)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of resamples >= {minimum}, got {text!r}"
            )
        return value

    parse.__name__ = option  # argparse names the type in some messages
    return parse


def _n_jobs(text):
    """The argparse type of ``--n-jobs``: a whole number other than 0 (as
    joblib's: -1 is all cores, -2 all but one, ...)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a number of jobs (1, 2, ...; -1: all cores), got {text!r}"
        )
    return value


def _pvalue(value):
    """A p-value with 4 decimals; NaN (no valid null) as ``-``."""
    return "-" if math.isnan(value) else f"{value:.4f}"


def _point_values(estimator):
    """The decomposition, then ``mi_1, mi_2, mi_joint`` where the estimator has
    them: the ``--summary`` table without inference (one column, estimate)."""
    values = estimator.decomposition_.astype(float).rename("estimate")
    for name in QUANTITIES[len(ATOM_NAMES) :]:
        if hasattr(estimator, f"{name}_"):
            values[name] = float(getattr(estimator, f"{name}_"))
    return values.to_frame()


def _grouped(names_by_null):
    """``["a, b: labels permuted", "c: ..."]``: quantities grouped by null."""
    groups = {}
    for name, null in names_by_null.items():
        groups.setdefault(null, []).append(name)
    return [f"{', '.join(names)}: {null}" for null, names in groups.items()]


def _inference(args, estimator, X, y, progress):
    """Run ``--bootstrap`` and ``--permutations`` on a copy of ``estimator``.

    Returns
    -------
    frame : pandas.DataFrame
        One row per quantity: ``estimate``, then with ``--bootstrap``
        ``bias_corrected, standard_error, low, high``, with ``--permutations``
        ``pvalue, null``.
    notes : list of str
        The lines printed under the table: what each procedure did (the null
        of each p-value) and how long it took.
    """
    import pandas as pd  # imported when a command runs
    from sklearn.base import clone

    from . import inference  # only when asked: --help stays fast

    template = clone(estimator)
    if "verbose" in template.get_params():
        template.set_params(verbose=0)  # one progress bar, not one per refit
    options = {
        "n_jobs": args.n_jobs,
        "random_state": args.seed,
        "verbose": int(progress.enabled),
    }
    name = type(estimator).__name__
    frame, notes = None, []
    if args.bootstrap:
        progress.show(f"bootstrap: a fit, then {args.bootstrap} resamples ...")
        start = time.perf_counter()
        result = inference.bootstrap(
            template,
            X,
            y,
            n_resamples=args.bootstrap,
            confidence_level=CONFIDENCE_LEVEL,
            **options,
        )
        seconds = time.perf_counter() - start
        frame = result.to_frame()
        if result.route == "out-of-fold" and result.refit_distribution is not None:
            n_refits = len(result.refit_distribution)
            how = (
                "the out-of-fold per-sample values resampled, widened by the "
                f"spread of {n_refits} refits on half of the rows"
            )
            corrected = "estimate - (mean of the half-sample refits - estimate)"
        elif result.route == "out-of-fold":
            how = "the out-of-fold per-sample values resampled, no refit"
            corrected = "the estimate itself (out-of-fold values are held out)"
        else:
            how = f"{name} refitted on each"
            corrected = "2 x estimate - mean of the resamples"
        notes += [
            f"bootstrap: {100 * result.confidence_level:g} % {result.method} "
            f"intervals from {args.bootstrap} resamples of the rows within each "
            f"class, {how} (seed {args.seed}, {seconds:.1f} s)",
            f"bias-corrected: {corrected}",
        ]
    if args.permutations:
        progress.show(f"permutation test: a fit, then {args.permutations} nulls ...")
        start = time.perf_counter()
        result = inference.permutation_test(
            template, X, y, n_resamples=args.permutations, **options
        )
        seconds = time.perf_counter() - start
        tested = result.to_frame()
        if frame is None:
            frame = tested[["statistic"]].rename(columns={"statistic": "estimate"})
        frame = frame.join(tested[["pvalue", "null"]])
        nulls = {
            q: ("no valid null for this estimator (-)" if math.isnan(p) else null)
            for q, p, null in zip(tested.index, tested["pvalue"], tested["null"])
        }
        smallest = 1 / (1 + args.permutations)
        notes.append(
            f"p-values: one-sided, from {args.permutations} permutations "
            f"(smallest possible {smallest:.4f}; seed {args.seed}, "
            f"{seconds:.1f} s), each quantity against its null:"
        )
        notes += [f"  {line}" for line in _grouped(nulls)]
    frame.index = pd.Index(frame.index, name="quantity")
    return frame, notes


def _inference_text(frame):
    """The printed table of ``--bootstrap`` / ``--permutations``: one line per
    quantity, ``estimate [low, high] bias-corrected p-value``."""
    columns = {"estimate": frame["estimate"].map(_number).tolist()}
    if "low" in frame:
        columns[f"{100 * CONFIDENCE_LEVEL:g} % interval"] = [
            f"[{_number(low)}, {_number(high)}]"
            for low, high in zip(frame["low"], frame["high"])
        ]
        columns["bias-corrected"] = frame["bias_corrected"].map(_number).tolist()
    if "pvalue" in frame:
        columns["p-value"] = frame["pvalue"].map(_pvalue).tolist()
    names = [str(name) for name in frame.index]
    width = max(map(len, names))
    widths = {c: max(len(c), *map(len, v)) for c, v in columns.items()}
    lines = [" " * width + "".join(f"  {c:>{w}}" for c, w in widths.items())]
    for k, name in enumerate(names):
        cells = "".join(f"  {columns[c][k]:>{w}}" for c, w in widths.items())
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)


def _write_table(table, path):
    """``table`` to a .csv (10 significant digits) or Parquet file."""
    if _is_parquet(path):
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False, float_format=CSV_FLOAT_FORMAT)


def _run_estimate(args):
    from ._broja import SolverError  # imported when the command runs

    progress = _Progress(_wants_progress(args), permanent=args.verbose)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = _estimate(args, progress)
        except (CommandError, ValueError, TypeError, SolverError) as error:
            failure = str(error)
            if "Invalid modalities" in failure:
                failure += f" ({TWO_MODALITIES})"
            status = 2
        finally:
            progress.clear()
    for message in dict.fromkeys(_one_line(w.message) for w in caught):
        print(f"warning: {message}", file=sys.stderr)
    if status == 2:
        print(f"sklearn-pid estimate: error: {failure}", file=sys.stderr)
    return status


def _estimate(args, progress):
    cls = _estimator_class(args.estimator)
    base = _parse_base(args.base)
    params = _parse_params(args.param)
    if "modalities" in params:
        raise CommandError(f"--param modalities: {TWO_MODALITIES}")
    if (args.bootstrap or args.permutations) and len(args.modality or ()) > 2:
        raise CommandError(
            "--bootstrap and --permutations take two modalities (one pair at a "
            "time); fit the pair of interest with --modality-1 and --modality-2"
        )
    if args.output:
        _check_output(args.output)
    if args.summary:
        _check_output(args.summary, "--summary")
        if args.output and Path(args.summary).resolve() == Path(args.output).resolve():
            raise CommandError("--summary and --output name the same file")
    progress.show(f"reading {args.data} ...")
    frame, described = _read_table(args.data)
    groups = _modality_groups(frame, args)
    columns = [c for cols in groups.values() for c in cols]
    targets = _select(frame, args.target, "--target")
    if len(targets) != 1:
        raise CommandError(f"--target matches {len(targets)} columns: {targets}")
    (target,) = targets
    id_column = None
    if args.id:
        ids = _select(frame, args.id, "--id")
        if len(ids) != 1:
            raise CommandError(f"--id matches {len(ids)} columns: {ids}")
        (id_column,) = ids
    used = [*columns, target, *([] if id_column is None else [id_column])]
    twice = {c for c in used if used.count(c) > 1}
    if twice:
        raise CommandError(f"columns used twice: {sorted(map(str, twice))}")
    if args.output and str(target) in ATOM_NAMES:
        raise CommandError(
            f"--output: the target column {target!r} has the name of a per-sample "
            "value; rename it"
        )
    data = frame[columns + [target]]
    _check_numbers(data, columns)
    missing = data.columns[data.isna().any()].tolist()
    if missing:
        raise CommandError(
            f"missing values in columns {missing}: drop or impute them first"
        )
    sizes = [len(cols) for cols in groups.values()]
    two = len(groups) == 2
    modalities = sizes[0] if two else {k: list(v) for k, v in groups.items()}
    settings = {"modalities": modalities, "base": base}
    accepted = cls().get_params()
    if "random_state" in accepted:
        settings["random_state"] = args.seed
    if args.verbose and "verbose" in accepted:
        settings["verbose"] = 1
    estimator = cls().set_params(**(settings | params))
    X, y = data[columns], data[target]
    progress.show(f"fitting {cls.__name__} on {len(data)} rows ...")
    start = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - start
    if args.output:
        progress.show("computing the per-sample values ...")
        values = _per_sample_table(estimator, X, y, frame, target, id_column)
        _write_table(values, args.output)
    summary, notes = None, []
    if args.bootstrap or args.permutations:
        summary, notes = _inference(args, estimator, X, y, progress)
    if args.summary:
        if two:
            table = summary if summary is not None else _point_values(estimator)
            table = table.rename_axis("quantity").reset_index()
        else:
            table = estimator.decompositions_
        _write_table(table, args.summary)
    progress.clear()
    source = f"{args.data} ({described})" if described else args.data
    named = "" if two else f" ({', '.join(groups)})"
    print(
        f"{cls.__name__} on {source}: {' + '.join(map(str, sizes))} columns"
        f"{named}, target {target!r}, {len(data)} rows, in "
        f"{_base_text(estimator.base)} ({seconds:.1f} s)"
    )
    if not two:
        print(_groups_text(estimator))
    elif summary is None:
        print(estimator.decomposition_.to_string(float_format=_number))
    else:
        print(_inference_text(summary))
    discretization = _discretization_text(estimator)
    if discretization:
        print(discretization)
    if "random_state" in estimator.get_params():
        print(_seed_text(estimator, params))
    for note in notes:
        print(note)
    if args.output:
        print(
            f"per-sample interactions: {args.output} "
            f"(columns {', '.join(map(str, values.columns))})"
        )
    if args.summary:
        names = ", ".join(map(str, table.columns))
        print(f"summary: {args.summary} (columns {names})")
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-pid",
        description="Partial information decomposition of two or more modalities.",
    )
    parser.add_argument(
        "-V", "--version", action="version", version=f"sklearn-pid {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    quiet = {
        "action": "store_true",
        "help": "no progress line (shown by default on a terminal, on stderr)",
    }
    demo = commands.add_parser(
        "demo",
        help="print every estimator on classic and real datasets (1-2 minutes)",
        description=(
            "Fit every estimator on built-in data and print the table, one row "
            "as soon as it is fitted (the first within seconds)."
        ),
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the data and of every estimator (default: 0)",
    )
    demo.add_argument("--quiet", **quiet)
    demo.set_defaults(handler=_run_demo)
    estimate = commands.add_parser(
        "estimate",
        help="decompose the columns of a CSV, TSV or Parquet file",
        description=(
            "Fit an estimator on two groups of columns and a target column of a "
            "table and print redundancy, uniqueness and synergy. Columns are "
            "given as comma-separated names or glob patterns (e.g. 'top_*'). "
            "Text files may be comma-, tab-, semicolon- or pipe-separated (the "
            "separator is detected); .parquet/.pq files are read as Parquet. "
            "Three or more modalities (--modality NAME=COLUMNS, repeated) are "
            "decomposed pair by pair and each against the rest. --bootstrap N adds "
            f"{100 * CONFIDENCE_LEVEL:g} %% confidence intervals and bias-corrected "
            "values, --permutations N p-values (sklearn_pid.inference); the "
            "resamples are seeded by --seed, so runs repeat."
        ),
    )
    estimate.add_argument("data", help="CSV, TSV or Parquet file")
    estimate.add_argument(
        "--modality-1",
        metavar="COLUMNS",
        help="columns of modality 1 (names/globs)",
    )
    estimate.add_argument(
        "--modality-2",
        metavar="COLUMNS",
        help="columns of modality 2 (names/globs)",
    )
    estimate.add_argument(
        "--modality",
        action="append",
        metavar="NAME=COLUMNS",
        help="a named modality instead of --modality-1/-2, once per modality: "
        "with three or more, every pair and each modality against the rest "
        "are decomposed",
    )
    estimate.add_argument(
        "--target", required=True, metavar="COLUMN", help="the label column"
    )
    estimate.add_argument(
        "--estimator",
        default="PIDCVX",
        metavar="NAME",
        help=f"which estimator (default: PIDCVX): {_estimator_names()}; "
        "case-insensitive",
    )
    estimate.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="an estimator parameter, e.g. --param n_bins=20 (repeatable)",
    )
    estimate.add_argument(
        "--base",
        default="2",
        help="logarithm base: a number, e, bits (2), nats (e), bans or dits (10) "
        "(default: 2, bits)",
    )
    estimate.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="random_state of the estimator and seed of the resamples of "
        "--bootstrap and --permutations (default: 0, so runs repeat; "
        "--param random_state=... overrides it for the estimator)",
    )
    estimate.add_argument(
        "--output",
        metavar="FILE",
        help="write per-sample interactions to this .csv/.parquet file: the id "
        "column, the target, then redundancy, unique_1, unique_2, synergy; "
        f"values within {ZERO_BELOW:g} of 0 are written as 0 and CSV keeps 10 "
        "significant digits",
    )
    estimate.add_argument(
        "--id",
        metavar="COLUMN",
        help="column that identifies the rows in --output (default: the row "
        "index of the input, as column 'row')",
    )
    estimate.add_argument(
        "--summary",
        metavar="FILE",
        help="write the decomposition to this .csv/.parquet file, one row per "
        "quantity (redundancy, unique_1, unique_2, synergy, then mi_1, mi_2, "
        "mi_joint where the estimator has them): quantity, estimate, then with "
        "--bootstrap bias_corrected, standard_error, low, high and with "
        "--permutations pvalue, null",
    )
    estimate.add_argument(
        "--bootstrap",
        type=_resample_count("--bootstrap", minimum=2),
        metavar="N",
        help=f"{100 * CONFIDENCE_LEVEL:g} %% confidence intervals and "
        "bias-corrected values from N bootstrap resamples of the rows (e.g. "
        "200; PIDCVX refits on each, cross-fitted estimators resample their "
        "out-of-fold values and add 20 refits on half of the rows), seeded by "
        "--seed",
    )
    estimate.add_argument(
        "--permutations",
        type=_resample_count("--permutations"),
        metavar="N",
        help="p-values from N permutations (e.g. 199, p down to 0.005), each "
        "quantity against its own null, seeded by --seed; '-' where the "
        "estimator has no valid null for a quantity",
    )
    estimate.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="N",
        help="parallel jobs for the resamples of --bootstrap and --permutations "
        "(default: 1; -1: all cores); the numbers do not depend on it",
    )
    estimate.add_argument(
        "--verbose", action="store_true", help="progress bars while training"
    )
    estimate.add_argument("--quiet", **quiet)
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
        Exit status (0 on success, 130 on Ctrl-C). A missing or unknown
        command exits with status 2 after printing the usage.
    """
    parser = _parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        if args.handler is _run_estimate and any(
            arg.startswith("--modalit") for arg in extras
        ):  # e.g. --modality-3: more than two modalities
            print(
                f"sklearn-pid estimate: error: unrecognized arguments: "
                f"{' '.join(extras)}; {TWO_MODALITIES}",
                file=sys.stderr,
            )
            return 2
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
