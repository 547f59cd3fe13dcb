"""Fake edge nodes with plausible hardware and software facts, drawn from the seed."""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

from edgesim.domain.models import Node
from edgesim.domain.states import NodeState
from edgesim.engine.ids import IdFactory
from edgesim.settings import FleetProfile

EDGED_VERSION = "2.52.0"
CONTAINER_RUNTIME = "docker://24.0.9"


def generate_nodes(
    *,
    project_id: str,
    count: int,
    name_prefix: str,
    profile: FleetProfile,
    ids: IdFactory,
    seed: int,
    now: float,
    first_index: int = 1,
) -> list[Node]:
    """``count`` RUNNING nodes named ``{name_prefix}-{index:03d}``; same seed, same nodes."""
    fake = Faker()
    fake.seed_instance(seed)
    rng = random.Random(f"{seed}:fleet")
    return [
        Node(
            id=ids.next(),
            project_id=project_id,
            name=f"{name_prefix}-{index:03d}",
            state=NodeState.RUNNING,
            created_at=now,
            hardware=_hardware(fake, rng, profile),
        )
        for index in range(first_index, first_index + count)
    ]


def _hardware(fake: Faker, rng: random.Random, profile: FleetProfile) -> dict[str, Any]:
    os_full = rng.choice(profile.os)
    os_name, _, os_version = os_full.partition(" ")
    ip = fake.ipv4_private()
    return {
        "cpu": rng.randint(*profile.cpu),
        "memory": rng.randint(*profile.memory_mb),
        "arch": rng.choice(profile.arch),
        "os_name": os_name,
        "os_version": os_version,
        "os_type": "Linux",
        "host_name": fake.hostname(0),
        "host_ips": [ip],
        "nics": [{"interface": "eth0", "ip": ip}],
        "edged_version": EDGED_VERSION,
        "ief_node_version": EDGED_VERSION,
        "container_runtime_version": CONTAINER_RUNTIME,
        "enable_gpu": False,
        "gpu_num": 0,
        "gpu_info": [],
        "enable_npu": False,
        "npu_num": 0,
        "npu_info": [],
        "npu_type": "",
        "docker_enable": True,
    }
