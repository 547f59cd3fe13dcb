"""Plain data for the things edgesim simulates. No I/O, no HTTP, no SQL.

Times are simulated seconds (see ``engine.clock``); the API layer turns them into timestamps.
Each record converts to and from a JSON-ready dict so the store can keep it as one document.
"""

from __future__ import annotations

from dataclasses import Field, dataclass, field, fields
from typing import Any, ClassVar, Self

import orjson

from edgesim.domain import app_spec
from edgesim.domain.app_spec import AppSpec
from edgesim.domain.states import InstanceState, NodeState


class Document:
    """A record the store keeps as one JSON document."""

    __slots__ = ()
    # Declared for the type checker only (no value, so no attribute): every record is a
    # dataclass with an ``id``.
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    id: str

    def to_dict(self) -> dict[str, Any]:
        # orjson walks a dataclass in C: an order of magnitude cheaper than dataclasses.asdict,
        # and the result is exactly what the store would read back.
        return orjson.loads(orjson.dumps(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class HoldsAppSpec:
    """A record that carries an app spec (a deployment, an instance).

    ``app`` is what the store keeps (the document, byte for byte as it always was); code reads
    and changes the spec through ``spec``, the typed model (``domain.app_spec``), never by key.
    The model is read once from the document (shared among equal documents: ``app_spec.read``)
    and cached in the ``_spec`` slot: a slot, not a dataclass field, so the store, the API and
    the OpenAPI schemas never see it. Only ``spec``'s setter changes the document, so the cache
    cannot go stale (tests/test_app_spec_access.py refuses code that changes it by key).
    """

    # ``app`` is each dataclass's field, kept in this slot (a dataclass does not slot a name a
    # base already slots); ``_spec`` is not a field at all
    __slots__ = ("app", "_spec")
    app: dict[str, Any]
    _spec: AppSpec

    @property
    def spec(self) -> AppSpec:
        try:
            return self._spec
        except AttributeError:  # not read since the record was made or loaded
            spec = self._spec = app_spec.read(self.app)
            return spec

    @spec.setter
    def spec(self, spec: AppSpec) -> None:
        self.app, self._spec = spec.to_dict(), spec

    def container_document(self) -> dict[str, Any]:
        """The spec's container fields as stored (``app_spec.container_document``)."""
        return app_spec.container_document(self.app)

    def share_spec(self, other: HoldsAppSpec) -> None:
        """Run ``other``'s spec: the same document and model, not copies (the instances of a
        fleet-sized deployment cost no spec of their own)."""
        self.app, self._spec = other.app, other.spec


@dataclass(slots=True)
class Node(Document):
    """An edge node. ``hardware`` holds the generated, read-only facts (cpu, os, IPs...).

    ``connect_due`` is when its simulated agent connects (a registered or restarted node), so a
    restarted server can re-arm that timer. Heartbeats are derived, never stored: a node
    reports every heartbeat period unless ``silent_since`` is set. Group membership lives on
    the groups.
    """

    id: str
    project_id: str
    name: str
    state: str = NodeState.RUNNING
    description: str = ""
    created_at: float = 0.0
    updated_at: float | None = None
    hardware: dict[str, Any] = field(default_factory=dict)
    attributes: list[dict[str, str]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    log_configs: list[dict[str, Any]] = field(default_factory=list)
    ntp_servers: list[str] = field(default_factory=list)
    error_reason: str = ""
    connect_due: float | None = None
    silent_since: float | None = None  # its agent stopped reporting (partition, stop, fault)
    lost_at: float | None = None  # when its instances were declared lost (the node marked FAIL)
    crashed: bool = False  # a fault took its agent and containers down; they restart on return
    evicted_at: float | None = None  # the node controller last tainted it NoExecute (engine.evictions)
    crashed_at: float | None = None  # when it crashed (a partitioned node may crash later)
    # instances force-deleted while it could not be told: its agent removes their containers
    # when it reports again (engine.autonomy)
    cleanup_on_return: list[dict[str, str]] = field(default_factory=list)  # instance_id, deployment_id
    product_id: str = ""  # the product whose credential registered it (``engine.products``)
    mqtt_config: dict[str, Any] | None = None  # its broker's listeners, as registered
    upgrade: dict[str, Any] | None = None  # the upgrade under way (``engine.upgrades``)
    upgrade_history: list[dict[str, Any]] = field(default_factory=list)  # SDK ``UpgradeHistory``
    birth: int = 0  # its place in creation order, which keys its partition (docs/scale-out.md 1.1)
    # the kubelet's memory pressure (engine.usage): its last eviction (the next look waits a
    # monitoring period), and the MemoryPressure condition (its NoSchedule taint): since when,
    # and when last observed (it clears a transition period after that)
    pressure_evicted_at: float | None = None
    pressure_since: float | None = None
    pressure_seen_at: float | None = None


@dataclass(slots=True)
class Group(Document):
    """A node group; ``node_ids`` in the order the nodes were added."""

    id: str
    project_id: str
    name: str
    description: str = ""
    node_ids: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float | None = None
    birth: int = 0  # its place in creation order, which keys its partition (docs/scale-out.md 1.1)


@dataclass(slots=True)
class ConfigMap(Document):
    """A config map: string keys to string values, referenced by name from deployments."""

    id: str
    project_id: str
    name: str
    description: str = ""
    configs: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0
    version: int = 1  # +1 on every update: what a mounted volume shows it has synced


@dataclass(slots=True)
class Secret(Document):
    """A secret: like a config map, but every value is base64 (as the caller gave it)."""

    id: str
    project_id: str
    name: str
    description: str = ""
    secrets: dict[str, str] = field(default_factory=dict)
    type: str = "Opaque"
    created_at: float = 0.0
    updated_at: float = 0.0
    version: int = 1


@dataclass(slots=True)
class Deployment(Document, HoldsAppSpec):
    """An application deployment. ``app`` is the validated, defaulted container spec; both API
    versions read and change it, so a deployment looks the same through v2 and v3.

    ``replicas`` is how many instances a group deployment keeps (a node_ids deployment has
    one per node). The v3 API's extras the engine does not simulate are kept as given and
    echoed back: ``source``, ``annotations``, ``init_containers``, ``affinity``.
    ``api_version`` is the API that created it.
    """

    id: str
    project_id: str
    name: str
    app: dict[str, Any]
    seq: int  # creation order, for stable sorting of equal timestamps
    description: str = ""
    node_ids: list[str] = field(default_factory=list)
    group_id: str | None = None
    visibility: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float | None = None
    state: str | None = None  # DeploymentState while deleting, else None
    instance_ids: list[str] = field(default_factory=list)
    replicas: int = 1
    api_version: str = "v2"
    source: str | None = None
    annotations: dict[str, Any] | None = None
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    affinity: dict[str, Any] | None = None
    # the pod template's revision (each rolling change adds one) and the rolling update under
    # way or last done (engine.rollouts): revision, started_at, progress_at, available, status
    revision: int = 0
    rollout: dict[str, Any] | None = None


@dataclass(slots=True)
class Instance(Document, HoldsAppSpec):
    """One running copy of a deployment's container on a node.

    ``phase`` names what the instance waits for: ``wait`` (room on a node: it holds no
    resources yet), ``done`` (finished for good: it holds nothing either), or a timer
    (``pull``, ``start``, ``run``, ``backoff``, ``terminate``...) due at ``due``, so a restarted
    server can re-arm it. Both are None when nothing is pending. ``node_id`` is None while a
    group instance waits for a node.

    Container facts: ``started_at`` (simulated time the current container started),
    ``attempt`` (how many containers were started), ``next_backoff`` (seconds to wait before the
    next restart, 0 = at once), ``exit`` (how the running container is planned to end: code, reason,
    message), ``readiness`` (the next planned readiness change: due, value, probe index),
    ``pull_failures`` (failed pulls so far). Node loss: ``lost`` (what it was before its node
    was lost; the cloud catches up on its edge timers when the node returns), ``migrate_due``,
    ``replaced_by``.
    """

    id: str
    deployment_id: str
    project_id: str
    node_id: str | None
    app: dict[str, Any]
    state: str = InstanceState.PENDING_CREATE
    reason: str | None = None
    message: str | None = None
    restarts: int = 0
    is_ready: bool | None = None
    group_id: str | None = None
    created_at: float = 0.0
    phase: str | None = None
    due: float | None = None
    started_at: float | None = None
    attempt: int = 0
    next_backoff: float = 0.0  # the first restart is immediate (kubelet)
    exit: dict[str, Any] | None = None
    readiness: dict[str, Any] | None = None
    pull_failures: int = 0
    lost: dict[str, Any] | None = None  # state, reason, message before its node was lost
    migrate_due: float | None = None  # when it is recreated elsewhere if its node stays lost
    replaced_by: str | None = None  # the instance recreated in its place (it is a stale copy)
    revision: int = 0  # the deployment's template revision it was created from
    # the running container's resource use as its profile gave it at start (engine.usage):
    # cpu cores and memory MB at start and their growth a minute; None while none runs
    usage: dict[str, float] | None = None
    # what the container sees of its config maps and secrets: env values (fixed at start),
    # volumes {name: {kind, source, version, files}} (synced after updates)
    config: dict[str, Any] = field(default_factory=dict)
    # what reached a silent node's edge but not the cloud (engine.autonomy): chaos faults that
    # hit it there {at, fault_id, kind, code, reason} (replayed on reconnect), and a restart the
    # API accepted meanwhile (when; the node's kubelet acts on it when it reports again)
    edge_faults: list[dict[str, Any]] = field(default_factory=list)
    restart_requested: float | None = None

    @property
    def step(self) -> str:
        """Its state and phase as one name (``RUNNING:run``): the lifecycle machine's state
        (``engine.lifecycle``); the record keeps the two apart, as it always has."""
        return f"{self.state}:{self.phase}"

    @step.setter
    def step(self, name: str) -> None:
        self.state, _, self.phase = name.partition(":")


@dataclass(slots=True)
class Fault(Document):
    """A chaos fault (``spec`` is the request as given) and where it stands.

    ``state``: scheduled -> active -> ended, or deleted. ``nodes`` are the nodes a node fault
    hit (drawn at activation); ``firings`` counts instant faults' repeats; ``flap_down`` is
    whether a flapping node is down now; ``next_due`` is its next step's simulated time.
    """

    id: str
    spec: dict[str, Any]
    start: float
    end: float | None = None
    state: str = "scheduled"
    created_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    nodes: list[str] = field(default_factory=list)
    firings: int = 0
    flap_down: bool = False
    next_due: float | None = None
    devices: list[str] = field(default_factory=list)  # the devices a device fault hit


@dataclass(slots=True)
class Token(Document):
    """An IAM token issued by ``POST /v3/auth/tokens``. ``id`` is the SHA-256 of the token
    itself, so the store never holds a usable token. Times are simulated seconds."""

    id: str
    project_id: str
    domain: str
    user: str
    issued_at: float
    expires_at: float


@dataclass(slots=True)
class BehaviorSet(Document):
    """Behaviour profiles: those of ``PUT /edgesim/behaviors`` (id ``behaviors``) and of
    ``PUT /edgesim/device-behaviors`` (id ``device-behaviors``)."""

    id: str
    profiles: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class DeviceTemplate(Document):
    """A device template: the attributes, twin properties and protocol devices are made from.

    Maps are stored as the API returns them (``attributes``: name -> {value, optional,
    metadata}; ``twin``: name -> {expected?, optional, metadata}); ``tags`` is the single
    ``{key, value}`` object the SDK gives templates, or None."""

    id: str
    project_id: str
    name: str
    access_protocol: str = "userdefine"
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    twin: dict[str, Any] = field(default_factory=dict)
    property_visitors: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] | None = None
    created_at: float = 0.0
    updated_at: float | None = None


@dataclass(slots=True)
class Device(Document):
    """An end device. ``node_id`` is the node it is bound to (at most one), with the binding's
    ``relation`` and ``comment`` and ``bound_at`` (simulated seconds, for the node's order).
    Its online state is not stored: it follows its node (``engine.devices``)."""

    id: str
    project_id: str
    name: str
    access_protocol: str = "userdefine"
    connection_type: str = "edge"
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    twin: dict[str, Any] = field(default_factory=dict)
    access_config: dict[str, Any] = field(default_factory=dict)
    property_visitors: dict[str, Any] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)
    node_id: str | None = None
    relation: str = ""
    comment: str = ""
    bound_seq: int = 0  # binding order on its node (the pseq of its device.bound event)
    created_at: float = 0.0
    updated_at: float | None = None
    # the simulated device (engine.twins): the template it was made from (its name, for
    # behaviour profiles), desired changes waiting to be applied (property -> simulated time),
    # and when it reports next / last reported (simulated seconds)
    template: str = ""
    pending: dict[str, float] = field(default_factory=dict)
    next_report: float | None = None
    reported_at: float | None = None
    birth: int = 0  # its place in creation order, which keys its partition (docs/scale-out.md 1.1)


@dataclass(slots=True)
class Product(Document):
    """A product: a batch node registration credential (``identifier`` and a certificate);
    nodes registered with it carry its id."""

    id: str
    project_id: str
    name: str
    identifier: str
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)
    created_at: float = 0.0


@dataclass(slots=True)
class App(Document):
    """An app template; its versions live inside it (at most a handful per template), newest
    last, each a dict holding ``id``, ``version``, ``created_at``, ``updated_at`` and its spec."""

    id: str
    project_id: str
    name: str
    alias: str = ""
    description: str = ""
    icon_url: str = ""
    visibility: str = "private"
    tags: list[dict[str, str]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float | None = None


@dataclass(slots=True)
class Cert(Document):
    """A certificate issued to a node (``scope`` "node") or a node group ("group"). It expires
    at ``not_after`` (simulated seconds); ``expired`` turns true at that moment, by a timer."""

    id: str
    project_id: str
    scope: str  # "node" or "group"
    owner_id: str  # the node's or the group's id
    name: str
    type: str  # "application", "device" (node and group) or "system" (group, or a node's own)
    description: str = ""
    serial_num: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    not_after: float = 0.0
    expired: bool = False


@dataclass(slots=True)
class EncryptData(Document):
    """An encrypted data record: named items whose values are stored as ciphertext, and the
    nodes it is distributed to, each with its delivery state ("pending" or "delivered")."""

    id: str
    project_id: str
    name: str
    description: str = ""
    config: list[dict[str, Any]] = field(default_factory=list)
    nodes: dict[str, str] = field(default_factory=dict)  # node id -> delivery state, in binding order
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(slots=True)
class Endpoint(Document):
    """A message routing endpoint of a tenant (dis, servicebus, apigw); the two shared ones
    (SystemEventBus, SystemREST) are built in, never stored."""

    id: str
    project_id: str
    name: str
    type: str
    properties: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    ief_instance_id: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(slots=True)
class Rule(Document):
    """A message route from a source endpoint's resource to a target's. Messages are counted,
    never stored: the rule sends ``rate`` messages a second from ``origin`` on, and ``timeline``
    holds ``[since, cause]`` for every change of its state ("" = delivering, else why messages
    fail); counts and errors are derived from it when read (engine/rule_counts.py)."""

    id: str
    project_id: str
    name: str
    source: str
    source_resource: dict[str, str]
    target: str
    target_resource: dict[str, str]
    description: str = ""
    in_using: bool = True
    ief_instance_id: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    rate: float = 1.0
    origin: float = 0.0
    timeline: list[list[Any]] = field(default_factory=list)
    folded_delivered: int = 0  # counts of timeline segments dropped to keep it bounded
    folded_failed: int = 0


@dataclass(slots=True)
class SystemEvent(Document):
    """A system event subscription: engine events of the kinds in ``events`` (comma-separated
    ``resource/op``) are forwarded to an apigw endpoint while ``in_using``."""

    id: str
    project_id: str
    name: str
    events: str
    target: str
    target_resource: dict[str, str] = field(default_factory=dict)
    description: str = ""
    in_using: bool = True
    created_at: float = 0.0
    updated_at: float = 0.0
    success_messages: int = 0
    fail_messages: int = 0


@dataclass(slots=True)
class EdgeService(Document):
    """An edge service (platinum): a name and labels, and a spec selecting instances by label;
    it belongs to the platinum instance named by the request's ``ief-instance-id``."""

    id: str
    project_id: str
    ief_instance_id: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(slots=True)
class BatchJob(Document):
    """A batch job (ief-api-more.md 8.1): one task per target, run ``concurrency`` at a time.

    ``tasks`` are the SDK's ``Task`` objects as answered; ``deadline`` is when a running job
    times out (None: never, or not running)."""

    id: str
    project_id: str
    name: str
    job_type: str
    target_type: str
    description: str = ""
    tags: list[dict[str, str]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    task_data: str = ""
    tasks: list[dict[str, Any]] = field(default_factory=list)
    status: str = "running"
    created_at: float = 0.0
    status_updated_at: float = 0.0
    concurrency: int = 10
    deadline: float | None = None
    # deployment_deploy / deployment_upgrade: the task_data as the engine's app spec
    # ({app, replicas, extras}), and when each running task fails unless done (task id -> time)
    spec: dict[str, Any] = field(default_factory=dict)
    task_due: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class UpgradeBehavior(Document):
    """The upgrade profile set by PUT /edgesim/upgrade-behavior (one record, id ``upgrade``)."""

    id: str
    profile: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class PartitionSeq(Document):
    """A partition's local sequence (docs/scale-out.md 1.3): ``id`` is its key (a birth, as a
    string), ``seq`` the last number its events were given. The partitions themselves are
    rebuilt from the graph on start; only their sequences need storing."""

    id: str
    seq: int = 0
