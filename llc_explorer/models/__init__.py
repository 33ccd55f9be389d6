"""The LLC of a model of one's own: any JAX loss over any pytree of parameters, estimated with
the same samplers, automatic step size, run length, interval and warnings as the DLNs
(:func:`estimate_model_llc`, :func:`stream_model_llc`); Equinox and Flax NNX networks through
:func:`from_equinox` and :func:`from_nnx`."""

from llc_explorer.models.estimate import estimate_model_llc, make_model_config, stream_model_llc
from llc_explorer.models.recipes import from_equinox, from_nnx

__all__ = [
    "estimate_model_llc",
    "from_equinox",
    "from_nnx",
    "make_model_config",
    "stream_model_llc",
]
