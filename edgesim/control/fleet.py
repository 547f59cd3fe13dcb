"""POST /edgesim/fleet: many nodes and groups in one call, deterministic per seed."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field, model_validator

from edgesim.api.errors import CONTROL_INVALID, control_invalid, json_response
from edgesim.api.fields import RESOURCE_NAME_PATTERN, RequestModel
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.api.validation import parse
from edgesim.settings import FleetProfile

GroupName = Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]


class FleetRequest(RequestModel):
    nodes: Annotated[int, Field(ge=0, le=100_000)]
    groups: dict[GroupName, Annotated[int, Field(ge=0)]] = {}
    profile: FleetProfile | None = None
    name_prefix: Annotated[str, Field(pattern=r"^[\w-]{1,50}$")] = "node"
    project_id: str | None = None

    @model_validator(mode="after")
    def _groups_fit(self) -> FleetRequest:
        if sum(self.groups.values()) > self.nodes:
            raise ValueError(f"the groups take {sum(self.groups.values())} nodes but only {self.nodes} are made")
        return self


async def create_fleet(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(FleetRequest, await request.read(), code=CONTROL_INVALID)
    project_id = body.project_id or engine.settings.fleet.project_id
    if engine.settings.account(project_id) is None:
        raise control_invalid(f"invalid project_id: {project_id} is not a configured project")
    nodes, groups = await engine.fleet.create(
        project_id,
        count=body.nodes,
        groups=body.groups,
        profile=body.profile or engine.settings.fleet.profile,
        name_prefix=body.name_prefix,
    )
    return json_response(
        {
            "project_id": project_id,
            "nodes": len(nodes),
            "node_ids": [n.id for n in nodes],
            "groups": [{"id": g.id, "name": g.name, "node_ids": g.node_ids} for g in groups],
        },
        status=201,
    )


ROUTES = (
    Route("POST", "/edgesim/fleet", create_fleet, "Create many nodes and groups", CONTROL, FleetRequest, ok=(201,), answer="the nodes and groups created"),
)
