"""Synthetic generators and bundled real data with two modalities.

Every function returns ``X, y`` with both modalities side by side in one 2-D
``X``; its docstring says which ``modalities=`` value splits ``X`` back into
modality 1 and modality 2. Nothing is downloaded: the real data ship with
scikit-learn.

The families:

* logic gates of two bits (one truth table for all of them):
  :func:`make_bitwise`, the classic PID examples, and
  :func:`make_boolean_mixture`, a gate drawn per sample;
* Gaussian data: :func:`make_gaussian_mixture` (Liang et al.) and
  :func:`make_gaussian_modalities` (Yang et al.);
* :func:`make_interaction_mixture`: each sample carries one interaction type;
* :func:`make_latent_modalities`: high-dimensional modalities from shared and
  private latents;
* real data: :func:`load_digits_halves`, the top and bottom halves of
  scikit-learn's digits;
* exact references, the values an estimator should find:
  :func:`gaussian_modalities_pointwise` and :func:`boolean_mixture_table`.
"""

from ._bitwise import BOOLEAN_MIXTURES, make_bitwise, make_boolean_mixture
from ._gates import BITWISE_GATES, BOOLEAN_GATES
from ._gaussian import COORDINATES, make_gaussian_mixture, make_gaussian_modalities
from ._interaction import (
    INTERACTION_MIXTURES,
    INTERACTION_TYPES,
    make_interaction_mixture,
)
from ._latent import LATENT_INTERACTIONS, make_latent_modalities
from ._oracles import boolean_mixture_table, gaussian_modalities_pointwise
from ._real import DIGITS_HALF, load_digits_halves

__all__ = [
    "BITWISE_GATES",
    "BOOLEAN_GATES",
    "BOOLEAN_MIXTURES",
    "COORDINATES",
    "DIGITS_HALF",
    "INTERACTION_MIXTURES",
    "INTERACTION_TYPES",
    "LATENT_INTERACTIONS",
    "boolean_mixture_table",
    "gaussian_modalities_pointwise",
    "load_digits_halves",
    "make_bitwise",
    "make_boolean_mixture",
    "make_gaussian_mixture",
    "make_gaussian_modalities",
    "make_interaction_mixture",
    "make_latent_modalities",
]
