"""The walk of ``sdk_fidelity``: one realistic successful call per SDK operation, in an order
that builds the world each call needs, with the status the contract gives it.

``{name}`` in params and bodies is an id a previous step saved (``save``: name -> a dotted path
into the answer; ``key=value`` picks the list item whose ``key`` is ``value``). Bodies are plain
JSON dicts, shaped as the SDK's request models serialize. ``bad`` overrides the default bad call
(an unknown id in the last id path parameter, 404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NODE_TYPE = "ief-edge_node"
INSTANCE = "inst-1"  # services need the ief-instance-id header


@dataclass(frozen=True)
class Bad:
    what: str
    status: int
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None  # None: the good call's body
    names: str = ""  # what the error message must name (the field, the unknown id)


@dataclass(frozen=True)
class Call:
    operation: str
    status: int
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    save: dict[str, str] = field(default_factory=dict)
    bad: Bad | None = None
    check_bad: bool = True


@dataclass(frozen=True)
class Control:
    """A step on edgesim's own control surface (clock, behaviours, fleet), not an SDK call."""
    method: str
    path: str
    body: Any = None
    save: dict[str, str] = field(default_factory=dict)


def advance(seconds: float) -> Control:
    return Control("POST", "/edgesim/clock/advance", {"seconds": seconds})


def refused(operation: str, status: int, params: dict[str, Any], body: Any = None) -> Call:
    """A call the contract refuses in this state (its error body is checked)."""
    return Call(operation, status, params, body, check_bad=False)


def limit_zero(operation: str, status: int, **params: Any) -> Call:
    """A list whose bad call is ``limit=0`` (400 IEF.100005)."""
    return Call(operation, status, params, bad=Bad("limit 0", 400, {"limit": 0}, names="limit"))


def empty_body(operation: str, status: int, body: Any, save: dict[str, str] | None = None, **params: Any) -> Call:
    """A create whose bad call sends an empty body (its required fields missing: 400)."""
    return Call(operation, status, params, body, save or {}, Bad("empty body", 400, body={}))


CONTAINER = {"name": "web", "image_url": "nginx:1.25", "resources": {"limits": {"cpu": "0.5", "memory": "256"},
                                                                      "requests": {"cpu": "0.25", "memory": "128"}},
             "ports": [{"container_port": 80, "host_port": 8080}],
             "envs": [{"name": "MODE", "value": "prod"},
                      {"name": "LEVEL", "value_from": {"configmap": {"name": "app-config", "key": "b"}}},
                      {"name": "PASS", "value_from": {"secret": {"name": "db-pass", "key": "password"}}}],
             "volumes": [{"name": "logs", "type": "hostPath", "source": "/var/log", "destination": "/logs"},
                         {"name": "conf", "type": "configMap", "source": "app-config", "destination": "/etc/app"}],
             "liveness_probe": {"exec": {"command": "cat /tmp/healthy"}, "initial_delay_seconds": 10},
             "readiness_probe": {"http_get": {"path": "/healthz", "port": 80}, "initial_delay_seconds": 5}}
# Kubernetes spelling, as the SDK's Affinity models serialize it
AFFINITY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": "arch", "operator": "In", "values": ["x86_64", "arm64"]}]}]}}}
TEMPLATE = {"configs": {"restart_policy": "Always", "host_network": False}, "containers": [CONTAINER]}
SPEC = {"version": "1.0.0", "image_url": "swr.example/camera:1", "arch": "x86_64",
        "envs": [{"name": "MODE", "value": "prod"}],
        "configs": {"restart_policy": "Always", "host_network": False, "ports": [{"container_port": 80, "host_port": 80}]},
        "volumes": [{"name": "logs", "type": "hostPath", "source": "/var/log", "destination": "/logs"}],
        "resources": {"limits": {"cpu": 1.0, "memory": 256.0}, "requests": {"cpu": 0.5, "memory": 128.0}},
        "liveness_probe": {"exec_command": "true", "initial_delay_seconds": 5}}
TWIN = {"open": {"metadata": {"type": "boolean"}}}
ATTRIBUTES = {"rate": {"value": "9600", "metadata": {"type": "int"}}}
BUS = {"endpoint": {"name": "bus", "type": "servicebus", "properties": {"service_port": "8080"}, "description": "bus"}}
SERVICE = {"service": {"meta_data": {"name": "web", "labels": {"tier": "front"}},
                       "spec": {"selector": {"app": "web"},
                                "ports": [{"name": "http-0", "protocol": "TCP", "port": "80", "target_port": "8080"}]}}}
ENCRYPT = {"encrypt_data": {"name": "db-creds", "description": "db",
                            "config": [{"name": "password", "value": "s3cret", "is_encrypted": False}]}}

Step = Call | Control

PLAN: list[Step] = [
    Control("PUT", "/edgesim/behaviors", [{"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}}]),
    Control("PUT", "/edgesim/upgrade-behavior", {"seconds": 10.0, "failure_probability": 1.0, "concurrency": 1}),
    Control("POST", "/edgesim/fleet", {"nodes": 4, "name_prefix": "fid"},
            save={"n1": "node_ids.0", "n2": "node_ids.1", "n3": "node_ids.2", "n4": "node_ids.3"}),

    # nodes, groups, quotas
    empty_body("create_edge_node", 201, {"node": {"name": "fid-node", "description": "registered",
                                                  "attributes": [{"key": "site", "value": "sz"}],
                                                  "tags": [{"key": "env", "value": "test"}],
                                                  "log_configs": [{"type": "local", "component": "app", "size": 100}]}},
               {"new_node": "node.id"}),
    limit_zero("list_edge_nodes", 200, sort="created_at:asc"),
    Call("show_edge_node_detail", 200, {"node_id": "{n1}"}),
    Call("update_edge_node", 200, {"node_id": "{new_node}"}, {"node": {"description": "updated"}}),
    Call("enable_disable_edge_nodes", 200, {"node_id": "{new_node}"}, {"node": {"action": "stop"}}),
    empty_body("create_edge_group", 201, {"name": "fid-group", "description": "site", "node_ids": ["{n1}"],
                                          "tags": [{"key": "env", "value": "test"}]}, {"group": "id"}),
    limit_zero("list_edge_groups", 200),
    Call("show_edge_group_detail", 200, {"group_id": "{group}"}),
    Call("update_edge_group", 200, {"group_id": "{group}"}, {"description": "site b"}),
    Call("update_edge_group_node_binding", 200, {"group_id": "{group}"}, {"add_node_ids": ["{n2}"], "remove_node_ids": []}),
    Call("show_quota", 200, bad=Bad("types vcpu", 400, {"types": "vcpu"}, names="types")),

    # config maps and secrets
    empty_body("create_config_map", 201, {"configmap": {"name": "app-config", "description": "web", "configs": {"a.yaml": "x: 1", "b": "1"}}},
               {"configmap": "configmap.id"}),
    limit_zero("list_config_maps", 200),
    Call("show_config_map", 200, {"configmap_id": "{configmap}"}),
    Call("update_config_map", 200, {"configmap_id": "{configmap}"}, {"configmap": {"configs": {"b": "2"}}}),
    empty_body("create_secret", 201, {"secret": {"name": "db-pass", "secrets": {"password": "cDE="}}}, {"secret": "secret.id"}),
    limit_zero("list_secrets", 200),
    Call("show_secret", 200, {"secret_id": "{secret}"}),
    Call("update_secret", 200, {"secret_id": "{secret}"}, {"secret": {"secrets": {"password": "cDI="}}}),

    # v3 deployments and pods (they read the config map and the secret)
    empty_body("create_deployments", 201, {"name": "fid-web", "description": "web", "node_ids": ["{n1}"],
                                           "tags": [{"key": "env", "value": "test"}],
                                           "deployment": {"replicas": 1, "template": TEMPLATE}}, {"dep": "id"}),
    Call("create_deployments", 201, body={"name": "fid-site", "group_id": "{group}", "deployment": {"replicas": 1, "template": {
        "configs": {"restart_policy": "Always", "migration": True, "toleration_seconds": 60}, "affinity": AFFINITY,
        "init_containers": [{"name": "init", "image_url": "busybox:1.36", "command": ["sh", "-c", "true"]}],
        "containers": [{"name": "web", "image_url": "nginx:1.25",
                        "ports": [{"container_port": 80, "host_port_range": {"min_port": 30000, "max_port": 30010}}]}]}}},
        save={"dep2": "id"}, check_bad=False),
    Call("list_pods", 200, {"group_id": "{group}"}, check_bad=False),  # a pod still pending
    advance(20),
    Call("show_edge_group_detail", 200, {"group_id": "{group}"}, check_bad=False),  # now with a deployment
    refused("create_edge_node", 400, {}, {"node": {"name": "fid-node"}}),  # the name is taken
    limit_zero("list_deployments", 200),
    Call("show_deployment", 200, {"deployment_id": "{dep}"}),
    Call("update_deployment", 200, {"deployment_id": "{dep}"}, {"description": "web b"}),
    Call("update_deployment", 200, {"deployment_id": "{dep2}"},  # a new template: the pod rolls
         {"deployment": {"replicas": 1, "template": {"configs": {"restart_policy": "Always", "migration": True},
                                                     "containers": [{"name": "web", "image_url": "nginx:1.27"}]}}},
         check_bad=False),
    Call("show_deployment", 200, {"deployment_id": "{dep2}"}, check_bad=False),
    advance(20),
    Call("list_pods", 200, {"node_id": "{n1}"}, check_bad=False),
    limit_zero("list_pods", 200, deployment_id="{dep}"),
    Call("list_pods", 200, {"deployment_id": "{dep}"}, save={"pod": "pods.0.name"}, check_bad=False),
    Call("restart_deployments_pod", 202, {"deployment_id": "{dep}", "pod_name": "{pod}"}),
    advance(20),
    Call("delete_pod", 204, {"deployment_id": "{dep}", "pod_name": "{pod}"}),
    advance(20),

    # app templates and versions
    empty_body("create_app", 201, {"app": {"name": "camera", "alias": "Camera_1", "description": "edge camera",
                                           "icon_url": "https://x.example/c.png", "tags": [{"key": "team", "value": "vision"}]}},
               {"app": "app.id"}),
    Call("create_app_versions", 201, {"app_id": "{app}"}, {"version": SPEC}, {"version": "version.id"}),
    limit_zero("list_apps", 200),
    Call("show_app_detail", 200, {"app_id": "{app}"}),
    Call("update_app", 200, {"app_id": "{app}"}, {"app": {"alias": "Cam", "description": "renamed"}}),
    Call("list_app_versions", 200, {"app_id": "{app}"}),
    Call("show_app_version_detail", 200, {"app_id": "{app}", "version_id": "{version}"}),
    Call("update_app_version", 200, {"app_id": "{app}", "version_id": "{version}"},
         {"version": {"command": ["/bin/run"], "npu_type": "D310B"}}),

    # device templates, devices, binding, twins, products
    empty_body("create_device_template", 201, {"device_template": {
        "name": "thermo", "access_protocol": "userdefine", "description": "thermometers",
        "attributes": {"vendor": {"value": "acme", "metadata": {"type": "string"}}},
        "twin": {"setpoint": {"excepted": {"value": "21.5", "metadata": {"type": "float"}}, "metadata": {"type": "float"}}},
        "tags": {"key": "site", "value": "sz"}}}, {"template": "device_template.id"}),
    limit_zero("list_device_templates", 200),
    Call("show_device_template", 200, {"device_template_id": "{template}"}),
    Call("update_device_template_by_id", 200, {"device_template_id": "{template}"}, {"device_template": {"description": "v2"}}),
    empty_body("create_device", 201, {"device": {"name": "valve-1", "description": "hall", "attributes": ATTRIBUTES, "twin": TWIN}},
               {"device": "device.id"}),
    Call("create_device", 201, body={"device": {"name": "valve-2"}}, save={"device2": "device.id"}, check_bad=False),
    Call("create_device", 201, body={"device": {  # a modbus device: protocol settings and property visitors
        "name": "plc-1", "access_protocol": "modbus",
        "access_config": {"protocol_type": {"value": "modbus"}, "ip": {"value": "10.0.0.7"},
                          "port": {"value": "502", "metadata": {"type": "int"}}},
        "twin": {"pressure": {"metadata": {"type": "float"}}},
        "property_visitors": {"pressure": {"register_type": {"value": "HoldingRegisters"}, "access_mode": {"value": "r"}}}}},
        save={"plc": "device.id"}, check_bad=False),
    Call("show_device_twin", 200, {"device_id": "{plc}"}, check_bad=False),
    Call("update_edge_node_device", 200, {"node_id": "{n1}"},
         {"devices": {"added": {"relation": "feeds", "comment": "c", "device_ids": ["{device}"]}, "removed": []}}),
    Call("update_node_by_device_id", 200, {"device_id": "{device2}"},
         {"nodes": {"added": {"node_ids": ["{n1}"]}, "removed": []}}),
    refused("update_node_by_device_id", 409, {"device_id": "{device}"},  # bound to n1 already
            {"nodes": {"added": {"node_ids": ["{n2}"]}, "removed": []}}),
    limit_zero("list_devices", 200),
    Call("show_device", 200, {"device_id": "{device}"}),
    Call("update_device", 200, {"device_id": "{device}"}, {"device": {"description": "hall b", "attributes": ATTRIBUTES}}),
    Call("update_device_twin", 200, {"device_id": "{device}"}, {"twin": {"open": {"excepted": {"value": "true"}}}}),
    advance(10),
    Call("show_device_twin", 200, {"device_id": "{device}"}),
    empty_body("create_product", 201, {"product": {"name": "gateway", "description": "gateways",
                                                   "attributes": {"rev": {"value": "3", "metadata": {"type": "int"}}},
                                                   "tags": [{"key": "site", "value": "sz"}]}}, {"product": "product.id"}),
    limit_zero("list_products", 200),
    Call("show_product_detail", 200, {"product_id": "{product}"}),

    # tags on a node
    Call("create_tag", 201, {"resource_type": NODE_TYPE, "resource_id": "{n1}"}, {"tag": {"key": "env", "value": "prod"}}),
    Call("batch_add_delete_tags", 200, {"resource_type": NODE_TYPE, "resource_id": "{n2}"},
         {"action": "create", "tags": [{"key": "env", "value": "dev"}, {"key": "tier", "value": "web"}]}),
    Call("list_tags", 200, {"resource_type": NODE_TYPE, "resource_id": "{n2}"}),
    Call("list_tags_by_resource_type", 200, {"resource_type": NODE_TYPE},
         bad=Bad("unknown resource type: no such API", 404, {"resource_type": "ief-nothing"})),
    Call("list_resource_by_tags", 200, {"resource_type": NODE_TYPE},
         {"action": "filter", "tags": [{"key": "env", "values": ["prod", "dev"]}], "limit": "10", "offset": "0"},
         bad=Bad("action boom", 400, body={"action": "boom"}, names="action")),
    Call("delete_resource_tag", 204, {"resource_type": NODE_TYPE, "resource_id": "{n2}", "key": "tier"}),

    # node and group certificates, encrypted data
    Call("create_edge_node_certs", 201, {"node_id": "{n1}"}, {"name": "mqtt-client", "type": "application", "description": "meter"},
         {"node_cert": "id"}),
    Call("list_edge_node_certs", 200, {"node_id": "{n1}"}),
    Call("create_edge_group_cert", 201, {"group_id": "{group}"}, {"name": "gw", "type": "device", "description": "gateway"},
         {"group_cert": "id"}),
    Call("list_edge_group_certs", 200, {"group_id": "{group}"}),
    Call("show_edge_group_cert_detail", 200, {"group_id": "{group}", "group_cert_id": "{group_cert}"}),
    empty_body("create_encryptdatas", 201, ENCRYPT, {"encrypt": "encrypt_data.id"}),
    limit_zero("list_encryptdatas", 200),
    Call("show_encryptdatas", 200, {"encryptdata_id": "{encrypt}"}),
    Call("update_encryptdatas", 200, {"encryptdata_id": "{encrypt}"}, ENCRYPT),
    Call("create_node_encryptdatas", 201, {"node_id": "{n1}"}, {"encrypt_datas": ["{encrypt}"]}),
    Call("list_node_encryptdatas", 200, {"node_id": "{n1}"}),
    Call("list_encryptdata_nodes", 200, {"encryptdata_id": "{encrypt}"}),
    refused("delete_encryptdatas", 409, {"encryptdata_id": "{encrypt}"}),  # still bound to n1

    # message routing: endpoints, rules, system events
    empty_body("create_endpoint", 201, BUS, {"bus": "endpoint.id"}),
    Call("create_endpoint", 201, body={"endpoint": {"name": "gw", "type": "apigw", "properties": {"domain_id": "d"}}},
         save={"gw": "endpoint.id"}, check_bad=False),
    Call("list_endpoints", 200, {"is_shared": "true"},
         save={"rest": "endpoints.name=SystemREST.id", "eventbus": "endpoints.name=SystemEventBus.id"},
         bad=Bad("is_shared maybe", 400, {"is_shared": "maybe"}, names="is_shared")),
    Call("show_end_point_detail", 200, {"endpoint_id": "{bus}"}),
    refused("delete_end_point", 409, {"endpoint_id": "{rest}"}),  # shared endpoints stay
    empty_body("create_rule", 201, {"rule": {"name": "down", "source": "{rest}", "source_resource": {"path": "/cmd"},
                                             "target": "{eventbus}", "target_resource": {"topic": "/cmd", "node_id": "{n1}"},
                                             "description": "commands"}}, {"rule": "rule.id"}),
    advance(5),
    limit_zero("list_rules", 200),
    Call("show_rule_detail", 200, {"rule_id": "{rule}"}),
    Call("stop_rule", 200, {"rule_id": "{rule}"}),
    Call("start_rule", 200, {"rule_id": "{rule}"}),
    Call("list_rule_errors", 200, {"rule_id": "{rule}"}),
    empty_body("create_system_event", 201, {"systemevent": {
        "name": "watch", "events": "edgeNode/offline,edgeNode/online", "target": "{gw}",
        "target_resource": {"resource": "https://gw.example/hook"}, "description": "nodes"}}, {"event": "systemevent.id"}),
    limit_zero("list_system_events", 200),
    Call("show_system_event_detail", 200, {"event_id": "{event}"}),
    Call("stop_system_event", 200, {"event_id": "{event}"}),
    Call("start_system_event", 200, {"event_id": "{event}"}),

    # edge services
    empty_body("create_service", 201, SERVICE, {"service": "service.id"}, ief_instance_id=INSTANCE),
    limit_zero("list_services", 200, ief_instance_id=INSTANCE),
    Call("show_service_detail", 200, {"ief_instance_id": INSTANCE, "service_id": "{service}"}),
    Call("update_service", 200, {"ief_instance_id": INSTANCE, "service_id": "{service}"}, SERVICE),

    # batch jobs (every upgrade fails: the profile above) and one node upgrade
    empty_body("create_batch_job", 201, {
        "job_name": "fid-upgrade", "job_type": "node_upgrade", "description": "fleet upgrade",
        "job_content": {"target_type": "node", "targets": [
            {"target_id": "{n3}", "extension_info": [{"key": "node_name", "value": "n3"}]}, {"target_id": "{n4}"}]}},
        {"job": "job_id"}),
    limit_zero("list_batch_job", 200),
    Call("show_batch_job", 200, {"job_id": "{job}"}),
    Call("stop_batch_job", 200, {"job_id": "{job}"}),
    advance(10),
    Call("restore_batch_job", 200, {"job_id": "{job}"}),
    advance(60),
    Call("retry_batch_job", 200, {"job_id": "{job}"}),
    advance(60),
    refused("stop_batch_job", 409, {"job_id": "{job}"}),  # finished: nothing to stop
    Call("upgrade_edge_node", 202, {"node_id": "{n2}"}),
    refused("upgrade_edge_node", 409, {"node_id": "{n2}"}),  # already upgrading
    advance(30),
    Call("show_edge_node_detail", 200, {"node_id": "{n2}"}, check_bad=False),  # with its upgrade history
    # the rule's node stops: its messages fail and are listed as errors
    Call("enable_disable_edge_nodes", 200, {"node_id": "{n1}"}, {"node": {"action": "stop"}}, check_bad=False),
    advance(3),
    Call("list_rule_errors", 200, {"rule_id": "{rule}"}, check_bad=False),
    Call("enable_disable_edge_nodes", 200, {"node_id": "{n1}"}, {"node": {"action": "start"}}, check_bad=False),
    advance(10),

    # a node falls silent: FAIL with its reason, its pods UNKNOWN
    Control("POST", "/edgesim/nodes/{n2}/disconnect"),
    advance(60),
    Call("show_edge_node_detail", 200, {"node_id": "{n2}"}, check_bad=False),
    Call("list_pods", 200, {"node_id": "{n2}"}, check_bad=False),
    Control("POST", "/edgesim/nodes/{n2}/connect"),
    advance(30),
    # an app deployed by batch job: the job carries its task data
    Call("create_batch_job", 201, body={"job_name": "fid-deploy", "job_type": "deployment_deploy", "job_content": {
        "target_type": "node", "targets": [{"target_id": "{n4}"}],
        "task_data": '{"replicas": 1, "template": {"configs": {"restart_policy": "Always"}, '
                     '"containers": [{"name": "web", "image_url": "nginx:1.25"}]}}'}},
        save={"job2": "job_id"}, check_bad=False),
    advance(10),
    Call("show_batch_job", 200, {"job_id": "{job2}"}, check_bad=False),
    Call("list_batch_job", 200, {"sort": "created_at:desc"}, check_bad=False),

    # deletes, dependants first
    Call("delete_batch_job", 204, {"job_id": "{job}"}),
    Call("delete_service", 204, {"ief_instance_id": INSTANCE, "service_id": "{service}"}),
    Call("delete_system_event", 204, {"event_id": "{event}"}),
    Call("delete_rule", 204, {"rule_id": "{rule}"}),
    Call("delete_end_point", 204, {"endpoint_id": "{bus}"}),
    Call("delete_node_encryptdatas", 204, {"node_id": "{n1}", "encryptdata_id": "{encrypt}"}),
    Call("delete_encryptdatas", 204, {"encryptdata_id": "{encrypt}"}),
    Call("delete_edge_group_cert", 204, {"group_id": "{group}", "group_cert_id": "{group_cert}"}),
    Call("delete_edge_node_certs", 204, {"node_id": "{n1}", "cert_id": "{node_cert}"}),
    Call("delete_product", 204, {"product_id": "{product}"}),
    Call("delete_device", 204, {"device_id": "{device}"}),
    Call("delete_device", 204, {"device_id": "{plc}"}, check_bad=False),
    Call("delete_device_template", 204, {"device_template_id": "{template}"}),
    Call("delete_secret", 204, {"secret_id": "{secret}"}),
    Call("delete_config_map", 204, {"configmap_id": "{configmap}"}),
    Call("delete_app_version", 204, {"app_id": "{app}", "version_id": "{version}"}),
    Call("delete_app", 204, {"app_id": "{app}"}),
    Call("delete_deployment", 204, {"deployment_id": "{dep}"}),
    Call("show_deployment", 200, {"deployment_id": "{dep}"}, check_bad=False),  # PENDING_DELETE for now
    Call("delete_deployment", 204, {"deployment_id": "{dep2}"}, check_bad=False),
    advance(30),  # the group's deployment finishes terminating
    Call("delete_edge_group", 204, {"group_id": "{group}"}),
    Call("delete_edge_node", 204, {"node_id": "{new_node}"}),
]
