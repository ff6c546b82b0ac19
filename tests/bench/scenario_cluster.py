#!/usr/bin/env python3
"""Scenario 8 of the benchmark: full blog flows per second against a Redis Cluster.

Scenario 2's throughput run (tiny TIME_SCALE for the valuation delay, 64 applications at a time, 15 s), once per
store: one plain Redis (the reference), a cluster of 1 master, of 3 masters, and of 3 masters with a replica
each, first with REDIS_WAIT_REPLICAS=0 and then with REDIS_WAIT_REPLICAS=1 (every commit that matters waits
for a replica's WAIT). The cluster nodes are started here (bench_harness.start_cluster); the servers and the
load driver are given every master as a seed of a multi-seed REDIS_URL. CPU per flow counts the loan-processor,
the valuation service and every redis-server; every node shares this machine's cores with them.
"""

import json
import os
import tempfile

import bench_harness as bench
from scenario_blog_flow import Stack, run_driver

CONCURRENCY = 64
VALUATION_TIME_SCALE = 0.0001  # the six-second valuation delay: 0.6 ms

# (short name, description, masters or None for a plain Redis, replicas per master, REDIS_WAIT_REPLICAS)
CONFIGURATIONS = (
    ("plain", "one plain Redis (not a cluster)", None, 0, 0),
    ("1 master", "a cluster of 1 master", 1, 0, 0),
    ("3 masters", "a cluster of 3 masters", 3, 0, 0),
    ("3+3 WAIT 0", "3 masters + 3 replicas, REDIS_WAIT_REPLICAS=0", 3, 1, 0),
    ("3+3 WAIT 1", "3 masters + 3 replicas, REDIS_WAIT_REPLICAS=1", 3, 1, 1),
)


def start_stack(build, work, masters, replicas, wait_replicas):
    """The servers on a plain Redis (masters None) or on a new cluster; the cluster is killed if they fail."""
    if masters is None:
        return Stack(build, work, VALUATION_TIME_SCALE)
    cluster = bench.start_cluster(masters, replicas)
    try:
        return Stack(build, work, VALUATION_TIME_SCALE, redis=cluster,
                     environment={"REDIS_WAIT_REPLICAS": str(wait_replicas)})
    except BaseException:
        cluster.cleanup()
        raise


def redis_pids(stack):
    """{name: pid} of the stack's redis-servers (one plain Redis or every cluster node)."""
    if hasattr(stack.redis, "pids"):
        return stack.redis.pids()
    return {"redis-server": stack.redis.process.pid}


def measure(build, work, name, masters, replicas, wait_replicas, seconds):
    """Runs the load on one configuration: {"rate": flows/s, "servers_ms", "redis_ms", "driver_ms": CPU ms per
    flow, "busy": the machine's busy fraction, "failed": failed starts, "p50_ms", "p99_ms": StartExecution sent ->
    SUCCEEDED announced, "ended": flows ended}."""
    stack = start_stack(build, work, masters, replicas, wait_replicas)
    try:
        servers = {"loan-processor": stack.loan.pid, "valuation-service": stack.valuation.pid}
        redis = redis_pids(stack)
        before = bench.cpu_seconds_of({**servers, **redis})
        driver_before, machine_before = bench.children_cpu_seconds(), bench.machine_cpu_jiffies()
        slug = name.replace(" ", "-").replace("+", "-")
        summary, samples = run_driver(build, stack, os.path.join(work, f"cluster-{slug}.txt"),
                                      ["--concurrency", str(CONCURRENCY), "--seconds", str(seconds)],
                                      deadline=seconds + 60)
        after = bench.cpu_seconds_of({**servers, **redis})
        driver_cpu = bench.children_cpu_seconds() - driver_before
        busy = bench.busy_fraction(machine_before, bench.machine_cpu_jiffies())
    finally:
        stack.close()
    ended = [s for s in samples if s[4] == "SUCCEEDED"]
    if not ended:
        raise RuntimeError(f"{name}: no execution SUCCEEDED ({summary})")
    window = [s for s in ended if s[3] <= seconds * 1e6]
    latencies = [(s[3] - s[1]) / 1000 for s in ended]
    servers_cpu = sum(after[n] - before[n] for n in servers)
    redis_cpu = sum(after[n] - before[n] for n in redis)
    return {"rate": len(window) / seconds, "servers_ms": servers_cpu * 1000 / len(ended),
            "redis_ms": redis_cpu * 1000 / len(ended), "driver_ms": driver_cpu * 1000 / len(ended), "busy": busy,
            "failed": summary["failedStarts"],
            "p50_ms": bench.percentile(latencies, 0.5), "p99_ms": bench.percentile(latencies, 0.99),
            "ended": len(ended)}


def report_results(report, results, seconds):
    plain = results["plain"]
    for name, description, masters, _, _ in CONFIGURATIONS:
        result = results[name]
        reference = None if masters is None else plain["rate"]
        report.figure(f"full flows per second: {description}", result["rate"], "flows/s", reference=reference,
                      reference_label=None if reference is None else "one plain Redis")
        cpu_ms = result["servers_ms"] + result["redis_ms"]
        measured_share = result["rate"] * (cpu_ms + result["driver_ms"]) / 1000 / os.cpu_count()
        report.figure(f"CPU per flow: {description} (servers + every redis-server)", cpu_ms, "ms",
                      reference=None if masters is None else plain["servers_ms"] + plain["redis_ms"],
                      reference_label=None if masters is None else "one plain Redis")
        report.note(f"{description}: {result['rate']:,.0f} flows/s; CPU per flow {cpu_ms:.2f} ms "
                    f"(loan-processor + valuation-service {result['servers_ms']:.2f} ms, redis-servers "
                    f"{result['redis_ms']:.2f} ms; the load driver besides: {result['driver_ms']:.2f} ms); "
                    f"CPUs {result['busy']:.0%} busy, {measured_share:.0%} by these processes; "
                    f"StartExecution sent → SUCCEEDED p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; {result['ended']:,} flows ended, {result['failed']} failed "
                    "starts")
    without, with_wait = results["3+3 WAIT 0"], results["3+3 WAIT 1"]
    report.figure("cost of REDIS_WAIT_REPLICAS=1: flows per second (3 masters + 3 replicas)", with_wait["rate"],
                  "flows/s", reference=without["rate"], reference_label="the same cluster with REDIS_WAIT_REPLICAS=0")
    report.figure("cost of REDIS_WAIT_REPLICAS=1: CPU per flow (3 masters + 3 replicas)",
                  with_wait["servers_ms"] + with_wait["redis_ms"], "ms",
                  reference=without["servers_ms"] + without["redis_ms"],
                  reference_label="the same cluster with REDIS_WAIT_REPLICAS=0")
    report.figure("cost of REDIS_WAIT_REPLICAS=1: end-to-end latency p50 (3 masters + 3 replicas)",
                  with_wait["p50_ms"], "ms", reference=without["p50_ms"],
                  reference_label="the same cluster with REDIS_WAIT_REPLICAS=0")
    wait_ms = (with_wait["servers_ms"] + with_wait["redis_ms"]) - (without["servers_ms"] + without["redis_ms"])
    report.note(f"REDIS_WAIT_REPLICAS=1 adds {wait_ms:.2f} ms of CPU per flow on this cluster (the WAIT round trips "
                "and the replicas' acknowledgements); flows per second at 64 applications move from run to run by "
                "as much as WAIT costs on this shared machine (other work uses the CPUs too: compare the busy share "
                "with the measured processes' share above), so CPU per flow is the steadier measure of its cost.")
    report.note(f"Each configuration: {CONCURRENCY} applications at a time for {seconds} s, valuation delay scaled "
                f"by {VALUATION_TIME_SCALE} (scenario 2's load). Every cluster node, the two servers and the load "
                f"driver share this machine's {os.cpu_count()} cores: more nodes add work (connections, replication) "
                "but no CPU, so these figures show a cluster's overhead here, not how throughput grows with "
                "masters on machines of their own.")


def main():
    arguments = bench.parse_arguments(__doc__.splitlines()[0])
    work = arguments.work or tempfile.mkdtemp(prefix="bench-cluster-")
    os.makedirs(work, exist_ok=True)
    seconds = 2 if arguments.quick else 15
    report = bench.ScenarioReport(8, "Full flows per second on a Redis Cluster", arguments.quick)
    results = {}
    for name, description, masters, replicas, wait_replicas in CONFIGURATIONS:
        print(f"bench: cluster scenario: {description}", flush=True)
        results[name] = measure(arguments.build, work, name, masters, replicas, wait_replicas, seconds)
    report_results(report, results, seconds)
    with open(arguments.output, "w") as output:
        json.dump([report.document], output, indent=1)


if __name__ == "__main__":
    main()
