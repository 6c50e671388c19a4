#!/usr/bin/env python3
"""Generates the bundled sample: a logcli --output=jsonl export of six services.

Deterministic (fixed seed, fixed start time): re-running it reproduces
test/testdata/sample/sample.jsonl byte for byte, which a test checks.

- 5 hours of lines, one every ~5 s per service, lognormal latencies;
- payments-api regresses: its P95 roughly triples for the last hour;
- JSON and logfmt lines, latency as ms numbers, seconds, and duration strings;
- a few bad lines of every reject reason (see BAD below).

With --days N (the demo uses 14), the same 5 hours come after N days less 5 hours of
history at one line every ~30 s per service, with a daily swing, from a second fixed
seed: the status pages then have two full weeks to compare (docs/dashboard.md). The
history is not bundled (about 40 MB at 14 days); the demo generates it.

Usage: generate_sample.py [--days N] [OUT]   (default: the bundled sample path)
"""
import json
import math
import random
import sys
from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 20, 6, 0, 0, tzinfo=timezone.utc)
HOURS = 5
REGRESSION_FROM = START + timedelta(hours=HOURS - 1)
SEED = 20261120

# service id -> (labels, median latency s, sigma, line style)
SERVICES = {
    "checkout": ({"app": "checkout", "env": "prod"}, 0.080, 0.45, "json_ms"),
    "payments-api": ({"app": "payments", "env": "prod"}, 0.060, 0.40, "json_ms_field"),
    "search": ({"app": "search", "env": "prod"}, 0.030, 0.60, "logfmt_duration"),
    "inventory": ({"app": "inventory", "env": "prod"}, 0.120, 0.35, "json_seconds"),
    "auth": ({"app": "auth", "env": "prod"}, 0.015, 0.50, "json_ms_field"),
    "notifications": ({"app": "notifications", "env": "prod"}, 0.200, 0.55, "json_duration"),
}
STATUSES = [200] * 90 + [201] * 4 + [404] * 3 + [500] * 2 + [503]


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}000Z"


def line_for(service, style, latency_s, status, rng):
    req = f"{rng.getrandbits(48):012x}"
    if style == "logfmt_duration":
        return (f'level=info msg="request done" service={service} status={status} '
                f'duration={latency_s * 1000:.3f}ms request_id={req}')
    body = {"level": "info", "msg": "request done", "status": status, "request_id": req,
            "schema_version": "1" if rng.random() < 0.7 else 2}
    if style in ("json_ms_field", "json_ms"):
        body["service"] = service
        body["latency_ms"] = round(latency_s * 1000, 3)
    elif style == "json_seconds":
        body["latency_s"] = round(latency_s, 6)
    elif style == "json_duration":
        body["latency_ms"] = f"{latency_s * 1000:.2f}ms"
    return json.dumps(body, separators=(",", ":"))


def record(labels, t, line):
    return json.dumps({"labels": labels, "line": line, "timestamp": rfc3339(t)},
                      separators=(",", ":"), sort_keys=True)


def history(days, rng):
    """(time, record) of the `days` days up to START less the 5 hours that follow it:
    lognormal latencies whose median swings +-15% over each day (slowest at 18:00 UTC),
    capped at two sigmas: at ten lines a bucket, a 5-minute P95 is about their highest,
    and an uncapped tail would make steady services breach their thresholds."""
    events = []
    begin = START + timedelta(hours=HOURS) - timedelta(days=days)
    for service, (labels, median, sigma, style) in SERVICES.items():
        t = begin + timedelta(seconds=rng.uniform(0, 30))
        while t < START:
            hour = t.hour + t.minute / 60
            swing = 1 + 0.15 * math.sin(2 * math.pi * (hour - 12) / 24)
            latency = min(rng.lognormvariate(math.log(median * swing), sigma),
                          median * swing * math.exp(2 * sigma))
            events.append((t, record(labels, t, line_for(service, style, latency,
                                                         rng.choice(STATUSES), rng))))
            t += timedelta(seconds=rng.uniform(20, 40))
    return events


def main():
    args = sys.argv[1:]
    days = 0
    if args[:1] == ["--days"]:
        days = int(args[1])
        if days * 24 <= HOURS:
            sys.exit("--days must cover more than the sample's %d hours" % HOURS)
        args = args[2:]
    out_path = args[0] if args else "test/testdata/sample/sample.jsonl"
    rng = random.Random(SEED)
    # History first, in order and apart: the 5 hours stay byte for byte the bundled ones.
    events = [(t, -1, rec) for t, rec in (history(days, random.Random(SEED + 1)) if days else [])]
    order = 0
    for service, (labels, median, sigma, style) in SERVICES.items():
        t = START + timedelta(seconds=rng.uniform(0, 5))
        end = START + timedelta(hours=HOURS)
        while t < end:
            m = median * (3.0 if service == "payments-api" and t >= REGRESSION_FROM else 1.0)
            latency = rng.lognormvariate(math.log(m), sigma)
            line = line_for(service, style, latency, rng.choice(STATUSES), rng)
            events.append((t, order, record(labels, t, line)))
            order += 1
            t += timedelta(seconds=rng.uniform(3, 7))

    # Bad lines: three of every reject reason, spread over the replay.
    ck = SERVICES["checkout"][0]
    pay = SERVICES["payments-api"][0]
    bad = [
        (ck, '{"service":"checkout","latency_ms":12,"payload":"' + "x" * 20000 + '"}', 0),  # line_too_long
        (ck, '{"service":"checkout","latency_ms":12', 0),                                    # unparseable
        ({"app": "billing"}, "this is not a structured line", 0),                            # unparseable, unknown
        ({"app": "billing"}, '{"service":"legacy-billing","latency_ms":30}', 0),             # unknown_service
        (pay, '{"service":"payments-api","latency_ms":40,"schema_version":"9"}', 0),         # unsupported_schema_version
        (pay, '{"service":"payments-api","status":200}', 0),                                 # missing_latency
        (pay, '{"service":"payments-api","latency_ms":"abc"}', 0),                           # invalid_latency
        (pay, '{"service":"payments-api","latency_ms":-5}', 0),                              # invalid_latency
        (pay, '{"service":"payments-api","latency_ms":"NaN"}', 0),                           # invalid_latency
        (pay, '{"service":"payments-api","latency_ms":120000}', 0),                          # latency_above_ceiling
        (ck, '{"service":"checkout","latency_ms":50,"status":200}', -1800),                  # too_late
        (ck, '{"service":"checkout","latency_ms":50,"status":200}', 1800),                   # too_far_in_future
    ]
    for k in range(3):
        for i, (labels, line, skew) in enumerate(bad):
            at = START + timedelta(minutes=40 + 80 * k + i, seconds=0.5)
            events.append((at, order, record(labels, at + timedelta(seconds=skew), line)))
            order += 1

    events.sort(key=lambda e: (e[0], e[1]))
    with open(out_path, "w", encoding="utf-8") as f:
        for _, _, rec in events:
            f.write(rec + "\n")


if __name__ == "__main__":
    main()
