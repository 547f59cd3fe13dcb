"""Does every answer of edgesim fit the official SDK's response model? Asked through the SDK.

For each of ``IefClient``'s 111 operations a realistic *successful* call is driven through the
real SDK (AK/SK signing, real socket), in an order that builds the world it needs (a node, a
group, a deployment and its pods, apps, devices, routes, jobs, ...). The JSON edgesim answered is
compared with the operation's response model, recursively through nested models, lists and
maps: every key the model declares is present (unless ``OMITTED`` says why the real service
leaves it out) with the declared type (str, int, float, bool, list, object; ``datetime`` a
string the SDK parses). The status code is compared with the contract (201, 200, 202, 204;
204 and no-body answers carry no body). Then one bad call per operation (an unknown id in its
path, or a bad field) must answer 400/404/409 with the IEF error body
``{"error_code": "IEF.xxxxxx", "error_msg": "..."}``.

    python -m edgesim.testing.sdk_fidelity           # starts its own server (virtual clock)
    python -m edgesim.testing.sdk_fidelity --url U   # asks a running server (it changes it!)

It needs the SDK (`pip install huaweicloudsdkief`, part of the `test` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edgesim.testing.sdk_coverage import AK, PROJECT_ID, SK, operations
from edgesim.testing.sdk_fidelity_plan import PLAN, Bad, Call, Control

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
ERROR_CODE = re.compile(r"^IEF\.\d{6}$")
STRICT_NULLS = os.environ.get("FID_NULLS") == "1"
NOT_IDS = {"project_id", "resource_type"}  # path parameters an unknown id makes no sense for

# Keys a model declares that the real service leaves out of this answer, with the reason
# (docs/api.md "SDK fidelity" repeats them). Keyed by model name, then by JSON key.
REGISTER_ONLY = "key material: in the register answer only (docs/api.md, nodes; tests/test_v2_nodes.py)"
BY_PROTOCOL = "protocol settings exist per access protocol; userdefine has none (ief-api-more.md 4.1)"
OMITTED: dict[str, dict[str, str]] = {
    "DeleteDeploymentResponse": {key: "204 carries no body; the model's error keys are for failures"
                                 for key in ("error_code", "error_msg")},
    "AppVersionDetail": {"updated_at": "only after an update (ief-api-more.md 2.2, from the SDK)"},
    "Env": {key: "one source per variable: value, value_from or field_path (ief-api.md 3)"
            for key in ("value", "value_from", "field_path")},
    "EnvPods": {"value": "a pod keeps the deployment's source: value_from/field_path variables have no value"},
    "HostContainerPortMapping": {"host_port_range": "only when the create body asked for a range"},
    "Annotations": {key: "annotations are a map: a key exists only when set"
                    for key in ("ring_controller", "autonomy_edge_selector")},
    "ValueInTwinResponse": {"excepted": "the desired value exists once set (KubeEdge omitempty)",
                            "actual": "the reported value exists once the device reports (KubeEdge omitempty)"},
    "AccessConfig": {key: BY_PROTOCOL for key in (
        "protocol_type", "protocol_name", "slave_id", "ip", "port", "serial_port", "baud_rate", "data_bits",
        "stop_bits", "parity_bits", "url", "sec_mode", "sec_policy", "auth_type", "username", "password",
        "private_key", "certificate", "timeout")},
    "ValueInPropertyVisitors": {key: BY_PROTOCOL for key in (
        "register_type", "access_mode", "register_index", "register_num", "scale_index", "original_datatype",
        "expected_datatype", "is_registerswap", "is_swap", "sample_interval", "data_min", "data_max",
        "node_id", "browse_name")},
    "EdgeNodeResp": {key: REGISTER_ONLY for key in ("private_key", "certificate", "ca", "package")},
    # affinity is kept and echoed as given (docs/api.md v3): the parts not given are absent
    "Affinity": {key: "echoed as given" for key in ("nodeAffinity", "podAffinity", "podAntiAffinity")},
    "AffinityNodeAffinity": {key: "echoed as given" for key in (
        "preferredDuringSchedulingIgnoredDuringExecution", "requiredDuringSchedulingIgnoredDuringExecution")},
    "SvcPort": {"node_port": "only for a NodePort service (ief-api-more.md 6.1)"},
}


class GroupCertPage:
    """What the SDK types ``object``: the contract's ``[{count, groupcerts: [GroupCert]}]``
    (ief-api-more.md 7.2), GroupCert being the show answer."""
    openapi_types = {"count": "int", "groupcerts": "list[ShowEdgeGroupCertDetailResponse]"}
    attribute_map = {"count": "count", "groupcerts": "groupcerts"}


LOCAL_MODELS = {"GroupCertPage": GroupCertPage}


# Keys the SDK types wrongly where the contract says what edgesim serves instead
# (ief-api-more.md 4.3: ShowDeviceTwinResponse types the twin maps as one object each).
RETYPED: dict[str, dict[str, str]] = {
    "ShowDeviceTwinResponse": {"twin": "dict(str, ValueInTwinResponse)",
                               "property_visitors": "dict(str, ValueInPropertyVisitors)"},
    "ListEdgeGroupCertsResponse": {"body": "list[GroupCertPage]"},
}


@dataclass
class Report:
    operation: str
    status: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> list[str]:
        return [p for p in self.problems if not p.startswith(KNOWN)]

    @property
    def known(self) -> list[str]:
        return [p for p in self.problems if p.startswith(KNOWN)]


def _camel(operation: str) -> str:
    return "".join(part.title() for part in operation.split("_"))


def _model(name: str) -> Any:
    from huaweicloudsdkief import v1

    return LOCAL_MODELS.get(name) or getattr(v1, name, None)


def conform(value: Any, declared: str, where: str) -> list[str]:
    """What in ``value`` does not fit the SDK type ``declared`` (a type string of openapi_types)."""
    if value is None:
        return []  # null deserializes to None whatever the type
    if declared.startswith("list["):
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__} where the SDK declares {declared}"]
        return [p for i, item in enumerate(value) for p in conform(item, declared[5:-1], f"{where}[{i}]")]
    if declared.startswith("dict("):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} where the SDK declares {declared}"]
        inner = declared[5:-1].split(", ", 1)[1]
        return [p for key, item in value.items() for p in conform(item, inner, f"{where}.{key}")]
    primitive = _PRIMITIVES.get(declared)
    if primitive is not None:
        return [] if primitive(value) else [f"{where}: {type(value).__name__} {_short(value)} where the SDK declares {declared}"]
    model = _model(declared)
    if model is None:
        return [f"{where}: unknown SDK type {declared}"]
    if not model.openapi_types:
        return []  # an enum-like model: any scalar fits
    if not isinstance(value, dict):
        return [f"{where}: {type(value).__name__} where the SDK declares the object {declared}"]
    return conform_model(value, model, where)


def conform_model(value: dict, model: Any, where: str) -> list[str]:
    problems = []
    omitted = OMITTED.get(model.__name__, {})
    retyped = RETYPED.get(model.__name__, {})
    for attr, declared in model.openapi_types.items():
        key = model.attribute_map[attr]
        declared = retyped.get(key, declared)
        if key not in value:
            if key not in omitted:
                problems.append(f"{where}.{key}: missing ({model.__name__} declares {declared})")
            continue
        if value[key] is None and STRICT_NULLS:
            problems.append(f"{where}.{key}: null ({model.__name__} declares {declared})")
        problems += conform(value[key], declared, f"{where}.{key}")
        found = timestamp_form(key, value[key], f"{where}.{key}", model.__name__ in V2_TIME_MODELS)
        deviation = KNOWN_DEVIATIONS.get((model.__name__, key))
        problems += [f"{KNOWN}{p} ({deviation})" for p in found] if deviation else found
    return problems


# The contract's timestamp forms: v2 ``2026-11-27T07:12:44.020393`` (ief-api.md 1), v3 and the
# newer families ``2026-01-01T00:00:00.000Z`` (ief-api-more.md 0.4); integers are epoch
# seconds (10 digits; 0 for "not yet"), twin metadata timestamps epoch milliseconds.
TIME_STRING = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
V2_TIME_STRING = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
V2_TIME_MODELS = {
    # the v2 node and group answers of ief-api.md
    "EdgeNodeResp", "EdgeGroupResp", "GroupDeployment", "CreateEdgeGroupResponse", "ShowEdgeGroupDetailResponse",
    "UpdateEdgeGroupResponse", "UpdateEdgeGroupNodeBindingResponse",
}
TIME_KEYS = re.compile(r"^(.*_at|time|upgrade_time|created_time|updated_time)$")

# Where edgesim departs from the contract and an existing test pins the departure: reported apart
# ("known deviation"), for the lead to settle; a new departure is a mismatch.
KNOWN = "known deviation: "
KNOWN_DEVIATIONS: dict[tuple[str, str], str] = {}


def timestamp_form(key: str, value: Any, where: str, v2: bool = False) -> list[str]:
    if isinstance(value, bool) or value is None:
        return []
    if key == "timestamp" and isinstance(value, int):
        return [] if len(str(value)) == 13 else [f"{where}: {value} is not epoch milliseconds"]
    if not TIME_KEYS.match(key):
        return []
    form = V2_TIME_STRING if v2 else TIME_STRING
    if isinstance(value, str) and not form.match(value):
        return [f"{where}: {value!r} is not the contract's timestamp form {form.pattern}"]
    if isinstance(value, int) and value != 0 and len(str(value)) != 10:
        return [f"{where}: {value} is not epoch seconds"]
    return []


def _is_datetime(value: Any) -> bool:
    """A string the SDK turns into a datetime (with dateutil when installed; ISO 8601 at least)."""
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_PRIMITIVES = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "object": lambda v: True,
    "datetime": _is_datetime,
    "date": _is_datetime,
}


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def conform_response(operation: str, content: bytes) -> list[str]:
    """Compare a successful answer's body with ``<Operation>Response``."""
    model = _model(_camel(operation) + "Response")
    declared: dict[str, str] = dict(model.openapi_types)
    if not declared or set(model.attribute_map.values()) == set(OMITTED.get(model.__name__, {})):
        return [] if not content.strip() else [f"body: {_short(content.decode())} where the SDK expects none"]
    if list(model.attribute_map.values()) == ["body"]:
        body_type: str = RETYPED.get(model.__name__, {}).get("body", declared["body"])
        if body_type == "str":  # an answer without JSON: the SDK keeps the text
            return []
        return conform(json.loads(content), body_type, "body")
    try:
        body = json.loads(content)
    except ValueError:
        return [f"body: not JSON {_short(content.decode(errors='replace'))}"]
    if not isinstance(body, dict):
        return [f"body: {type(body).__name__} where the SDK expects an object"]
    return conform_model(body, model, "body")


def error_shape(status: int, content: bytes) -> list[str]:
    try:
        body = json.loads(content)
    except ValueError:
        return [f"error {status}: body is not JSON"]
    if not isinstance(body, dict) or set(body) != {"error_code", "error_msg"}:
        return [f"error {status}: body {_short(body)} is not {{error_code, error_msg}}"]
    problems = []
    if not isinstance(body["error_code"], str) or not ERROR_CODE.match(body["error_code"]):
        problems.append(f"error {status}: error_code {body['error_code']!r} is not IEF.xxxxxx")
    if not isinstance(body["error_msg"], str) or not body["error_msg"]:
        problems.append(f"error {status}: error_msg is empty")
    return problems


# --- driving the SDK ----------------------------------------------------------------------------

def fill(value: Any, ctx: dict[str, Any]) -> Any:
    """Substitute ``{name}`` references from the ids the walk saved so far."""
    if isinstance(value, str):
        whole = re.fullmatch(r"{(\w+)}", value)
        if whole:
            return ctx[whole.group(1)]
        return re.sub(r"{(\w+)}", lambda m: str(ctx[m.group(1)]), value)
    if isinstance(value, list):
        return [fill(item, ctx) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, ctx) for key, item in value.items()}
    return value


def pick(body: Any, path: str) -> Any:
    """Follow a dotted path; in a list, ``key=value`` picks the item whose ``key`` is ``value``."""
    for part in path.split("."):
        if isinstance(body, list) and "=" in part:
            key, wanted = part.split("=", 1)
            body = next(item for item in body if item.get(key) == wanted)
        else:
            body = body[int(part)] if isinstance(body, list) else body[part]
    return body


class Walker:
    def __init__(self, url: str, ak: str = AK, sk: str = SK, project_id: str = PROJECT_ID) -> None:
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.http.http_handler import HttpHandler
        from huaweicloudsdkief.v1 import IefClient

        self.url = url
        self.last: Any = None  # the last raw ``requests`` response the SDK saw
        handler = HttpHandler().add_response_handler(self._keep)
        self.client = IefClient.new_builder().with_credentials(BasicCredentials(ak, sk, project_id)) \
            .with_endpoints([url]).with_http_handler(handler).build()
        self.ctx: dict[str, Any] = {"project_id": project_id}
        self.dropped: list[str] = []  # what the last request model could not carry

    def _keep(self, **kwargs: Any) -> None:
        self.last = kwargs.get("response")

    def send(self, operation: str, params: dict[str, Any], body: Any) -> tuple[int | None, bytes, str]:
        from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, ServerResponseException
        from huaweicloudsdkief import v1

        request = getattr(v1, _camel(operation) + "Request")()
        for name, value in params.items():
            setattr(request, name, value)
        if body is not None:
            request.body = self.as_model(body, request.openapi_types["body"])
        self.last = None
        self.dropped = []
        self.warnings: list[str] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                getattr(self.client, operation)(request)
            # the SDK warns (and keeps the raw value) where it cannot convert a value to its type
            self.warnings = [str(w.message) for w in caught if "Conversion" in type(w.message).__name__
                             or "conversion" in str(w.message)]
        except (ClientRequestException, ServerResponseException):
            pass
        except Exception as exc:  # the SDK could not send, or could not read the answer
            if self.last is None:
                return None, b"", repr(exc)
            return self.last.status_code, self.last.content, f"the SDK failed on the answer: {exc!r}"
        if self.last is None:
            return None, b"", "no answer"
        return self.last.status_code, self.last.content, ""

    def as_model(self, body: Any, declared: str) -> Any:
        """The body as the SDK's request model, as a user builds it: what the model cannot carry
        is lost on the way, as it would be for them (``dropped`` lists it)."""
        model = self.client._deserialize(body, declared)
        from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization

        sent = sanitize_for_serialization(model)
        self.dropped = sorted(_dropped(body, sent, "body"))
        return model

    def control(self, step: Control) -> None:
        data = None if step.body is None else json.dumps(fill(step.body, self.ctx)).encode()
        request = urllib.request.Request(self.url + fill(step.path, self.ctx), data=data, method=step.method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request) as reply:  # noqa: S310 (the server is local)
                answer = json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as refused:
            raise RuntimeError(f"{step.method} {step.path}: {refused.code} {refused.read().decode()}") from None
        for name, path in step.save.items():
            self.ctx[name] = pick(answer, path)

    def good(self, call: Call) -> Report:
        report = Report(call.operation)
        params, body = fill(call.params, self.ctx), fill(call.body, self.ctx)
        status, content, failure = self.send(call.operation, params, body)
        report.status = status
        report.problems += [f"the SDK could not convert: {w}" for w in self.warnings]
        if self.dropped:
            report.problems.append(f"the plan sends what the SDK's request model cannot: {', '.join(self.dropped)}")
        if failure and call.status < 400:
            report.problems.append(failure)
        if status != call.status:
            report.problems.append(f"status {status} where the contract says {call.status}: {_short(content.decode(errors='replace'))}")
            return report
        ignored = self.last.headers.get("X-Edgesim-Warning") if self.last is not None else None
        if ignored:  # a key the SDK's request model sent that edgesim does not know
            report.problems.append(f"edgesim ignored what the SDK sent: {ignored}")
        if status >= 400:  # a refusal the plan expects (a 409 in the wrong state)
            report.problems += error_shape(status, content)
            return report
        if status == 204 and content.strip():
            report.problems.append("204 with a body")
        report.problems += conform_response(call.operation, content)
        if os.environ.get("FID_DUMP") == call.operation:
            print(call.operation, content.decode())
        answer = json.loads(content) if content.strip() else None
        for name, path in call.save.items():
            try:
                self.ctx[name] = pick(answer, path)
            except (KeyError, IndexError, StopIteration, TypeError):
                report.problems.append(f"no {path} in the answer")
        return report

    def bad(self, call: Call, report: Report) -> None:
        bad = call.bad or default_bad(call)
        params = {**fill(call.params, self.ctx), **fill(bad.params, self.ctx)}
        body = fill(bad.body if bad.body is not None else call.body, self.ctx)
        status, content, failure = self.send(call.operation, params, body)
        label = f"bad call ({bad.what})"
        if failure:
            report.problems.append(f"{label}: {failure}")
        if status != bad.status:
            report.problems.append(f"{label}: status {status} where {bad.status} is due: {_short(content.decode(errors='replace'))}")
            return
        report.problems += [f"{label}: {p}" for p in error_shape(status, content)]
        if bad.names and bad.names not in content.decode(errors="replace"):
            report.problems.append(f"{label}: the message does not name {bad.names}: {_short(content.decode())}")
        if os.environ.get("FID_VERBOSE"):
            print(call.operation, label, status, content[:120])


def _dropped(given: Any, sent: Any, where: str) -> list[str]:
    if isinstance(given, dict) and isinstance(sent, dict):
        return [p for key, value in given.items()
                for p in ([f"{where}.{key}"] if key not in sent else _dropped(value, sent[key], f"{where}.{key}"))]
    if isinstance(given, list) and isinstance(sent, list):
        return [p for i, (a, b) in enumerate(zip(given, sent, strict=False)) for p in _dropped(a, b, f"{where}[{i}]")]
    return []


def default_bad(call: Call) -> Bad:
    """An unknown id in the operation's last id path parameter."""
    from huaweicloudsdkief import v1

    request = getattr(v1, _camel(call.operation) + "Request")()
    path = getattr(v1.IefClient, f"_{call.operation}_http_info")(request)["resource_path"]
    ids = [name for name in re.findall(r"{(\w+)}", path) if name not in NOT_IDS]
    if not ids:
        raise ValueError(f"{call.operation}: no id in its path; the plan must say its bad call")
    return Bad(f"unknown {ids[-1]}", 404, {ids[-1]: UNKNOWN_ID}, names=UNKNOWN_ID)


# --- the request side: is every field of the SDK's request models honoured or refused? -----------

_PROBE_VALUES = {"str": "x", "int": 1, "float": 1.0, "bool": False}


def absent_fields(body: Any, model: Any, where: tuple = ()) -> list[tuple[tuple, str, str]]:
    """(where, key, type) of each field the SDK model declares that ``body`` lacks, down the
    nested objects (and the first item of lists of objects) the body has."""
    if model is None or not getattr(model, "openapi_types", None) or not isinstance(body, dict):
        return []
    found: list[tuple[tuple, str, str]] = []
    for attr, declared in model.openapi_types.items():
        key = model.attribute_map[attr]
        value = body.get(key)
        if key not in body:
            found.append((where, key, declared))
        elif isinstance(value, dict):
            found += absent_fields(value, _model(declared), (*where, key))
        elif isinstance(value, list) and value and isinstance(value[0], dict) and declared.startswith("list["):
            found += absent_fields(value[0], _model(declared[5:-1]), (*where, key, 0))
    return found


def probe_fields(walker: Walker, call: Call) -> list[str]:
    """Send the call again once per SDK field it lacks (a value of the declared type): edgesim
    names a field it would ignore in ``X-Edgesim-Warning``, whatever it then answers."""
    from huaweicloudsdkief import v1

    request = getattr(v1, _camel(call.operation) + "Request")()
    params, body = fill(call.params, walker.ctx), fill(call.body, walker.ctx)
    ignored = []
    for where, key, declared in absent_fields(body, _model(request.openapi_types["body"])):
        probe = json.loads(json.dumps(body))
        node = probe
        for part in where:
            node = node[part]
        node[key] = _PROBE_VALUES.get(declared, [] if declared.startswith("list[") else {})
        walker.send(call.operation, params, probe)
        if walker.last is not None and walker.last.headers.get("X-Edgesim-Warning"):
            ignored.append(f"edgesim ignores the SDK field {'.'.join(map(str, (*where, key)))}")
    return ignored


def walk(url: str, probe: bool = False) -> list[Report]:
    """Drive the plan against ``url`` (blocking: the SDK is synchronous). It changes the world.

    With ``probe`` every body call is also sent once per SDK request field it lacks, and only
    the fields edgesim would ignore are reported (the probes change the world the plan expects)."""
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    walker = Walker(url)
    reports: dict[str, Report] = {}
    for step in PLAN:
        if isinstance(step, Control):
            walker.control(step)
            continue
        try:
            report = walker.good(step)
            if probe:
                probed = step.body is not None and step.status < 400 and not step.operation.startswith("delete")
                report.problems = probe_fields(walker, step) if probed else []
            elif step.check_bad:
                walker.bad(step, report)
        except KeyError as missing:  # an earlier step failed to make what this one needs
            report = Report(step.operation, None, [f"not called: no {missing} (an earlier step failed)"])
        kept = reports.setdefault(step.operation, Report(step.operation))
        kept.problems += report.problems
        if kept.status is None and step.status < 400:  # the status of its successful call
            kept.status = report.status
    for operation in operations():
        reports.setdefault(operation, Report(operation, None, [] if probe else ["the plan does not call it"]))
    return [reports[operation] for operation in sorted(reports)]


async def _walk_own_server(probe: bool = False) -> list[Report]:
    from edgesim.server import Server, ServerOptions
    from edgesim.settings import load_settings

    with tempfile.TemporaryDirectory() as folder:
        server = Server(load_settings(), ServerOptions(port=0, db=f"{folder}/edgesim.db", clock="virtual", seed=0))
        await server.start()
        try:
            return await asyncio.to_thread(walk, server.url, probe)
        finally:
            await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edgesim.testing.sdk_fidelity", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running edgesim (default: start one on a virtual clock)")
    parser.add_argument("--probe", action="store_true",
                        help="instead: send each body once per SDK request field it lacks; report the ones edgesim ignores")
    args = parser.parse_args(argv)
    reports = walk(args.url, args.probe) if args.url else asyncio.run(_walk_own_server(args.probe))
    for report in reports:
        mark = "MISMATCH" if report.mismatches else "known" if report.known else "ok"
        print(f"{mark:8} {report.operation:34} {report.status}")
        for problem in report.problems:
            print(f"         - {problem}")
    mismatches = sum(len(report.mismatches) for report in reports)
    known = sum(len(report.known) for report in reports)
    print(f"{mismatches} mismatches in {sum(bool(r.mismatches) for r in reports)} of {len(reports)} SDK operations"
          f"; {known} known deviations")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
