"""Chaos Toolkit extension: drive a running edgesim from a Chaos Toolkit experiment.

    pip install 'edgesim[chaos]'

Actions (``edgesim.chaostoolkit.actions``): ``inject_fault``, ``remove_fault``,
``remove_all_faults``, ``advance``, ``create_deployment``, ``delete_deployment``. Probes
(``edgesim.chaostoolkit.probes``): ``deployment_ready_replicas``, ``availability``, ``events``,
``report``. Every activity takes the toolkit's ``configuration`` (``edgesim_url``, optional
``edgesim_project_id``) and ``secrets`` (scope ``edgesim``: ``token``, or ``ak`` and ``sk``;
``admin_token`` for the control surface). See docs/chaos.md.
"""

from __future__ import annotations

from chaoslib.discovery.discover import discover_actions, discover_probes, initialize_discovery_result
from chaoslib.types import DiscoveredActivities, Discovery

from edgesim import __version__

__all__ = ["__version__", "discover"]

EXTENSION = "edgesim"


def discover(discover_system: bool = True) -> Discovery:
    """What ``chaos discover edgesim`` lists: the activities of this extension."""
    discovery = initialize_discovery_result(EXTENSION, __version__, "edgesim")
    discovery["activities"].extend(load_exported_activities())
    return discovery


def load_exported_activities() -> DiscoveredActivities:
    return [*discover_actions("edgesim.chaostoolkit.actions"), *discover_probes("edgesim.chaostoolkit.probes")]
