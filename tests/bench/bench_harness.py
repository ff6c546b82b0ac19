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
