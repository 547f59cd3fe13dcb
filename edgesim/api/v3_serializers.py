"""Engine records -> the JSON shapes of the v3 API (the SDK's ``DeploymentResp``, ``PodResp``,
``ContainerResp``).

A v3 deployment is read from the same app spec as a v2 one (``v3_models.app_spec`` is the way
in, ``container`` the way out), so an update through either version shows in both. Pods are the
engine's instances; a pod's name is ``{deployment name}-{5 characters}``, the characters drawn
from the instance id (Kubernetes' suffix alphabet), so a pod keeps its name for life and a
recreated pod gets a new one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from edgesim.api.fields import given_amounts
from edgesim.api.serializers import contract_time, rollout_conditions
from edgesim.domain.app_spec import AppSpec, Probe
from edgesim.domain.models import Deployment, Instance
from edgesim.domain.states import InstanceState
from edgesim.engine.engine import Engine

SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' pod-name suffix characters
DEFAULT_SOURCE = "userdefined"



def pod_name(deployment_name: str, instance_id: str) -> str:
    digest = hashlib.sha256(instance_id.encode()).digest()
    return deployment_name + "-" + "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:5])


# --- the pod spec ---------------------------------------------------------------------------------


def _amount(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _v3_amounts(resources: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """v3 amounts are strings ("0.25"), limits first; only the amounts that were given."""
    given = given_amounts(resources)
    return {side: {k: _amount(v) for k, v in given[side].items()} for side in ("limits", "requests")}


def _probe(probe: Probe | None) -> dict[str, Any] | None:
    if probe is None:
        return None
    return {
        "exec": {"command": probe.exec_command} if probe.exec_command else None,
        "http_get": probe.http_get.to_dict() if probe.http_get else None,
        "initial_delay_seconds": probe.initial_delay_seconds,
        "timeout_seconds": probe.timeout_seconds,
    }


def container(spec: AppSpec) -> dict[str, Any]:
    """The v3 container of an app spec (ContainerDef)."""
    return {
        "name": spec.name,
        "image_url": spec.image_url,
        "version": spec.version,
        "command": list(spec.command),
        "args": list(spec.args),
        "envs": [{k: v for k, v in env.to_dict().items() if v is not None} for env in spec.envs],
        "ports": [p.to_dict() for p in spec.configs.ports or ()],
        "privileged": spec.configs.privileged,
        "run_as_user": spec.configs.run_as_user,
        "readiness_probe": _probe(spec.readiness_probe),
        "liveness_probe": _probe(spec.liveness_probe),
        "volumes": [v.to_dict() for v in spec.volumes],
        "resources": _v3_amounts(spec.resources.to_dict()),
        "npu_type": spec.npu_type or "",
    }


def init_container(stored: dict[str, Any]) -> dict[str, Any]:
    """An init container as given, its amounts strings like the main container's."""
    return {**stored, "resources": _v3_amounts(stored.get("resources"))}


def pod_configs(spec: AppSpec) -> dict[str, Any]:
    """The v3 pod configs of an app spec (PodConfigs)."""
    configs = spec.configs
    return {
        "host_network": configs.host_network,
        "host_pid": configs.host_pid,
        "migration": spec.migration,
        "restart_policy": configs.restart_policy,
        "toleration_seconds": spec.toleration_seconds,
        "dns_policy": configs.dns_policy,
    }


# --- deployments ----------------------------------------------------------------------------------


def ready_replicas(engine: Engine, dep: Deployment) -> int:
    return sum(1 for i in engine.world.instances_of(dep) if i.state == InstanceState.RUNNING and i.is_ready)


def deployment(engine: Engine, dep: Deployment) -> dict[str, Any]:
    return {
        "id": dep.id,
        "name": dep.name,
        "replicas": dep.replicas,
        "ready_replicas": ready_replicas(engine, dep),
        "description": dep.description,
        "group_id": dep.group_id or "",
        "node_ids": list(dep.node_ids),
        "tags": list(dep.tags),
        "api_version": dep.api_version,
        "source": dep.source or DEFAULT_SOURCE,
        "project_id": dep.project_id,
        "created_at": contract_time(engine, dep.created_at),
        "updated_at": contract_time(engine, dep.updated_at),
        "template": {
            "configs": pod_configs(dep.spec),
            "containers": [container(dep.spec)],
            "init_containers": [init_container(c) for c in dep.init_containers],
            "affinity": dep.affinity,
        },
        "state": dep.state,
        "source_id": "",
        "annotations": dict(dep.annotations or {}),
        # an edgesim extension, shown from a group deployment's first rolling update on
        **({"conditions": rollout_conditions(dep, lambda t: contract_time(engine, t))} if dep.rollout else {}),
    }


# --- pods -----------------------------------------------------------------------------------------


def _container_id(inst: Instance) -> str:
    """Each start of the container gets a new id, as a container runtime gives."""
    if inst.attempt == 0:
        return ""
    return hashlib.sha256(f"container:{inst.id}:{inst.attempt}".encode()).hexdigest()


def pod(engine: Engine, inst: Instance, dep: Deployment) -> dict[str, Any]:
    state = InstanceState(inst.state).v3()
    main = container(inst.spec)
    main.update(
        state=state,
        restarts=inst.restarts,
        is_ready="true" if inst.is_ready else "false",
        reason=inst.reason,
        message=inst.message,
        container_id=_container_id(inst),
    )
    # init containers run to completion before the main container starts (not simulated further)
    init_done = inst.attempt > 0
    init = [
        {**init_container(c), "state": InstanceState.SUCCEEDED.value if init_done else "PENDING", "restarts": 0,
         "is_ready": "false", "reason": "Completed" if init_done else None, "message": None, "container_id": ""}
        for c in dep.init_containers
    ]
    return {
        "id": inst.id,
        "name": pod_name(dep.name, inst.id),
        "configs": pod_configs(inst.spec),
        "containers": [main],
        "init_containers": init,
        "node_id": inst.node_id or "",
        "deployment_id": dep.id,
        "project_id": inst.project_id,
        "reason": inst.reason,
        "message": inst.message,
        "created_at": contract_time(engine, inst.created_at),
        "state": state,
    }
