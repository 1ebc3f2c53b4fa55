"""Closed-loop HTTP load generator, run in its own process: `python -m bench.load '<json spec>'`.

`concurrency` workers each hold one keep-alive connection to a loopback server and send the same
request back to back for `warmup + duration` seconds; requests that complete inside the measured
window (after the warm-up) count. Prints one JSON object: completed requests, errors, requests/s,
latency percentiles (ms), and the CPU this process, the watched server process and the whole machine
used in the window (in cores: 1.0 is one core busy throughout).

Clients: `raw` (default) is a minimal HTTP/1.1 client on asyncio streams (uvloop when installed),
cheap enough not to starve the server on a small machine; `httpx` uses httpx.AsyncClient; `wrk`
runs wrk (when installed) with a generated Lua script.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REQUEST_TIMEOUT = 60.0  # seconds; a request slower than this counts as an error
STAGGER = 0.02  # seconds between two connections' opening (at most half the warm-up in all)
IDLE_TIMEOUT = 120.0  # seconds to wait for the server to finish earlier work before a run


@dataclass
class Spec:
    """What to send, how hard and for how long."""

    url: str  # http://127.0.0.1:PORT/path
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    concurrency: int = 32
    duration: float = 10.0
    warmup: float = 2.0
    client: str = "raw"
    watch_pid: int | None = None  # the server process whose CPU time is reported
    # A JSON file of distinct requests, [{"body": ..., "headers": {...}}, ...], sent in order
    # (each once) instead of `body`; their headers are added to `headers`. For writes that must
    # differ per request (idempotency keys, signed-in users).
    requests_file: str | None = None
    # Text every successful body contains (e.g. a mutation's success __typename): a typed
    # error answered with HTTP 200 then counts as an error too.
    expect: str | None = None


def check_loopback(url: str) -> tuple[str, int, str]:
    """(host, port, path) of a URL, refusing anything but a loopback address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing to load {host}: only loopback addresses are benchmarked")
    return host, parts.port or 80, parts.path or "/"


def _cpu_of(pid: int | str) -> tuple[int, float, float] | None:
    """(process group, its own CPU seconds, CPU seconds of its reaped children) of a process,
    None when it is gone; CPU is user + system."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    reaped = (int(fields[13]) + int(fields[14])) / _CLOCK_TICKS
    return int(fields[2]), own, reaped


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a server (all its threads), 0 when unknown.

    A server started as a process group leader (bench.servers starts each in its own session)
    counts with every process of its group: uvicorn's `--workers N` runs the app in children.
    A worker that exits (uvicorn replaces one that misses its health ping) moves its CPU to the
    leader's reaped-children time, which is counted too, so the total never goes down.
    """
    if pid is None:
        return 0.0
    leader = _cpu_of(pid)
    if leader is None:
        return 0.0
    group, own, reaped = leader
    if group != pid:
        return own
    total = own + reaped
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != pid:
            found = _cpu_of(entry)
            if found is not None and found[0] == pid:
                total += found[1]
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (from /proc/stat), 0 when unknown."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / _CLOCK_TICKS


def wait_idle(pid: int | None, limit: float = 30.0) -> None:
    """Wait (up to `limit` s) until the process uses under 5% of a core: no backlog is left."""
    deadline = time.monotonic() + limit
    while pid is not None and time.monotonic() < deadline:
        before = process_cpu_seconds(pid)
        time.sleep(0.25)
        if process_cpu_seconds(pid) - before < 0.0125:
            return


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Tally:
    """What the workers saw inside the measured window."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    exhausted: bool = False  # the requests file ran out before the window ended

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])


class Feed:
    """The distinct requests of a requests file, handed out once each, in order."""

    def __init__(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            self.items: list[dict[str, Any]] = json.load(handle)
        self.next_index = 0

    def take(self) -> tuple[str, dict[str, str]] | None:
        """The next (body, extra headers), or None when all were sent."""
        if self.next_index >= len(self.items):
            return None
        item = self.items[self.next_index]
        self.next_index += 1
        return str(item["body"]), dict(item.get("headers") or {})


def _raw_request(
    spec: Spec,
    host: str,
    port: int,
    path: str,
    body_text: str | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    body = (spec.body if body_text is None else body_text).encode()
    lines = [f"{spec.method} {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: */*"]
    lines += [f"{k}: {v}" for k, v in {**spec.headers, **(extra or {})}.items()]
    if body or spec.method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server closes) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    if not chunked:
        return status, await reader.readexactly(length), close
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, b"".join(parts), close
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _judge(status: int, body: bytes, tally: Tally, counted: bool, expect: str | None) -> bool:
    ok = status == 200 and b'"errors"' not in body
    if ok and expect is not None:
        ok = expect.encode() in body
    if not ok and counted:
        tally.error(f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}")
    return ok


async def _raw_worker(
    spec: Spec,
    tally: Tally,
    window: tuple[float, float],
    host: str,
    port: int,
    path: str,
    feed: Feed | None,
    delay: float = 0.0,
) -> None:
    start, end = window
    request = _raw_request(spec, host, port, path)
    # Connections open one after another (STAGGER apart), inside the warm-up: opened in one
    # burst, they were all accepted by whichever uvicorn worker woke first, and `--workers 2`
    # ran on one process.
    await asyncio.sleep(delay)
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while (sent := time.perf_counter()) < end:
            if feed is not None:
                taken = feed.take()
                if taken is None:
                    tally.exhausted = True
                    return
                request = _raw_request(spec, host, port, path, *taken)
                sent = time.perf_counter()
            try:
                if stream is None:
                    stream = await asyncio.wait_for(
                        asyncio.open_connection(host, port, limit=1 << 22), REQUEST_TIMEOUT
                    )
                reader, writer = stream
                writer.write(request)
                status, body, close = await asyncio.wait_for(
                    _read_response(reader), REQUEST_TIMEOUT
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                if start <= time.perf_counter() <= end:
                    tally.error(f"{type(exc).__name__}: {exc}")
                if stream is not None:
                    stream[1].close()
                stream = None
                continue
            done = time.perf_counter()
            counted = start <= done <= end
            if _judge(status, body, tally, counted, spec.expect) and counted:
                tally.latencies.append(done - sent)
            if close:
                writer.close()
                stream = None
    finally:
        if stream is not None:
            stream[1].close()


async def _httpx_worker(
    spec: Spec, tally: Tally, window: tuple[float, float], http: Any, feed: Feed | None
) -> None:
    import httpx

    start, end = window
    content = spec.body.encode() if spec.body else None
    headers = spec.headers
    while (sent := time.perf_counter()) < end:
        if feed is not None:
            taken = feed.take()
            if taken is None:
                tally.exhausted = True
                return
            content, headers = taken[0].encode(), {**spec.headers, **taken[1]}
            sent = time.perf_counter()
        try:
            response = await http.request(spec.method, spec.url, content=content, headers=headers)
        except httpx.HTTPError as exc:
            if start <= time.perf_counter() <= end:
                tally.error(f"{type(exc).__name__}: {exc}")
            continue
        done = time.perf_counter()
        counted = start <= done <= end
        if _judge(response.status_code, response.content, tally, counted, spec.expect) and counted:
            tally.latencies.append(done - sent)


async def _run_python(spec: Spec) -> dict[str, Any]:
    host, port, path = check_loopback(spec.url)
    tally = Tally()
    feed = Feed(spec.requests_file) if spec.requests_file else None
    begin = time.perf_counter()
    window = (begin + spec.warmup, begin + spec.warmup + spec.duration)
    marks: dict[str, float] = {}

    async def sample() -> None:
        await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
        marks["server0"] = process_cpu_seconds(spec.watch_pid)
        marks["client0"] = time.process_time()
        marks["machine0"] = machine_busy_seconds()
        await asyncio.sleep(max(0.0, window[1] - time.perf_counter()))
        marks["server1"] = process_cpu_seconds(spec.watch_pid)
        marks["client1"] = time.process_time()
        marks["machine1"] = machine_busy_seconds()

    http: Any = None
    if spec.client == "httpx":
        import httpx

        limits = httpx.Limits(
            max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
        )
        http = httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT)
        workers = [_httpx_worker(spec, tally, window, http, feed) for _ in range(spec.concurrency)]
    else:
        stagger = min(STAGGER, spec.warmup / 2 / spec.concurrency)
        workers = [
            _raw_worker(spec, tally, window, host, port, path, feed, i * stagger)
            for i in range(spec.concurrency)
        ]
    try:
        # Bounded: every request has a timeout, so the workers end soon after the window.
        await asyncio.wait_for(
            asyncio.gather(sample(), *workers), spec.warmup + spec.duration + 3 * REQUEST_TIMEOUT
        )
    finally:
        if http is not None:
            await http.aclose()
    latencies = sorted(tally.latencies)
    return {
        "requests": len(latencies),
        "errors": tally.errors,
        "error_samples": tally.error_samples,
        "exhausted": tally.exhausted,
        "sent": feed.next_index if feed is not None else None,
        "rps": len(latencies) / spec.duration,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else 0.0,
        "server_cpu": (marks["server1"] - marks["server0"]) / spec.duration,
        "client_cpu": (marks["client1"] - marks["client0"]) / spec.duration,
        "machine_cpu": (marks["machine1"] - marks["machine0"]) / spec.duration,
    }


_WRK_SCRIPT = """
wrk.method = %(method)s
wrk.body = %(body)s
wrk.headers = {}
%(headers)s
local failures = 0
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then failures = failures + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH %%d %%d %%d %%f %%f %%f %%f\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
    + summary.errors.timeout, failures, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""


def _lua(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for this text


def _run_wrk(spec: Spec) -> dict[str, Any]:
    """wrk measures the whole run (no separate warm-up): a warm-up run is done and discarded."""
    check_loopback(spec.url)
    if spec.requests_file:
        raise SystemExit("wrk sends one request over and over: use --client raw or httpx")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk), use --client raw")
    headers = "\n".join(f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in spec.headers.items())
    script = _WRK_SCRIPT % {
        "method": _lua(spec.method),
        "body": _lua(spec.body) if spec.body else "nil",
        "headers": headers,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        base = [wrk, "-t1", f"-c{spec.concurrency}", "--latency", "-s", handle.name]
        if spec.warmup > 0:
            subprocess.run(
                [*base, f"-d{max(1, round(spec.warmup))}s", spec.url],
                capture_output=True,
                timeout=spec.warmup + REQUEST_TIMEOUT + 30,
                check=False,
            )
            # wrk drops its connections at the end, but the server still answers what it read.
            wait_idle(spec.watch_pid, IDLE_TIMEOUT)
        server0, client0 = process_cpu_seconds(spec.watch_pid), time.monotonic()
        machine0 = machine_busy_seconds()
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [
                *base,
                f"-d{max(1, round(spec.duration))}s",
                "--timeout",
                f"{REQUEST_TIMEOUT:.0f}s",
                spec.url,
            ],
            capture_output=True,
            text=True,
            timeout=spec.duration + REQUEST_TIMEOUT + 30,
            check=False,
        )
        elapsed = time.monotonic() - client0
        server_cpu = (process_cpu_seconds(spec.watch_pid) - server0) / elapsed
        machine_cpu = (machine_busy_seconds() - machine0) / elapsed
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu = (usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime) / elapsed
    finally:
        os.unlink(handle.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {done.stdout}\n{done.stderr}")
    requests, socket_errors, failures, p50, p90, p99, peak = line.split()[1:]
    errors = int(socket_errors) + int(failures)
    return {
        "requests": int(requests) - int(failures),
        "errors": errors,
        "error_samples": [] if not errors else ["see wrk output"],
        "rps": (int(requests) - int(failures)) / spec.duration,
        "p50_ms": float(p50) / 1000,
        "p90_ms": float(p90) / 1000,
        "p99_ms": float(p99) / 1000,
        "max_ms": float(peak) / 1000,
        "server_cpu": server_cpu,
        "client_cpu": wrk_cpu,
        "machine_cpu": machine_cpu,
    }


def run(spec: Spec) -> dict[str, Any]:
    """Run one load test in this process and return its figures."""
    # Requests abandoned by an earlier run (timeouts, wrk) may still be running on the server.
    wait_idle(spec.watch_pid, IDLE_TIMEOUT)
    if spec.client == "wrk":
        return _run_wrk(spec)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_run_python(spec))
    return uvloop.run(_run_python(spec))


def main(argv: list[str]) -> int:
    """Entry point: one JSON spec argument in, one JSON result line out."""
    if len(argv) != 1:
        print("usage: python -m bench.load '<json spec>'", file=sys.stderr)
        return 2
    result = run(Spec(**json.loads(argv[0])))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
