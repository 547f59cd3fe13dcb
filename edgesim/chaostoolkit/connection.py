"""From the toolkit's ``configuration`` and ``secrets`` to an edgesim client; edgesim's errors
as the toolkit's ``ActivityFailed``.

The toolkit hands an activity the secrets of the scopes its provider names, merged into one
mapping (``"secrets": ["edgesim"]`` gives ``{"token": ...}``); a mapping that still holds an
``edgesim`` scope (an activity called from Python with the experiment's whole ``secrets``) is
read from that scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from chaoslib.exceptions import ActivityFailed

from edgesim.http_client import Client, EdgesimHTTPError

SCOPE = "edgesim"
DEFAULT_URL = "http://127.0.0.1:8080"  # the one `edgesim serve` and the CLI's --url default to

T = TypeVar("T")

# Projects found from a credential, so that each activity does not look its project up again.
_projects: dict[tuple[str, str], str] = {}


def client(configuration: dict[str, Any] | None, secrets: dict[str, Any] | None) -> Client:
    configuration = configuration or {}
    scope = dict(secrets or {})
    if isinstance(scope.get(SCOPE), dict):
        scope = scope[SCOPE]
    url = configuration.get("edgesim_url") or DEFAULT_URL
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ActivityFailed(f"configuration edgesim_url must be an http(s) URL, got {url!r}")
    token, ak, sk = scope.get("token"), scope.get("ak"), scope.get("sk")
    if not token and bool(ak) != bool(sk):
        raise ActivityFailed(f"secrets scope {SCOPE!r} has {'ak' if ak else 'sk'} without {'sk' if ak else 'ak'}")
    project_id = configuration.get("edgesim_project_id") or _projects.get((url, token or ak or ""))
    return Client(url, token=token or None, ak=ak or None, sk=sk or None,
                  admin_token=scope.get("admin_token") or None, project_id=project_id)


def needs_credential(edgesim: Client) -> None:
    if not (edgesim.token or (edgesim.ak and edgesim.sk)):
        raise ActivityFailed(f"IEF calls need secrets scope {SCOPE!r} with token, or ak and sk")


def ief_project(edgesim: Client) -> str:
    """The project of IEF calls, found once per credential when the configuration has none."""
    needs_credential(edgesim)
    with failures():
        project_id = edgesim.project()
    _projects[(edgesim.url, edgesim.token or edgesim.ak or "")] = project_id
    return project_id


@contextmanager
def failures() -> Iterator[None]:
    """edgesim's refusals and unreachable servers become ActivityFailed with edgesim's words."""
    try:
        yield
    except EdgesimHTTPError as exc:
        raise ActivityFailed(f"edgesim: {exc}") from None
    except ValueError as exc:
        raise ActivityFailed(f"edgesim: {exc}") from None


def call(do: Callable[[], T]) -> T:
    with failures():
        return do()
