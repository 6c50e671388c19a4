#!/usr/bin/env python3
"""Fleet sizing (docs/fleet.md#sizing): members, tails and polls, memory per member,
Loki query load and the handoff time when one member is added, for 1,000 / 10,000 /
100,000 services at 1 / 10 / 100 lines/s each.

Computed from per-service and per-line costs measured on the whole process (the
figures below, each with where it comes from); the measured fleet runs are in
docs/perf/README.md. Pure arithmetic: no argument needed, deterministic output.

  python3 test/bench/fleet_sizing.py            # markdown tables on stdout
  python3 test/bench/fleet_sizing.py --memory-gib 8 --cpu-share 0.5
"""
import argparse
import math

# Resident memory per service, full 7 days, lognormal sigma 0.5, KiB: the marginal
# growth of the process (BM_MemoryPerServiceResident, docs/perf "Fleet sizing").
RESIDENT_KIB = {1: 68.6, 10: 88.7, 100: 111.2}
# The process without services (dq-report on an empty replay: 10 MB max RSS).
FIXED_BYTES = 10 * 2**20
# The Loki input's ledger: 16 bytes per line of the ~6.5 minutes still tracked.
LEDGER_BYTES_PER_LINE_PER_S = 16 * 390
# Whole-process ingest, lines per CPU-second, dq-report on 2,000,000 tail messages
# of 10,000 services (the sparse, cache-missing case; 200 dense services run about
# 2x faster): docs/perf "Fleet sizing".
LINES_PER_CPU_SECOND = 650_000
# A line a member reads but leaves to another (services found by a line field share
# one selector, so every member reads all of their lines): decoded and parsed, not
# counted; 0.44 of a counted line's CPU (docs/perf "Fleet sizing").
LEFT_LINE_COST = 0.44
# What one tail carries before Loki drops lines (docs/loki.md#sizing).
LINES_PER_TAIL = 2_000
# Loki's default max_concurrent_tail_requests per tenant.
TENANT_TAILS = 10
# Reconciliation: one count_over_time per shard and bucket, twice (docs/loki.md).
RECONCILE_QUERIES_PER_SHARD_PER_S = 2 / 60
# query_range pages: Loki's max_entries_limit_per_query, and the input's pace.
PAGE_LINES = 5_000
BACKFILL_PAGES_PER_S = 5  # input.loki.backfill_pages_per_second, per shard
# Bytes of one line as Loki sends it: a 128-byte JSON line, escaped, its nanosecond
# timestamp and its stream's labels (gen_workload.py's recorded answers: 174 B).
BYTES_PER_LINE = 174
POLL_INTERVAL_S = 10
WEEK_S = 7 * 24 * 3600


def plan(services, rate, memory_gib, cpu_share, by_field):
    total = services * rate
    per_service = RESIDENT_KIB[rate] * 1024

    def cpu(members):  # cores per member for ingest
        own = total / members
        left = total - own if by_field and members > 1 else 0
        return (own + LEFT_LINE_COST * left) / LINES_PER_CPU_SECOND

    by_memory = math.ceil(services * per_service / (memory_gib * 2**30 - FIXED_BYTES))
    members = max(1, by_memory)
    while cpu(members) > cpu_share:
        if by_field and LEFT_LINE_COST * total / LINES_PER_CPU_SECOND > cpu_share:
            return None  # reading the others' lines alone exceeds a member's share
        members += 1
    # Tails: a member needs one per 2,000 lines/s it reads; the tenant has 10.
    read_per_member = total if by_field else total / members
    tails_per_member = math.ceil(read_per_member / LINES_PER_TAIL)
    mode = "tail" if members * tails_per_member <= TENANT_TAILS else "poll"
    shards = members * (tails_per_member if mode == "tail" else 1)
    reconcile_qps = shards * RECONCILE_QUERIES_PER_SHARD_PER_S
    poll_qps = max(members * read_per_member / PAGE_LINES, members / POLL_INTERVAL_S)
    poll_mb_s = members * read_per_member * BYTES_PER_LINE / 1e6
    ledger = LEDGER_BYTES_PER_LINE_PER_S * read_per_member if mode == "tail" else 0
    # Adding a member: the new one gains 1/(members+1) of the services and fetches
    # their week at the backfill's pace, one shard.
    moved = services / (members + 1)
    backfill_lines = moved * rate * WEEK_S
    backfill_s = backfill_lines / (PAGE_LINES * BACKFILL_PAGES_PER_S)
    # What the same move costs as a state transfer from the old owners (their
    # windows, about the resident size): a comparison, not what the exporter does.
    transfer_mb = moved * per_service / 1e6
    return {
        "members": members,
        "mode": mode,
        "shards": shards,
        "memory_mib": (services / members * per_service + FIXED_BYTES + ledger) / 2**20,
        "cpu": cpu(members),
        "queries_per_s": reconcile_qps + (poll_qps if mode == "poll" else 0),
        "poll_mb_s": poll_mb_s if mode == "poll" else 0,
        "backfill_h": backfill_s / 3600,
        "backfill_gb": backfill_lines * BYTES_PER_LINE / 1e9,
        "transfer_mb": transfer_mb,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--memory-gib", type=float, default=4, help="memory limit per member")
    ap.add_argument("--cpu-share", type=float, default=0.5,
                    help="share of one core a member may spend on ingest")
    ap.add_argument("--by-field", action="store_true",
                    help="services found by a line field under one shared selector: every "
                         "member reads every line (default: by label, each its own)")
    a = ap.parse_args()
    print(f"Per member at most {a.memory_gib:g} GiB and {a.cpu_share:g} of a core for ingest; "
          f"services matched by {'a line field' if a.by_field else 'a stream label'}.\n")
    print("| services | lines/s each | members | Loki input | shards (tenant) | memory per member"
          " | CPU per member | Loki queries/s | poll traffic | adding a member: backfill"
          " | as a state transfer |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for services in (1_000, 10_000, 100_000):
        for rate in (1, 10, 100):
            p = plan(services, rate, a.memory_gib, a.cpu_share, a.by_field)
            if p is None:
                print(f"| {services:,} | {rate} | no fleet fits: every member would read "
                      f"{services * rate:,} lines/s; match the services by label |"
                      + " |" * 8)
                continue
            poll = f"{p['poll_mb_s']:.1f} MB/s" if p["mode"] == "poll" else "-"
            print(f"| {services:,} | {rate} | {p['members']} | {p['mode']} | {p['shards']} "
                  f"| {p['memory_mib']:,.0f} MiB | {p['cpu']:.2f} core | {p['queries_per_s']:.1f} "
                  f"| {poll} | {p['backfill_h']:,.1f} h, {p['backfill_gb']:,.0f} GB "
                  f"| {p['transfer_mb']:,.0f} MB |")


if __name__ == "__main__":
    main()
