"""Policy-scenario simulator for Pakistan's IT (ICT services) exports.

Data flows one way: curated data (``calibration/data``) -> calibration (``python -m calibration fit``)
-> fitted parameters (a JSON file) -> the pure model (:mod:`simulator.model`) -> the engine
(:mod:`simulator.engine`) -> command line, app and CSV.

From Python (a notebook): ``from simulator import Simulator`` (:mod:`simulator.api`,
``docs/notebook.md``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("pk-it-exports")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from simulator.api import Simulator

__all__ = ["Simulator", "__version__"]


def __getattr__(name: str) -> Any:
    """``Simulator`` is imported on first use, so the command line does not load pandas for it."""
    if name == "Simulator":
        from simulator.api import Simulator

        return Simulator
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
