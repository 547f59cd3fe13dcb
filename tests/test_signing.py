"""The AK/SK signature verifier against the official SDK's signer: what it signs, we accept;
a changed body, a wrong key, a stale date or missing headers are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from edgesim.api import signing

from conftest import PROJECT_ID

AK, SK = "EDGESIMDEMOAK0000001", "EdgesimDemoSecretKey0000000000000000000001"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SECRETS = {AK: SK}.get


def sdk_signed(method="POST", path=f"/v3/{PROJECT_ID}/edgemgr/deployments", query=None, body=b"", *,
               sk=SK, at=NOW, headers=None) -> SdkRequest:
    """A request as the SDK sends it: signed by its own Signer, dated ``at``."""
    request = SdkRequest(
        method=method, schema="http", host="127.0.0.1:8080", resource_path=path, query_params=list(query or []),
        header_params={"Content-Type": "application/json", "User-Agent": "huaweicloud-usdk-python/3.0",
                       "X-Project-Id": PROJECT_ID, "X-Sdk-Date": at.strftime("%Y%m%dT%H%M%SZ"), **(headers or {})},
        body=body,
    )
    return Signer(BasicCredentials(AK, sk, PROJECT_ID)).sign(request)


def verify(request: SdkRequest, *, body: bytes | None = None, headers: dict | None = None, now=NOW) -> str:
    """Check ``request`` the way the server sees it: path and query from the URI it sends."""
    raw_path, _, raw_query = request.uri.partition("?")
    return signing.verify(
        method=request.method, raw_path=raw_path, raw_query=raw_query,
        headers=headers if headers is not None else request.header_params,
        body=request.body if body is None else body, secret_of=SECRETS, now=now,
    )


# --- what the SDK signs is accepted -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("GET", f"/v3/{PROJECT_ID}/edgemgr/pods", [], b""),
        ("GET", f"/v3/{PROJECT_ID}/edgemgr/pods", [("limit", 10), ("deployment_id", "a b+c/é~"), ("offset", 0)], b""),
        ("POST", f"/v3/{PROJECT_ID}/edgemgr/deployments", [], json.dumps({"name": "web", "note": "ü ✓"}).encode()),
        ("DELETE", f"/v3/{PROJECT_ID}/edgemgr/deployments/d1/pods/web%20x", [("force_delete", True)], b""),
        ("PUT", f"/v2/{PROJECT_ID}/edgemgr/nodes/n1/", [], b"{}"),
    ],
)
def test_requests_signed_by_the_sdk_verify(method, path, query, body):
    assert verify(sdk_signed(method, path, query, body)) == AK


def test_dates_within_15_minutes_either_way_verify():
    for skew in (timedelta(minutes=14, seconds=59), -timedelta(minutes=15)):
        assert verify(sdk_signed(at=NOW + skew)) == AK


def test_unsigned_payload_is_honoured_as_the_sdk_sends_it():
    request = sdk_signed(body=b"--boundary--", headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert request.header_params["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    assert verify(request) == AK


def test_the_verifier_is_our_own_and_agrees_with_the_sdk_step_by_step():
    request = sdk_signed("GET", f"/v3/{PROJECT_ID}/edgemgr/pods", [("b", "2"), ("a", "1 2")])
    raw_path, _, raw_query = request.uri.partition("?")
    auth = signing.parse_authorization(request.header_params["Authorization"])
    canonical = signing.canonical_request("GET", raw_path, raw_query, request.header_params, auth.signed_headers, b"")
    assert canonical.splitlines()[:3] == ["GET", f"/v3/{PROJECT_ID}/edgemgr/pods/", "a=1%202&b=2"]
    date = request.header_params["X-Sdk-Date"]
    assert signing.signature(SK, signing.string_to_sign(canonical, date)) == auth.signature


# --- what is refused ----------------------------------------------------------------------------------


def refusal(request: SdkRequest, **kw) -> str:
    with pytest.raises(signing.SignatureError) as refused:
        verify(request, **kw)
    return refused.value.message


def test_a_changed_body_is_refused():
    request = sdk_signed(body=b'{"name": "web"}')
    assert "does not match" in refusal(request, body=b'{"name": "evil"}')


def test_a_changed_query_or_path_is_refused():
    request = sdk_signed("GET", f"/v3/{PROJECT_ID}/edgemgr/pods", [("limit", 10)])
    for uri in (f"/v3/{PROJECT_ID}/edgemgr/pods?limit=11", f"/v3/{PROJECT_ID}/edgemgr/deployments?limit=10"):
        request.uri = uri
        assert "does not match" in refusal(request)


def test_a_wrong_secret_key_is_refused():
    assert "wrong secret key" in refusal(sdk_signed(sk="not-the-secret"))


def test_an_unknown_access_key_is_refused():
    request = sdk_signed()
    headers = {**request.header_params,
               "Authorization": request.header_params["Authorization"].replace(AK, "NOSUCHAK")}
    assert "unknown access key" in refusal(request, headers=headers)


@pytest.mark.parametrize("skew", [timedelta(minutes=15, seconds=1), -timedelta(hours=2)])
def test_a_stale_or_future_date_is_refused(skew):
    assert "15 minutes" in refusal(sdk_signed(at=NOW + skew))


def test_a_changed_signed_header_is_refused():
    request = sdk_signed()
    assert "does not match" in refusal(request, headers={**request.header_params, "X-Project-Id": "f" * 32})


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("Authorization", "unsupported signing algorithm"),
        ("X-Sdk-Date", "X-Sdk-Date"),
        ("User-Agent", "'user-agent' is not in the request"),
    ],
)
def test_missing_headers_are_refused(drop, message):
    request = sdk_signed()
    headers = {k: v for k, v in request.header_params.items() if k != drop}
    assert message in refusal(request, headers=headers)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Basic dXNlcjpwYXNz", "unsupported signing algorithm"),
        ("SDK-HMAC-SHA256 Access=AK", "lacks SignedHeaders, Signature"),
        (f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;x-sdk-date, Signature=00", "must include host"),
    ],
)
def test_malformed_authorization_is_refused(authorization, message):
    request = sdk_signed()
    assert message in refusal(request, headers={**request.header_params, "Authorization": authorization})


def test_a_malformed_date_is_refused():
    request = sdk_signed()
    assert "YYYYMMDDTHHMMSSZ" in refusal(request, headers={**request.header_params, "X-Sdk-Date": "2026-03-01T12:00:00Z"})


# --- over HTTP ---------------------------------------------------------------------------------------


async def send(api, request: SdkRequest):
    """Send an SDK-signed request as it is (path, query, headers, body) to the live server."""
    headers = {k: v for k, v in request.header_params.items() if k != "Host"}
    async with api.session.request(request.method, api.url + request.uri, headers=headers, data=request.body) as resp:
        return resp.status, await resp.json(content_type=None) if await resp.read() else None


async def test_signed_requests_over_http(api):
    now = datetime.now(UTC)  # the server checks the date against its wall clock
    host = api.url.removeprefix("http://")
    get = sdk_signed("GET", f"/v3/{PROJECT_ID}/edgemgr/pods", [("limit", 5)], at=now, headers={"Host": host})
    assert (await send(api, get))[0] == 200

    node_id = (await api.node_ids())[0]
    body = json.dumps({"name": "signed", "node_ids": [node_id], "deployment": {"template": {
        "configs": {"restart_policy": "Always"}, "containers": [{"name": "c", "image_url": "nginx"}]}}}).encode()
    post = sdk_signed("POST", f"/v3/{PROJECT_ID}/edgemgr/deployments", body=body, at=now, headers={"Host": host})
    tampered = sdk_signed("POST", f"/v3/{PROJECT_ID}/edgemgr/deployments", body=body, at=now, headers={"Host": host})
    tampered.body = body.replace(b"signed", b"evil")
    status, answer = await send(api, tampered)
    assert (status, answer["error_code"]) == (401, "APIGW.0301")
    assert "Incorrect AK/SK signature" in answer["error_msg"]
    assert (await send(api, post))[0] == 201
    assert [d.name for d in api.engine.world.deployments.values()] == ["signed"]

    stale = sdk_signed("GET", f"/v3/{PROJECT_ID}/edgemgr/pods", at=now - timedelta(minutes=20), headers={"Host": host})
    assert (await send(api, stale))[0] == 401
    other = sdk_signed("GET", f"/v3/{'f' * 32}/edgemgr/pods", at=now, headers={"Host": host, "X-Project-Id": "f" * 32})
    status, answer = await send(api, other)
    assert (status, answer["error_code"]) == (400, "IEF.011005")  # a good signature, another project
