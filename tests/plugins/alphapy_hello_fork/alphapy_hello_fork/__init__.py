"""A test plugin claiming the name ``hello``, which alphapy-hello registers too."""
