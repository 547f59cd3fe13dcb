"""The v3 template's ``affinity`` body (SDK models ``Affinity``, ``AffinityNodeAffinity``,
``RequiredDuringScheduling``, ``MatchExpressions``, ``MatchExpression``,
``PreferredSchedulingTerm``, ``AffinityPodAffinity``, ``PodAffinityTerm``, ``LabelSelector``,
``WeightPodAffinityTerms``), camelCase as the SDK sends it.

The rules are Kubernetes' (the SDK's field docs repeat them): ``In``/``NotIn`` need values,
``Exists``/``DoesNotExist`` none, ``Gt``/``Lt`` one integer; weights 1..100; a pod term needs a
``topologyKey``. The deployment keeps the body as given (``raw``) and the engine reads it with
``domain.affinity.Affinity.of``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from edgesim.api.fields import RequestModel

LabelKey = Annotated[str, Field(min_length=1, max_length=316)]  # a 253-character prefix / 63-character name
LabelValue = Annotated[str, Field(max_length=63)]
Weight = Annotated[int, Field(ge=1, le=100)]
Operator = Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]


class MatchExpression(RequestModel):
    key: LabelKey
    operator: Operator
    values: list[LabelValue] | None = None

    @model_validator(mode="after")
    def _values_fit_operator(self) -> MatchExpression:
        values = self.values or []
        if self.operator in ("In", "NotIn") and not values:
            raise ValueError(f"operator {self.operator} needs at least one value")
        if self.operator in ("Exists", "DoesNotExist") and values:
            raise ValueError(f"operator {self.operator} takes no values")
        if self.operator in ("Gt", "Lt"):
            if len(values) != 1:
                raise ValueError(f"operator {self.operator} takes exactly one value")
            try:
                int(values[0])
            except ValueError:
                raise ValueError(f"operator {self.operator} compares integers; {values[0]!r} is not one") from None
        return self


class NodeSelectorTerm(RequestModel):
    match_expressions: Annotated[list[MatchExpression], Field(alias="matchExpressions")] = []


class RequiredNodes(RequestModel):
    node_selector_terms: Annotated[list[NodeSelectorTerm], Field(alias="nodeSelectorTerms", min_length=1)]


class PreferredNodes(RequestModel):
    weight: Weight
    preference: NodeSelectorTerm


class NodeAffinity(RequestModel):
    required_rules: Annotated[RequiredNodes | None, Field(alias="requiredDuringSchedulingIgnoredDuringExecution")] = None
    preferred_rules: Annotated[list[PreferredNodes] | None, Field(alias="preferredDuringSchedulingIgnoredDuringExecution")] = None


class LabelSelector(RequestModel):
    match_labels: Annotated[dict[LabelKey, LabelValue] | None, Field(alias="matchLabels")] = None
    match_expressions: Annotated[list[MatchExpression] | None, Field(alias="matchExpressions")] = None

    @field_validator("match_expressions")
    @classmethod
    def _no_integer_operators(cls, value: list[MatchExpression] | None) -> list[MatchExpression] | None:
        for expr in value or []:
            if expr.operator in ("Gt", "Lt"):
                raise ValueError(f"operator {expr.operator} applies to node labels only; a pod label selector "
                                 "takes In, NotIn, Exists or DoesNotExist")
        return value


class PodTerm(RequestModel):
    label_selector: Annotated[LabelSelector | None, Field(alias="labelSelector")] = None
    namespaces: list[str] | None = None
    topology_key: Annotated[str, Field(alias="topologyKey", min_length=1, max_length=316)]

    @field_validator("namespaces")
    @classmethod
    def _own_namespace(cls, value: list[str] | None) -> list[str] | None:
        # A project's instances live in one namespace, which the term means when none is named.
        if value:
            raise ValueError("edgesim matches pods of the deployment's own project only; leave namespaces empty")
        return value


class WeightedPodTerm(RequestModel):
    weight: Weight
    term: Annotated[PodTerm, Field(alias="podAffinityTerm")]


class PodAffinity(RequestModel):
    required_rules: Annotated[list[PodTerm] | None, Field(alias="requiredDuringSchedulingIgnoredDuringExecution")] = None
    preferred_rules: Annotated[list[WeightedPodTerm] | None, Field(alias="preferredDuringSchedulingIgnoredDuringExecution")] = None


class Affinity(RequestModel):
    node_affinity: Annotated[NodeAffinity | None, Field(alias="nodeAffinity")] = None
    pod_affinity: Annotated[PodAffinity | None, Field(alias="podAffinity")] = None
    pod_anti_affinity: Annotated[PodAffinity | None, Field(alias="podAntiAffinity")] = None
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw(cls, data: Any, handler: Any) -> Affinity:
        model = handler(data)
        if isinstance(data, dict):
            model._raw = data
        return model

    @property
    def raw(self) -> dict[str, Any]:
        """The body as given: what the deployment keeps and echoes."""
        return self._raw
