#!/usr/bin/env python3
"""Scenario 4: side by side with a peer, stepfunctions-local.

The npm package stepfunctions-local (a Node.js Step Functions server with activities and the AWS API, installed
under the scratch folder from tests/bench/package-lock.json) and the loan-processor (with its private Redis) are
driven one after the other by the same program, tests/bench/activity_cycles.mjs, through the same AWS SDK for
JavaScript v3 client: cycles of StartExecution -> GetActivityTask -> SendTaskSuccess on a state machine of one
activity Task (created through the API on each server, same definition) at concurrency 16.

Measured for each server in the same run: the time from exec to the first answered API request
(ListStateMachines, 200), RSS after a few idle seconds, cycles per second, server CPU per cycle (from /proc: the
node process; the loan-processor alone and with its redis-server), the SendTaskSuccess -> SUCCEEDED latency
(DescribeExecution at once after SendTaskSuccess returns, then every millisecond) and peak RSS. Each
loan-processor figure has the peer's as its reference. For the loan-processor it also counts what a cycle costs:
Redis commands (INFO commandstats) and, when strace can attach, system calls (in a separate short phase).
"""

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_harness as bench  # noqa: E402
import harness  # noqa: E402  (tests/e2e/harness.py, put on the path by bench_harness)

BENCH_DIRECTORY = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(BENCH_DIRECTORY, "activity_cycles.mjs")
CONCURRENCY = 16
POLL_INTERVAL_MS = 1
LATENCY_PAUSE_MS = 200  # after each measured cycle, so that the client's own queue stays short (see the driver)
REQUEST_TIMEOUT_MS = 15000
KIB_PER_MIB = 1024.0
CPU_PER_CYCLE_TARGET_MS = 0.15  # server CPU per activity cycle, loan-processor + Redis (issue "A tenth of the CPU per flow")

FULL = {"startups": 3, "idle_seconds": 2.0, "warmup_seconds": 1.5, "profile_seconds": 2.0,
        "throughput_seconds": 20.0, "latency_seconds": 4.0, "drain_seconds": 30.0}
QUICK = {"startups": 1, "idle_seconds": 0.5, "warmup_seconds": 0.0, "profile_seconds": 0.0,
         "throughput_seconds": 1.0, "latency_seconds": 0.5, "drain_seconds": 10.0}

LIST_STATE_MACHINES = {"Content-Type": "application/x-amz-json-1.0",
                       "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}


def api_answers(port):
    """A readiness test: ListStateMachines on port answers 200 (the first request a client of either can make)."""
    return lambda: bench.http_status("POST", f"http://127.0.0.1:{port}/", body=b"{}",
                                     headers=LIST_STATE_MACHINES) == 200


class LoanProcessor:
    """The loan-processor of the build on a private Redis (append-only file, as shipped)."""

    name = "loan-processor"

    def __init__(self, build, work):
        self.binary = bench.binary(build, "loan-processor")
        self.work = work
        self.redis = None
        self.process = None
        self.port = None
        self.profiler = None
        self.command_stats = {}
        self.syscalls = {}

    def version(self):
        return "this build"

    def start(self):
        """Starts the server (and Redis, once); returns the seconds from exec to the first answered request."""
        if not self.redis:
            self.redis = bench.start_redis(self.work)
        self.port = harness.free_port()
        environment = bench.server_environment("loan-processor", self.port, self.redis.url)
        # A GetActivityTask that finds nothing answers {} before the driver's request timeout.
        environment["ACTIVITY_POLL_SECONDS"] = "10"
        self.process, seconds = bench.start_and_time_until(
            [self.binary], environment, api_answers(self.port),
            log_path=os.path.join(self.work, "loan-processor.log"))
        return seconds

    def processes(self):
        """The processes whose CPU counts as the server's: {label: pid}."""
        return {"loan-processor": self.process.pid, "redis-server": self.redis.process.pid}

    def on_mark(self, mark, driver):
        """Counts Redis commands over the throughput phase and system calls over the profile phase."""
        if mark in ("throughput-start", "throughput-end"):
            self.command_stats[mark] = bench.redis_command_stats(self.redis)
        elif mark == "profile-ready":
            self.profiler = bench.SyscallCounter(self.process.pid, os.path.join(self.work, "strace-summary.txt"))
            self.profiler.start()  # without strace (or ptrace permission) the cycles run uncounted
            driver.stdin.write(b"go\n")
            driver.stdin.flush()
        elif mark == "profile-end" and self.profiler:
            self.syscalls = self.profiler.stop()

    def stop(self):
        if self.profiler:
            self.profiler.stop()
        status = bench.stop(self.process) if self.process else None
        self.process = None
        return status

    def close(self):
        self.stop()
        if self.redis:
            self.redis.cleanup()
            self.redis = None


class Peer:
    """stepfunctions-local (the npm package) as its `stepfunctions-local start` command runs it."""

    name = "stepfunctions-local"

    def __init__(self, modules, work):
        self.package = os.path.join(modules, "stepfunctions-local")
        self.work = work
        self.process = None
        self.port = None

    def version(self):
        with open(os.path.join(self.package, "package.json")) as package:
            return json.load(package)["version"]

    def start(self):
        # The package's bin (`stepfunctions-local start`) spawns this script as a child process; running it
        # directly makes the server the process measured. Activity Tasks need neither its Lambda nor its ECS
        # endpoint, so their defaults stay.
        self.port = harness.free_port()
        arguments = ["node", os.path.join(self.package, "bin", "stepfunctions-local-start.js"),
                     "--port", str(self.port), "--region", "us-east-1"]
        self.process, seconds = bench.start_and_time_until(
            arguments, {}, api_answers(self.port), log_path=os.path.join(self.work, "stepfunctions-local.log"))
        return seconds

    def processes(self):
        return {"stepfunctions-local": self.process.pid}

    def on_mark(self, mark, driver):
        pass

    def stop(self):
        status = bench.stop(self.process) if self.process else None
        self.process = None
        return status

    def close(self):
        self.stop()


def run_driver(server, modules, settings, profile_seconds):
    """Runs activity_cycles.mjs against server; returns (its result, {mark: (time, {label: CPU seconds})})."""
    options = {"endpoint": f"http://127.0.0.1:{server.port}", "modules": modules, "concurrency": CONCURRENCY,
               "warmupSeconds": settings["warmup_seconds"], "profileSeconds": profile_seconds,
               "throughputSeconds": settings["throughput_seconds"], "latencySeconds": settings["latency_seconds"],
               "pollIntervalMs": POLL_INTERVAL_MS, "latencyPauseMs": LATENCY_PAUSE_MS,
               "drainSeconds": settings["drain_seconds"], "requestTimeoutMs": REQUEST_TIMEOUT_MS}
    log_path = os.path.join(server.work, f"driver-{server.name}.log")
    with open(log_path, "ab") as log:
        driver = subprocess.Popen(["node", DRIVER, json.dumps(options)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=log)
    processes = dict(server.processes(), driver=driver.pid)
    marks, outcome = {}, {}

    def on_object(message):
        if "mark" in message:
            marks[message["mark"]] = (time.monotonic(), bench.cpu_seconds_of(processes))
            server.on_mark(message["mark"], driver)
        elif "result" in message:
            outcome.update(message["result"])

    deadline = (settings["warmup_seconds"] + profile_seconds + settings["throughput_seconds"]
                + settings["latency_seconds"] + 4 * settings["drain_seconds"] + 90)
    try:
        status = bench.read_json_lines(driver, on_object, deadline)
    finally:
        bench.stop(driver, timeout=5)
        for pipe in (driver.stdin, driver.stdout):
            pipe.close()
    if status != 0 or not outcome:
        with open(log_path, errors="replace") as log:
            raise RuntimeError(f"the driver failed against {server.name} (status {status}): {log.read()[-2000:]}")
    return outcome, marks


def measure(server, modules, settings, profile_seconds=0.0):
    """Start-up, idle RSS, a driver run and peak RSS of one server; returns what was measured as a dict."""
    startups = []
    for attempt in range(settings["startups"]):
        startups.append(server.start())
        if attempt + 1 < settings["startups"]:
            server.stop()
    labels = list(server.processes())
    pid = server.process.pid
    time.sleep(settings["idle_seconds"])
    idle_rss = {label: bench.memory_kib(other)["rss"] for label, other in server.processes().items()}
    result, marks = run_driver(server, modules, settings, profile_seconds)
    peak_rss = bench.memory_kib(pid)["peak"]
    exit_status = server.stop()
    throughput, latency = result["throughput"], result["latency"]
    cycles, seconds = throughput["cycles"], throughput["seconds"]

    def cpu(first, last, label):
        return marks[last][1][label] - marks[first][1][label]

    return {
        "version": server.version(), "startup_seconds": statistics.median(startups), "startups": startups,
        "idle_rss_kib": idle_rss, "peak_rss_kib": peak_rss, "exit_status": exit_status,
        "cycles": cycles, "seconds": seconds, "cycles_per_second": cycles / seconds,
        "per_second": throughput["perSecond"], "drain_seconds": throughput["drainSeconds"],
        "empty_polls": throughput["emptyPolls"] + latency["emptyPolls"],
        "cpu_ms_per_cycle": {label: 1000 * cpu("throughput-start", "throughput-end", label) / cycles
                             for label in labels + ["driver"]},
        "cpu_ms_per_cycle_with_drain": {
            label: 1000 * (cpu("throughput-start", "throughput-end", label) + cpu("drain-start", "drain-end", label))
            / cycles for label in labels},
        "cpu_percent": {label: 100 * cpu("throughput-start", "throughput-end", label) / seconds
                        for label in labels + ["driver"]},
        "latencies_ms": latency["latenciesMs"], "succeeded_at_first_look": latency["succeededAtFirstLook"],
        "profile_cycles": result["profile"]["cycles"],
        "started": result["started"], "succeeded": result["succeeded"],
    }


def per_cycle_costs(server, ours):
    """Redis commands and system calls per cycle of the loan-processor, largest first: (redis, syscalls) texts."""
    redis_text = syscall_text = None
    before, after = server.command_stats.get("throughput-start"), server.command_stats.get("throughput-end")
    if before and after:
        empty = {"calls": 0, "usec": 0}
        deltas = {name: (stats["calls"] - before.get(name, empty)["calls"], stats["usec"] - before.get(name, empty)["usec"])
                  for name, stats in after.items() if not name.startswith("config")}
        deltas = {name: value for name, value in deltas.items() if value[0] > 0}
        top = sorted(deltas.items(), key=lambda item: -item[1][0])[:8]
        redis_text = (f"Redis commands per cycle (INFO commandstats over the {ours['seconds']:.0f} s; commands run "
                      f"by Lua scripts counted on their own too): "
                      + ", ".join(f"{name} {calls / ours['cycles']:.1f}" for name, (calls, _) in top)
                      + f"; EVALSHA time {deltas.get('evalsha', (0, 0))[1] / ours['cycles']:.0f} µs per cycle")
    if server.syscalls and ours["profile_cycles"]:
        total = sum(server.syscalls.values())
        per_cycle = {name: calls / ours["profile_cycles"] for name, calls in server.syscalls.items()}
        top = sorted((item for item in per_cycle.items() if item[1] >= 0.1), key=lambda item: -item[1])[:9]
        syscall_text = (f"{total / ours['profile_cycles']:.0f} system calls per cycle in the loan-processor "
                        f"(strace -c over {ours['profile_cycles']} cycles): "
                        + ", ".join(f"{name} {calls:.1f}" for name, calls in top))
    return redis_text, syscall_text


def write_figures(report, ours, peer, costs):
    peer_label = f"stepfunctions-local {peer['version']}"
    ratio = ours["cycles_per_second"] / peer["cycles_per_second"]
    report.figure("Activity cycles per second (StartExecution → GetActivityTask → SendTaskSuccess, 16 workers)",
                  ours["cycles_per_second"], "cycles/s", reference=peer["cycles_per_second"],
                  reference_label=peer_label, target="≥ 10× the peer", met=ratio >= 10,
                  limit=None if ratio >= 10 else cycles_limit(ours, peer))
    peer_cpu = peer["cpu_ms_per_cycle"]["stepfunctions-local"]
    for title, labels in (("loan-processor alone", ["loan-processor"]),
                          ("loan-processor + redis-server", ["loan-processor", "redis-server"])):
        value = sum(ours["cpu_ms_per_cycle"][label] for label in labels)
        met = value * 50 <= peer_cpu
        report.figure(f"Server CPU per cycle, {title}", value, "ms", reference=peer_cpu,
                      reference_label=peer_label, target="≥ 50× less than the peer (ratio ≤ 0.02)", met=met,
                      limit=None if met else cpu_limit(ours, peer, costs))
    value = ours["cpu_ms_per_cycle"]["loan-processor"] + ours["cpu_ms_per_cycle"]["redis-server"]
    met = value <= CPU_PER_CYCLE_TARGET_MS and value * 10 <= peer_cpu
    report.figure("Server CPU per cycle, loan-processor + redis-server, against the absolute target", value, "ms",
                  reference=peer_cpu, reference_label=peer_label,
                  target=f"≤ {CPU_PER_CYCLE_TARGET_MS} ms and ≥ 10× less than the peer (ratio ≤ 0.1)", met=met,
                  limit=None if met else cpu_limit(ours, peer, costs))
    ours_p50, peer_p50 = bench.percentile(ours["latencies_ms"], 0.5), bench.percentile(peer["latencies_ms"], 0.5)
    report.figure("SendTaskSuccess → SUCCEEDED p50 (seen by DescribeExecution)", ours_p50, "ms",
                  reference=peer_p50, reference_label=peer_label, target="≤ 2 ms", met=ours_p50 <= 2,
                  limit=None if ours_p50 <= 2 else latency_limit(ours))
    report.figure("SendTaskSuccess → SUCCEEDED p99", bench.percentile(ours["latencies_ms"], 0.99), "ms",
                  reference=bench.percentile(peer["latencies_ms"], 0.99), reference_label=peer_label)
    report.figure("Start-up: exec to the first answered API request (median)", 1000 * ours["startup_seconds"],
                  "ms", reference=1000 * peer["startup_seconds"], reference_label=peer_label)
    peer_idle = peer["idle_rss_kib"]["stepfunctions-local"] / KIB_PER_MIB
    report.figure("Idle RSS, loan-processor", ours["idle_rss_kib"]["loan-processor"] / KIB_PER_MIB, "MiB",
                  reference=peer_idle, reference_label=peer_label)
    report.figure("Idle RSS, loan-processor + redis-server", sum(ours["idle_rss_kib"].values()) / KIB_PER_MIB,
                  "MiB", reference=peer_idle, reference_label=peer_label)
    report.figure("Peak RSS over the run, loan-processor", ours["peak_rss_kib"] / KIB_PER_MIB, "MiB",
                  reference=peer["peak_rss_kib"] / KIB_PER_MIB, reference_label=peer_label)
    report.figure("Load driver CPU per cycle (the AWS SDK v3 client)", ours["cpu_ms_per_cycle"]["driver"], "ms",
                  reference=peer["cpu_ms_per_cycle"]["driver"], reference_label=f"the same against {peer_label}")
    for name, measured in (("loan-processor", ours), ("stepfunctions-local", peer)):
        # The last second is cut short by the end of the phase: left out.
        report.series(f"cycles per second over time, {name}",
                      [(second + 1, count) for second, count in enumerate(measured["per_second"][:-1])])
        report.series(f"SendTaskSuccess to SUCCEEDED latency (ms), {name}", [(value,) for value in
                                                                               measured["latencies_ms"]])


def cycles_limit(ours, peer):
    server = sum(ours["cpu_ms_per_cycle"][label] for label in ("loan-processor", "redis-server"))
    return (f"the client and the 2 shared cores: the AWS SDK v3 client (one node process) spent "
            f"{ours['cpu_ms_per_cycle']['driver']:.2f} ms CPU per cycle, more than the loan-processor and "
            f"redis-server together ({server:.2f} ms), and ran at {ours['cpu_percent']['driver']:.0f} % of a core "
            f"(loan-processor {ours['cpu_percent']['loan-processor']:.0f} %, redis-server "
            f"{ours['cpu_percent']['redis-server']:.0f} %). With a free client the 2 cores would allow about "
            f"{2000 / server:.0f} cycles/s for loan-processor + Redis; the peer ran at "
            f"{max(peer['per_second'][:-1] or [0]):.0f} cycles/s in its best second and slows down as its "
            f"executions pile up (see the series)")


def cpu_limit(ours, peer, costs):
    parts = [f"a cycle is 3 HTTP requests and about a dozen Redis round trips over loopback TCP: the "
             f"loan-processor spent {ours['cpu_ms_per_cycle']['loan-processor']:.3f} ms and redis-server "
             f"{ours['cpu_ms_per_cycle']['redis-server']:.3f} ms per cycle; the peer, which keeps everything in "
             f"its own memory, {peer['cpu_ms_per_cycle']['stepfunctions-local']:.2f} ms (rising as its arrays grow)"]
    parts += [text for text in costs if text]
    if not costs[1]:
        parts.append("system calls not counted (strace missing or not allowed to attach)")
    return ". ".join(parts)


def latency_limit(ours):
    return (f"the latency is one DescribeExecution round trip through the SDK client (the first one said "
            f"SUCCEEDED for {ours['succeeded_at_first_look']} of {len(ours['latencies_ms'])} cycles) with "
            f"{CONCURRENCY} workers sharing one node process and 2 shared cores")


def write_notes(report, ours, peer, settings, install_seconds, costs):
    report.note(
        f"Peer: stepfunctions-local {peer['version']} from npm (its README points users to AWS's own Step Functions "
        f"Local, out since February 2019), on node {bench.node_version()}, started as `stepfunctions-local start "
        f"--port P --region us-east-1` (its bin spawns bin/stepfunctions-local-start.js, run directly here so that "
        f"the server is the process measured). It keeps everything in memory (a redux store of arrays, searched "
        f"linearly, never pruned), needs no Lambda or ECS endpoint for activity Tasks, and answers GetActivityTask "
        f"at once, with no task when none is queued ({peer['empty_polls']} such answers were asked again; the "
        f"loan-processor's GetActivityTask waits for a task). Its execution ARNs say region \"local\" whatever "
        f"--region says. Installed with npm ci under the scratch folder"
        + (f" in {install_seconds:.0f} s (not counted)." if install_seconds else " (already there)."))
    report.note(
        f"Each server gets the activity BenchActivity and the state machine BenchActivityMachine through the API: "
        f"{{StartAt: Work, States: {{Work: {{Type: Task, Resource: <the ARN CreateActivity answered>, End: true}}}}}}. "
        f"Client: tests/bench/activity_cycles.mjs, @aws-sdk/client-sfn with maxAttempts 1, its cacheMiddleware on "
        f"and requests left unsigned (neither server checks SigV4; signing costs the client about a tenth of its "
        f"CPU), the same for both servers. {CONCURRENCY} workers, one request in flight each, run cycles back to "
        f"back for {settings['throughput_seconds']:g} s after a {settings['warmup_seconds']:g} s warm-up; nobody "
        f"polls for completions meanwhile. Server CPU per cycle is the CPU (utime + stime in /proc) the server used "
        f"during those seconds divided by the cycles. After the last cycle every execution had ended "
        f"(ListExecutions RUNNING empty) within {ours['drain_seconds'] * 1000:.0f} ms on the loan-processor and "
        f"{peer['drain_seconds'] * 1000:.0f} ms on the peer; counting that tail too gives "
        f"{sum(ours['cpu_ms_per_cycle_with_drain'].values()):.3f} ms (loan-processor + redis-server) and "
        f"{peer['cpu_ms_per_cycle_with_drain']['stepfunctions-local']:.3f} ms (peer) per cycle. Every execution "
        f"started ended SUCCEEDED: {ours['succeeded']} of {ours['started']} (loan-processor), {peer['succeeded']} "
        f"of {peer['started']} (peer).")
    report.note(
        f"CPU during the cycles, % of one core: loan-processor {ours['cpu_percent']['loan-processor']:.0f}, "
        f"redis-server {ours['cpu_percent']['redis-server']:.0f}, client {ours['cpu_percent']['driver']:.0f}; "
        f"stepfunctions-local {peer['cpu_percent']['stepfunctions-local']:.0f}, client "
        f"{peer['cpu_percent']['driver']:.0f}. All of it shares 2 cores with whatever else runs on the machine.")
    for text in costs:
        if text:
            report.note(text + ".")
    report.note(
        f"SendTaskSuccess → SUCCEEDED: after each cycle the worker calls DescribeExecution on the execution whose "
        f"task it answered, at once when SendTaskSuccess returns, then every {POLL_INTERVAL_MS} ms until it says "
        f"SUCCEEDED; the latency is from SendTaskSuccess's answer to that answer (one DescribeExecution round trip "
        f"through the SDK included), over {settings['latency_seconds']:g} s of such cycles by {CONCURRENCY} "
        f"workers that pause {LATENCY_PAUSE_MS} ms after each (so that the client's own queue stays short): "
        f"{len(ours['latencies_ms'])} samples on the loan-processor, {len(peer['latencies_ms'])} on the peer. The "
        f"first DescribeExecution already said SUCCEEDED for {ours['succeeded_at_first_look']} of "
        f"{len(ours['latencies_ms'])} on the loan-processor (its SendTaskSuccess commits the execution's end before "
        f"answering) and for {peer['succeeded_at_first_look']} of {len(peer['latencies_ms'])} on the peer, whose "
        f"activity Task looks at its task's status once a second (a sleep(1000) loop): a worker that answers just "
        f"after that look waits about a second.")
    report.note(
        f"Start-up: exec to the first 200 answer to ListStateMachines, polled every 0.5 ms, median of "
        f"{settings['startups']} starts (loan-processor: "
        f"{', '.join(f'{1000 * value:.1f}' for value in ours['startups'])} ms; peer: "
        f"{', '.join(f'{1000 * value:.0f}' for value in peer['startups'])} ms). Idle RSS: VmRSS after "
        f"{settings['idle_seconds']:g} s idle (redis-server alone: "
        f"{ours['idle_rss_kib']['redis-server'] / KIB_PER_MIB:.1f} MiB).")
    if ours["exit_status"] not in (0, None):
        report.note(f"The loan-processor exited with status {ours['exit_status']} on SIGTERM.")


def main():
    arguments = bench.parse_arguments(__doc__.splitlines()[0])
    settings = QUICK if arguments.quick else FULL
    if bench.node_version() < 18:
        raise SystemExit("scenario 4 needs Node.js 18 or later and npm (scripts/install-deps.sh --bench)")
    with bench.ScratchDirectory(arguments, "bench-peer-") as work:
        modules, install_seconds = bench.npm_install(BENCH_DIRECTORY, os.path.join(work, "npm"))
        ours_server, peer_server = LoanProcessor(arguments.build, work), Peer(modules, work)
        try:
            ours = measure(ours_server, modules, settings, profile_seconds=settings["profile_seconds"])
            peer = measure(peer_server, modules, settings)
        finally:
            ours_server.close()
            peer_server.close()
    costs = per_cycle_costs(ours_server, ours)
    report = bench.ScenarioReport(4, "Side by side with a peer (stepfunctions-local)", arguments.quick)
    write_figures(report, ours, peer, costs)
    write_notes(report, ours, peer, settings, install_seconds, costs)
    report.write(arguments.output)


if __name__ == "__main__":
    main()
