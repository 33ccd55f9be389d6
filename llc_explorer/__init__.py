"""llc_explorer: the local learning coefficient of deep linear networks, estimated by SGMCMC
and compared with its exact value (Aoyagi 2024; Hitchcock & Hoogland 2025)."""

from importlib import metadata

from llc_explorer.config import LLCConfig, make_config
from llc_explorer.dln.local_truth import local_llc, teacher_llc
from llc_explorer.dln.truth import LearningCoefficient, dln_llc, num_params
from llc_explorer.errors import ConfigError
from llc_explorer.estimator import LLCResult, calibrate_step_size, estimate_llc, stream_llc
from llc_explorer.models import estimate_model_llc, stream_model_llc
from llc_explorer.sgmcmc.adaptation import StepSizeCalibration
from llc_explorer.sgmcmc.potential import Potential
from llc_explorer.sgmcmc.registry import (
    REGISTRY,
    Hyperparameter,
    SamplerSpec,
    get_sampler,
    get_spec,
    menu_names,
    register_sampler,
    sampler_names,
    unregister_sampler,
)
from llc_explorer.sgmcmc.samplers import Sampler
from llc_explorer.surfaces.library import SURFACES, tempered_llc
from llc_explorer.surfaces.sampling import SurfaceResult, estimate_surface_llc, stream_surface

try:
    __version__ = metadata.version("llc_explorer")
except metadata.PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0+unknown"


def __getattr__(name: str) -> object:
    """``Explorer``, ``explore`` (:mod:`llc_explorer.apps.explorer`) and ``Playground``
    (:mod:`llc_explorer.apps.playground`), imported on first use so that the CLI
    and ``estimate_llc`` do not load ipywidgets and Bokeh."""
    if name in ("Explorer", "explore"):
        from llc_explorer.apps import explorer

        return getattr(explorer, name)
    if name == "Playground":
        from llc_explorer.apps.playground.app import Playground

        return Playground
    raise AttributeError(f"module 'llc_explorer' has no attribute {name!r}")


__all__ = [
    "REGISTRY",
    "SURFACES",
    "ConfigError",
    "Explorer",
    "Hyperparameter",
    "LLCConfig",
    "LLCResult",
    "LearningCoefficient",
    "Playground",
    "Potential",
    "Sampler",
    "SamplerSpec",
    "StepSizeCalibration",
    "SurfaceResult",
    "calibrate_step_size",
    "dln_llc",
    "estimate_llc",
    "estimate_model_llc",
    "estimate_surface_llc",
    "explore",
    "get_sampler",
    "get_spec",
    "local_llc",
    "make_config",
    "menu_names",
    "num_params",
    "register_sampler",
    "sampler_names",
    "stream_llc",
    "stream_model_llc",
    "stream_surface",
    "teacher_llc",
    "tempered_llc",
    "unregister_sampler",
]
