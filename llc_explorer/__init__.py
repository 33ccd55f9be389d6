"""llc_explorer: the local learning coefficient of deep linear networks, estimated by SGMCMC
and compared with its exact value (Aoyagi 2024; Hitchcock & Hoogland 2025)."""

from llc_explorer.config import LLCConfig, make_config
from llc_explorer.estimator import LLCResult, estimate_llc, stream_llc
from llc_explorer.samplers import SAMPLERS, Sampler, get_sampler
from llc_explorer.truth import LearningCoefficient, dln_llc, num_params

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``Explorer`` and ``explore`` (:mod:`llc_explorer.explorer`), imported on first use so
    that the CLI and ``estimate_llc`` do not load ipywidgets, Bokeh and numpyro."""
    if name in ("Explorer", "explore"):
        from llc_explorer import explorer

        return getattr(explorer, name)
    raise AttributeError(f"module 'llc_explorer' has no attribute {name!r}")


__all__ = [
    "SAMPLERS",
    "Explorer",
    "LLCConfig",
    "LLCResult",
    "LearningCoefficient",
    "Sampler",
    "dln_llc",
    "estimate_llc",
    "explore",
    "get_sampler",
    "make_config",
    "num_params",
    "stream_llc",
]
