#!/usr/bin/env python3
"""Scenario 3 of the benchmark: the webhook path, next to a bare libmicrohttpd server.

wrk POSTs ValuationResponse callbacks to the loan-processor's /valuation-callback and, with the same settings
(threads, connections, duration, keep-alive), the same bytes to tests/bench/hello-server, a bare libmicrohttpd
server run as common/http_server.c runs it (see hello_server.c). Every answer is checked (wrk_checked_posts.lua).

- The unknown-reference callback (404 UnknownValuationReference, published to the error topic): requests per
  second against the bare server's (target: at least 45 %), latency p50/p99, and the CPU each process spends per
  request (from /proc) and Redis per command (INFO commandstats). The bare and unknown-reference runs alternate
  for a few rounds, so that whatever else loads the machine weighs on both alike; figures are medians.
- The valid callback: executions of LoanProcessorPart1StateMachine are started beforehand (their valuation
  service never calls back: the "No callback" switch) and wrk posts each one's callback exactly once; the rate is
  completed callbacks per second, and every execution must be SUCCEEDED afterwards.

When the target is missed (full run), short extra runs measure what limits it: system calls per request of both
servers (strace -c) and where the loan-processor's samples are (perf record); they go into the figure's limit.
"""

import json
import os
import tempfile
import time

import bench_harness
from bench_harness import harness

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_SCRIPT = os.path.join(HERE, "wrk_checked_posts.lua")
PART1_MACHINE_ARN = harness.machine_arn("LoanProcessorPart1StateMachine")
UNKNOWN_REFERENCE = "bench-unknown-reference"
CALLBACK_BODY = json.dumps({"valuationReference": UNKNOWN_REFERENCE, "propertyValue": 250000},
                           separators=(",", ":"))
HELLO_ANSWER = '{"message":"hello"}'
UNKNOWN_ANSWER = f'"UnknownValuationReference","message":"Unknown valuation reference: {UNKNOWN_REFERENCE}"'
JSON_HEADERS = ("Content-Type: application/json",)
START_EXECUTION_HEADERS = ("Content-Type: application/x-amz-json-1.0",
                           "X-Amz-Target: AWSStepFunctions.StartExecution")
TARGET_RATIO = 0.45
BARE_LABEL = "bare libmicrohttpd server (tests/bench/hello-server), same wrk settings"

# wrk's settings are the same for every run; seconds is one run of each kind per round. The diagnosis runs
# (when the target is missed) last diagnosis_seconds each; 0 skips them.
QUICK = {"threads": 2, "connections": 64, "seconds": 1, "rounds": 1, "executions": 300, "diagnosis_seconds": 0}
FULL = {"threads": 2, "connections": 64, "seconds": 5, "rounds": 3, "executions": 10000, "diagnosis_seconds": 3}

# Where the loan-processor's perf samples are looked for: a sample counts for each of these on its call stack.
PROFILE_SYMBOLS = {
    "__libc_sendmsg": "sending the answers (MHD's sendmsg)",
    "__libc_recv": "reading the requests",
    "log_event": "the log lines",
    "epoll_ctl": "epoll_ctl",
    "redisAsyncCommandArgv": "formatting Redis commands",
    "redisAsyncHandleWrite": "writing to Redis",
    "redisAsyncHandleRead": "reading Redis's replies",
    "cJSON_": "cJSON",
    "getrandom": "getrandom",
}


class Stack:
    """Private Redis, hello-server, valuation-service and loan-processor; stop() ends whatever was started."""

    def __init__(self, build, work):
        self.build = build
        self.work = work
        self.redis = None
        self.processes = {}  # name -> Popen
        self.urls = {}

    def start(self):
        self.redis = bench_harness.start_redis(self.work)
        hello_port, valuation_port, loan_port = harness.free_port(), harness.free_port(), harness.free_port()
        self._start("hello-server", hello_port, [bench_harness.binary(self.build, "hello-server"), str(hello_port)],
                    {}, lambda: bench_harness.http_status("GET", f"{self.urls['hello-server']}/health") > 0)
        for name, port in (("valuation-service", valuation_port), ("loan-processor", loan_port)):
            environment = bench_harness.server_environment(
                name, port, self.redis.url, f"http://127.0.0.1:{valuation_port}/valuation-request")
            self._start(name, port, [bench_harness.binary(self.build, name)], environment,
                        bench_harness.health_ok(port))

    def _start(self, name, port, arguments, environment, ready):
        self.urls[name] = f"http://127.0.0.1:{port}"
        process, _ = bench_harness.start_and_time_until(arguments, environment, ready, log_path=self.log_path(name))
        self.processes[name] = process

    def log_path(self, name):
        return os.path.join(self.work, f"{name}.log")

    def empty_log(self, name):
        """Truncates a server's log (it writes two lines per unknown-reference callback: GBs in a full run)."""
        os.truncate(self.log_path(name), 0)

    def pid(self, name):
        return self.redis.process.pid if name == "redis-server" else self.processes[name].pid

    def pids(self):
        """{name: pid} of every process, Redis included."""
        return {name: self.pid(name) for name in [*self.processes, "redis-server"]}

    def stop(self):
        problems = []
        for name, process in self.processes.items():
            status = bench_harness.stop(process)
            if status != 0:
                problems.append(f"{name} exited with status {status} (see {self.log_path(name)})")
        if self.redis:
            self.redis.cleanup()
        return problems


# ---- one wrk run ----

def measure(stack, url, settings, mode, status, text, payload, headers, seconds=None):
    """One wrk run (see wrk_checked_posts.lua) with what each process and Redis's commands used during it."""
    if mode == "list":
        for thread in range(1, settings["threads"] + 1):
            if os.path.exists(f"{payload}.done-{thread}"):
                os.remove(f"{payload}.done-{thread}")
    pids = stack.pids()
    stack.redis.command("CONFIG", "RESETSTAT")
    cpu_before, machine_before = bench_harness.cpu_seconds_of(pids), bench_harness.machine_cpu_jiffies()
    result = bench_harness.run_wrk(url, WRK_SCRIPT, [mode, str(status), text, payload],
                                   threads=settings["threads"], connections=settings["connections"],
                                   duration_seconds=seconds or settings["seconds"], headers=headers,
                                   environment={"WRK_THREADS": str(settings["threads"])},
                                   log_path=os.path.join(stack.work, "wrk.log"))
    cpu_after, machine_after = bench_harness.cpu_seconds_of(pids), bench_harness.machine_cpu_jiffies()
    result["process_cpu_seconds"] = {name: cpu_after[name] - cpu_before[name] for name in pids}
    result["machine_busy"] = bench_harness.busy_fraction(machine_before, machine_after)
    result["redis_commands"] = bench_harness.redis_command_stats(stack.redis)
    return result


def check_answers(result, what, expected_count=None):
    """Raises unless every answer was the one expected (and, when given, there were expected_count of them)."""
    errors = result["errors"]
    problems = []
    if result["unexpected"]:
        problems.append(f"{result['unexpected']} unexpected answers (by status: {result['answers']})")
    if errors["connect"] or errors["read"] or errors["write"]:
        problems.append(f"socket errors {errors}")
    if result["expected"] == 0:
        problems.append("no answer at all")
    if expected_count is not None and result["expected"] != expected_count:
        problems.append(f"{result['expected']} expected answers instead of {expected_count}")
    if problems:
        raise RuntimeError(f"{what}: " + "; ".join(problems))


def cpu_us_per_request(result, name, count=None):
    return result["process_cpu_seconds"][name] * 1e6 / (count or result["requests"])


def redis_us_per_request(result, count=None):
    """{command: Redis's own microseconds per request} of one run, the costliest first."""
    per_request = {name: stats["usec"] / (count or result["requests"])
                   for name, stats in result["redis_commands"].items() if not name.startswith("config")}
    return dict(sorted(per_request.items(), key=lambda item: -item[1]))


def run_bare(stack, settings, seconds=None):
    bare = measure(stack, f"{stack.urls['hello-server']}/valuation-callback", settings, "repeat", 200, HELLO_ANSWER,
                   CALLBACK_BODY, JSON_HEADERS, seconds)
    check_answers(bare, "hello-server")
    return bare


def run_unknown_reference(stack, settings, seconds=None):
    unknown = measure(stack, f"{stack.urls['loan-processor']}/valuation-callback", settings, "repeat", 404,
                      UNKNOWN_ANSWER, CALLBACK_BODY, JSON_HEADERS, seconds)
    check_answers(unknown, "loan-processor, unknown reference")
    check_error_topic(stack)
    stack.empty_log("loan-processor")
    return unknown


def check_error_topic(stack):
    """The last unknown-reference callback was published to the error topic, as the webhook promises."""
    entries = stack.redis.command("XREVRANGE", f"sns:{harness.ERROR_TOPIC}", "+", "-", "COUNT", "1") or []
    fields = dict(zip(entries[0][1][0::2], entries[0][1][1::2])) if entries else {}
    message = json.loads(fields.get("Message", "{}"))
    if message.get("description") != harness.UNKNOWN_REFERENCE or UNKNOWN_REFERENCE not in message.get("eventBody", ""):
        raise RuntimeError(f"the error topic does not hold the unknown-reference callbacks: {fields}")


def run_rounds(stack, settings):
    """[(bare run, unknown-reference run)], one pair per round."""
    return [(run_bare(stack, settings), run_unknown_reference(stack, settings)) for _ in range(settings["rounds"])]


def round_ratio(pair):
    bare, unknown = pair
    return unknown["requests_per_second"] / bare["requests_per_second"]


def median_round(rounds):
    """The (bare, unknown-reference) pair whose ratio is the median one (the lower middle for an even count).

    Each round's two runs are next to each other in time, so their ratio is the one that the machine's other
    load disturbs least; the headline figures are that round's.
    """
    ordered = sorted(rounds, key=round_ratio)
    return ordered[(len(ordered) - 1) // 2]


# ---- the valid callback ----

def write_lines(path, lines):
    with open(path, "w") as output:
        output.write("\n".join(lines) + "\n")
    return path


def valuation_references(redis):
    """The references of every stored token (valuation:<reference> keys)."""
    references, cursor = [], "0"
    while True:
        cursor, keys = redis.command("SCAN", cursor, "MATCH", "valuation:*", "COUNT", 5000)
        references += [key.split(":", 1)[1] for key in keys if key != harness.IN_FLIGHT_KEY]
        if cursor == "0":
            return references


def wait_until_quiet(pid, deadline_seconds=30, window_seconds=0.3):
    """Waits until process pid uses (almost) no CPU over a window: its background work is done."""
    def quiet():
        before = bench_harness.cpu_seconds(pid)
        time.sleep(window_seconds)
        return bench_harness.cpu_seconds(pid) - before <= 1 / bench_harness.CLOCK_TICKS
    harness.wait_until(quiet, deadline_seconds, interval=0, what=f"process {pid} to go quiet")


def start_waiting_executions(stack, settings):
    """Starts settings["executions"] executions that wait for their callbacks.

    Returns (their valuation references, the wrk run that started them) once every token is stored, no valuation
    request is in flight and the loan-processor has gone quiet.
    """
    count = settings["executions"]
    application = {"applicationReference": "bench", "property": {"nameOrNumber": "No callback", "postcode": "PO1 1CE"}}
    bodies = [json.dumps({"stateMachineArn": PART1_MACHINE_ARN, "name": f"bench-webhook-{index:06d}",
                          "input": json.dumps(application)}, separators=(",", ":")) for index in range(count)]
    started = measure(stack, f"{stack.urls['loan-processor']}/", settings, "list", 200, '"executionArn"',
                      write_lines(os.path.join(stack.work, "start-executions.txt"), bodies), START_EXECUTION_HEADERS,
                      seconds=120)
    check_answers(started, "StartExecution", expected_count=count)

    def all_waiting():
        in_flight = stack.redis.command("ZCARD", harness.IN_FLIGHT_KEY)
        references = valuation_references(stack.redis) if in_flight == 0 else []
        return references if len(references) == count else None
    references = harness.wait_until(all_waiting, 120, interval=0.2, what=f"{count} valuation tokens to be stored")
    wait_until_quiet(stack.pid("loan-processor"))
    return references, started


def count_executions(stack, status):
    """How many executions of LoanProcessorPart1StateMachine ListExecutions gives with status."""
    total, token = 0, None
    while True:
        body = {"stateMachineArn": PART1_MACHINE_ARN, "statusFilter": status, "maxResults": 1000}
        if token:
            body["nextToken"] = token
        answer_status, text = harness.request("POST", f"{stack.urls['loan-processor']}/", body,
                                              {"Content-Type": "application/x-amz-json-1.0",
                                               "X-Amz-Target": "AWSStepFunctions.ListExecutions"}, timeout=60)
        if answer_status != 200:
            raise RuntimeError(f"ListExecutions answered {answer_status}: {text[:300]}")
        page = json.loads(text)
        total += len(page["executions"])
        token = page.get("nextToken")
        if not token:
            return total


def run_valid_callbacks(stack, settings):
    """(wrk run posting each waiting execution's callback once, the run that started them, SUCCEEDED count)."""
    if settings["executions"] < settings["threads"]:
        raise ValueError("wrk_checked_posts.lua needs at least one execution per wrk thread")
    references, started = start_waiting_executions(stack, settings)
    bodies = [json.dumps({"valuationReference": reference, "propertyValue": 250000}, separators=(",", ":"))
              for reference in references]
    result = measure(stack, f"{stack.urls['loan-processor']}/valuation-callback", settings, "list", 200,
                     '"executionStatus":"SUCCEEDED"', write_lines(os.path.join(stack.work, "callbacks.txt"), bodies),
                     JSON_HEADERS, seconds=120)
    check_answers(result, "loan-processor, valid callbacks", expected_count=len(references))
    succeeded, running = count_executions(stack, "SUCCEEDED"), count_executions(stack, "RUNNING")
    if succeeded != len(references) or running != 0:
        raise RuntimeError(f"after the callbacks {succeeded} executions SUCCEEDED and {running} still RUN "
                           f"(expected {len(references)} and 0)")
    return result, started, succeeded


# ---- what limits the unknown-reference rate (extra runs, when the target is missed) ----

def syscalls_per_request(stack, name, run, settings):
    """{syscall: calls per request} of server name during run(stack, settings, seconds), under strace -c."""
    path = os.path.join(stack.work, f"strace-{name}.txt")
    with bench_harness.Attached(["strace", "-c", "-o", path, "-p", str(stack.pid(name))]) as strace:
        result = run(stack, settings, settings["diagnosis_seconds"])
    if not strace.usable or not os.path.exists(path):
        return None
    counts = bench_harness.strace_counts(path)
    return {call: count / result["requests"] for call, count in sorted(counts.items(), key=lambda item: -item[1])}


def profile_loan_processor(stack, settings):
    """Inclusive shares of the loan-processor's perf samples (PROFILE_SYMBOLS) during an unknown-reference run."""
    path = os.path.join(stack.work, "perf-loan-processor.data")
    with bench_harness.Attached(["perf", "record", "-F", "499", "--call-graph", "dwarf,16384", "-o", path, "-p",
                                 str(stack.pid("loan-processor"))]) as perf:
        run_unknown_reference(stack, settings, settings["diagnosis_seconds"])
    if not perf.usable:
        return None
    shares = bench_harness.perf_stack_shares(path, list(PROFILE_SYMBOLS))
    os.remove(path)  # tens of MB
    return shares


def diagnose(stack, settings):
    """{"syscalls": {server: {call: per request}}, "profile": shares} (entries None when a tool is missing)."""
    if not settings["diagnosis_seconds"]:
        return None
    return {"syscalls": {"hello-server": syscalls_per_request(stack, "hello-server", run_bare, settings),
                         "loan-processor": syscalls_per_request(stack, "loan-processor", run_unknown_reference,
                                                                settings)},
            "profile": profile_loan_processor(stack, settings)}


def describe_syscalls(per_request):
    total = sum(per_request.values())
    top = ", ".join(f"{call} {count:.1f}" for call, count in list(per_request.items())[:5] if count >= 0.05)
    return f"{total:.1f} ({top})"


def describe_redis_commands(per_request, count=5):
    return ", ".join(f"{name} {usec:.1f} us" for name, usec in list(per_request.items())[:count])


def limit_text(costs, diagnosis):
    """What limits the unknown-reference rate, from this run's measurements."""
    text = (f"CPU per unknown-reference callback: loan-processor {costs['loan']:.0f} us (its one thread "
            f"{costs['loan_core']:.0%} busy), Redis {costs['redis']:.0f} us, wrk {costs['wrk']:.0f} us, against "
            f"{costs['hello']:.0f} us for the bare server and wrk {costs['wrk_bare']:.0f} us; the 2 cores were "
            f"{costs['machine_busy']:.0%} busy. Redis's time per callback by command (INFO commandstats; a "
            f"script's includes the commands it calls): " + describe_redis_commands(costs["redis_commands"]) + ".")
    if diagnosis:
        syscalls = diagnosis["syscalls"]
        if syscalls["loan-processor"] and syscalls["hello-server"]:
            text += (f" System calls per request (strace -c): loan-processor {describe_syscalls(syscalls['loan-processor'])}"
                     f", bare server {describe_syscalls(syscalls['hello-server'])}.")
        profile = diagnosis["profile"]
        if profile:
            text += (f" perf, share of the loan-processor's samples ({profile['samples']}) under: "
                     + ", ".join(f"{label} {profile[symbol]:.0%}" for symbol, label in PROFILE_SYMBOLS.items()) + ".")
    return text


# ---- the report ----

def median_of(runs, value):
    return bench_harness.median([value(run) for run in runs])


def add_figures(report, rounds, valid, started, succeeded, diagnosis, settings):
    bare_runs, unknown_runs = [bare for bare, _ in rounds], [unknown for _, unknown in rounds]
    headline = median_round(rounds)
    bare_rate, unknown_rate = headline[0]["requests_per_second"], headline[1]["requests_per_second"]
    met = round_ratio(headline) >= TARGET_RATIO
    costs = {
        "loan": median_of(unknown_runs, lambda run: cpu_us_per_request(run, "loan-processor")),
        "loan_core": median_of(unknown_runs, lambda run: run["process_cpu_seconds"]["loan-processor"]
                               / (run["duration_us"] / 1e6)),
        "redis": median_of(unknown_runs, lambda run: cpu_us_per_request(run, "redis-server")),
        "wrk": median_of(unknown_runs, lambda run: run["cpu_seconds"] * 1e6 / run["requests"]),
        "hello": median_of(bare_runs, lambda run: cpu_us_per_request(run, "hello-server")),
        "wrk_bare": median_of(bare_runs, lambda run: run["cpu_seconds"] * 1e6 / run["requests"]),
        "machine_busy": median_of(unknown_runs, lambda run: run["machine_busy"]),
        "redis_commands": redis_us_per_request(headline[1]),
    }
    hello_cpu_label = "the bare server's CPU per request"

    report.figure("Webhook, unknown reference: requests per second", unknown_rate, "requests/s", reference=bare_rate,
                  reference_label=BARE_LABEL, target=">= 45 % of the bare server's request rate", met=met,
                  limit=None if met else limit_text(costs, diagnosis))
    for percentile in ("p50", "p99"):
        report.figure(f"Webhook, unknown reference: latency {percentile}",
                      median_of(unknown_runs, lambda run: run["latency_us"][percentile] / 1000), "ms",
                      reference=median_of(bare_runs, lambda run: run["latency_us"][percentile] / 1000),
                      reference_label=BARE_LABEL)
    report.figure("Webhook, unknown reference: loan-processor CPU per request", costs["loan"], "us",
                  reference=costs["hello"], reference_label=hello_cpu_label)
    report.figure("Webhook, unknown reference: Redis CPU per request", costs["redis"], "us")

    completed = valid["expected"]
    report.figure("Webhook, valid callback: completed callbacks per second", completed / (valid["duration_us"] / 1e6),
                  "callbacks/s", reference=bare_rate, reference_label=BARE_LABEL)
    for percentile in ("p50", "p99"):
        report.figure(f"Webhook, valid callback: latency {percentile}", valid["latency_us"][percentile] / 1000, "ms",
                      reference=median_of(bare_runs, lambda run: run["latency_us"][percentile] / 1000),
                      reference_label=BARE_LABEL)
    report.figure("Webhook, valid callback: loan-processor CPU per callback",
                  cpu_us_per_request(valid, "loan-processor", completed), "us", reference=costs["hello"],
                  reference_label=hello_cpu_label)
    report.figure("Webhook, valid callback: Redis CPU per callback", cpu_us_per_request(valid, "redis-server", completed),
                  "us")

    bare_rates = [bare["requests_per_second"] for bare in bare_runs]
    unknown_rates = [unknown["requests_per_second"] for unknown in unknown_runs]
    report.note(f"wrk {settings['threads']} threads, {settings['connections']} keep-alive connections, "
                f"{settings['seconds']} s per run; {settings['rounds']} round(s) of a bare-server run then an "
                f"unknown-reference run. The requests per second are those of the round with the median ratio, "
                f"the other figures medians over the rounds. Per round, requests/s bare / unknown-reference / "
                f"ratio: " + "; ".join(f"{bare:.0f} / {unknown:.0f} / {unknown / bare:.2f}"
                                       for bare, unknown in zip(bare_rates, unknown_rates)) + ".")
    report.note("Every answer is checked (status and body): the bare server's 200 hello, the webhook's 404 "
                "UnknownValuationReference (and the error topic's last message), the valid callbacks' 200 with "
                "executionStatus SUCCEEDED. The loan-processor runs as shipped: for each unknown-reference callback "
                "it looks the token up (GET; missing, the in-flight count script, then GET again), publishes the "
                "error to the error topic (a script: XADD and PUBLISH; Redis with its append-only file, fsync every "
                "second) and logs two lines at the default LOG_LEVEL (callback-received, unknown-reference).")
    report.note(f"Valid callbacks: {completed} executions of LoanProcessorPart1StateMachine were started beforehand "
                f"(valuation service switch \"No callback\"; StartExecution by wrk at "
                f"{started['requests_per_second']:.0f}/s) and left to settle; wrk then posted each one's callback "
                f"exactly once, with the same threads and connections, and {succeeded} executions were SUCCEEDED "
                f"afterwards (none RUNNING). Not comparable with the bare server request for request: each callback "
                f"completes a task (token look-up, the execution's record loaded, TaskSucceeded and "
                f"ExecutionSucceeded committed by a compare-and-set script), and the run is a fixed set of "
                f"callbacks, not a fixed time; the ratio shows what that work costs. Redis's time per callback "
                f"(INFO commandstats; a script's includes the commands it calls): "
                + describe_redis_commands(redis_us_per_request(valid, completed)) + ".")
    report.series("unknown_reference_rounds", [[bare, unknown] for bare, unknown in zip(bare_rates, unknown_rates)])


def main():
    arguments = bench_harness.parse_arguments("Scenario 3: the webhook path against a bare libmicrohttpd server")
    settings = QUICK if arguments.quick else FULL
    bench_harness.require_commands("wrk")
    work = arguments.work or tempfile.mkdtemp(prefix="bench-webhook-")
    os.makedirs(work, exist_ok=True)
    report = bench_harness.ScenarioReport(3, "Webhook path against a bare libmicrohttpd server", arguments.quick)
    report.note(f"Load average when the scenario started: {' '.join(f'{value:.2f}' for value in os.getloadavg())}.")
    stack = Stack(arguments.build, work)
    try:
        stack.start()
        rounds = run_rounds(stack, settings)
        diagnosis = None if round_ratio(median_round(rounds)) >= TARGET_RATIO else diagnose(stack, settings)
        valid, started, succeeded = run_valid_callbacks(stack, settings)
        with open(os.path.join(work, "webhook-runs.json"), "w") as raw:  # every run's measurements, for a closer look
            json.dump({"rounds": rounds, "diagnosis": diagnosis, "start_executions": started, "valid": valid}, raw,
                      indent=1)
        add_figures(report, rounds, valid, started, succeeded, diagnosis, settings)
    finally:
        problems = stack.stop()
    if problems:
        raise RuntimeError("; ".join(problems))
    report.write(arguments.output)


if __name__ == "__main__":
    main()
