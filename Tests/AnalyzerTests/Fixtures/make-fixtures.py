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


# Recorded-run shapes for the "conditions differ" rule (issue 21 item 2): the same commit, 5 vs 5
# repetitions, back to back; NEW's throughputs are ~10% lower with two of the 25 pairs overlapping
# (U = 2: exact two-sided p = 8/252 = 0.0317), and the machine's load moved from 3.5 to 4.1.
def exact_echo_case(throughput, repetition, clients=10, duration=3, chunk=16384):
    combo = {"protocol": "tls", "tls-version": "1.3", "chunk-size": chunk, "client-count": clients,
             "duration": duration}
    coord = {"parallel": "thread", "server": "1", "client-host": "1", "placement": "split"}
    per = throughput / clients
    cs = [{"bytesSent": int(per * duration / 2), "bytesReceived": int(per * duration / 2),
           "iterations": int(per * duration / 2 / chunk), "startNanos": 1_000_000_000,
           "endNanos": 1_000_000_000 + duration * 1_000_000_000, "handshakeNanos": 3_000_000,
           "connected": True, "negotiatedVersion": "TLSv1.3", "errors": {}} for _ in range(clients)]
    data = [{"role": "client-host", "index": 0, "data": {"clients": cs}},
            {"role": "server", "index": 0, "data": {"connections": clients, "bytes": int(throughput * duration / 2),
                                                    "handshakeFailures": 0}}]
    cid = (f"performance/perf9/echo[protocol=tls,tls-version=1.3,chunk-size={chunk},client-count={clients},"
           f"duration={duration}]<parallel=thread,server=1,client-host=1,placement=split>")
    c = case(cid, "echo", combo, coord, "passed", data)
    c["repetition"] = repetition
    return c


def recorded_run(throughputs_mb, load_start, load_end, cpu="AMD EPYC 7B13", cores="2", build="release"):
    doc = results([exact_echo_case(t * MB, r + 1) for r, t in enumerate(throughputs_mb)])
    doc["run"]["gitRevision"] = "0e79d23"
    doc["run"]["extra"] = {"cpuModel": cpu, "cpuCount": cores, "buildConfiguration": build,
                           "tasksOnEventLoops": "no", "loadAverageStart": f"{load_start:.2f} 3.20 3.00",
                           "loadAverageEnd": f"{load_end:.2f} 3.30 3.10"}
    return doc


SAME_OLD = [212.0, 204.0, 220.0, 208.0, 216.0]
SAME_NEW = [190.0, 186.0, 194.0, 182.0, 210.0]
write("same-commit-old.json", recorded_run(SAME_OLD, 3.50, 3.60))
write("same-commit-new.json", recorded_run(SAME_NEW, 4.10, 4.20))               # load moved 3.5 → 4.1
write("same-commit-new-steady.json", recorded_run(SAME_NEW, 3.60, 3.70))        # same numbers, load within 0.5
write("same-commit-new-debug.json", recorded_run(SAME_NEW, 3.50, 3.60, build="debug"))
# Files with nothing in common: TCP in one, TLS in the other (the TLS/TCP question is -n's).
write("perf9-tcp-only.json", results([c for c in baseline["cases"] if c.get("combination", {}).get("protocol") == "tcp"]))
write("perf9-tls-only.json", results([c for c in baseline["cases"] if c.get("combination", {}).get("protocol") == "tls"
                                      and c["test"] == "echo"]))
