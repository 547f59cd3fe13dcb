"""Device twins (ief-api-more.md 4.3): desired values set through the API, reported values made
by the simulated device as its behaviour profile says (``engine.device_behaviors``).

Each device has at most ONE clock timer (key ``device:<id>``), due at the earlier of its next
periodic report and its next desired change to apply; a device that reports nothing and has
nothing to apply has none. The timer is armed only while the device is online: when its node
goes down the device stops, its reported values stay as they were (answered stale), and when
it is back the missed report is made at once and the period goes on from there.

Chaos device faults are read from the fault book: ``device_frozen`` reports the last values
again, ``device_garbage`` reports values of no type, ``twin_update_lost`` drops desired changes.
"""

from __future__ import annotations

from typing import Any

from edgesim.domain.errors import DomainError
from edgesim.domain.models import Device
from edgesim.engine.behaviors import draw
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.device_behaviors import DeviceBehaviorBook, DeviceProfile, as_typed
from edgesim.engine.device_rules import check_protocol_parts, value_fits
from edgesim.engine.devices import ONLINE, Devices
from edgesim.engine.fault_book import FaultBook

PREFIX = "twin"


def timer_key(device_id: str) -> str:
    return f"device:{device_id}"


class Twins:
    def __init__(self, core: Core, devices: Devices, faults: FaultBook) -> None:
        self.core = core
        self.world = core.world
        self.devices = devices
        self.faults = faults
        self.book = DeviceBehaviorBook()  # replaced by PUT /edgesim/device-behaviors
        devices.online_listeners.append(self._online_changed)

    def profile(self, device: Device) -> DeviceProfile:
        return self.book.for_device(device.name, device.template)

    def millis(self, at: float) -> int:
        return round(self.core.clock.timestamp(at).timestamp() * 1000)

    # --- the desired side (the API) -------------------------------------------------------------

    async def update(
        self, project_id: str, device_id: str, twin: dict[str, dict[str, Any] | None], visitors: dict[str, Any],
    ) -> Device:
        """Merge ``twin`` by property name (None removes one) and ``visitors`` likewise; each
        desired value must read as its property's type. A changed desired value is applied by
        the device after its profile's delay (never, when stuck or lost to a fault)."""
        device = self.devices.get(project_id, device_id)
        merged = {name: dict(prop) for name, prop in device.twin.items()}
        changed: list[str] = []
        for name, given in twin.items():
            if given is None:
                merged.pop(name, None)
                continue
            old = merged.get(name, {})
            value_type = (given.get("metadata") or old.get("metadata") or {"type": "string"})["type"]
            prop = {**old, "optional": given.get("optional", old.get("optional", True)), "metadata": {"type": value_type}}
            desired = given.get("expected")
            if desired is not None:
                if not value_fits(desired, value_type):
                    raise DomainError(f"value {desired!r} is not of type {value_type}", field=f"{PREFIX}.{name}.excepted.value")
                prop["expected"] = {"value": desired, "metadata": {"timestamp": self.millis(self.core.clock.now())}}
                changed.append(name)
            elif "expected" in old and not value_fits(old["expected"]["value"], value_type):
                raise DomainError(f"the desired value {old['expected']['value']!r} is not of type {value_type}",
                                  field=f"{PREFIX}.{name}.metadata.type")
            merged[name] = prop
        if len(merged) > 64:
            raise DomainError("a twin has at most 64 properties", field=PREFIX)
        # a removed property's visitor goes with it; a given visitor must name a property
        merged_visitors = {**{k: v for k, v in device.property_visitors.items() if k in merged}, **visitors}
        check_protocol_parts(PREFIX, device.access_protocol, merged, merged_visitors)
        async with self.core.command() as change:
            change.touch(device)
            device.twin, device.property_visitors = merged, merged_visitors
            device.updated_at = self.core.clock.now()
            for name in list(device.pending):
                if name not in merged:
                    del device.pending[name]
            change.event(self.core.events.record("device.twin_updated", device_id=device.id, properties=changed))
            for name in changed:
                self._desire(device, name, change)
            change.after_commit.append(lambda: self.arm(device))
        return device

    def _desire(self, device: Device, name: str, change: Change) -> None:
        now, profile = self.core.clock.now(), self.profile(device)
        if self.faults.device_hit(device.id, "twin_update_lost"):
            device.pending.pop(name, None)
            change.event(self.core.events.record("device.twin_update_lost", device_id=device.id, property=name))
        elif profile.stuck:
            device.pending.pop(name, None)  # a stuck actuator: the desired value is never reported
        else:
            assert not isinstance(profile.apply_delay, str)
            delay = draw(profile.apply_delay, self.core.draws.rng("device", device.id, name, "apply", now))
            device.pending[name] = round(now + delay, 6)

    # --- the device's timer -----------------------------------------------------------------------

    def _next_report(self, device: Device) -> float | None:
        """When the device reports next: None if its profile never reports; the first report
        comes as soon as it is online."""
        if self.profile(device).report_every is None:
            return None
        return device.created_at if device.next_report is None else device.next_report

    def _due(self, device: Device) -> float | None:
        next_report = self._next_report(device)
        times = list(device.pending.values()) + ([] if next_report is None else [next_report])
        return min(times, default=None)

    def arm(self, device: Device) -> None:
        """(Re)arm the device's one timer, or cancel it when it is offline or has nothing to do."""
        key = timer_key(device.id)
        live = self.world.devices.get(device.id) is device and self.devices.state(device) == ONLINE
        due = self._due(device) if live else None
        if due is None:
            if key in self.core.timers:
                self.core.timers.cancel(key)
            return
        self.core.timers.set(key, max(due, self.core.clock.now()), self._step, device.id)

    def arm_all(self) -> None:
        for device in self.world.devices.values():
            self.arm(device)

    def _online_changed(self, device: Device, change: Change) -> None:
        self.arm(device)

    async def _step(self, device_id: str) -> None:
        device = self.world.devices.get(device_id)
        if device is None or self.devices.state(device) != ONLINE:
            return
        now = self.core.clock.now()
        with self.core.step() as change:
            change.touch(device)
            for name, due in sorted(device.pending.items()):
                if due <= now:
                    del device.pending[name]
                    self._apply(device, name, change)
            every, next_report = self.profile(device).report_every, self._next_report(device)
            if every is not None and next_report is not None and next_report <= now:
                self._report(device, change)
                device.next_report = round(now + every, 6)
            self.arm(device)

    def _apply(self, device: Device, name: str, change: Change) -> None:
        prop = device.twin.get(name)
        if prop is None or "expected" not in prop:
            return
        value = prop["expected"]["value"]
        prop["actual"] = {"value": value, "metadata": {"timestamp": self.millis(self.core.clock.now())}}
        change.event(self.core.events.record("device.twin_applied", device_id=device.id, property=name, value=value))

    def _report(self, device: Device, change: Change) -> None:
        now, profile = self.core.clock.now(), self.profile(device)
        frozen = self.faults.device_hit(device.id, "device_frozen")
        garbage = self.faults.device_hit(device.id, "device_garbage")
        values: dict[str, str] = {}
        for name, behavior in profile.properties.items():
            prop = device.twin.get(name)
            if prop is None or "expected" in prop:  # an actuator reports what it applied
                continue
            last = prop.get("actual", {}).get("value")
            rng = self.core.draws.rng("device", device.id, name, "report", now)
            if frozen and last is not None:
                value = last
            elif garbage:
                value = "garbage-" + "".join(rng.choice("0123456789abcdef") for _ in range(8))
            else:
                value = as_typed(behavior.at_time(now, last, rng), prop["metadata"]["type"])
            prop["actual"] = {"value": value, "metadata": {"timestamp": self.millis(now)}}
            values[name] = value
        device.reported_at = now
        change.event(self.core.events.record("device.reported", device_id=device.id, values=values))

