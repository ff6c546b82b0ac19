"""Shared pieces of the benchmark's scenarios (see scripts/bench.sh).

Each scenario is a program of its own, tests/bench/scenario_<name>.py, that
starts what it needs (private Redis, the servers of the optimised build, a
peer), measures, and writes one JSON document (see ScenarioReport) to the
path given with --output. tests/bench/report.py turns those documents into
bench/results.md, bench/results.json and the plots.

Processes are real and so is the clock: figures are read from /proc and from
the servers' own answers. Every wait has a deadline.
"""

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402  (Redis, free_port, wait_until, request)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def parse_arguments(description, extra=None):
    """The options every scenario takes; extra(parser) may add its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--build", default="build-bench", help="meson build directory with the servers")
    parser.add_argument("--output", required=True, help="where to write the scenario's JSON report")
    parser.add_argument("--work", default=None, help="scratch directory (default: a new temporary one)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run with small loads")
    if extra:
        extra(parser)
    arguments = parser.parse_args()
    arguments.build = os.path.abspath(arguments.build)
    return arguments


def binary(build, name):
    """The path of a server (loan-processor, valuation-service) or bench tool built in build."""
    for candidate in (os.path.join(build, name, name), os.path.join(build, "tests", "bench", name)):
        if os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(f"{name} is not built in {build}")


# ---- /proc readings ----

def cpu_seconds(pid):
    """User + system CPU seconds used so far by process pid (and its reaped children)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17.
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def memory_kib(pid):
    """{"rss": resident KiB now, "peak": the highest resident KiB so far (VmHWM)} of process pid."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                values["rss"] = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                values["peak"] = int(line.split()[1])
    return values


def reset_peak_rss(pid):
    """Resets VmHWM to the current RSS (Linux 4.0+: write 5 to clear_refs); False when not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


# ---- statistics ----

def percentile(values, fraction):
    """The nearest-rank percentile (fraction in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


# ---- processes ----

def answers_http(url, timeout=1.0):
    """True when a GET of url gets any HTTP answer."""
    try:
        status, _ = harness.request("GET", url, timeout=timeout)
        return status > 0
    except OSError:
        return False


def start_and_time_first_answer(arguments, environment, url, deadline_seconds=30, log_path=None, cwd=None):
    """Starts a process and polls url (every 0.5 ms) until it answers.

    Returns (process, seconds from exec to the first answer). The log (stdout and stderr) goes to log_path
    or is discarded. Raises when the process exits or the deadline passes first.
    """
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    full_environment = dict(os.environ)
    full_environment.update(environment)
    started = time.monotonic()
    process = subprocess.Popen(arguments, env=full_environment, stdout=log, stderr=log, cwd=cwd)
    host, port = _host_port(url)
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{arguments[0]} exited with status {process.returncode} before answering")
        if _accepts(host, port) and answers_http(url):
            return process, time.monotonic() - started
        if time.monotonic() - started > deadline_seconds:
            process.kill()
            raise RuntimeError(f"{arguments[0]} did not answer {url} within {deadline_seconds} s")
        time.sleep(0.0005)


def _host_port(url):
    rest = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    return host, int(port)


def _accepts(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def stop(process, timeout=15):
    """SIGTERM, then SIGKILL after timeout seconds; returns the exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


# What scripts/demo.sh and the compose stack's Redis run with besides the append-only file (see the Dockerfile).
SHIPPED_REDIS_SETTINGS = ("hash-max-listpack-value", "512")


def start_redis(work):
    """A private redis-server as the shipped configurations run it (append-only file, fsync every second,
    SHIPPED_REDIS_SETTINGS)."""
    redis = harness.Redis(directory=os.path.join(work, f"redis-{harness.free_port()}"))
    os.makedirs(redis.directory, exist_ok=True)
    redis.start(appendonly=True)
    redis.command("CONFIG", "SET", *SHIPPED_REDIS_SETTINGS)
    return redis


def redis_info(redis, section):
    """INFO <section> of a harness.Redis as a dict of strings."""
    lines = redis.command("INFO", section).splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line)


def get_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


# ---- the report ----

class ScenarioReport:
    """What one scenario measured, written as JSON for report.py.

    A figure is {figure, value, unit, reference, reference_label, ratio, target, met, limit}: reference is a
    figure measured in the same run (ratio = value / reference), target a human-readable goal such as
    "<= 5 ms", met whether the value meets it (None when the figure has no target) and limit, for a missed
    target, what limits the figure.
    """

    def __init__(self, number, title, quick):
        self.document = {"scenario": number, "title": title, "quick": quick, "figures": [], "notes": [],
                         "series": {}}

    def figure(self, figure, value, unit, reference=None, reference_label=None, target=None, met=None,
               limit=None, digits=3):
        ratio = None
        if reference not in (None, 0) and value is not None:
            ratio = round(value / reference, 4)
        self.document["figures"].append({
            "figure": figure, "value": _round(value, digits), "unit": unit, "reference": _round(reference, digits),
            "reference_label": reference_label, "ratio": ratio, "target": target, "met": met, "limit": limit})

    def note(self, text):
        self.document["notes"].append(text)

    def series(self, name, points):
        """A list of points (tuples) for a plot."""
        self.document["series"][name] = points

    def write(self, path):
        with open(path, "w") as output:
            json.dump(self.document, output, indent=1)


def _round(value, digits):
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if abs(value) < 10 ** digits else round(value)
    return value


# ---- tools installed at bench time, and wrk ----

import collections  # noqa: E402  (imported here so that additions stay at the end of the file)
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def require_commands(*commands):
    """Installs the benchmark's packages (scripts/install-deps.sh --bench) when one of commands is missing."""
    if all(shutil.which(command) for command in commands):
        return
    subprocess.run([os.path.join(REPOSITORY, "scripts", "install-deps.sh"), "--bench"], check=True, timeout=600)
    missing = [command for command in commands if not shutil.which(command)]
    if missing:
        raise RuntimeError(f"still missing after scripts/install-deps.sh --bench: {' '.join(missing)}")


def children_cpu_seconds():
    """User + system CPU seconds of this process's children that have been waited for (RUSAGE_CHILDREN)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(url, script, script_arguments=(), threads=2, connections=32, duration_seconds=5.0, headers=(),
            environment=None, log_path=None):
    """Runs wrk against url with a Lua script whose done() prints one line "WRK_RESULT {json}".

    Returns that JSON object, plus "cpu_seconds" (wrk's own CPU time) and "requests_per_second" (requests over
    wrk's own duration). duration_seconds is rounded up to whole seconds. headers are "Name: value" strings
    (wrk -H). wrk's output goes to log_path when given.
    The deadline is the duration plus 60 s (a script may stop earlier, never later). Raises when wrk fails or
    prints no result.
    """
    duration_seconds = max(1, math.ceil(duration_seconds))  # wrk takes whole seconds
    command = ["wrk", "--latency", f"-t{threads}", f"-c{connections}", f"-d{duration_seconds}s", "-s", script]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", *script_arguments]
    full_environment = dict(os.environ)
    full_environment.update(environment or {})
    cpu_before = children_cpu_seconds()
    finished = subprocess.run(command, env=full_environment, capture_output=True, text=True,
                              timeout=duration_seconds + 60)
    cpu = children_cpu_seconds() - cpu_before
    if log_path:
        with open(log_path, "a") as log:
            log.write(f"$ {' '.join(command)}\n{finished.stdout}{finished.stderr}\n")
    lines = [line for line in finished.stdout.splitlines() if line.startswith("WRK_RESULT ")]
    if finished.returncode != 0 or not lines:
        output = (finished.stdout + finished.stderr).strip()
        raise RuntimeError(f"wrk failed (status {finished.returncode}): {output[-500:]}")
    result = json.loads(lines[-1].split(" ", 1)[1])
    result["cpu_seconds"] = cpu
    result["requests_per_second"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def cpu_seconds_of(processes):
    """{name: CPU seconds so far} of a {name: pid} dict."""
    return {name: cpu_seconds(pid) for name, pid in processes.items()}


def median(values):
    """The median of a non-empty list (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def machine_cpu_jiffies():
    """(all, idle) CPU time of the whole machine so far, in clock ticks (the "cpu" line of /proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:9]]
    return sum(values), values[3] + values[4]


def busy_fraction(before, after):
    """How busy the machine's CPUs were between two machine_cpu_jiffies() readings (0..1)."""
    elapsed = after[0] - before[0]
    return 1 - (after[1] - before[1]) / elapsed if elapsed else 0.0


def redis_command_stats(redis):
    """INFO commandstats of a harness.Redis: {command: {"calls": n, "usec": total microseconds}}."""
    stats = {}
    for name, value in redis_info(redis, "commandstats").items():
        fields = dict(item.split("=", 1) for item in value.split(","))
        stats[name.replace("cmdstat_", "", 1)] = {"calls": int(fields["calls"]), "usec": int(fields["usec"])}
    return stats


# ---- profiling a running process (perf, strace), for the limit of a missed target ----

class Attached:
    """A tool attached to a running process for the length of a with block, stopped with SIGINT at its end.

    arguments is the tool's command line; its output goes to files named in it. usable is False (and the block
    runs without it) when the tool is missing or exits at once (not allowed to attach, say).
    """

    def __init__(self, arguments, settle_seconds=0.3):
        self.arguments = arguments
        self.settle_seconds = settle_seconds
        self.process = None
        self.usable = False

    def __enter__(self):
        if shutil.which(self.arguments[0]):
            self.process = subprocess.Popen(self.arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(self.settle_seconds)  # attaching takes a moment
            self.usable = self.process.poll() is None
        return self

    def __exit__(self, *exception):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return False


def strace_counts(path):
    """{syscall: calls} from the summary strace -c wrote to path."""
    counts = {}
    with open(path) as summary:
        for line in summary:
            fields = line.split()
            if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
                counts[fields[-1]] = int(fields[3])
    return counts


def perf_stack_shares(data_path, symbols):
    """{symbol: share of the samples in a perf.data whose call stack holds a frame naming it}, with "samples".

    Shares are inclusive (a sample counts for every symbol on its stack), so they overlap. Needs call stacks
    (perf record --call-graph dwarf where the binaries have no frame pointers). None when perf script fails.
    """
    script = subprocess.run(["perf", "script", "-i", data_path, "-F", "ip,sym"], capture_output=True, text=True,
                            timeout=300)
    if script.returncode != 0:
        return None
    hits, samples, stack = collections.Counter(), 0, []
    for line in script.stdout.splitlines() + [""]:
        if line.strip():
            stack.append(line.strip().split(None, 1)[-1])
            continue
        if stack:
            samples += 1
            for symbol in symbols:
                if any(symbol in frame for frame in stack):
                    hits[symbol] += 1
            stack = []
    if not samples:
        return None
    shares = {symbol: hits[symbol] / samples for symbol in symbols}
    shares["samples"] = samples
    return shares
