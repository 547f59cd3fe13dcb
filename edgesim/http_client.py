"""A small synchronous client of a running edgesim, for code outside the server: the Chaos
Toolkit extension (``edgesim.chaostoolkit``) and the in-process server's helpers
(``edgesim.inprocess``). Standard library only, so it adds no dependency to whoever imports it.

IEF calls carry ``X-Auth-Token`` or an AK/SK signature (``api.signing.sign``); control calls
(``/edgesim/...``) carry ``X-Admin-Token`` when one is given. An answer other than 2xx raises
``EdgesimHTTPError`` with the IEF error code and message.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from edgesim.api import signing

TIMEOUT_SECONDS = 600.0  # a long advance answers only once it has run


class EdgesimHTTPError(Exception):
    """edgesim answered an error, or could not be reached (``status`` 0)."""

    def __init__(self, method: str, path: str, status: int, code: str, message: str) -> None:
        self.status, self.code, self.error_msg = status, code, message
        where = f"{method} {path}"
        text = f"{where}: cannot reach edgesim: {message}" if status == 0 else f"{where} answered {status} {code}: {message}"
        super().__init__(text)


@dataclass
class Client:
    url: str
    token: str | None = None
    ak: str | None = None
    sk: str | None = None
    admin_token: str | None = None
    project_id: str | None = None  # None: found from the credential on first use (find_project)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """A call to the control surface, ``path`` under /edgesim/."""
        headers = {"X-Admin-Token": self.admin_token} if self.admin_token else {}
        return self._send(method, "/edgesim/" + path.lstrip("/"), body, headers, sign=False)

    def ief(self, method: str, path: str, body: Any = None, version: str = "v2") -> Any:
        """An IEF call, ``path`` under /<version>/<project_id>/edgemgr/."""
        full = f"/{version}/{self.project()}/edgemgr/{path.lstrip('/')}"
        return self._send(method, full, body, self._credential(), sign=self.token is None)

    def project(self) -> str:
        if self.project_id is None:
            self.project_id = self.find_project()
        return self.project_id

    def find_project(self) -> str:
        """The project the credential belongs to: the first configured project (the OpenAPI
        document lists them) whose quota read the credential may make."""
        document = self.control("GET", "openapi.json")
        candidates: list[str] = []
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("name") == "project_id":
                        candidates = parameter.get("schema", {}).get("enum", [])
                        break
                if candidates:
                    break
            if candidates:
                break
        for project_id in candidates:
            try:
                self._send("GET", f"/v2/{project_id}/edgemgr/quotas", None, self._credential(), sign=self.token is None)
            except EdgesimHTTPError as exc:
                if exc.status == 401:
                    raise
                continue
            return project_id
        raise EdgesimHTTPError("GET", "/v2/{project_id}/edgemgr/quotas", 400, "IEF.011005",
                               f"the credential belongs to none of the configured projects {candidates}")

    def _credential(self) -> dict[str, str]:
        if self.token:
            return {"X-Auth-Token": self.token}
        if not (self.ak and self.sk):
            raise ValueError("an IEF call needs a token, or both ak and sk")
        return {}

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str], sign: bool) -> Any:
        url = self.url.rstrip("/") + path
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **headers}
        if sign:
            headers = signing.sign(method, url, headers, data, self.ak or "", self.sk or "")
        request = urllib.request.Request(url, data=data or None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                raw = response.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                answer = json.loads(raw) if raw else {}
            except ValueError:
                answer = {"error_msg": raw.decode(errors="replace")}
            code = answer.get("error_code", "") if isinstance(answer, dict) else ""
            message = answer.get("error_msg", answer) if isinstance(answer, dict) else answer
            raise EdgesimHTTPError(method, path, exc.code, code, str(message)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise EdgesimHTTPError(method, path, 0, "", str(getattr(exc, "reason", exc))) from None
