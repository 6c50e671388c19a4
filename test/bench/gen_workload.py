#!/usr/bin/env python3
"""Generates the whole-process throughput workload (fixed seed): N JSON log lines
(about 128 bytes each) of S services, as a logcli --output=jsonl export, as
recorded tail messages (100 lines per record), and as the bare lines for mtail,
plus the exporter configuration that tracks those services.

Usage: gen_workload.py OUT_DIR [--lines N] [--services S] [--rate LINES_PER_S]
"""
import argparse
import json
import os
import random

START_NS = 1795154400 * 10**9  # 2026-11-20T06:00:00Z


def rfc3339(ns):
    s, frac = divmod(ns, 10**9)
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%09dZ" % frac


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--services", type=int, default=200)
    p.add_argument("--rate", type=float, default=1000.0, help="lines per second of log time")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--teams", type=int, default=1, help="services spread round-robin")
    a = p.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    names = ["svc-%05d" % i for i in range(a.services)]

    with open(os.path.join(a.out, "services.yaml"), "w") as f:
        f.write("services:\n")
        for i, n in enumerate(names):
            team = "bench" if a.teams <= 1 else "team-%03d" % (i % a.teams)
            f.write("  - id: %s\n    team: %s\n    owners: [bench]\n    match: {field: %s}\n"
                    % (n, team, n))
    with open(os.path.join(a.out, "exporter.yaml"), "w") as f:
        f.write("listen: 127.0.0.1:0\nservices_file: services.yaml\n"
                "windows: {allowed_lateness: 5m, max_future_skew: 1m}\n")

    step = int(1e9 / a.rate)
    with open(os.path.join(a.out, "logcli.jsonl"), "w") as jsonl, \
            open(os.path.join(a.out, "tail.jsonl"), "w") as tail, \
            open(os.path.join(a.out, "lines.log"), "w") as raw:
        batch = []
        for i in range(a.lines):
            ts = START_NS + i * step + rng.randrange(step)
            line = ('{"service":"%s","latency_ms":%.3f,"status":%d,"schema_version":"1",'
                    '"request_id":"%012x","msg":"request done"}'
                    % (rng.choice(names), rng.lognormvariate(4.0, 0.5),
                       rng.choice((200, 200, 200, 201, 404, 500)), rng.getrandbits(48)))
            raw.write(line + "\n")
            jsonl.write(json.dumps({"labels": {"app": "shop"}, "line": line,
                                    "timestamp": rfc3339(ts)}, separators=(",", ":")) + "\n")
            batch.append([str(ts), line])
            if len(batch) == 100 or i == a.lines - 1:
                tail.write(json.dumps({"streams": [{"stream": {"app": "shop"}, "values": batch}]},
                                      separators=(",", ":")) + "\n")
                batch = []


if __name__ == "__main__":
    main()
