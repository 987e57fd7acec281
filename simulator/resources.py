"""Where the files the package reads at run time are, found with :mod:`importlib.resources`.

Every file the simulator reads without being told where is named here, once:

=============================  ==========================================  =====================
what                           installed from a wheel (package data)       in the repository
=============================  ==========================================  =====================
curated data                   ``calibration/data/*.csv``                  the same
fitted parameters              ``calibration/fitted_params.json``          the same
comparable-country episodes    ``simulator/analysis/reference_growth.csv``  the same
shipped scenarios              ``simulator/_shipped/scenarios/``           ``scenarios/``
the model in full              ``simulator/_shipped/docs/model.md``        ``docs/model.md``
=============================  ==========================================  =====================

The repository keeps ``scenarios/`` and ``docs/`` at its top level; the build (``setup.py``)
copies the files listed in :data:`SHIPPED` into ``simulator/_shipped/`` inside the wheel, so
there is one copy of each in the repository and nothing to keep in step. A source checkout
(an editable install, the tests) has no ``_shipped`` folder and reads them where they are.

The simulator reads ``calibration``'s package data but never imports it: the package is located
with :func:`importlib.util.find_spec`, which finds a top-level package without running it.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from importlib.util import find_spec
from pathlib import Path

SHIPPED: dict[str, tuple[str, ...]] = {
    "scenarios": ("*.yaml", "README.md"),
    "docs": ("model.md",),
}
"""Top-level folders of the repository and the files of each that the wheel carries
(``setup.py`` copies them into ``simulator/_shipped/<folder>/``)."""

SHIPPED_PACKAGE_DIR = "_shipped"


def _as_path(resource: Traversable) -> Path:
    """A resource as a file-system path (the package is installed as files, as pip does)."""
    if isinstance(resource, Path):
        return resource
    return Path(str(resource))


def package_root() -> Path:
    """The folder of the ``simulator`` package."""
    return _as_path(files("simulator"))


def source_checkout() -> Path | None:
    """The repository the package runs from, or ``None`` when it is installed from a wheel."""
    root = package_root().parent
    if (root / "pyproject.toml").is_file() and (root / "scenarios").is_dir():
        return root
    return None


def shipped_folder(name: str) -> Path:
    """A top-level folder of :data:`SHIPPED`: inside the installed package, else the repository's."""
    if name not in SHIPPED:
        raise KeyError(f"{name!r} is not shipped with the package (known: {', '.join(SHIPPED)})")
    inside = package_root() / SHIPPED_PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return package_root().parent / name


def scenario_dir() -> Path:
    """The shipped scenario files."""
    return shipped_folder("scenarios")


def model_doc() -> Path:
    """``docs/model.md``: the model in full, with equations and sources."""
    return shipped_folder("docs") / "model.md"


def calibration_dir() -> Path:
    """The ``calibration`` package's folder: its curated data and the fitted parameters."""
    spec = find_spec("calibration")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the `calibration` package (bundled data and parameters) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def data_dir() -> Path:
    """The bundled curated data (``SIMULATOR_DATA_DIR`` points elsewhere)."""
    return calibration_dir() / "data"


def params_path() -> Path:
    """The bundled fitted-parameter file (``SIMULATOR_PARAMS_PATH`` points elsewhere)."""
    return calibration_dir() / "fitted_params.json"


def reference_growth_file() -> Path:
    """The comparable-country growth episodes of the plausibility warnings."""
    return _as_path(files("simulator.analysis")) / "reference_growth.csv"
