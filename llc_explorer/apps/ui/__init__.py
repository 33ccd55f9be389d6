"""Building blocks shared by the Explorer and the Playground: the sampler's widgets
(``sampler_controls``), the background sampling thread (``worker``), the hand-off of its
frames to the main thread (``handoff``), the app base class (``app``) and notebook helpers
(``notebook``)."""
