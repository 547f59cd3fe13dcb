"""One placement's view of affinity: the incoming instance's rules (``domain.affinity``) against
the nodes and the instances already placed, as the scheduler's NodeAffinity and
InterPodAffinity plugins see them (docs/behaviors.md, "Affinity").

Placed pods are the project's instances that hold a node (pulling, starting, running, backing
off, terminating or lost with it): the scheduler's cache holds every assigned pod that has not
finished, terminating ones included. Stale copies of migrated instances do not count. A
topology domain is the set of nodes with one value of the term's ``topologyKey`` label; a node
without that label is in no domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edgesim.domain.affinity import Affinity, PodTerm, node_labels, pod_labels
from edgesim.domain.models import Deployment, Node
from edgesim.engine.world import HOLDS_NOTHING, World

SCORE_MAX = 100  # the scheduler's MaxNodeScore
PLUGIN_WEIGHT = 2  # NodeAffinity and InterPodAffinity in the default scheduler profile
HARD_POD_AFFINITY_WEIGHT = 1  # hardPodAffinityWeight: an existing pod's required affinity, as a score


@dataclass(frozen=True, slots=True)
class ExistingTerm:
    """A term of placed pods that selects the incoming pod: each pod of ``owner_id`` adds
    ``weight`` (negative for anti-affinity) to every node of its topology domain."""

    weight: int
    term: PodTerm
    owner_id: str


@dataclass
class AffinityView:
    world: World
    dep: Deployment
    rules: Affinity | None
    # required anti-affinity terms of other placed pods that the incoming pod matches (symmetry)
    existing_anti: list[PodTerm] = field(default_factory=list)
    # preferred terms (and required affinity) of placed pods that select the incoming pod:
    # InterPodAffinity scores them too (scoring.go processExistingPod)
    existing_scored: list[ExistingTerm] = field(default_factory=list)
    _domains: dict[tuple[int, bool], dict[str, int]] = field(default_factory=dict)
    _owner_domains: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, world: World, dep: Deployment, rules: Affinity | None) -> AffinityView | None:
        labels = pod_labels(dep.name)
        existing: list[PodTerm] = []
        scored: list[ExistingTerm] = []
        for other in world.deployments.values():
            if other.affinity is None or other.project_id != dep.project_id:
                continue
            other_rules = Affinity.of(other.affinity)
            if other_rules is None:
                continue
            existing += [t for t in other_rules.anti_required if t.selector.matches(labels)]
            weighted = [*((w, t) for w, t in other_rules.pod_preferred),
                        *((-w, t) for w, t in other_rules.anti_preferred),
                        *((HARD_POD_AFFINITY_WEIGHT, t) for t in other_rules.pod_required)]
            scored += [ExistingTerm(w, t, other.id) for w, t in weighted if t.selector.matches(labels)]
        if rules is None and not existing and not scored:
            return None
        return cls(world, dep, rules, existing, scored)

    # --- filters --------------------------------------------------------------------------------

    def labels(self, node: Node) -> dict[str, str]:
        return node_labels(node.id, node.attributes)

    def node_matches(self, node: Node) -> bool:
        return self.rules is None or self.rules.node_matches(self.labels(node))

    def unmet(self, node: Node) -> str | None:
        """The pod-level rule the node breaks (``PodAffinity``, ``PodAntiAffinity``,
        ``ExistingPodsAntiAffinity``), or None; node affinity is ``node_matches``."""
        labels = self.labels(node)
        rules = self.rules
        if rules is not None:
            for term in rules.pod_required:
                if not self._affine(term, labels):
                    return "PodAffinity"
            for term in rules.anti_required:
                if self._in_domain(term, labels, by_term_owner=False):
                    return "PodAntiAffinity"
        for term in self.existing_anti:
            if self._in_domain(term, labels, by_term_owner=True):
                return "ExistingPodsAntiAffinity"
        return None

    def _affine(self, term: PodTerm, labels: dict[str, str]) -> bool:
        if term.topology_key not in labels:
            return False
        if self._in_domain(term, labels, by_term_owner=False):
            return True
        # the first pod of a group that is affine to itself: no matching pod exists anywhere
        # and the pod matches its own term (the scheduler lets it go, or none would ever run)
        return not self._matching_pods(term, by_term_owner=False) and term.selector.matches(pod_labels(self.dep.name))

    def _in_domain(self, term: PodTerm, labels: dict[str, str], *, by_term_owner: bool) -> bool:
        value = labels.get(term.topology_key)
        return value is not None and self._matching_pods(term, by_term_owner).get(value, 0) > 0

    def _matching_pods(self, term: PodTerm, by_term_owner: bool) -> dict[str, int]:
        """Topology value -> placed pods that the term selects. For the incoming pod's terms,
        pods matching the selector; for an existing pod's anti-affinity (``by_term_owner``),
        the pods of the deployments carrying that term."""
        key = (id(term), by_term_owner)
        counts = self._domains.get(key)
        if counts is not None:
            return counts
        counts = {}
        for inst in self.world.instances.values():
            if inst.project_id != self.dep.project_id or inst.node_id is None or inst.phase in HOLDS_NOTHING:
                continue
            if inst.replaced_by is not None:
                continue
            owner = self.world.deployments.get(inst.deployment_id)
            node = self.world.nodes.get(inst.node_id)
            if owner is None or node is None:
                continue
            if by_term_owner:
                owner_rules = Affinity.of(owner.affinity)
                if owner_rules is None or term not in owner_rules.anti_required:
                    continue
            elif not term.selector.matches(pod_labels(owner.name)):
                continue
            value = self.labels(node).get(term.topology_key)
            if value is not None:
                counts[value] = counts.get(value, 0) + 1
        self._domains[key] = counts
        return counts

    # --- scores ---------------------------------------------------------------------------------

    def preference(self, nodes: list[Node]) -> dict[str, int]:
        """Node id -> the preferred rules' score: NodeAffinity (matching weights summed, scaled
        so the best node has 100) plus InterPodAffinity (weights of affine pods in the node's
        domain minus those of anti-affine ones, the placed pods' terms that select this pod
        included, scaled to 0..100 between the worst and the best node), each times its plugin
        weight 2. Integer arithmetic, as the scheduler's."""
        rules = self.rules
        if not nodes or ((rules is None or not rules.has_preferences) and not self.existing_scored):
            return {}
        node_raw = {n.id: rules.node_preference(self.labels(n)) if rules is not None else 0 for n in nodes}
        pod_raw = {n.id: self._pod_preference(self.labels(n)) for n in nodes}
        top = max(node_raw.values())
        low, high = min(pod_raw.values()), max(pod_raw.values())
        scores = {}
        for n in nodes:
            node_score = node_raw[n.id] * SCORE_MAX // top if top > 0 else 0
            pod_score = (pod_raw[n.id] - low) * SCORE_MAX // (high - low) if high > low else 0
            scores[n.id] = PLUGIN_WEIGHT * (node_score + pod_score)
        return scores

    def _pod_preference(self, labels: dict[str, str]) -> int:
        score = 0
        own = self.rules
        for weight, term in (*own.pod_preferred, *((-w, t) for w, t in own.anti_preferred)) if own else ():
            value = labels.get(term.topology_key)
            if value is not None:
                score += weight * self._matching_pods(term, by_term_owner=False).get(value, 0)
        for existing in self.existing_scored:  # symmetry: the placed pods' terms on this pod
            value = labels.get(existing.term.topology_key)
            if value is not None:
                score += existing.weight * self._owner_pods(existing.owner_id, existing.term.topology_key).get(value, 0)
        return score

    def _owner_pods(self, owner_id: str, topology_key: str) -> dict[str, int]:
        """Topology value -> placed pods of the deployment ``owner_id``."""
        key = (owner_id, topology_key)
        counts = self._owner_domains.get(key)
        if counts is None:
            counts = {}
            owner = self.world.deployments.get(owner_id)
            for inst in self.world.instances_of(owner) if owner is not None else ():
                node = self.world.nodes.get(inst.node_id or "")
                if node is None or inst.phase in HOLDS_NOTHING or inst.replaced_by is not None:
                    continue
                value = self.labels(node).get(topology_key)
                if value is not None:
                    counts[value] = counts.get(value, 0) + 1
            self._owner_domains[key] = counts
        return counts
