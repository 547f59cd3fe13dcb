"""Batch jobs (``/v2/{project_id}/productmgr/jobs``, ief-api-more.md 8.1), the single node
upgrade (``POST|GET .../edgemgr/nodes/{node_id}/upgrade``, 8.2) and edgesim's upgrade profile
(``GET|PUT /edgesim/upgrade-behavior``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.devices import PAGE
from edgesim.api.errors import CONTROL_INVALID, bad_request, json_response
from edgesim.api.job_models import BatchJobBody, task_spec
from edgesim.api.paging import page_params, paged, sort_descending
from edgesim.api.paths import V2, V2_PRODUCTMGR
from edgesim.api.routing import CONTROL, ENGINE, IEF, Query, Route
from edgesim.api.serializers import epoch_seconds
from edgesim.api.validation import parse
from edgesim.domain.models import BatchJob
from edgesim.engine.engine import Engine
from edgesim.engine.jobs import JOB_TYPES
from edgesim.settings import UpgradeProfile

BASE = V2_PRODUCTMGR + "/jobs"
JOB = BASE + "/{job_id}"


def job_summary(engine: Engine, j: BatchJob) -> dict[str, Any]:
    """A list item (SDK ``BatchJobForList``); counters live: they move as tasks end."""
    return {
        "job_id": j.id,
        "job_name": j.name,
        "job_type": j.job_type,
        "description": j.description,
        "created_at": epoch_seconds(engine, j.created_at),
        "status": j.status,
        "task_total_count": len(j.tasks),
        "task_success_count": sum(t["status"] == "success" for t in j.tasks),
        "task_failed_count": sum(t["status"] == "failed" for t in j.tasks),
        # edgesim: the running count, so progress is done / failed / running at every moment
        "task_running_count": sum(t["status"] == "running" for t in j.tasks),
        "status_last_updated_at": epoch_seconds(engine, j.status_updated_at),
    }


def job_detail(engine: Engine, j: BatchJob) -> dict[str, Any]:
    """The show answer (SDK ``ShowBatchJobResponse``): every task with its status and reason."""
    return {
        **job_summary(engine, j),
        "target_type": j.target_type,
        "task_data": j.task_data,
        "tasks": [dict(t) for t in j.tasks],
        "targets": [dict(t) for t in j.targets],
        "tags": list(j.tags),
    }


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(BatchJobBody, await request.read())
    spec = task_spec(body.job_type, body.job_content.task_data)
    job = await engine.jobs.create(
        request.match_info["project_id"], name=body.job_name, job_type=body.job_type,
        target_type=body.job_content.target_type, targets=[t.model_dump() for t in body.job_content.targets],
        task_data=body.job_content.task_data or "", description=body.description or "",
        tags=[t.model_dump() for t in body.tags], spec=spec,
    )
    return json_response({"job_id": job.id, "job_name": job.name, "created_at": epoch_seconds(engine, job.created_at)}, status=201)


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    descending = sort_descending(request)
    job_type = request.query.get("job_type")
    if job_type is not None and job_type not in JOB_TYPES:
        raise bad_request(f"invalid job_type: {job_type!r}; use one of {', '.join(JOB_TYPES)}")
    matches = [j for j in engine.jobs.of_project(request.match_info["project_id"])
               if job_type is None or j.job_type == job_type]
    page = paged(matches, lambda j: j.created_at, descending, limit, offset, tiebreak=lambda j: j.id)
    return json_response({"job_count": len(matches), "jobs": [job_summary(engine, j) for j in page]})


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    job = engine.jobs.get(request.match_info["project_id"], request.match_info["job_id"])
    return json_response(job_detail(engine, job))


async def stop(request: web.Request) -> web.Response:
    await request.app[ENGINE].jobs.stop(request.match_info["project_id"], request.match_info["job_id"])
    return web.Response(status=200)


async def restore(request: web.Request) -> web.Response:
    await request.app[ENGINE].jobs.restore(request.match_info["project_id"], request.match_info["job_id"])
    return web.Response(status=200)


async def retry(request: web.Request) -> web.Response:
    await request.app[ENGINE].jobs.retry(request.match_info["project_id"], request.match_info["job_id"])
    return web.Response(status=200)


async def delete(request: web.Request) -> web.Response:
    await request.app[ENGINE].jobs.delete(request.match_info["project_id"], request.match_info["job_id"])
    return web.Response(status=204)


async def upgrade_node(request: web.Request) -> web.Response:
    await request.app[ENGINE].upgrades.upgrade(request.match_info["project_id"], request.match_info["node_id"])
    return web.Response(status=202)  # the service: "升级消息发送成功", no body


async def upgrade_info(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    node = engine.nodes.get(request.match_info["project_id"], request.match_info["node_id"])
    reason = engine.upgrades.refusal(node)
    return json_response({"upgrade_enable": not reason, "reason": reason, "version": engine.upgrades.profile().latest_version})


async def get_profile(request: web.Request) -> web.Response:
    return json_response(request.app[ENGINE].upgrades.profile().model_dump(mode="json"))


async def put_profile(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    # the shared parser: an empty body is refused, unknown fields warned about (or refused)
    profile = parse(UpgradeProfile, await request.read(), code=CONTROL_INVALID)
    await engine.upgrades.set_profile(profile)
    return json_response(profile.model_dump(mode="json"))


ROUTES = (
    Route("POST", BASE, create, "Create a batch job", IEF, BatchJobBody, ok=(201,)),
    Route("GET", BASE, list_, "List batch jobs", IEF, query=PAGE + (
        Query("sort", description="created_at:desc (default) or created_at:asc"),
        Query("job_type", description="node_upgrade, deployment_deploy or deployment_upgrade"))),
    Route("GET", JOB, show, "Show a batch job and its tasks", IEF),
    Route("POST", JOB + "/pause", stop, "Stop a running batch job", IEF),
    Route("POST", JOB + "/restore", restore, "Restore a stopped batch job", IEF),
    Route("POST", JOB + "/retry", retry, "Retry the failed tasks of a batch job", IEF),
    Route("DELETE", JOB, delete, "Delete a batch job", IEF, ok=(204,)),
    Route("POST", V2 + "/nodes/{node_id}/upgrade", upgrade_node, "Upgrade an edge node", IEF, ok=(202,)),
    Route("GET", V2 + "/nodes/{node_id}/upgrade", upgrade_info, "Whether an edge node can upgrade", IEF),
    Route("GET", "/edgesim/upgrade-behavior", get_profile, "The node upgrade profile in force", CONTROL, answer="the node upgrade profile in force"),
    Route("PUT", "/edgesim/upgrade-behavior", put_profile, "Replace the node upgrade profile", CONTROL, UpgradeProfile, answer="the node upgrade profile now in force"),
)
