"""The registry of record kinds: every kind of record edgesim keeps, declared once.

Persistence (the store refuses a kind not declared here), reload on start, re-arming timers,
``Change`` snapshots and rollback, the world's tables, the state endpoint and the OpenAPI
document all read this table. Adding a kind is one ``Kind(...)`` line here; the engine refuses
to start if it has no loader for a kind, or no re-armer for a kind with ``timers``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgesim.domain.models import (
    App,
    BatchJob,
    BehaviorSet,
    Cert,
    ConfigMap,
    Deployment,
    Device,
    DeviceTemplate,
    Document,
    EdgeService,
    EncryptData,
    Endpoint,
    Fault,
    Group,
    Instance,
    Node,
    PartitionSeq,
    Product,
    Rule,
    Secret,
    SystemEvent,
    Token,
    UpgradeBehavior,
)


@dataclass(frozen=True)
class Kind:
    name: str  # the store's name for it (never change one: stored files use it)
    record: type[Document]
    in_world: bool = True  # held in ``engine.world``; False: held by the part that owns it
    timers: bool = False  # a record may wait for a timer, re-armed after a restart
    order: Callable[[Any], Any] | None = None  # the order records are loaded in (None: any)


KINDS: tuple[Kind, ...] = (
    Kind("node", Node, timers=True),
    Kind("group", Group),
    Kind("deployment", Deployment, timers=True),  # a rollout's progress deadline
    # waiting queues are first come, first served: instances load in creation order
    Kind("instance", Instance, timers=True, order=lambda i: (i.created_at, i.id)),
    Kind("fault", Fault, in_world=False, timers=True),
    Kind("token", Token, in_world=False),
    Kind("config", BehaviorSet, in_world=False),
    Kind("device_template", DeviceTemplate),
    # devices load in binding order, so a node lists its devices as they were bound
    Kind("device", Device, timers=True, order=lambda d: (d.bound_seq, d.id)),
    Kind("product", Product),
    Kind("app", App),
    Kind("configmap", ConfigMap),
    Kind("secret", Secret),
    Kind("cert", Cert, timers=True),  # the expiry timer
    Kind("encryptdata", EncryptData),
    Kind("endpoint", Endpoint),
    Kind("rule", Rule),
    Kind("systemevent", SystemEvent),
    Kind("edge_service", EdgeService),
    Kind("batch_job", BatchJob, timers=True, order=lambda j: (j.created_at, j.id)),
    Kind("upgrade_behavior", UpgradeBehavior),
    # after nodes, groups and devices: their graph gives the partitions these sequences go to
    Kind("partition", PartitionSeq, in_world=False),
)

BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
_BY_RECORD: dict[type, Kind] = {k.record: k for k in KINDS}


def kind_of(record: Document) -> Kind:
    try:
        return _BY_RECORD[type(record)]
    except KeyError:
        raise TypeError(f"{type(record).__name__} is not a registered record kind (edgesim.domain.kinds)") from None
