"""Show one step: chain 0's last recorded move split into its drift and its noise, as arrows
from ``w_t`` (like the proposals drawn in chi-feng's mcmc-demo), on each panel shown. Pure
functions of a :class:`SurfaceResult`: nothing here touches a widget or a Bokeh object.

The move ``w_{t+1} - w_t`` is read off the recorded path (``path[:, t]`` is ``w_t``). The
*drift* is its deterministic part given what the chain knows at step ``t``, the *noise* the
rest, ``w_{t+1} - w_t - drift``, so drift + noise is the recorded move exactly. With
``U'(w) = n*beta grad K(w) + gamma w`` (spec section 4; ``w* = 0``):

- SGLD: ``drift = -(eps/2) U'(w_t)``.
- SGHMC: the momentum is ``p_t = w_t - w_{t-1}`` (``p_0 = 0``), also read off the path, so
  ``drift = (1 - alpha) p_t - (eps/2) U'(w_t)``.
- SGNHT: the same with ``(1 - xi_t) p_t``, the thermostat rebuilt from the path:
  ``xi_t = A + sum_{s=1..t} (|p_s|^2 / 2 - eps/2)``.
- RMSPropSGLD and AdamSGLD: the drift is preconditioned by ``P_t``, a running average of every
  past minibatch gradient (AdamSGLD's drift uses their running mean ``mhat_t`` too), which
  the run does not keep, so only the whole move is drawn, with a note that says why.

One step is far shorter than the plotted square, so the arrows are magnified, all by one
factor (the longest is drawn ``ARROW_SHARE`` of the square's half-width long); their true
components are in the data too (``dx``, ``dy``).

With minibatch noise (``sigma > 0``) the gradient is ``chi grad K`` for a random ``chi`` the run
does not record: the drift drawn is its mean (``chi = 1``) and the minibatch noise is counted in
the noise arrow, as the note says.
"""

from __future__ import annotations

import math

import numpy as np

from llc_explorer.surfaces.library import get_surface
from llc_explorer.surfaces.sampling import SurfaceConfig, SurfaceResult

STEP_COLUMNS = ("x0", "y0", "x1", "y1", "dx", "dy", "kind", "color")
"""The columns of the arrows' data: where each is drawn (magnified), its true components and
which part of the move it is (``drift``, ``noise`` or ``move``)."""

COLORS = {"move": "black", "noise": "#ff00ff", "drift": "#e41a1c"}
"""The colour of each arrow, in the order they are drawn (the move underneath): none is a
panel's colour (blue, orange) or in the contour's palette."""

SPLIT = ("sgld", "sghmc", "sgnht")
"""Samplers whose move :func:`drift` splits (SGHMC and SGNHT carry the momentum
``p_t = w_t - w_{t-1}``); the others' moves are drawn whole."""

ARROW_SHARE = 0.4
"""The longest arrow is drawn this share of the plotted square's half-width long."""


def potential_gradient_at(config: SurfaceConfig, w: np.ndarray) -> np.ndarray:
    """``U'(w) = n*beta grad K(w) + gamma w`` (float64, exact gradient) at ``w`` of shape
    ``(2,)``, by central differences of the loss, exact for the library's polynomials up to
    rounding."""
    loss = get_surface(config.surface).loss
    h = 1e-6 * max(1.0, float(np.abs(w).max()))
    grad = np.array(
        [
            (loss(w[0] + h, w[1]) - loss(w[0] - h, w[1])) / (2 * h),
            (loss(w[0], w[1] + h) - loss(w[0], w[1] - h)) / (2 * h),
        ]
    )
    return config.nbeta * grad + config.gamma * w


def thermostat(config: SurfaceConfig, path: np.ndarray) -> float:
    """SGNHT's ``xi_t`` at the last position of ``path`` (one chain's ``w_0 .. w_t``)."""
    momenta = np.diff(path.astype(np.float64), axis=0)
    kinetic = float(np.sum(momenta**2)) / 2  # sum over s of |p_s|^2 / d, d = 2
    diffusion = float(config.hyperparameters()["diffusion"])
    return diffusion + kinetic - len(momenta) * config.step_size / 2


def drift(config: SurfaceConfig, path: np.ndarray) -> np.ndarray | None:
    """The deterministic part of the move from the last position of ``path`` (one chain's
    ``w_0 .. w_t``), in float64, or ``None`` where it cannot be computed from the path
    (samplers not in ``SPLIT``: the preconditioned ones)."""
    if config.sampler not in SPLIT:
        return None
    recent = path[-2:].astype(np.float64)
    gradient = -(config.step_size / 2) * potential_gradient_at(config, recent[-1])
    if config.sampler == "sgld":
        return gradient
    momentum = recent[-1] - recent[0]  # p_0 = 0: at t = 0, recent is w_0 alone
    if config.sampler == "sghmc":
        kept = 1 - float(config.hyperparameters()["friction"])
    else:
        kept = 1 - thermostat(config, path)
    return kept * momentum + gradient


def step_note(config: SurfaceConfig) -> tuple[str, str]:
    """The two lines under the surface that say what the arrows are."""
    first = "chain 0's last step, magnified: the move (black)"
    if config.sampler not in SPLIT:
        return first, f"{config.sampler}'s drift needs every past gradient: not kept"
    if config.noise > 0:
        return f"{first} =", "mean drift (red) + noise, minibatch's too (magenta)"
    return f"{first} =", "drift (red) + noise (magenta)"


def one_step(result: SurfaceResult, half_width: float) -> dict[str, list]:
    """Chain 0's last recorded move from ``w_t`` to ``w_{t+1}`` as arrows from ``w_t``: the
    drift, the noise and the whole move (only the move where the drift is unknown,
    :func:`drift`), all magnified by one factor so that the longest is ``ARROW_SHARE`` of the
    plotted square's ``half_width`` (one step is far too short to see). No rows before two
    positions are recorded or once chain 0 has diverged."""
    empty: dict[str, list] = {name: [] for name in STEP_COLUMNS}
    if result.steps_done < 2 or 0 in dict(result.diverged_chains):
        return empty
    path = result.path[0]
    w, after = path[-2:].astype(np.float64)
    move = after - w
    part = drift(result.config, path[:-1])
    arrows = {"move": move} if part is None else {"move": move, "noise": move - part, "drift": part}
    longest = max(float(np.hypot(*v)) for v in arrows.values())
    if not (math.isfinite(longest) and longest > 0):
        return empty
    scale = ARROW_SHARE * half_width / longest
    rows = [(*w, *(w + scale * v), *v, kind, COLORS[kind]) for kind, v in arrows.items()]
    return {
        name: list(values)
        for name, values in zip(STEP_COLUMNS, zip(*rows, strict=True), strict=True)
    }
