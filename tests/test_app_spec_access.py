"""The app spec is read and changed through its typed model (``Deployment.spec`` /
``Instance.spec``, domain/app_spec.py), never by key on the stored document: outside the domain
module that converts the two, ``record.app`` is only handed on whole (to a call), and no
function takes an app spec as a dict."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "edgesim"
# the model, its conversion and the record mixin that caches it: the only readers of the document
CONVERTERS = {"domain/app_spec.py", "domain/models.py"}


def spec_by_key(source: str) -> list[str]:
    """Where ``source`` reads or changes a stored app spec as a dict (``dep.app["image_url"]``,
    ``inst.app.get(...)``, ``dep.app = {...}``, ``{**dep.app}``, ``doc = inst.app``...), or takes
    one (``def f(app: dict[...])``). ``request.app`` is aiohttp's application, not a spec; an
    ``.app`` of a call's result is a request model's field (``parse(...).app``)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "app" and _of_a_record(node.value):
            parent = parents.get(node)
            handed_on = isinstance(parent, ast.keyword) or (isinstance(parent, ast.Call) and node in parent.args)
            if not handed_on:
                found.append(f"line {node.lineno}: {ast.unparse(parent if parent is not None else node)}")
        elif isinstance(node, ast.arg) and node.arg == "app" and node.annotation is not None \
                and "dict" in ast.unparse(node.annotation).lower():
            found.append(f"line {node.lineno}: parameter {node.arg}: {ast.unparse(node.annotation)}")
    return found


def _of_a_record(base: ast.expr) -> bool:
    if isinstance(base, ast.Name):
        return base.id != "request"
    return isinstance(base, ast.Attribute | ast.Subscript)


def test_no_code_outside_the_domain_reads_the_app_spec_by_key():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative not in CONVERTERS and (found := spec_by_key(path.read_text())):
            offenders[relative] = found
    assert offenders == {}


def test_the_scan_finds_each_way_of_reading_by_key():
    by_key = [
        'url = inst.app["image_url"]',
        'probe = inst.app.get("readiness_probe")',
        "dep.app = {**dep.app, **changes}",
        'dep.app["migration"] = True',
        "same = new == dep.app",
        "doc = self.world.deployments[i].app",
        "def refs(app: dict[str, Any]) -> None: ...",
        "def refs(app: Mapping[str, dict]) -> None: ...",
    ]
    for line in by_key:
        assert spec_by_key(line), line


def test_the_scan_lets_typed_reads_and_whole_hand_overs_through():
    allowed = [
        "url = inst.spec.image_url",
        "inst = Instance(id=i, app=dep.app)",
        "spec = app_spec(d.app)",
        "engine = request.app[ENGINE]",
        "body = parse(CreateAppBody, raw).app",
        "def create(app: AppSpec) -> None: ...",
    ]
    for line in allowed:
        assert spec_by_key(line) == [], line
