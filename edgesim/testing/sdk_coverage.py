"""Which of the official SDK's operations edgesim serves, asked through the SDK itself.

Every public operation of ``huaweicloudsdkief``'s ``IefClient`` is called once, over a real
socket with AK/SK signing, with an empty request (path parameters filled with a placeholder
id). An operation counts as *served* when edgesim routes it: whatever it answers (200, a 400
naming a missing field, a 404 for the placeholder id) is not the ``IEF.011002`` "no such API"
answer. A 5xx or a failure inside the SDK is an error for any operation.

    python -m edgesim.testing.sdk_coverage           # starts its own server (virtual clock)
    python -m edgesim.testing.sdk_coverage --url U   # asks a running server

It needs the SDK (`pip install huaweicloudsdkief`, part of the `test` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from dataclasses import dataclass

UNROUTED = "IEF.011002"  # the code of "no such API" (api/errors.py unknown_api)
PLACEHOLDERS = {"resource_type": "ief-edge_node"}  # a path parameter that must be a real type (SDK docs)
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"

# The demo account of config/accounts.toml.
PROJECT_ID = "0605767a3300d5762fb7c0186d2a0a1f"
AK, SK = "EDGESIMDEMOAK0000001", "EdgesimDemoSecretKey0000000000000000000001"


@dataclass(frozen=True)
class Outcome:
    operation: str
    status: int | None  # None when the SDK failed before or after the exchange
    error_code: str | None
    detail: str = ""

    @property
    def served(self) -> bool:
        return self.status is not None and self.error_code != UNROUTED

    @property
    def broken(self) -> bool:
        """A 5xx, or an answer the SDK could not take."""
        return self.status is None or self.status >= 500


def operations() -> list[str]:
    from huaweicloudsdkief.v1 import IefClient

    return sorted(name for name in dir(IefClient)
                  if not name.startswith("_") and hasattr(IefClient, f"_{name}_http_info"))


def _request(operation: str) -> object:
    from huaweicloudsdkief import v1

    request = getattr(v1, "".join(part.title() for part in operation.split("_")) + "Request")()
    path = getattr(v1.IefClient, f"_{operation}_http_info")(request)["resource_path"]
    for name in re.findall(r"{(\w+)}", path):
        if name != "project_id" and name in request.attribute_map:
            setattr(request, name, PLACEHOLDERS.get(name, PLACEHOLDER_ID))
    return request


def walk(url: str, ak: str = AK, sk: str = SK, project_id: str = PROJECT_ID) -> list[Outcome]:
    """Call every operation once against ``url`` (blocking: the SDK is synchronous)."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, ServerResponseException
    from huaweicloudsdkief.v1 import IefClient

    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    client = IefClient.new_builder().with_credentials(BasicCredentials(ak, sk, project_id)) \
        .with_endpoints([url]).build()
    outcomes = []
    for operation in operations():
        try:
            getattr(client, operation)(_request(operation))
            outcome = Outcome(operation, 200, None)
        except (ClientRequestException, ServerResponseException) as exc:
            outcome = Outcome(operation, exc.status_code, exc.error_code, exc.error_msg or "")
        except Exception as exc:  # the SDK could not send or could not read the answer
            outcome = Outcome(operation, None, None, repr(exc))
        outcomes.append(outcome)
    return outcomes


async def _walk_own_server() -> list[Outcome]:
    from edgesim.server import Server, ServerOptions
    from edgesim.settings import load_settings

    with tempfile.TemporaryDirectory() as folder:
        server = Server(load_settings(), ServerOptions(port=0, db=f"{folder}/edgesim.db", clock="virtual", seed=0))
        await server.start()
        try:
            return await asyncio.to_thread(walk, server.url)
        finally:
            await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edgesim.testing.sdk_coverage", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running edgesim (default: start one on a virtual clock)")
    args = parser.parse_args(argv)
    outcomes = walk(args.url) if args.url else asyncio.run(_walk_own_server())
    for outcome in outcomes:
        mark = "BROKEN" if outcome.broken else "served" if outcome.served else "-"
        print(f"{mark:7} {outcome.operation:34} {outcome.status} {outcome.error_code or ''}")
    served = sum(outcome.served for outcome in outcomes)
    broken = sum(outcome.broken for outcome in outcomes)
    print(f"served {served} of {len(outcomes)} SDK operations; {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
