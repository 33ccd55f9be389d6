"""Building blocks shared by the Explorer and the Playground: the sampler's widgets
(``sampler_controls``), the figure style and plot sources (``figures``), plot-ready numbers
(``plot_data``), the readouts' tables (``readout``) and numbers (``formatting``), the
background sampling thread (``worker``), the hand-off of its frames to the main thread
(``handoff``), the app base class (``app``), the background preparation of a run
(``preparer``) and notebook helpers (``notebook``)."""
