"""Policy-scenario simulator for Pakistan's IT (ICT services) exports.

Data flows one way: curated data (``calibration/data``) -> calibration (``python -m calibration fit``)
-> fitted parameters (a JSON file) -> the pure model (:mod:`simulator.model`) -> the engine
(:mod:`simulator.engine`) -> command line, app and CSV.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pk-it-exports")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
