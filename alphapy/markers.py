"""pluggy's markers for Alphapy's hooks (``alphapy.hookimpl``, ``alphapy.hookspec``).

Apart from :mod:`alphapy` so that importing the package does not import pluggy (and
``inspect`` with it): ``alphapy migrate`` with nothing to apply never touches a hook.
"""

from __future__ import annotations

import pluggy

from alphapy import PROJECT_NAME

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
