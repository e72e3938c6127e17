"""The HTTP API on a real server, against a raw ASGI app on the same server settings, and against append_many.

Each server is a process of its own (``python -m bench.http_scenarios FACTORY PORT``), started with
``http_api.server.run``, as ``ledger serve`` starts its app, with one worker; it shares the machine's
cores with the clients: CLIENTS asyncio tasks of one httpx client, each sending its requests one
after another, so that at most CLIENTS requests are in flight.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson

from bench.context import RunContext, read_events
from bench.measure import Measurement, check, p99_latency, rate
from ledger import Ledger
from ledger.config import LedgerConfig

CLIENTS = 8
BATCH = 100
LEDGER_APP = "http_api.app:app_from_environment"
RAW_APP = "bench.http_scenarios:raw_app"
START_TIMEOUT_S = 60

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def raw_app() -> Callable[[dict[str, Any], Receive, Send], Awaitable[None]]:
    """Return the baseline: an ASGI app that reads the body, parses it as JSON and answers 200 with a small JSON body."""

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # nothing to start or stop
            while True:
                message = await receive()
                await send({"type": f"{message['type']}.complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if body:
            orjson.loads(body)
        answer = b'{"stored":1}'
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    return app


@contextmanager
def _server(factory: str, environment: dict[str, str]) -> Iterator[str]:
    """Start a server of an app factory on a free port; yield its base URL once it answers, stop it with SIGTERM after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "bench.http_scenarios", factory, str(port)]
    process = subprocess.Popen(command, env={**os.environ, **environment}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server of {factory} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _post_all(base: str, headers: dict[str, str], shares: list[list[bytes]]) -> tuple[list[float], list[bytes]]:
    """Post each client's share of bodies in order, the clients at once; return the latencies (s) and answers' bodies.

    Each client's first body is posted before the clock starts, so that connections are open and imports done.
    """
    latencies: list[float] = []
    answers: list[bytes] = []
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    headers = {**headers, "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:

        async def one_client(bodies: list[bytes]) -> None:
            for body in bodies:
                started = time.perf_counter()
                response = await client.post("/v1/events", content=body)
                latencies.append(time.perf_counter() - started)
                check(response.status_code == 200, f"answered {response.status_code}: {response.text[:300]}")
                answers.append(response.content)

        await asyncio.gather(*(one_client(share[:1]) for share in shares))
        latencies.clear()
        answers.clear()
        await asyncio.gather(*(one_client(share[1:]) for share in shares))
    return latencies, answers


def _shares(context: RunContext, count: int) -> list[list[dict[str, Any]]]:
    """Return the first count events of the file dealt to the clients by customer, each client's in file order.

    A customer's events then arrive in order, as the rules need (a refund after its purchase).
    """
    events = read_events(context.events_file, count)
    customers = {customer: n for n, customer in enumerate(dict.fromkeys(event["customer"] for event in events))}
    shares: list[list[dict[str, Any]]] = [[] for _ in range(CLIENTS)]
    for event in events:
        shares[customers[event["customer"]] % CLIENTS].append(event)
    return shares


def _run(context: RunContext, factory: str, shares: list[list[bytes]]) -> tuple[float, list[float], list[bytes]]:
    """Serve factory on a fresh database and post the clients' bodies; return the seconds, latencies and answers."""
    with context.fresh_database() as url:
        with Ledger(url, config=LedgerConfig()) as ledger:
            token = ledger.create_api_key("bench", "append").token
        with _server(factory, {"LEDGER_DB": url}) as base:
            started = time.perf_counter()
            latencies, answers = asyncio.run(_post_all(base, {"authorization": f"Bearer {token}"}, shares))
            seconds = time.perf_counter() - started
        if factory == LEDGER_APP:
            posted = sum(_events_in(body) for share in shares for body in share)
            with Ledger(url, config=LedgerConfig()) as ledger:
                stored = len(ledger.log(limit=posted + 1))
            check(stored == posted, f"stored {stored} events of {posted}")
    return seconds, latencies, answers


def _events_in(body: bytes) -> int:
    document = orjson.loads(body)
    return len(document["events"]) if "events" in document else 1


def _single_bodies(context: RunContext) -> list[list[bytes]]:
    shares = _shares(context, context.size.single_appends + CLIENTS)
    return [[orjson.dumps(event) for event in share] for share in shares]


def raw_single_posts(context: RunContext) -> Measurement:
    """Post single events to the raw ASGI app: requests per second."""
    seconds, latencies, _ = _run(context, RAW_APP, _single_bodies(context))
    return rate(len(latencies), seconds)


def single_posts(context: RunContext) -> Measurement:
    """Post single events to the ledger's API: requests (events) per second."""
    seconds, latencies, answers = _run(context, LEDGER_APP, _single_bodies(context))
    check(all(orjson.loads(answer)["stored"] == 1 for answer in answers), "an event was not stored")
    return rate(len(latencies), seconds)


def single_post_latency(context: RunContext) -> Measurement:
    """Post single events to the ledger's API: the 99th percentile of the requests' latencies."""
    _, latencies, _ = _run(context, LEDGER_APP, _single_bodies(context))
    return p99_latency(latencies)


def _batches(context: RunContext) -> list[list[list[dict[str, Any]]]]:
    """Return each client's events in batches of BATCH (the last of each client's may be smaller)."""
    shares = _shares(context, min(context.events, context.size.single_appends * 10 + CLIENTS * BATCH))
    return [[share[start : start + BATCH] for start in range(0, len(share), BATCH)] for share in shares]


def batch_posts(context: RunContext) -> Measurement:
    """Post batches of BATCH events to the ledger's API: events per second."""
    batches = _batches(context)
    bodies = [[orjson.dumps({"events": batch}) for batch in share] for share in batches]
    seconds, _, answers = _run(context, LEDGER_APP, bodies)
    stored = sum(orjson.loads(answer)["stored"] for answer in answers)
    check(stored == sum(len(batch) for share in batches for batch in share[1:]), "a batch was not stored whole")
    return rate(stored, seconds)


def append_many_in_process(context: RunContext) -> Measurement:
    """Append the same batches with ``Ledger.append_many`` in this process, one after another: events per second."""
    batches = _batches(context)
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger:
        for share in batches:  # as the HTTP scenario, each client's first batch before the clock
            ledger.append_many(share[0])
        timed = [batch for share in batches for batch in share[1:]]
        started = time.perf_counter()
        stored = sum(len(ledger.append_many(batch).stored) for batch in timed)
        seconds = time.perf_counter() - started
    check(stored == sum(len(batch) for batch in timed), f"stored {stored} events of {sum(len(b) for b in timed)}")
    return rate(stored, seconds)


if __name__ == "__main__":
    from http_api.server import run

    run(sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]), workers=1)
