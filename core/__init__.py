"""Réseau core: what every partner of the network shares.

Plugins write ``from core import hookimpl`` and talk to the core only through the hookspecs in
:mod:`core.hookspecs` and the public services of the core packages.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "reseau"

#: Marks a plugin function as an implementation of a ``reseau_*`` hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "__version__", "hookimpl"]
