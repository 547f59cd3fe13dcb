"""The generator's yardstick: a raw asyncio HTTP/1.1 responder (no parser, no router) that
answers every request with the same body. Far cheaper per request than any aiohttp app, so
wrk's rate against it is what the generator can produce on this machine: it must outrun the
servers measured by a margin, or their ratio measures the generator.

    python -m benchmarks.ceiling_app --port 0 --size 1400
"""

from __future__ import annotations

import argparse
import asyncio


class Responder(asyncio.Protocol):
    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.buffer = b""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answers = 0
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            length = 0
            if (at := head.find(b"content-length:")) >= 0:
                length = int(head[at + 15:].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                break
            self.buffer = self.buffer[end + 4 + length:]
            answers += 1
        if answers:
            self.transport.write(self.answer * answers)


async def serve(port: int, size: int) -> None:
    body = b"x" * size
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    server = await asyncio.get_running_loop().create_server(lambda: Responder(answer), "127.0.0.1", port)
    print(f"ceiling ready at http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--size", type=int, default=1400)
    args = p.parse_args()
    asyncio.run(serve(args.port, args.size))


if __name__ == "__main__":
    main()
