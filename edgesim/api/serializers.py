"""Engine records -> the JSON shapes of the IEF API."""

from __future__ import annotations

from typing import Any, overload

from edgesim.domain.models import Deployment, Device, Group, Instance, Node
from edgesim.domain.states import InstanceState
from edgesim.engine.engine import Engine
from edgesim.engine.groups import BindingResult

V2_TIME = "%Y-%m-%dT%H:%M:%S.%f"
PAUSE_IMAGE = "swr.cn-north-4.myhuaweicloud.com/ief-ci/pause:3.9"
# Node groups need the platinum edition (EdgeGroupResp.iam_role: the account's IAM role for
# groups); every simulated account has it, since edgesim serves groups to all.
GROUP_IAM_ROLE = "ief_platinum"



@overload
def contract_time(engine: Engine, sim_seconds: float) -> str: ...
@overload
def contract_time(engine: Engine, sim_seconds: None) -> None: ...
def contract_time(engine: Engine, sim_seconds: float | None) -> str | None:
    """``2026-01-01T00:00:10.000Z``: UTC with milliseconds, the string form of v3 and of every
    newer family (ief-api-more.md 0.4)."""
    if sim_seconds is None:
        return None
    moment = engine.clock.timestamp(sim_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_seconds(engine: Engine, sim_seconds: float) -> int:
    """The integer form of the newer families' times: epoch seconds (ief-api-more.md 0.4)."""
    return int(engine.clock.timestamp(sim_seconds).timestamp())


def v2_time(engine: Engine, sim_seconds: float | None) -> str | None:
    if sim_seconds is None:
        return None
    return engine.clock.timestamp(sim_seconds).strftime(V2_TIME)


def v2_instance(engine: Engine, inst: Instance) -> dict[str, Any]:
    body = inst.container_document()  # every v2 instance carries the container it runs
    given = inst.spec.resources.given()
    body["resources"] = {side: {k: float(v) for k, v in amounts.items()} for side, amounts in given.items()}
    body.update(
        id=inst.id,
        node_id=inst.node_id or "",
        group_id=inst.group_id or "",
        group_name=_group_name(engine, inst.group_id),
        state=inst.state,
        restarts=inst.restarts,
        is_ready=inst.is_ready,
        reason=inst.reason,
        message=inst.message,
    )
    return body


def _group_name(engine: Engine, group_id: str | None) -> str:
    group = engine.world.groups.get(group_id or "")
    return group.name if group else ""


# a rollout's status as a Kubernetes Deployment's Progressing condition shows it
PROGRESSING = {
    "rolling": ("True", "ReplicaSetUpdated", "rolling to revision {revision}"),
    "complete": ("True", "NewReplicaSetAvailable", "revision {revision} has successfully progressed"),
    "stuck": ("False", "ProgressDeadlineExceeded", "revision {revision} has timed out progressing"),
}


def rollout_conditions(dep: Deployment, time: Any) -> list[dict[str, Any]]:
    """The deployment's ``conditions`` (an edgesim extension, docs/api.md): the Progressing
    condition of its last rolling update, none before the first."""
    if dep.rollout is None:
        return []
    status, reason, message = PROGRESSING[dep.rollout["status"]]
    return [{"type": "Progressing", "status": status, "reason": reason,
             "message": message.format(revision=dep.rollout["revision"]),
             "last_update_time": time(dep.rollout["progress_at"])}]


def v2_deployment(engine: Engine, dep: Deployment) -> dict[str, Any]:
    instances = engine.world.instances_of(dep)
    return {
        "id": dep.id,
        "name": dep.name,
        "description": dep.description,
        "project_id": dep.project_id,
        "created_at": v2_time(engine, dep.created_at),
        "updated_at": v2_time(engine, dep.updated_at),
        "visibility": dep.visibility,
        "node_ids": list(dep.node_ids),
        "group_id": dep.group_id or "",
        "group_name": _group_name(engine, dep.group_id),
        "replicas": dep.replicas,
        "ready_replicas": sum(1 for i in instances if i.state == InstanceState.RUNNING and i.is_ready),
        "toleration_seconds": dep.spec.toleration_seconds,
        "migration": dep.spec.migration,
        "state": dep.state,
        "conditions": rollout_conditions(dep, lambda t: v2_time(engine, t)),
        "instances": [v2_instance(engine, i) for i in instances],
    }


MASTER_ADDR = "edgesim.local:8943"  # the simulated IEF endpoint edge agents connect to


def node(engine: Engine, n: Node) -> dict[str, Any]:
    hw = n.hardware
    return {
        "id": n.id,
        "name": n.name,
        "description": n.description,
        "created_at": v2_time(engine, n.created_at),
        "updated_at": v2_time(engine, n.updated_at),
        "project_id": n.project_id,
        "state": n.state,
        "cpu": hw.get("cpu", 0),
        "memory": hw.get("memory", 0),
        "os_name": hw.get("os_name", ""),
        "os_version": hw.get("os_version", ""),
        "os_type": hw.get("os_type", "Linux"),
        "arch": hw.get("arch", ""),
        "host_name": hw.get("host_name", ""),
        "host_ips": list(hw.get("host_ips", [])),
        "nics": list(hw.get("nics", [])),
        "deployment_num": engine.world.deployment_count_on(n.id),
        "enable_gpu": hw.get("enable_gpu", False),
        "gpu_num": len(hw.get("gpu_info", [])),
        "gpu_info": list(hw.get("gpu_info", [])),
        "enable_npu": hw.get("enable_npu", False),
        "npu_type": hw.get("npu_type", ""),
        "npu_num": len(hw.get("npu_info", [])),
        "npu_info": list(hw.get("npu_info", [])),
        "docker_enable": hw.get("docker_enable", True),
        "edged_version": hw.get("edged_version", ""),
        "ief_node_version": hw.get("ief_node_version", ""),
        "container_runtime_version": hw.get("container_runtime_version", ""),
        "group_ids": engine.world.group_ids_of(n.id),
        "attributes": list(n.attributes),
        "tags": list(n.tags),
        "log_configs": list(n.log_configs),
        "ntp_configs": {"ntp_enabled": bool(n.ntp_servers), "ntp_servers": list(n.ntp_servers)},
        "device_infos": device_infos(engine.world.devices_on(n.id)),
        "device_num": len(engine.world.devices_on(n.id)),
        "node_type": "",
        "mqtt_mode": "internal",
        "mqtt_internal": _mqtt_internal(n),
        "mqtt_external": "",
        "pause_docker_image": PAUSE_IMAGE,
        # Seconds left on the node's own certificate (a year from registration, unless cut short).
        "cert_remaining_valid_time": max(0, int(engine.certs.system_not_after(n) - engine.clock.now())),
        "state_details": {"register_stat": "REGISTERED", "purchase_stat": "", "purchase_error": ""},
        "upgrade_flag": engine.upgrades.needs_upgrade(n),
        "upgrade_history": list(n.upgrade_history),
        "relation": "",
        "comment": "",
        "identifier": "",
        "product_id": n.product_id,
        "purchase_id": "",
        "error_reason": n.error_reason,
        # The cloud endpoint the node's agent connects to: no secret, so every answer has it
        # (ief-api.md 5: simulated nodes fill every EdgeNodeResp field); key material does not.
        "master_addr": MASTER_ADDR,
    }


def device_infos(devices: list[Device]) -> list[dict[str, Any]]:
    """A node's devices as the SDK's ``DeviceInfos``: one entry per (relation, comment), in
    the order the devices were bound."""
    entries: dict[tuple[str, str], list[str]] = {}
    for d in devices:
        entries.setdefault((d.relation, d.comment), []).append(d.id)
    return [{"relation": r, "comment": c, "device_ids": ids} for (r, c), ids in entries.items()]


def _mqtt_internal(n: Node) -> str:
    """The built-in broker's address: the first listener registered (a NIC stands for its IP),
    else the default TLS port on the node's first IP."""
    hw = n.hardware
    listeners = (n.mqtt_config or {}).get("mqtts") or []
    if listeners:
        first = listeners[0]
        nic_ips = {nic.get("interface"): nic.get("ip") for nic in hw.get("nics", [])}
        host = nic_ips.get(first["bind_addr"], first["bind_addr"]) if first["type"] == "nic" else first["bind_addr"]
        return f"tcp://{host}:{first['port']}"
    ip = (hw.get("host_ips") or [""])[0]
    return f"tls://{ip}:8883" if ip else ""


def registered_node(engine: Engine, n: Node) -> dict[str, Any]:
    """The register answer: the node plus the credentials its installer needs (simulated)."""
    body = node(engine, n)
    body.update(
        private_key=f"edgesim-simulated-private-key-{n.id}",
        certificate=f"edgesim-simulated-certificate-{n.id}",
        ca="edgesim-simulated-ca",
        package="",
    )
    return body


def group(engine: Engine, g: Group, binding: BindingResult | None = None) -> dict[str, Any]:
    """A node group with its nodes, deployments and resource sums (no wrapper, like the API)."""
    nodes = [engine.world.nodes[i] for i in g.node_ids if i in engine.world.nodes]
    return {
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "created_at": v2_time(engine, g.created_at),
        "updated_at": v2_time(engine, g.updated_at),
        "project_id": g.project_id,
        "cpu": sum(int(n.hardware.get("cpu", 0)) for n in nodes),
        "memory": sum(int(n.hardware.get("memory", 0)) for n in nodes),
        "gpu_num": sum(len(n.hardware.get("gpu_info", [])) for n in nodes),
        "nodes": [node(engine, n) for n in nodes],
        "deployments": [
            {
                "id": d.id,
                "name": d.name,
                "description": d.description,
                "project_id": d.project_id,
                "created_at": v2_time(engine, d.created_at),
                "updated_at": v2_time(engine, d.updated_at),
            }
            for d in sorted(engine.world.deployments_of_group(g.id), key=lambda d: d.seq)
        ],
        "tags": list(g.tags),
        "attributes": [],
        "iam_role": GROUP_IAM_ROLE,
        "success_node_add": binding.added if binding else None,
        "success_node_del": binding.removed if binding else None,
        "failed_node_add": binding.failed_add if binding else None,
        "failed_node_del": binding.failed_remove if binding else None,
    }
