"""What an instance references of config maps and secrets (by name, in its own project),
what is missing of it, and what its container sees: env values and mounted volume files."""

from __future__ import annotations

import base64
from typing import Any, cast

from edgesim.domain.app_spec import AppSpec
from edgesim.domain.models import ConfigMap, Instance, Secret
from edgesim.engine.world import World

VOLUME_KINDS = {"configMap": "configmap", "secret": "secret"}


def _named(world: World, kind: str, project_id: str, name: str) -> ConfigMap | Secret | None:
    table = cast(dict[str, ConfigMap | Secret], world.tables[kind])
    return next((r for r in table.values() if r.project_id == project_id and r.name == name), None)


def _data(record: ConfigMap | Secret) -> dict[str, str]:
    """The plain values: a secret's are base64-decoded (as the container sees them)."""
    if isinstance(record, ConfigMap):
        return dict(record.configs)
    return {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in record.secrets.items()}


def env_refs(spec: AppSpec) -> list[tuple[str, str, str, str]]:
    """(env name, kind, source name, key) for every env taking its value from one."""
    refs = []
    for env in spec.envs:
        source = env.value_from
        if source is None:
            continue
        for kind, ref in (("configmap", source.configmap), ("secret", source.secret)):
            if ref is not None:
                refs.append((env.name, kind, ref.name, ref.key))
    return refs


def volume_refs(spec: AppSpec) -> list[tuple[str, str, str]]:
    """(volume name, kind, source name) for every config map or secret volume."""
    return [(v.name, VOLUME_KINDS[v.type], v.source) for v in spec.volumes if v.type in VOLUME_KINDS]


def references(spec: AppSpec, kind: str, name: str) -> bool:
    return any((k, n) == (kind, name) for _, k, n, _ in env_refs(spec)) or \
        any((k, n) == (kind, name) for _, k, n in volume_refs(spec))


def missing(world: World, inst: Instance) -> str | None:
    """Kubernetes' message for the first reference that cannot be resolved, or None."""
    for _, kind, name, key in env_refs(inst.spec):
        record = _named(world, kind, inst.project_id, name)
        if record is None:
            return f'{kind} "{name}" not found'
        if key not in _data(record):
            return f"couldn't find key {key} in {'ConfigMap' if kind == 'configmap' else 'Secret'} {name}"
    for volume, kind, name in volume_refs(inst.spec):
        if _named(world, kind, inst.project_id, name) is None:
            return f'MountVolume.SetUp failed for volume "{volume}": {kind} "{name}" not found'
    return None


def env_values(world: World, inst: Instance) -> dict[str, str]:
    """The env values a container starting now gets (plain values and references)."""
    values = {e.name: e.value for e in inst.spec.envs if e.value is not None}
    for env, kind, name, key in env_refs(inst.spec):
        record = _named(world, kind, inst.project_id, name)
        if record is not None and key in _data(record):
            values[env] = _data(record)[key]
    return values


def volume_view(world: World, project_id: str, kind: str, name: str) -> dict[str, Any] | None:
    """What a volume mounting ``name`` shows once synced: the record's version and its files."""
    record = _named(world, kind, project_id, name)
    if record is None:
        return None
    return {"kind": kind, "source": name, "version": record.version, "files": _data(record)}
