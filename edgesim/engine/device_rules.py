"""The rules that tie a device's (or template's) parts together: its protocol decides which
access settings and property visitors it may carry, and visitors name twin properties.

The request models check each field on its own; these run on the whole, after a template's
parts were copied in, so they live in the engine. Each refusal names the field at fault.
"""

from __future__ import annotations

import math
from typing import Any

from edgesim.domain.errors import DomainError

PROTOCOLS = ("userdefine", "modbus", "opc-ua")

# Access settings (``access_config``) by protocol; every protocol has the common ones.
COMMON_CONFIG = ("protocol_type", "protocol_name", "timeout")
CONFIG_KEYS = {
    "userdefine": COMMON_CONFIG,
    "modbus": COMMON_CONFIG + ("slave_id", "ip", "port", "serial_port", "baud_rate", "data_bits", "stop_bits", "parity_bits"),
    "opc-ua": COMMON_CONFIG + ("url", "sec_mode", "sec_policy", "auth_type", "username", "password", "private_key", "certificate"),
}

# Property visitor keys by protocol. decision: a userdefine device takes the generic keys the
# simulation reads (how a property is accessed and sampled), not another protocol's.
GENERIC_VISITOR = ("access_mode", "sample_interval", "data_min", "data_max")
VISITOR_KEYS = {
    "userdefine": GENERIC_VISITOR,
    "modbus": GENERIC_VISITOR + (
        "register_type", "register_index", "register_num", "scale_index", "original_datatype",
        "expected_datatype", "is_registerswap", "is_swap",
    ),
    "opc-ua": GENERIC_VISITOR + ("node_id", "browse_name"),
}


def value_fits(value: str, value_type: str) -> bool:
    """Whether a value (text, as IEF carries every value) reads as its declared type."""
    if value_type == "int":
        digits = value[1:] if value.startswith("-") else value
        return digits.isascii() and digits.isdigit()
    if value_type == "float":
        try:
            return math.isfinite(float(value)) and value.strip() == value and "_" not in value
        except ValueError:
            return False
    if value_type == "boolean":
        return value in ("true", "false")
    return True


def check_protocol_parts(
    prefix: str, protocol: str, twin: dict[str, Any], visitors: dict[str, Any], access_config: dict[str, Any] | None = None,
) -> None:
    """Raise a DomainError naming the first part that does not fit ``protocol``."""
    if access_config:
        if "protocol_type" not in access_config:
            raise DomainError("protocol_type is required in access_config", field=f"{prefix}.access_config.protocol_type")
        declared = access_config["protocol_type"]["value"]
        if declared != protocol:
            raise DomainError(
                f"protocol_type {declared!r} does not match access_protocol {protocol!r}",
                field=f"{prefix}.access_config.protocol_type",
            )
        for key in access_config:
            if key not in CONFIG_KEYS[protocol]:
                raise DomainError(f"{key} is not a setting of the {protocol} protocol", field=f"{prefix}.access_config.{key}")
    for name, visitor in visitors.items():
        if name not in twin:
            raise DomainError(f"{name!r} is not a twin property of this device", field=f"{prefix}.property_visitors.{name}")
        for key in visitor:
            if key not in VISITOR_KEYS[protocol]:
                raise DomainError(
                    f"{key} is not a property visitor setting of the {protocol} protocol",
                    field=f"{prefix}.property_visitors.{name}.{key}",
                )
