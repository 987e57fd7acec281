"""Scenario files out: a scenario as YAML text that :mod:`simulator.scenario_files` reads back.

The app's scenario download and anything else that writes a scenario file use :func:`dump_scenario`.
"""

from __future__ import annotations

import yaml

from simulator.scenario import Scenario
from simulator.strict_yaml import plain_exponent


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line text as a ``|`` literal block so descriptions stay readable."""


_YAML_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
"""Characters YAML reads as line breaks: written plainly or in a block they come back as "\\n"."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # double quotes escape YAML's line-break characters, so the text reads back exactly; text
    # the loader would read as a number ("0E0", "1e3") is quoted
    breaks = any(c in data for c in _YAML_BREAKS)
    style: str | None
    if breaks:
        style = '"'
    elif plain_exponent(data):
        style = "'"
    else:
        style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML text that :func:`~simulator.scenario_files.load_scenario_text` reads
    back to an equal scenario.

    A resolved scenario (``base`` is ``None``) is written without ``base:`` and so reads back
    with ``base: baseline``, which resolves to the same thing.
    """
    return yaml.dump(scenario.to_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
