"""Argument checks shared by the generators."""

import numbers

import numpy as np


def check_positive_int(name, value, minimum=1):
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not is_int or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")


def check_finite(name, value):
    if not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}.")


def check_noise(noise):
    if not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")


def normalise_weights(weights, allowed, what, named):
    """Validate a ``{name: weight}`` mapping, or a key of ``named``, and
    scale it to sum 1."""
    if isinstance(weights, str):
        if weights not in named:
            raise ValueError(
                f"Unknown mixture {weights!r}; choose one of {list(named)} or give "
                f"a mapping of {what} weights."
            )
        weights = named[weights]
    if not hasattr(weights, "items"):
        raise ValueError(
            f"{what} must be a name or a mapping from {sorted(allowed)} to "
            f"non-negative weights, got {weights!r}."
        )
    weights = {str(k): float(v) for k, v in weights.items()}
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        raise ValueError(f"Unknown {what} {unknown}; choose among {sorted(allowed)}.")
    values = np.array(list(weights.values()))
    if not np.all(np.isfinite(values)) or np.any(values < 0) or values.sum() <= 0:
        raise ValueError(
            f"The weights of {what} must be finite, non-negative and not all 0; "
            f"got {weights}."
        )
    return {k: v / values.sum() for k, v in weights.items()}
