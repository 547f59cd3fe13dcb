"""Verify AK/SK request signatures as Huawei Cloud's API gateway does (``SDK-HMAC-SHA256``).

The official SDKs sign every request like this:

    Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b;c>, Signature=<hex>
    X-Sdk-Date: 20260101T000000Z

    canonical request = METHOD \\n canonical URI \\n canonical query \\n canonical headers \\n
                        signed headers \\n hex(sha256(body))
    string to sign    = SDK-HMAC-SHA256 \\n <X-Sdk-Date> \\n hex(sha256(canonical request))
    signature         = hex(hmac_sha256(SK, string to sign))

- canonical URI: the path percent-decoded, each segment re-encoded (only ``~`` and unreserved
  characters stay as they are), always ending in ``/``;
- canonical query: ``key=value`` pairs, both re-encoded the same way, sorted, joined by ``&``;
- canonical headers: ``name:value`` (lower-case name, trimmed value), one per line for each
  signed header, in the order of SignedHeaders, with a final newline;
- body hash: the SHA-256 of the body (of an empty body for none), or ``UNSIGNED-PAYLOAD`` when
  the client says so in ``X-Sdk-Content-Sha256`` (the SDK does for non-JSON uploads).

The SDK dates requests with its machine's wall clock, so the date is checked against this
server's wall clock (not the simulation clock), allowing 15 minutes either way. Every refusal
is a ``SignatureError`` whose message says what was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "x-sdk-date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_HASH_HEADER = "x-sdk-content-sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_SKEW = timedelta(minutes=15)
# Without these two signed, a signature could be replayed later or against another host.
MUST_SIGN = ("host", DATE_HEADER)

_AUTH_PARAM = re.compile(r"\s*(\w+)=([^,\s]*)\s*(?:,|$)")


class SignatureError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Authorization:
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Authorization:
    """``SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`` -> its three parts."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ALGORITHM:
        raise SignatureError(f"unsupported signing algorithm {scheme!r}; expected {ALGORITHM}")
    params = dict(_AUTH_PARAM.findall(rest))
    missing = [k for k in ("Access", "SignedHeaders", "Signature") if not params.get(k)]
    if missing:
        raise SignatureError(f"the Authorization header lacks {', '.join(missing)}")
    return Authorization(params["Access"], tuple(params["SignedHeaders"].split(";")), params["Signature"])


def _encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_uri(raw_path: str) -> str:
    path = "/".join(_encode(segment) for segment in unquote(raw_path).split("/"))
    return path if path.endswith("/") else path + "/"


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Split a raw query string into percent-decoded pairs (``+`` stays a plus, as signed)."""
    pairs = []
    for item in raw_query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs))


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    actual = hashlib.sha256(body).hexdigest()
    claimed = _lower_keys(headers).get(CONTENT_HASH_HEADER)
    if not body or claimed is None:
        return actual
    if claimed == UNSIGNED_PAYLOAD:
        return UNSIGNED_PAYLOAD
    if claimed != actual:
        raise SignatureError(f"the body does not match its {CONTENT_HASH_HEADER} header")
    return actual


def canonical_request(
    method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], signed_headers: Iterable[str], body: bytes
) -> str:
    lowered = _lower_keys(headers)
    names = list(signed_headers)
    lines = []
    for name in names:
        if name not in lowered:
            raise SignatureError(f"the signed header {name!r} is not in the request")
        lines.append(f"{name}:{lowered[name].strip()}")
    return "\n".join([
        method.upper(),
        canonical_uri(raw_path),
        canonical_query(query_pairs(raw_query)),
        "\n".join(lines) + "\n",
        ";".join(names),
        payload_hash(body, headers),
    ])


def string_to_sign(canonical: str, sdk_date: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def signature(secret_key: str, text: str) -> str:
    return hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()


def check_date(sdk_date: str | None, now: datetime) -> None:
    if not sdk_date:
        raise SignatureError("the request has no X-Sdk-Date header")
    try:
        signed_at = datetime.strptime(sdk_date, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError(f"X-Sdk-Date {sdk_date!r} is not YYYYMMDDTHHMMSSZ") from None
    if abs(now - signed_at) > MAX_SKEW:
        raise SignatureError(
            f"X-Sdk-Date {sdk_date} is more than 15 minutes away from the server's time "
            f"{now.strftime(DATE_FORMAT)}; check the client's clock"
        )


def verify(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_of: Callable[[str], str | None],
    now: datetime | None = None,
) -> str:
    """Check a signed request; returns its access key, or raises SignatureError."""
    lowered = _lower_keys(headers)
    auth = parse_authorization(lowered.get("authorization", ""))
    secret = secret_of(auth.access_key)
    if secret is None:
        raise SignatureError(f"unknown access key {auth.access_key!r}")
    unsigned = [name for name in MUST_SIGN if name not in auth.signed_headers]
    if unsigned:
        raise SignatureError(f"SignedHeaders must include {', '.join(unsigned)}")
    sdk_date = lowered.get(DATE_HEADER, "")
    check_date(sdk_date, now or datetime.now(UTC))
    canonical = canonical_request(method, raw_path, raw_query, lowered, auth.signed_headers, body)
    expected = signature(secret, string_to_sign(canonical, sdk_date))
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise SignatureError("the signature does not match the request (wrong secret key, or the request was changed)")
    return auth.access_key


def sign(method: str, url: str, headers: Mapping[str, str], body: bytes, access_key: str, secret_key: str,
         now: datetime | None = None) -> dict[str, str]:
    """The client's side of the scheme (what the official SDK's signer sends): ``headers`` plus
    ``Host``, ``X-Sdk-Date`` and the ``Authorization`` that ``verify`` accepts."""
    parts = urlsplit(url)
    sdk_date = (now or datetime.now(UTC)).strftime(DATE_FORMAT)
    signed = {**headers, "Host": parts.netloc, "X-Sdk-Date": sdk_date}
    names = sorted(name.lower() for name in signed)
    canonical = canonical_request(method, parts.path or "/", parts.query, signed, names, body)
    value = signature(secret_key, string_to_sign(canonical, sdk_date))
    signed["Authorization"] = f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, Signature={value}"
    return signed
