#!/usr/bin/env python3
"""Writes the analyzer's synthetic perf9 fixtures (deterministic).

The shape is what perf9 reports through `ctx.report`: one entry per
participant, {"role", "index", "data"}. Run from this directory:
    python3 make-fixtures.py
"""
import json
import random

MB = 1024 * 1024


def clients(rng, n, per_client_rate, duration, tls_version, chunk, hs_ms=None):
    out = []
    for i in range(n):
        rate = per_client_rate * rng.uniform(0.9, 1.1)
        start = 1_000_000_000 + rng.randint(0, 50_000_000)
        end = start + duration * 1_000_000_000 + rng.randint(-20_000_000, 20_000_000)
        total = int(rate * (end - start) / 1e9)
        total -= total % (2 * chunk)
        hs = None
        if tls_version:
            base = hs_ms if hs_ms else 3.0
            hs = int(base * 1e6 * rng.uniform(0.8, 1.6))
        errors = {"io": 1} if i == 0 and tls_version else {}
        out.append({
            "bytesSent": total // 2, "bytesReceived": total // 2,
            "iterations": total // (2 * chunk),
            "startNanos": start, "endNanos": end, "handshakeNanos": hs,
            "connected": True, "negotiatedVersion": ("TLSv" + tls_version) if tls_version else None,
            "errors": errors,
        })
    return out


def echo_case(rng, proto, tls, count, parallel, servers, hosts, rate, duration=10, chunk=4096, status="passed", hs_ms=None):
    combo = {"protocol": proto, "tls-version": tls, "chunk-size": chunk, "client-count": count, "duration": duration}
    coord = {"parallel": parallel, "server": str(servers), "client-host": str(hosts)}
    data = []
    total = 0
    for h in range(hosts):
        cs = clients(rng, count, rate, duration, tls, chunk, hs_ms)
        total += sum(c["bytesSent"] for c in cs)
        data.append({"role": "client-host", "index": h, "data": {"clients": cs}})
    for s in range(servers):
        data.append({"role": "server", "index": s, "data": {
            "connections": count * hosts // servers, "bytes": total // servers, "handshakeFailures": 0}})
    tlsid = "" if tls is None else f",tls-version={tls}"
    cid = (f"performance/perf9/echo[protocol={proto}{tlsid},chunk-size={chunk},client-count={count},"
           f"duration={duration}]<parallel={parallel},server={servers},client-host={hosts}>")
    return case(cid, "echo", combo, coord, status, data)


def case(cid, test, combo, coord, status, data, category="performance", suite="perf9"):
    return {"id": cid, "category": category, "suite": suite, "test": test, "group": None,
            "kind": "coordinated" if coord else "simple", "combination": combo, "coordination": coord,
            "status": status, "duration": 10.5, "message": None, "location": None, "issues": [],
            "data": data, "tags": []}


def results(cases):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for c in cases:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    return {
        "schema": "assay-results", "schemaVersion": 1,
        "run": {"startTime": "2026-11-27T03:00:00Z", "endTime": "2026-11-27T03:02:00Z", "duration": 120.0,
                "host": "fixture", "os": "Debian GNU/Linux 12", "swiftVersion": "6.3",
                "opensslVersion": "OpenSSL 3.0.19", "gitRevision": None,
                "commandLine": ["runner", "-f", "performance/perf9", "--json", "r.json"],
                "options": {}, "extra": {}},
        "totals": {"cases": len(cases), "passed": counts["passed"], "failed": counts["failed"],
                   "skipped": counts["skipped"], "expectedFail": 0, "unexpectedPass": 0, "timedOut": 0,
                   "crashed": 0, "suiteFailures": 0},
        "suites": [{"category": "performance", "name": "perf9", "slug": "perf9", "description": None,
                    "status": "passed", "duration": 60.0, "peakRSSBytes": None, "workers": 1,
                    "failure": None, "workerOutput": None}],
        "cases": cases,
    }


def skipped_unix_tls():
    return case("performance/perf9/echo[protocol=unix-tls,tls-version=1.2,chunk-size=4096,client-count=10,duration=10]"
                "<parallel=thread,server=2,client-host=2>", "echo",
                {"protocol": "unix-tls", "tls-version": "1.2", "chunk-size": 4096, "client-count": 10, "duration": 10},
                {"parallel": "thread", "server": "2", "client-host": "2"}, "skipped", [])


def handshake_case(rng):
    data = [{"role": "client-host", "index": 0, "data": {"clients": [
        {"handshakes": [int(2.5e6 * rng.uniform(0.8, 1.5)) for _ in range(40)], "resumed": False,
         "keyType": "RSA-2048", "connected": True, "negotiatedVersion": "TLSv1.3", "errors": {}}
        for _ in range(4)]}}]
    return case("performance/perf9/handshake[protocol=tls,tls-version=1.3]<parallel=task>", "handshake",
                {"protocol": "tls", "tls-version": "1.3"}, {"parallel": "task"}, "passed", data)


def write(name, doc):
    with open(name, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


def run_set(seed, tls_factor):
    rng = random.Random(seed)
    cs = [
        echo_case(rng, "tcp", None, 50, "thread", 2, 2, 3.4 * MB),
        echo_case(rng, "tls", "1.3", 50, "thread", 2, 2, 2.0 * MB * tls_factor),
        echo_case(rng, "tls", "1.2", 50, "thread", 2, 2, 1.9 * MB * tls_factor, hs_ms=4.0),
        echo_case(rng, "tcp", None, 10, "thread", 2, 2, 9.0 * MB),
        echo_case(rng, "tls", "1.3", 10, "thread", 2, 2, 6.0 * MB * tls_factor),
        echo_case(rng, "unix", None, 10, "process", 1, 1, 12.0 * MB),
        skipped_unix_tls(),
        handshake_case(rng),
        case("unit/stream-contract/round trip[transport=tcp,size=0]", "round trip",
             {"transport": "tcp", "size": 0}, {}, "passed", [], category="unit", suite="stream-contract"),
    ]
    return results(cs)


baseline = run_set(1, 1.0)
write("perf9-baseline.json", baseline)
write("perf9-rerun.json", run_set(2, 1.0))        # same load, new noise: no significant change
write("perf9-regressed.json", run_set(3, 0.8))    # TLS 20% slower
write("not-perf.json", results([c for c in baseline["cases"] if c["category"] != "performance"]))
write("perf9-skipped-only.json", results([skipped_unix_tls()]))
with open("perf9-baseline.json") as f:
    text = f.read()
with open("truncated.json", "w") as f:
    f.write(text[: len(text) // 2])
# Rejected before any case is read: a small body is enough.
small = results([c for c in baseline["cases"] if c["test"] == "handshake"])
other = dict(small)
other["schema"] = "junit-results"
write("other-schema.json", other)
future = dict(small)
future["schemaVersion"] = 2
write("future-version.json", future)
