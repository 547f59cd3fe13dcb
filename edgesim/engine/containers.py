"""What happens inside a placed instance: image pull, container start, how the container ends,
the restart policy with its back-off, and readiness.

Each step is one clock timer on the instance (``phase``/``due``); the steps and the triggers
between them are the table in ``engine.lifecycle``, and every move goes through ``Lifecycle.move``. When a container starts, the
moment it will end (exit, OOM kill, liveness kill) is computed from its behaviour profile and
scheduled once; readiness changes are scheduled the same way, one at a time. A healthy
container therefore costs no timers at all while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgesim.domain.app_spec import Probe
from edgesim.domain.models import Instance
from edgesim.domain.states import InstanceState
from edgesim.engine.behaviors import Profile, draw
from edgesim.engine.change import Change
from edgesim.engine.config_refs import env_values, missing, volume_refs, volume_view
from edgesim.engine.core import Core
from edgesim.engine.fault_book import FaultBook
from edgesim.engine.lifecycle import CONFIG, PULL, RUN, START, Lifecycle
from edgesim.engine.probes import ProbeScanner, ProbeTimes, Window

# The kubelet's crash back-off (pkg/kubelet doBackOff + util/flowcontrol.Backoff): the first
# failure has no back-off entry, so it restarts at once; then 10, 20, 40 ... capped at 300 s.
# A container that ran more than 10 minutes (strictly) resets the sequence to "at once" again.
BACKOFF_START, BACKOFF_MAX, BACKOFF_RESET_AFTER = 10.0, 300.0, 600.0


def backoff_after(wait: float) -> float:
    """The wait for the restart after one that waited ``wait`` seconds (0 is "at once")."""
    return BACKOFF_START if wait == 0 else min(wait * 2, BACKOFF_MAX)


# The kubelet's image pull back-off (pkg/kubelet/images: a flowcontrol.Backoff of 10 s doubling
# to 300 s, the same constants as the crash back-off): the next pull waits 10, 20, 40 ... s.
# A failed pull shows ErrImagePull until the pod's next sync, which the pod worker re-queues
# 10 s after a failed sync (pkg/kubelet/pod_workers.go backOffPeriod); later syncs show
# ImagePullBackOff while the back-off lasts.
PULL_ERROR_SHOWN = 10.0


def pull_backoff(failures: int) -> float:
    """The wait before the pull after the ``failures``-th failed one."""
    return min(BACKOFF_START * 2 ** (failures - 1), BACKOFF_MAX)


KILLED = 137  # exit code of a container killed by the runtime (OOM, liveness)
RESTART = "restart"  # draw key of a restart's start-up time


class Containers:
    def __init__(self, core: Core, lifecycle: Lifecycle, faults: FaultBook, arm: Callable[[Instance], None]) -> None:
        self.core = core
        self.lifecycle = lifecycle
        self.faults = faults
        self._arm = arm  # (re-)sets an instance's timers (``Instances.arm``)

    def profile(self, inst: Instance) -> Profile:
        return self.core.behaviors.for_image(inst.spec.image_url)

    def _now(self) -> float:
        return self.core.now()  # the edge's time while a reconnecting node is caught up

    @staticmethod
    def _end_due(inst: Instance) -> float | None:
        """When the running container is planned to end (None: it runs on)."""
        return None if inst.exit is None else inst.started_at + inst.exit["age"]

    # --- pull and start ---------------------------------------------------------------------------

    def begin_pull(self, inst: Instance, trigger: str, change: Change) -> None:
        """Pull the image: on placement (``placed``) or after a pull back-off (``pull_retry``),
        which goes on showing ``ImagePullBackOff`` while it pulls, as the kubelet's status does."""
        seconds = self.pull_seconds(inst)
        retry = inst.pull_failures > 0
        self.lifecycle.move(inst, trigger, change, due=self._now() + seconds,
                            reason="ImagePullBackOff" if retry else "ContainerCreating",
                            message=f"pulling image {inst.spec.image_url}" + (f" (attempt {inst.pull_failures + 1})" if retry else ""))

    def pull_seconds(self, inst: Instance) -> float:
        """The drawn time of the instance's next pull (keyed by its failures so far)."""
        return draw(self.profile(inst).pull.seconds, self.core.draws.rng(inst.id, PULL, inst.pull_failures))

    def retry_pull(self, inst: Instance, change: Change) -> None:
        self.begin_pull(inst, "pull_retry", change)

    def pulled(self, inst: Instance, change: Change) -> None:
        pull = self.profile(inst).pull
        url = inst.spec.image_url
        fault = self.faults.pull_fails(inst)
        if fault is not None:  # the registry is having a bad day: back off and try again
            self._pull_failed(inst, change, "pull_error", f"fault {fault}", f"failed to pull image {url}: fault {fault}")
            return
        if pull.result == "not_found":  # retried like any failed pull, CREATE_FAIL meanwhile
            self._pull_failed(inst, change, "image_not_found", "not found", f"image {url} not found")
            return
        if pull.result == "flaky" and inst.pull_failures < pull.flaky_failures:
            self._pull_failed(inst, change, "pull_error", "flaky registry", f"failed to pull image {url}: flaky registry")
            return
        change.event(self.core.events.record("instance.pulled", instance_id=inst.id, deployment_id=inst.deployment_id))
        lacking = missing(self.core.world, inst)
        if lacking is not None:  # waits, without a timer, until a config change resolves it
            self.lifecycle.move(inst, "config_missing", change, due=None, message=lacking)
            change.event(self.core.events.record(
                "instance.config_waiting", instance_id=inst.id, deployment_id=inst.deployment_id, message=lacking,
            ))
            return
        self._begin_start(inst, "pulled", change)

    def _pull_failed(self, inst: Instance, change: Change, trigger: str, cause: str, message: str) -> None:
        """``ErrImagePull`` now, until the kubelet's next sync of the pod; the next pull after
        the image back-off (10 s doubling to 300 s, from this failure)."""
        inst.pull_failures += 1
        backoff = pull_backoff(inst.pull_failures)
        self.lifecycle.move(inst, trigger, change, due=self._now() + min(PULL_ERROR_SHOWN, backoff), message=message)
        change.event(self.core.events.record(
            "instance.pull_failed", instance_id=inst.id, deployment_id=inst.deployment_id,
            attempt=inst.pull_failures, backoff=backoff, cause=cause,
        ))

    def pull_error_shown(self, inst: Instance, change: Change) -> None:
        """The next sync after a failed pull: pull again if the back-off is over, else show
        ``ImagePullBackOff`` until it is."""
        backoff = pull_backoff(inst.pull_failures)
        retry_at = (inst.due or self._now()) - min(PULL_ERROR_SHOWN, backoff) + backoff
        if retry_at <= self._now():
            self.begin_pull(inst, "pull_retry", change)
            return
        self.lifecycle.move(inst, "pull_wait", change, due=retry_at,
                            message=f"back-off {backoff:g}s pulling image {inst.spec.image_url}")

    def _begin_start(self, inst: Instance, trigger: str, change: Change) -> None:
        seconds = draw(self.profile(inst).start.seconds, self.core.draws.rng(inst.id, START))
        seconds += self.faults.extra_start_seconds(inst)
        self.lifecycle.move(inst, trigger, change, due=self._now() + seconds, message="starting container")

    def recheck_config(self, inst: Instance, change: Change) -> None:
        """A config map or secret changed: an instance waiting for its references may start."""
        if inst.phase != CONFIG:
            return
        lacking = missing(self.core.world, inst)
        change.touch(inst)
        if lacking is None:
            self._begin_start(inst, "config_ready", change)
            change.event(self.core.events.record("instance.config_ready", instance_id=inst.id, deployment_id=inst.deployment_id))
            change.after_commit.append(lambda: self._arm(inst))
        elif lacking != inst.message:  # waits on, for something else now
            inst.message = lacking
            change.event(self.core.events.record(
                "instance.config_waiting", instance_id=inst.id, deployment_id=inst.deployment_id, message=lacking,
            ))

    def _materialise_config(self, inst: Instance) -> None:
        """A starting container reads its env values now; volumes show the current contents."""
        world = self.core.world
        volumes = {}
        for volume, kind, name in volume_refs(inst.spec):
            view = volume_view(world, inst.project_id, kind, name)
            if view is not None:
                volumes[volume] = view
            elif volume in inst.config.get("volumes", {}):  # deleted since: the files stay
                volumes[volume] = inst.config["volumes"][volume]
        inst.config = {"env": env_values(world, inst), "volumes": volumes}

    def start_container(self, inst: Instance, change: Change) -> None:
        """The container runs from now: RUNNING, with its end and readiness planned ahead."""
        if inst.attempt > 0:
            inst.restarts += 1
        inst.attempt += 1
        inst.started_at = self._now()
        self._materialise_config(inst)
        profile = self.profile(inst)
        inst.usage = profile.usage_at_start()
        inst.exit = self._plan_end(inst, profile)
        has_readiness = inst.spec.readiness_probe is not None
        inst.is_ready = None if has_readiness else True
        self.lifecycle.move(inst, "started", change, due=self._end_due(inst))
        self._plan_readiness(inst, profile, from_index=0)

    # --- how a container ends ---------------------------------------------------------------------

    def stop_time(self, inst: Instance, *key: object, running: bool) -> tuple[float, bool]:
        """How long the instance takes to stop once told to, capped at the termination grace
        period, and whether it is killed at the grace (it would have taken longer). A
        ``running`` container takes its profile's ``stop`` time; anything else (pulling,
        backing off, a profile without one) the ``terminate_seconds`` setting's draw."""
        timings = self.core.settings.simulation.instance
        stop = self.profile(inst).stop if running else None
        if stop is None:
            took = self.core.draws.seconds(timings.terminate_seconds, inst.id, *key)
        else:
            took = draw(stop.seconds, self.core.draws.rng(inst.id, *key))
        grace = timings.termination_grace_seconds
        return min(took, grace), took > grace

    def _plan_end(self, inst: Instance, profile: Profile, from_index: int = 0) -> dict[str, Any] | None:
        """The first of: its scheduled exit, an OOM kill, a liveness kill; None if it runs on."""
        ends: list[tuple[float, int, dict[str, Any]]] = []
        if profile.exit is not None:
            after = draw(profile.exit.after, self.core.draws.rng(inst.id, "exit", inst.attempt))
            code = profile.exit.code
            ends.append((after, 1, {"code": code, "reason": "Completed" if code == 0 else "Error",
                                    "message": f"container exited with code {code}"}))
        limits = inst.spec.resources.limits
        memory_limit = limits.memory if limits else None
        oom = profile.memory.oom_after(memory_limit)
        if oom is not None:
            ends.append((oom, 0, {"code": KILLED, "reason": "OOMKilled",
                                  "message": f"memory limit of {memory_limit:g} MB exceeded"}))
        scanner = self._scanner(inst, "liveness", profile)
        if scanner is not None:
            kill = scanner.liveness_kill(from_index)
            if kill is not None:
                if kill.look_again:
                    ends.append((kill.age, 2, {"look_again": True, "index": kill.index}))
                else:  # told to stop at the third failure; gone once it stopped, or at the grace
                    stop, at_grace = self._liveness_stop(inst, profile)
                    how = "killed at the end of its grace period" if at_grace else (f"stopped {stop:g}s later" if stop else "killed")
                    ends.append((kill.age + stop, 2, {"code": KILLED, "reason": "Error",
                                                      "message": f"liveness probe failed 3 times; container {how}"}))
        if not ends:
            return None
        age, _, cause = min(ends, key=lambda e: (e[0], e[1]))
        return {"age": age, **cause}

    def _liveness_stop(self, inst: Instance, profile: Profile) -> tuple[float, bool]:
        """A liveness kill's ``stop_time``: the profile's, each container its own draw; at once
        for a profile without one (the ``terminate_seconds`` setting is a pod's whole clean-up
        on delete, not a container's restart)."""
        if profile.stop is None:
            return 0.0, False
        return self.stop_time(inst, "stop", inst.attempt, running=True)

    def kill(self, inst: Instance, change: Change, *, code: int, reason: str, message: str) -> None:
        """End the running container now (a fault); the restart policy decides what follows."""
        change.touch(inst)
        self.core.timers.cancel(f"instance:{inst.id}")
        inst.exit = {"age": self._now() - (inst.started_at or self._now()), "code": code, "reason": reason, "message": message}
        self.ended(inst, change)
        change.after_commit.append(lambda: self._arm(inst))

    def restart(self, inst: Instance, change: Change) -> None:
        """A restart on request: the container is killed and starts again after its start-up
        time (the image is on the node); from a back-off the rest of the wait is skipped."""
        change.touch(inst)
        self.core.timers.cancel(f"instance:{inst.id}")
        self.core.timers.cancel(f"ready:{inst.id}")
        inst.exit, inst.readiness, inst.is_ready = None, None, False
        seconds = draw(self.profile(inst).start.seconds, self.core.draws.rng(inst.id, RESTART, inst.attempt))
        self.lifecycle.move(inst, "restart", change, due=self._now() + seconds, message="restarting the container on request")
        change.event(self.core.events.record(
            "instance.restarting", instance_id=inst.id, deployment_id=inst.deployment_id, node_id=inst.node_id,
        ))
        change.after_commit.append(lambda: self._arm(inst))

    def replan(self, inst: Instance) -> None:
        """Plan a running container's end and readiness again from its next probes (a probe
        fault came or went). A container about to restart plans them when it starts."""
        if inst.phase != RUN:
            return
        profile, age = self.profile(inst), self._now() - (inst.started_at or self._now())
        times = ProbeTimes.of(inst.spec.liveness_probe)
        inst.exit = self._plan_end(inst, profile, from_index=times.first_index_at(age) if times else 0)
        inst.due = self._end_due(inst)  # the same step: only its timer moves
        self.core.timers.cancel(f"ready:{inst.id}")
        times = ProbeTimes.of(inst.spec.readiness_probe)
        self._plan_readiness(inst, profile, from_index=times.first_index_at(age) if times else 0)

    def ended(self, inst: Instance, change: Change) -> None:
        """The planned end came: apply the restart policy."""
        plan = inst.exit or {}
        if plan.get("look_again"):  # the liveness scan reached its horizon: scan further
            inst.exit = self._plan_end(inst, self.profile(inst), from_index=plan["index"])
            self.lifecycle.move(inst, "rescanned", change, due=self._end_due(inst))
            return
        code, ran_for = plan["code"], self._now() - (inst.started_at or self._now())
        self.core.timers.cancel(f"ready:{inst.id}")
        inst.readiness = None
        inst.is_ready = False
        inst.usage = None
        policy = inst.spec.configs.restart_policy
        change.event(self.core.events.record(
            "instance.exited", instance_id=inst.id, deployment_id=inst.deployment_id, node_id=inst.node_id,
            code=code, reason=plan["reason"], ran_for=round(ran_for, 6),
        ))
        restart = policy == "Always" or (policy == "OnFailure" and code != 0)
        if restart:
            if ran_for > BACKOFF_RESET_AFTER:
                inst.next_backoff = 0.0
            backoff = inst.next_backoff
            inst.next_backoff = backoff_after(backoff)
            wait = f"back-off {backoff:g}s restarting" if backoff else "restarting at once"
            self.lifecycle.move(
                inst, "crashed", change, due=self._now() + backoff,
                message=f"{wait} failed container ({plan['reason']}, exit code {code})")
        elif code == 0:
            self.lifecycle.move(inst, "completed", change, due=None, message=plan["message"])
        else:
            self.lifecycle.move(inst, "failed", change, due=None, reason=plan["reason"], message=plan["message"])
        inst.exit = None

    # --- readiness --------------------------------------------------------------------------------

    def _scanner(self, inst: Instance, kind: str, profile: Profile) -> ProbeScanner | None:
        times = ProbeTimes.of(_probe(inst, kind))
        if times is None:
            return None
        windows = [w for w in [Window.of(getattr(profile, kind))] if w is not None]
        windows += self.faults.probe_windows(inst, kind)
        draws, attempt = self.core.draws, inst.attempt
        return ProbeScanner(times, windows, lambda k: draws.rng(inst.id, attempt, kind, k))

    def _plan_readiness(self, inst: Instance, profile: Profile, from_index: int) -> None:
        scanner = self._scanner(inst, "readiness", profile)
        outcome = None if scanner is None else scanner.next_readiness(inst.is_ready, from_index)
        if outcome is None:
            inst.readiness = None
            return
        assert inst.started_at is not None  # readiness is planned for a started container
        inst.readiness = {"due": inst.started_at + outcome.age, "value": outcome.value,
                          "index": outcome.index, "look_again": outcome.look_again}
        self.arm_readiness(inst)

    def arm_readiness(self, inst: Instance) -> None:
        node = self.core.world.nodes.get(inst.node_id or "")
        if node is not None and node.silent_since is not None:
            return  # out of the cloud's sight: learned when the node returns (engine.autonomy)
        if inst.readiness is not None and inst.id in self.core.world.instances:
            self.core.timers.set(f"ready:{inst.id}", inst.readiness["due"], self._readiness_due, inst.id)

    def _readiness_due(self, instance_id: str) -> None:
        inst = self.core.world.instances.get(instance_id)
        if inst is None or inst.readiness is None or inst.state != InstanceState.RUNNING:
            return
        with self.core.step() as change:
            self.readiness_changed(inst, change)

    def readiness_changed(self, inst: Instance, change: Change) -> None:
        """The planned readiness change is due: apply it and plan the next one."""
        change.touch(inst)
        planned = inst.readiness
        assert planned is not None
        if not planned["look_again"]:
            inst.is_ready = planned["value"]
            change.event(self.core.events.record(
                "instance.ready", instance_id=inst.id, deployment_id=inst.deployment_id, node_id=inst.node_id,
                ready=inst.is_ready,
            ))
        next_index = planned["index"] + (0 if planned["look_again"] else 1)
        self._plan_readiness(inst, self.profile(inst), from_index=next_index)


def _probe(inst: Instance, kind: str) -> Probe | None:
    """The instance's ``liveness`` or ``readiness`` probe."""
    spec = inst.spec
    return spec.liveness_probe if kind == "liveness" else spec.readiness_probe
