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
import collections
import json
import math
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402  (Redis, free_port, wait_until, request)

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
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

def health_ok(port):
    """A readiness test: GET /health on port answers 200."""
    return lambda: http_status("GET", f"http://127.0.0.1:{port}/health") == 200


def server_environment(name, port, redis_url, valuation_url=None):
    """The environment one of the project's servers (loan-processor, valuation-service) runs with here.

    A loan-processor runs the shipped state machines and is called back on its own port; without valuation_url it
    is given a valuation service that nobody runs (for scenarios that never request a valuation).
    """
    # The load comes from this one address (as from a load balancer): the per-address cap of a real deployment
    # (MAX_CONNECTIONS_PER_ADDRESS, 256) would refuse the 512-application scenario's connections.
    if name == "valuation-service":
        return {"VALUATION_SERVICE_PORT": str(port), "REDIS_URL": redis_url, "MAX_CONNECTIONS_PER_ADDRESS": "4096"}
    return {"LOAN_PROCESSOR_PORT": str(port), "REDIS_URL": redis_url, "MAX_CONNECTIONS_PER_ADDRESS": "4096",
            "STATE_MACHINES_DIR": os.path.join(REPOSITORY, "loan-processor", "state-machines"),
            "VALUATION_SERVICE_URL": valuation_url or f"http://127.0.0.1:{harness.free_port()}/valuation-request",
            "CALLBACK_URL": f"http://127.0.0.1:{port}/valuation-callback"}


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


class Cluster(harness.Cluster):
    """A private Redis Cluster for one configuration of a scenario: the test harness's (its nodes on free loopback
    ports, the slots split over the masters, one replica per master in turn), run as start_redis runs Redis, and
    destroyed by cleanup() (never reused)."""

    def pids(self):
        """{"redis-server <port>": pid} of every node."""
        return {f"redis-server {node.port}": node.process.pid for node in self.nodes}

    def cleanup(self):
        self.destroy()


def start_cluster(masters, replicas=0):
    """A Redis Cluster of masters masters with replicas replicas each, with start_redis's settings (append-only
    file, SHIPPED_REDIS_SETTINGS on every node); returns it once it serves every slot and every replica is in sync.
    Its REDIS_URL names every master; the nodes live in a temporary directory of their own. Kills every node when
    it fails."""
    cluster = Cluster(masters, replicas, node_timeout_ms=2000)
    try:
        cluster.launch(appendonly=True).wait_ready()
        for node in cluster.nodes:
            node.command("CONFIG", "SET", *SHIPPED_REDIS_SETTINGS)
        return cluster
    except BaseException:
        cluster.destroy()
        raise


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




def perf_self_shares(data_path, sort, top):
    """[(name, share)] of the samples in a perf.data by their own (self) location: sort "dso" (the library) or
    "sym" (the function), the top ones first. [] when perf report fails."""
    report = subprocess.run(["perf", "report", "-i", data_path, "--no-children", "--sort", sort, "--stdio", "-g",
                             "none", "--percent-limit", "0.5"], capture_output=True, text=True, timeout=300)
    shares = []
    for line in report.stdout.splitlines():
        fields = line.split(None, 1)
        if len(fields) == 2 and fields[0].endswith("%") and not line.startswith("#"):
            name = fields[1].strip()
            name = name.split("] ", 1)[-1] if name.startswith("[") and "] " in name else name
            shares.append((name, float(fields[0].rstrip("%")) / 100))
    return shares[:top]



# ---- more processes: readiness, npm packages, drivers' output (scenarios 4 and 5) ----

def start_and_time_until(arguments, environment, ready, deadline_seconds=30, log_path=None, cwd=None):
    """Starts a process and polls ready() every 0.5 ms (e.g. health_ok(port)).

    Returns (process, seconds from exec to the first time ready() was true). Raises when the process exits or
    the deadline passes first (the process is then killed).
    """
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    full_environment = dict(os.environ)
    full_environment.update(environment)
    started = time.monotonic()
    process = subprocess.Popen(arguments, env=full_environment, stdout=log, stderr=log, cwd=cwd)
    if log_path:
        log.close()  # the child has its own descriptor
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{arguments[0]} exited with status {process.returncode} before it was ready")
        if ready():
            return process, time.monotonic() - started
        if time.monotonic() - started > deadline_seconds:
            stop(process, timeout=5)
            raise RuntimeError(f"{arguments[0]} was not ready within {deadline_seconds} s")
        time.sleep(0.0005)


def http_status(method, url, body=None, headers=None, timeout=1.0):
    """The status of one HTTP request (0 when nothing answered)."""
    try:
        status, _ = harness.request(method, url, body=body, headers=headers, timeout=timeout)
        return status
    except OSError:
        return 0


def median_run_seconds(arguments, runs, timeout=10):
    """The median wall time (seconds) of running arguments to completion, runs times (output discarded).

    Each run is waited for with a blocking wait (Popen.wait with a timeout polls at growing intervals, which
    would round a run of a few milliseconds up to the next poll); a timer kills a run that exceeds timeout.
    """
    durations = []
    for _ in range(runs):
        started = time.monotonic()
        process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            process.wait()
        finally:
            watchdog.cancel()
        durations.append(time.monotonic() - started)
    return sorted(durations)[len(durations) // 2]


def node_version():
    """The major version of the node on PATH, or 0 when there is none."""
    try:
        output = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout
        return int(output.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0


def npm_install(package_directory, destination, timeout=600):
    """The packages pinned by package_directory's package.json and package-lock.json, installed under destination.

    Runs `npm ci` (no install scripts) in destination unless what is there already matches the lockfile
    (version and integrity of every package), so a reused scratch folder installs once. Returns
    (node_modules path, seconds the install took, 0 when nothing was installed). Raises when npm fails.
    """
    os.makedirs(destination, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        with open(os.path.join(package_directory, name), "rb") as source:
            content = source.read()
        with open(os.path.join(destination, name), "wb") as copy:
            copy.write(content)
    modules = os.path.join(destination, "node_modules")
    if _npm_install_matches(destination):
        return modules, 0.0
    started = time.monotonic()
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=destination, check=True, timeout=timeout, stdout=subprocess.DEVNULL)
    return modules, time.monotonic() - started


def _npm_install_matches(destination):
    try:
        with open(os.path.join(destination, "package-lock.json")) as wanted_file:
            wanted = json.load(wanted_file).get("packages", {})
        with open(os.path.join(destination, "node_modules", ".package-lock.json")) as installed_file:
            installed = json.load(installed_file).get("packages", {})
    except (OSError, ValueError):
        return False
    wanted = {location: entry for location, entry in wanted.items() if location}
    if set(wanted) != set(installed):
        return False
    return all(installed[location].get("version") == entry.get("version")
               and installed[location].get("integrity") == entry.get("integrity")
               for location, entry in wanted.items())


def read_json_lines(process, on_object, deadline_seconds):
    """Reads process's stdout (a pipe) as one JSON object per line, calling on_object(object) as each arrives.

    Returns the process's exit status once its stdout closes and it exits; kills it and raises when that takes
    longer than deadline_seconds. Lines that are not JSON objects are ignored.
    """
    deadline = time.monotonic() + deadline_seconds
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                process.kill()
                process.wait()
                raise RuntimeError(f"{process.args[0]} did not finish within {deadline_seconds} s")
            if not selector.select(timeout=remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                try:
                    parsed = json.loads(line)
                except ValueError:
                    continue
                if isinstance(parsed, dict):
                    on_object(parsed)
    finally:
        selector.close()
    return process.wait(timeout=max(1.0, deadline - time.monotonic()))


def idle_activity(pid, seconds):
    """What process pid does over the next seconds: {"cpu_percent": of one core, "wakeups_per_second"}.

    CPU time comes from /proc/<pid>/schedstat (nanoseconds; /proc/<pid>/stat counts 10 ms ticks, too coarse for
    an idle process) when the kernel has it; wake-ups are context switches (voluntary + involuntary).
    """
    def sample():
        return _cpu_nanoseconds(pid), _context_switches(pid), time.monotonic()
    cpu_before, switches_before, started = sample()
    time.sleep(seconds)
    cpu_after, switches_after, ended = sample()
    elapsed = ended - started
    return {"cpu_percent": 100.0 * (cpu_after - cpu_before) / 1e9 / elapsed,
            "wakeups_per_second": (switches_after - switches_before) / elapsed}


def _cpu_nanoseconds(pid):
    try:
        with open(f"/proc/{pid}/schedstat") as schedstat:
            return int(schedstat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return int(cpu_seconds(pid) * 1e9)


def _context_switches(pid):
    total = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                total += int(line.split()[1])
    return total


# What a process's resident memory is made of: each mapping of /proc/<pid>/smaps goes into the first group whose
# test matches its name (the file mapped, or [heap], [stack], ... or "" for anonymous memory).
MEMORY_GROUPS = (
    ("heap and other anonymous memory (malloc, thread stacks)", lambda name: name in ("[heap]", "")),
    ("main thread stack", lambda name: name == "[stack]"),
    ("TLS and crypto libraries (OpenSSL, GnuTLS, nettle, gmp, p11-kit, ...)",
     lambda name: any(part in name for part in ("libcrypto", "libssl", "libgnutls", "libnettle", "libhogweed",
                                                 "libgmp", "libp11-kit", "libtasn1", "libffi", "libidn2",
                                                 "libunistring"))),
    ("libcurl and the libraries only it needs (krb5, ldap, ssh2, nghttp2, rtmp, psl, zstd, brotli, ...)",
     lambda name: any(part in name for part in ("libcurl", "libkrb", "libk5crypto", "libgssapi", "libcom_err",
                                                 "libkeyutils", "libldap", "liblber", "libsasl", "libssh",
                                                 "libnghttp", "librtmp", "libpsl", "libzstd", "libbrotli",
                                                 "libz.so", "libresolv"))),
    ("libmicrohttpd, hiredis, cJSON", lambda name: any(part in name for part in ("libmicrohttpd", "libhiredis",
                                                                                  "libcjson"))),
    ("C library, libm, the dynamic loader", lambda name: any(part in name for part in ("libc.so", "libm.so",
                                                                                      "ld-linux"))),
    ("other shared libraries", lambda name: ".so" in name),
    ("the program itself, other mappings", lambda name: True),
)


def memory_breakdown(pid):
    """Resident memory of process pid by group of mappings (see MEMORY_GROUPS), from /proc/<pid>/smaps.

    Returns a list of {"group", "rss", "pss", "dirty"} in KiB, largest rss first, groups with nothing resident
    left out. rss counts every resident page; pss divides shared pages among the processes that map them; dirty
    is what the process wrote (heap, stacks, libraries' relocated data): the rest are clean pages of files (code,
    read-only data), which every process mapping the same file shares and the kernel can drop and read again.
    """
    totals = {group: {"group": group, "rss": 0, "pss": 0, "dirty": 0} for group, _ in MEMORY_GROUPS}
    current = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if not fields:
                continue
            if not fields[0].endswith(":"):  # a mapping's header: address perms offset device inode [name]
                name = " ".join(fields[5:])
                current = next(totals[group] for group, matches in MEMORY_GROUPS if matches(name))
            elif fields[0] == "Rss:":
                current["rss"] += int(fields[1])
            elif fields[0] == "Pss:":
                current["pss"] += int(fields[1])
            elif fields[0] in ("Private_Dirty:", "Shared_Dirty:"):
                current["dirty"] += int(fields[1])
    return sorted((group for group in totals.values() if group["rss"]), key=lambda group: -group["rss"])


class SyscallCounter:
    """Counts the system calls of a running process with `strace -c -f -p` while it is attached.

    start() returns False (and the counter does nothing) when strace is missing or cannot attach (no ptrace
    permission); stop() detaches and returns {syscall: calls}. strace slows the process down: use the counts
    per unit of work, not the throughput measured meanwhile.
    """

    def __init__(self, pid, output_path):
        self.pid = pid
        self.output_path = output_path
        self.process = None

    def start(self, deadline_seconds=5):
        try:
            self.process = subprocess.Popen(["strace", "-c", "-f", "-p", str(self.pid), "-o", self.output_path],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            return False
        started = time.monotonic()
        while time.monotonic() - started < deadline_seconds:
            if self.process.poll() is not None:
                self.process = None
                return False
            if _tracer_pid(self.pid) == self.process.pid:
                return True
            time.sleep(0.005)
        self.stop()
        return False

    def stop(self):
        if not self.process:
            return {}
        self.process.send_signal(2)  # SIGINT: detach and write the summary
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return {}
        finally:
            self.process = None
        counts = {}
        with open(self.output_path) as summary:
            for line in summary:
                fields = line.split()
                if len(fields) >= 5 and fields[-1] != "total" and fields[3].isdigit():
                    counts[fields[-1]] = int(fields[3])
        return counts


def _tracer_pid(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


class ScratchDirectory:
    """The scenario's scratch folder: --work when given (left in place), else a new temporary folder that is
    removed on exit (a scenario may install large npm packages there). Use it in a with block."""

    def __init__(self, arguments, prefix):
        self.created = arguments.work is None
        self.path = os.path.abspath(arguments.work or tempfile.mkdtemp(prefix=prefix))

    def __enter__(self):
        os.makedirs(self.path, exist_ok=True)
        return self.path

    def __exit__(self, *exception):
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)


class Sampler:
    """Calls sample() every 50 ms on a thread and keeps (monotonic seconds, *its result) while it answers; a sample
    that raises OSError, RuntimeError or ValueError (a server busy or gone for a moment) is skipped."""

    def __init__(self, sample):
        self.sample = sample
        self.points = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                self.points.append((time.monotonic(), *self.sample()))
            except (OSError, RuntimeError, ValueError):
                pass
            self.stopping.wait(0.05)

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        return self.points
