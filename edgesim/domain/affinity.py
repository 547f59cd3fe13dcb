"""A v3 pod template's ``affinity`` (the SDK's ``Affinity``: Kubernetes' node affinity, pod
affinity and pod anti-affinity) as plain data, with the label matching the scheduler does.

The API validates the body (``api.affinity_models``) and the deployment keeps it as given
(camelCase, as the SDK sends it); ``Affinity.of`` reads that dict. Matching follows
Kubernetes: a node selector's terms are ORed and the expressions of a term ANDed; an empty
term matches no node; ``NotIn`` and ``DoesNotExist`` match a node without the key; ``Gt`` and
``Lt`` compare the label as an integer (no integer, no match). A pod term's label selector
ANDs ``matchLabels`` and ``matchExpressions``; an empty selector matches every pod, a missing
one none (k8s.io/apimachinery labels.Selector, pkg/scheduler NodeAffinity and InterPodAffinity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HOSTNAME = "kubernetes.io/hostname"


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist, Gt, Lt
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        op = self.operator
        if op == "In":
            return value is not None and value in self.values
        if op == "NotIn":
            return value is None or value not in self.values
        if op == "Exists":
            return value is not None
        if op == "DoesNotExist":
            return value is None
        number, bound = _integer(value), _integer(self.values[0] if self.values else None)
        if number is None or bound is None:
            return False
        return number > bound if op == "Gt" else number < bound

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Requirement:
        return cls(raw["key"], raw["operator"], tuple(raw.get("values") or ()))


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Selector:
    """Requirements ANDed; ``empty_matches`` says what a selector without any does."""

    requirements: tuple[Requirement, ...]
    empty_matches: bool

    def matches(self, labels: Mapping[str, str]) -> bool:
        if not self.requirements:
            return self.empty_matches
        return all(r.matches(labels) for r in self.requirements)

    @classmethod
    def node_term(cls, raw: Mapping[str, Any] | None) -> Selector:
        """A node selector term: an empty one matches no node."""
        exprs = (raw or {}).get("matchExpressions") or []
        return cls(tuple(Requirement.of(e) for e in exprs), empty_matches=False)

    @classmethod
    def label_selector(cls, raw: Mapping[str, Any] | None) -> Selector:
        """A pod label selector: ``{}`` matches every pod, null none."""
        if raw is None:
            return cls((), empty_matches=False)
        labels = [Requirement(k, "In", (v,)) for k, v in (raw.get("matchLabels") or {}).items()]
        exprs = [Requirement.of(e) for e in raw.get("matchExpressions") or []]
        return cls((*labels, *exprs), empty_matches=True)


@dataclass(frozen=True, slots=True)
class PodTerm:
    """Pods matching ``selector`` in the same topology domain (nodes with the same value of
    the ``topology_key`` label) as the node scored."""

    selector: Selector
    topology_key: str

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> PodTerm:
        return cls(Selector.label_selector(raw.get("labelSelector")), raw["topologyKey"])


@dataclass(frozen=True, slots=True)
class Affinity:
    node_required: tuple[Selector, ...] | None  # None: no required node affinity
    node_preferred: tuple[tuple[int, Selector], ...]
    pod_required: tuple[PodTerm, ...]
    pod_preferred: tuple[tuple[int, PodTerm], ...]
    anti_required: tuple[PodTerm, ...]
    anti_preferred: tuple[tuple[int, PodTerm], ...]

    @property
    def has_preferences(self) -> bool:
        return bool(self.node_preferred or self.pod_preferred or self.anti_preferred)

    @property
    def has_pod_terms(self) -> bool:
        return bool(self.pod_required or self.pod_preferred or self.anti_required or self.anti_preferred)

    def node_matches(self, labels: Mapping[str, str]) -> bool:
        if self.node_required is None:
            return True
        return any(term.matches(labels) for term in self.node_required)

    def node_preference(self, labels: Mapping[str, str]) -> int:
        return sum(weight for weight, term in self.node_preferred if term.matches(labels))

    @classmethod
    def of(cls, raw: Mapping[str, Any] | None) -> Affinity | None:
        """The rules of a deployment's stored ``affinity`` (None if it has none)."""
        if not raw:
            return None
        node, pod, anti = (raw.get(k) or {} for k in ("nodeAffinity", "podAffinity", "podAntiAffinity"))
        required = node.get(_REQUIRED)
        rules = cls(
            node_required=(None if required is None
                           else tuple(Selector.node_term(t) for t in required.get("nodeSelectorTerms") or [])),
            node_preferred=tuple((p["weight"], Selector.node_term(p.get("preference"))) for p in node.get(_PREFERRED) or []),
            pod_required=tuple(PodTerm.of(t) for t in pod.get(_REQUIRED) or []),
            pod_preferred=tuple((w["weight"], PodTerm.of(w["podAffinityTerm"])) for w in pod.get(_PREFERRED) or []),
            anti_required=tuple(PodTerm.of(t) for t in anti.get(_REQUIRED) or []),
            anti_preferred=tuple((w["weight"], PodTerm.of(w["podAffinityTerm"])) for w in anti.get(_PREFERRED) or []),
        )
        empty = rules.node_required is None and not rules.node_preferred and not rules.has_pod_terms
        return None if empty else rules


_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


def node_labels(node_id: str, attributes: list[dict[str, str]]) -> dict[str, str]:
    """A node's Kubernetes labels: its IEF attributes, and the hostname label, which IEF sets
    to the node id (the name its edge node registers under)."""
    labels = {a["key"]: a.get("value", "") for a in attributes}
    labels[HOSTNAME] = node_id
    return labels


def pod_labels(deployment_name: str) -> dict[str, str]:
    """An instance's labels: ``app`` is its deployment's name (decision, docs/api.md)."""
    return {"app": deployment_name}
