#!/usr/bin/env python3
"""Scenario 5: start-up and idle cost of each server.

For the loan-processor and the valuation-service of the build (on a private Redis with the append-only file, as
shipped): the time from exec to the first answered request (GET /health polled every 0.5 ms until it answers
200, that is once the server has reached Redis and, for the loan-processor, registered its state machines),
median of several starts; then, after a few idle seconds, the resident memory (VmRSS) with a breakdown by mapping
(/proc/<pid>/smaps) and the CPU used while idle. Reference: redis-server measured the same way (exec to the first
PING answered, idle RSS and CPU), started as the shipped configurations start it.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_harness as bench  # noqa: E402
import harness  # noqa: E402  (tests/e2e/harness.py, put on the path by bench_harness)

KIB_PER_MIB = 1024.0
STARTUP_TARGET_MS = 20
RSS_TARGET_MIB = 8
LOADING_RUNS = 20  # runs of `<server> --help` and of `true` (about 10 ms each)

FULL = {"starts": 10, "idle_seconds": 3.0, "idle_cpu_seconds": 3.0}
QUICK = {"starts": 3, "idle_seconds": 0.5, "idle_cpu_seconds": 0.5}


def start_server(build, name, redis, work):
    """Starts one of the project's servers; returns (process, seconds from exec to /health answering 200)."""
    port = harness.free_port()
    return bench.start_and_time_until([bench.binary(build, name)], bench.server_environment(name, port, redis.url),
                                      bench.health_ok(port), log_path=os.path.join(work, f"{name}.log"))


def start_reference_redis(work):
    """Starts a redis-server as bench.start_redis does; returns (harness.Redis, seconds from exec to PONG)."""
    redis = harness.Redis(directory=os.path.join(work, f"reference-redis-{harness.free_port()}"))
    os.makedirs(redis.directory, exist_ok=True)

    def answers_ping():
        try:
            return redis.command("PING") == "PONG"
        except (OSError, RuntimeError):
            return False

    started = time.monotonic()
    redis.launch(appendonly=True)
    while not answers_ping():
        if redis.process.poll() is not None or time.monotonic() - started > 10:
            redis.cleanup()
            raise RuntimeError("the reference redis-server did not answer PING within 10 s")
        time.sleep(0.0005)
    return redis, time.monotonic() - started


def idle_costs(pid, settings):
    """RSS (KiB) and its breakdown after settings' idle seconds, then idle CPU and wake-ups, of process pid."""
    time.sleep(settings["idle_seconds"])
    measured = {"rss_kib": bench.memory_kib(pid)["rss"], "breakdown": bench.memory_breakdown(pid)}
    measured.update(bench.idle_activity(pid, settings["idle_cpu_seconds"]))
    return measured


def measure_starts(start, pid_of, stop, settings):
    """settings["starts"] times start() -> (handle, seconds to ready), then stop(handle); the last start stays up
    for the idle measurements first. Returns the idle figures with the start-up times."""
    startups, measured = [], None
    for attempt in range(settings["starts"]):
        handle, seconds = start()
        startups.append(seconds)
        try:
            if attempt + 1 == settings["starts"]:
                measured = idle_costs(pid_of(handle), settings)
        finally:
            stop(handle)
    return dict(measured, startups=startups, startup_seconds=statistics.median(startups))


def measure_server(build, name, redis, work, settings):
    """Starts and idle cost of one of the project's servers, and how long loading the program takes:
    `<server> --help` loads it and its shared libraries, prints its usage and exits."""
    def stop(process):
        status = bench.stop(process)
        if status != 0:
            raise RuntimeError(f"{name} exited with status {status} on SIGTERM")

    measured = measure_starts(lambda: start_server(build, name, redis, work), lambda process: process.pid, stop,
                              settings)
    measured["loading_seconds"] = bench.median_run_seconds([bench.binary(build, name), "--help"], LOADING_RUNS)
    return measured


def measure_reference(work, settings):
    """redis-server measured as the servers are; `true` for the time a process loading only libc takes."""
    measured = measure_starts(lambda: start_reference_redis(work), lambda redis: redis.process.pid,
                              lambda redis: redis.cleanup(), settings)
    measured["loading_seconds"] = bench.median_run_seconds(["true"], LOADING_RUNS)
    return measured


def dirty_kib(measured):
    return sum(group["dirty"] for group in measured["breakdown"])


def breakdown_text(measured):
    """What the resident memory is made of, largest first (MiB), and how much of it the process wrote."""
    groups = "; ".join(f"{group['group']} {group['rss'] / KIB_PER_MIB:.1f}" for group in measured["breakdown"])
    dirty = dirty_kib(measured) / KIB_PER_MIB
    return (f"VmRSS {measured['rss_kib'] / KIB_PER_MIB:.1f} MiB by mapping (smaps): {groups}. Of it, {dirty:.1f} MiB "
            f"is dirty (heap, stacks, the libraries' relocated data: memory of the process's own); the rest are "
            f"clean pages of the program's and its shared libraries' files, which every process mapping the same "
            f"files shares and the kernel can drop and read again")


def write_figures(report, servers, reference):
    reference_label = "redis-server"
    for name, measured in servers.items():
        startup_ms = 1000 * measured["startup_seconds"]
        met = startup_ms <= STARTUP_TARGET_MS
        report.figure(f"Start-up of the {name}: exec to GET /health answering 200 (median)", startup_ms, "ms",
                      reference=1000 * reference["startup_seconds"], reference_label=f"{reference_label} (PING)",
                      target=f"≤ {STARTUP_TARGET_MS} ms", met=met,
                      limit=None if met else startup_limit(name, measured, reference))
    for name, measured in servers.items():
        rss_mib = measured["rss_kib"] / KIB_PER_MIB
        met = rss_mib <= RSS_TARGET_MIB
        report.figure(f"Idle RSS of the {name}", rss_mib, "MiB", reference=reference["rss_kib"] / KIB_PER_MIB,
                      reference_label=reference_label, target=f"≤ {RSS_TARGET_MIB} MiB", met=met,
                      limit=None if met else breakdown_text(measured))
        report.figure(f"Idle dirty memory of the {name} (its own pages: heap, stacks, written library data)",
                      dirty_kib(measured) / KIB_PER_MIB, "MiB", reference=dirty_kib(reference) / KIB_PER_MIB,
                      reference_label=reference_label)
    for name, measured in servers.items():
        report.figure(f"Idle CPU of the {name}", measured["cpu_percent"], "% of a core",
                      reference=reference["cpu_percent"], reference_label=reference_label, digits=2)
        report.figure(f"Idle wake-ups of the {name}", measured["wakeups_per_second"], "per second",
                      reference=reference["wakeups_per_second"], reference_label=reference_label)


def startup_limit(name, measured, reference):
    return (f"loading: `{name} --help` (load the program and its shared libraries, print, exit) takes "
            f"{1000 * measured['loading_seconds']:.1f} ms against {1000 * reference['loading_seconds']:.1f} ms "
            f"for `true`; the rest is reaching Redis"
            + (" and registering the shipped state machines" if name == "loan-processor" else ""))


def write_notes(report, servers, reference, settings):
    report.note(
        f"Start-up: {settings['starts']} starts of each, one after the other on the same Redis; each time is from "
        f"exec to the first answer of GET /health with status 200 (polled every 0.5 ms with a new connection, so "
        f"the figure includes up to about 1 ms of polling), for redis-server from exec to the first PONG. All "
        f"starts, in ms: "
        + "; ".join(f"{name} {', '.join(f'{1000 * value:.1f}' for value in measured['startups'])}"
                    for name, measured in list(servers.items()) + [("redis-server", reference)]) + ". "
        + "Of that, loading the program and its shared libraries (median of `<server> --help`, which loads them, "
        f"prints its usage and exits) takes "
        + ", ".join(f"{1000 * measured['loading_seconds']:.1f} ms ({name})" for name, measured in servers.items())
        + f"; `true`, which loads only the C library, {1000 * reference['loading_seconds']:.1f} ms.")
    report.note(
        f"Idle: VmRSS after {settings['idle_seconds']:g} s without requests, then the CPU (/proc/<pid>/schedstat) "
        f"and the context switches (wake-ups) over {settings['idle_cpu_seconds']:g} more seconds. An idle "
        f"loan-processor still looks for due timers in each shard of executions (EXECUTION_SHARDS, 128 by default) "
        f"four times a second "
        f"(one Lua script per shard each time); redis-server runs its own cron (hz 10).")
    for name, measured in list(servers.items()) + [("redis-server", reference)]:
        report.note(f"{name}: " + breakdown_text(measured) + ".")


def main():
    arguments = bench.parse_arguments(__doc__.splitlines()[0])
    settings = QUICK if arguments.quick else FULL
    with bench.ScratchDirectory(arguments, "bench-startup-") as work:
        redis = bench.start_redis(work)
        try:
            servers = {name: measure_server(arguments.build, name, redis, work, settings)
                       for name in ("loan-processor", "valuation-service")}
        finally:
            redis.cleanup()
        reference = measure_reference(work, settings)
    report = bench.ScenarioReport(5, "Start-up and idle cost", arguments.quick)
    write_figures(report, servers, reference)
    write_notes(report, servers, reference, settings)
    report.write(arguments.output)


if __name__ == "__main__":
    main()
