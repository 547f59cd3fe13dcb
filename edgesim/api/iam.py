"""The simulated IAM login: ``POST /v3/auth/tokens`` (ief-api.md section 8).

Password method only, scoped to a project by id or by name; the accounts, users, passwords and
projects come from ``accounts.toml``. A success answers 201 with the token in the
``X-Subject-Token`` header and a Keystone-style body. IAM is not IEF, so its errors use
Keystone's body, ``{"error": {"code", "message", "title"}}``: 400 for a body that is not a
password login scoped to a project, 401 for a wrong domain, user or password, or a project
the user has no access to (the same message for all of these, so it tells nothing away).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edgesim.api.errors import json_response
from edgesim.api.paths import IAM_TOKENS
from edgesim.api.routing import ENGINE, IAM, Route
from edgesim.api.validation import field_path
from edgesim.engine.engine import Engine
from edgesim.settings import Account

IAM_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
WRONG_CREDENTIALS = "The username or password is wrong."


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class DomainRef(_Body):
    id: str | None = None
    name: str | None = None


class User(_Body):
    name: Annotated[str, Field(min_length=1)]
    password: str
    domain: DomainRef


class PasswordMethod(_Body):
    user: User


class Identity(_Body):
    methods: list[str]
    password: PasswordMethod | None = None

    @model_validator(mode="after")
    def _password_login(self) -> Identity:
        if "password" not in self.methods or self.password is None:
            raise ValueError('the simulated IAM supports the "password" method only: give methods ["password"] and password.user')
        return self


class ProjectRef(_Body):
    id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _id_or_name(self) -> ProjectRef:
        if not self.id and not self.name:
            raise ValueError("give the project's id or name")
        return self


class Scope(_Body):
    project: ProjectRef | None = None

    @model_validator(mode="after")
    def _project_scope(self) -> Scope:
        if self.project is None:
            raise ValueError("only project-scoped tokens are simulated: give scope.project.id or scope.project.name")
        return self


class AuthRequest(_Body):
    identity: Identity
    scope: Scope


class LoginBody(_Body):
    auth: AuthRequest


def iam_error(status: int, title: str, message: str) -> web.Response:
    return json_response({"error": {"code": status, "message": message, "title": title}}, status)


def stable_id(kind: str, name: str) -> str:
    """A 32-hex id for a configured domain or user (the config names them, IAM shows ids)."""
    return hashlib.sha256(f"edgesim:{kind}:{name}".encode()).hexdigest()[:32]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def find_account(accounts: list[Account], body: LoginBody) -> Account | None:
    """The account the login opens: domain, user and password right, and the scoped project its own."""
    password, project = body.auth.identity.password, body.auth.scope.project
    assert password is not None and project is not None  # the body's validators refuse a login without them
    user = password.user
    for account in accounts:
        domain_ok = user.domain.name == account.domain or user.domain.id == stable_id("domain", account.domain)
        if not (domain_ok and user.name == account.user and _same(user.password, account.password)):
            continue
        if project.id == account.project_id or (not project.id and project.name == account.project_name):
            return account
    return None


def token_body(engine: Engine, account: Account, record, origin: str, catalog: bool) -> dict:
    domain = {"id": stable_id("domain", account.domain), "name": account.domain}
    token = {
        "methods": ["password"],
        "issued_at": engine.clock.timestamp(record.issued_at).strftime(IAM_TIME),
        "expires_at": engine.clock.timestamp(record.expires_at).strftime(IAM_TIME),
        "user": {"id": stable_id("user", f"{account.domain}/{account.user}"), "name": account.user,
                 "domain": domain, "password_expires_at": ""},
        "project": {"id": account.project_id, "name": account.project_name, "domain": domain},
        "roles": [{"id": "0", "name": "te_admin"}],
    }
    if catalog:  # the IEF endpoint of the token's region is this server
        token["catalog"] = [{
            "id": stable_id("service", "ief"), "name": "ief", "type": "ief",
            "endpoints": [{"id": stable_id("endpoint", account.project_name), "interface": "public",
                           "region": account.project_name, "region_id": account.project_name, "url": origin}],
        }]
    return {"token": token}


async def login(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    try:
        body = LoginBody.model_validate(orjson.loads(await request.read() or b"null"))
    except orjson.JSONDecodeError as exc:
        return iam_error(400, "Bad Request", f"the request body is not valid JSON: {exc}")
    except ValidationError as exc:
        error = exc.errors()[0]
        where = field_path(error["loc"]) or "body"
        return iam_error(400, "Bad Request", f"invalid {where}: {error['msg'].removeprefix('Value error, ')}")
    account = find_account(engine.settings.accounts, body)
    if account is None:
        return iam_error(401, "Unauthorized", WRONG_CREDENTIALS)
    value, record = await engine.tokens.issue(
        project_id=account.project_id, domain=account.domain, user=account.user
    )
    answer = token_body(engine, account, record, str(request.url.origin()).rstrip("/"), "nocatalog" not in request.query)
    response = json_response(answer, 201)
    response.headers["X-Subject-Token"] = value
    return response


ROUTES = (
    Route("POST", IAM_TOKENS, login, "Log in (simulated IAM): a token in X-Subject-Token", IAM, LoginBody, ok=(201,)),
)
