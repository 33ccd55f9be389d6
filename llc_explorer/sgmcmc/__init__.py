"""SGMCMC: the samplers, the chains that run them, and what the package reads from the chains.

From the bottom up: :mod:`~llc_explorer.sgmcmc.tree` (pytree arithmetic),
:mod:`~llc_explorer.sgmcmc.potential` (``U'`` from a loss gradient),
:mod:`~llc_explorer.sgmcmc.langevin` (the Langevin move), :mod:`~llc_explorer.sgmcmc.samplers`
(the update rules) and :mod:`~llc_explorer.sgmcmc.registry` (their specs);
:mod:`~llc_explorer.sgmcmc.chain_state`, :mod:`~llc_explorer.sgmcmc.chains` (the chunked
runner), :mod:`~llc_explorer.sgmcmc.mala` and :mod:`~llc_explorer.sgmcmc.prng` (the noise);
:mod:`~llc_explorer.sgmcmc.dual_averaging` and :mod:`~llc_explorer.sgmcmc.adaptation` (the step
size), :mod:`~llc_explorer.sgmcmc.run_config` (what every run's config has),
:mod:`~llc_explorer.sgmcmc.run_length`, :mod:`~llc_explorer.sgmcmc.traces` and
:mod:`~llc_explorer.sgmcmc.diagnostics` (what is read from the chains).
"""
