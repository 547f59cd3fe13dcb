"""Fake edge-node hardware: plausible, seeded facts (cpu, memory, OS, IPs, GPU and NPU).

Each node's facts are drawn from the seed and the node's id, so the same seed gives the same
fleet whatever else happened before, and a node registered later gets facts of its own.
"""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

from edgesim.settings import FleetProfile

EDGED_VERSION = "2.52.0"
CONTAINER_RUNTIME = "docker://24.0.9"
GPU_MODELS = [("NVIDIA Tesla T4", 16384), ("NVIDIA A10", 24576), ("NVIDIA Jetson Orin", 8192)]
NPU_MODELS = {"D310": "Ascend 310", "D310B": "Ascend 310B"}

_faker = Faker()


def generate_hardware(
    seed: int,
    node_id: str,
    profile: FleetProfile,
    *,
    enable_gpu: bool = False,
    enable_npu: bool = False,
    npu_type: str = "",
) -> dict[str, Any]:
    rng = random.Random(f"{seed}:{node_id}:hardware")
    _faker.seed_instance(f"{seed}:{node_id}")
    os_name, _, os_version = rng.choice(profile.os).partition(" ")
    ip = _faker.ipv4_private()
    hardware: dict[str, Any] = {
        "cpu": rng.randint(*profile.cpu),
        "memory": rng.randint(*profile.memory_mb),
        "arch": rng.choice(profile.arch),
        "os_name": os_name,
        "os_version": os_version,
        "os_type": "Linux",
        "host_name": _faker.hostname(0),
        "host_ips": [ip],
        "nics": [{"interface": "eth0", "ip": ip}],
        "edged_version": EDGED_VERSION,
        "ief_node_version": EDGED_VERSION,
        "container_runtime_version": CONTAINER_RUNTIME,
        "enable_gpu": enable_gpu,
        "gpu_info": [],
        "enable_npu": enable_npu,
        "npu_type": npu_type if enable_npu else "",
        "npu_info": [],
    }
    if enable_gpu:
        name, memory = rng.choice(GPU_MODELS)
        hardware["gpu_info"] = [{"name": name, "type": "nvidia", "capacity": str(memory)} for _ in range(rng.randint(1, 2))]
    if enable_npu:
        kind = npu_type or "D310"
        hardware["npu_type"] = kind
        hardware["npu_info"] = [
            {"name": NPU_MODELS.get(kind, kind), "type": kind, "capacity": "1", "driver_version": "23.0.3"}
            for _ in range(rng.choice((1, 2, 4)))
        ]
    return hardware
