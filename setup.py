"""Build step: the wheel carries the shipped scenarios and docs/model.md as package data.

The repository keeps ``scenarios/`` and ``docs/`` at its top level; setuptools' package data
can only take files from inside a package folder. This copies the files that
:data:`simulator.resources.SHIPPED` lists into ``simulator/_shipped/`` of the build (never into
the source tree), where :mod:`simulator.resources` finds them once installed. Everything else
about the build is in ``pyproject.toml``.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def shipped() -> dict[str, tuple[str, ...]]:
    """``SHIPPED`` read from simulator/resources.py without importing the package."""
    tree = ast.parse((HERE / "simulator" / "resources.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "SHIPPED":
            return ast.literal_eval(node.value)
    raise RuntimeError("simulator/resources.py has no SHIPPED table")


class BuildPyWithShippedFiles(build_py):
    """``build_py``, then copy the shipped top-level files into ``simulator/_shipped/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the repository
        for folder, patterns in shipped().items():
            found = sorted({p for pattern in patterns for p in (HERE / folder).glob(pattern)})
            if not found:
                raise RuntimeError(f"nothing to ship in {folder}/ (patterns {patterns})")
            dest = Path(self.build_lib) / "simulator" / "_shipped" / folder
            dest.mkdir(parents=True, exist_ok=True)
            for src in found:
                shutil.copyfile(src, dest / src.name)


if __name__ == "__main__":  # setuptools runs this file as __main__; a test imports shipped()
    setup(cmdclass={"build_py": BuildPyWithShippedFiles})
