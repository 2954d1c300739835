#!/usr/bin/env python3
"""Summarises an onyx (or onnxruntime) profile: time per operator, per run.

    python3 scripts/profile_summary.py PROFILE.json [--top N]

Groups the node events ("*_kernel_time") by op type and provider and prints, per run, how many
nodes ran, their total and mean duration, and the share of the run. For a device provider the
durations are launch times (args "timing": "launch"): the host cost of queuing each kernel, and
the wait for the device is the "device_synchronize" event. The first run is left out (warm-up).
"""
import argparse
import collections
import json
import statistics


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    with open(args.profile) as f:
        events = json.load(f)
    runs = sorted((e for e in events if e.get("name") == "model_run"), key=lambda e: e["ts"])
    if len(runs) < 2:
        raise SystemExit("the profile needs at least two runs (the first is warm-up)")
    start = runs[1]["ts"]
    timed = runs[1:]
    n = len(timed)
    by_op = collections.defaultdict(lambda: [0, 0.0])
    sync = 0.0
    for e in events:
        if e.get("ts", 0) < start:
            continue
        if e.get("name", "").endswith("_kernel_time"):
            a = e.get("args", {})
            key = (a.get("op_name", "?"), a.get("provider", "?").replace("ExecutionProvider", ""))
            by_op[key][0] += 1
            by_op[key][1] += e["dur"]
        elif e.get("name") == "device_synchronize":
            sync += e["dur"]
    run_us = statistics.median(r["dur"] for r in timed)
    nodes_us = sum(v[1] for v in by_op.values()) / n
    print("%d runs; median run %.3f ms; nodes %.3f ms per run; device_synchronize %.3f ms per run" %
          (n, run_us / 1e3, nodes_us / 1e3, sync / n / 1e3))
    print("%-28s %-6s %7s %10s %9s %6s" % ("op", "where", "n/run", "ms/run", "mean us", "share"))
    for (op, prov), (count, dur) in sorted(by_op.items(), key=lambda kv: -kv[1][1])[:args.top]:
        print("%-28s %-6s %7.1f %10.3f %9.1f %5.1f%%" % (op, prov, count / n, dur / n / 1e3, dur / count,
                                                        100.0 * dur / n / run_us))


if __name__ == "__main__":
    main()
