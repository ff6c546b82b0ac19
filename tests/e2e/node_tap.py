"""Running Node.js test files against a stack of their own, relaying their TAP.

Shared by the suites whose cases are written in JavaScript: the AWS SDK suite
(test_aws_sdk.py, tests/sdk) and the web console's browser tests
(test_console_browser.py, tests/browser). Each JS file runs with node against a
fresh stack started by harness.py; every JS case becomes one TAP point here,
named "<file>: <case>"; after each file one more point says the servers shut
down cleanly with no sanitizer report.
"""

import os
import re
import shutil
import subprocess
import sys

import harness

MINIMUM_NODE_MAJOR = 18
TESTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
TAP_POINT = re.compile(r"^(ok|not ok) \d+ - (.*)$")


class Tap:
    """Numbers and prints the suite's TAP points."""

    def __init__(self):
        self.number = 0
        self.failures = 0

    def point(self, ok, name, diagnostics=""):
        self.number += 1
        self.failures += 0 if ok else 1
        print(f"{'ok' if ok else 'not ok'} {self.number} - {name}", flush=True)
        for line in diagnostics.rstrip().splitlines():
            print(f"# {line}", flush=True)

    def finish(self):
        print(f"1..{self.number}", flush=True)
        sys.exit(1 if self.failures else 0)


def node_major_version(node):
    """The major version of node, or None when it does not answer."""
    try:
        answer = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"v(\d+)\.", answer.stdout.strip())
    return int(match.group(1)) if match else None


def require_node(tap, suite):
    """The path of a node of MINIMUM_NODE_MAJOR or later; otherwise reports the suite skipped and exits."""
    node = shutil.which("node")
    major = node_major_version(node) if node else None
    if major is None or major < MINIMUM_NODE_MAJOR:
        found = "no node on PATH" if not node else f"node {major or 'unknown version'}"
        tap.point(True, f"{suite} # SKIP needs Node.js {MINIMUM_NODE_MAJOR} or later ({found}); "
                        "scripts/install-deps.sh --test installs it")
        tap.finish()
    return node


def require_npm_packages(tap, node, package_dir):
    """Fails the suite (and exits) unless package_dir's node_modules matches its lockfile (npm_installed.mjs)."""
    installed = subprocess.run([node, os.path.join(TESTS_DIR, "npm_installed.mjs"), package_dir],
                               capture_output=True, text=True, timeout=30)
    if installed.returncode != 0:
        name = os.path.relpath(package_dir, os.path.join(TESTS_DIR, os.pardir))
        tap.point(False, f"the packages of {name} are installed from its package-lock.json",
                  installed.stdout + installed.stderr)
        tap.finish()


def relay(tap, prefix, output):
    """Re-numbers the JS runner's TAP points under prefix; returns (points seen, failed points, plan)."""
    seen = failed = 0
    plan = None
    for line in output.splitlines():
        point = TAP_POINT.match(line)
        if point:
            seen += 1
            failed += point.group(1) == "not ok"
            tap.point(point.group(1) == "ok", f"{prefix}: {point.group(2)}")
        elif re.match(r"^1\.\.\d+$", line):
            plan = int(line[3:])
        elif line.startswith("#"):
            print(line, flush=True)
        elif line.strip():
            print(f"# {line}", flush=True)
    return seen, failed, plan


def cleanup(tap, prefix, stack, report):
    """Stops the stack; with report, one point says whether the servers exited cleanly."""
    name = f"{prefix}: both servers shut down cleanly, no sanitizer report"
    try:
        stack.tearDown()
    except Exception as error:  # noqa: BLE001
        if report:
            tap.point(False, name, str(error))
    else:
        if report:
            tap.point(True, name)
    finally:
        stack.doCleanups()


def run_file(tap, command, cwd, start, deadline_seconds, prefix, time_scale=None):
    """Runs one JS test file against a fresh stack and relays its cases.

    command: the node command line (its file last); start(stack) starts the
    servers on the harness's StackTestCase and returns the environment the
    file runs with; time_scale, when given, is the stack's TIME_SCALE. A file
    that does not report every planned case and exit within deadline_seconds
    fails one more point, with the end of its standard error.
    """
    stack = harness.StackTestCase()
    if time_scale:
        stack.TIME_SCALE = time_scale
    try:
        stack.setUp()
        environment = start(stack)
    except Exception as error:  # noqa: BLE001 - any failure to start is reported as a failing point
        tap.point(False, f"{prefix}: the stack starts", repr(error))
        cleanup(tap, prefix, stack, report=False)
        return
    try:
        outcome = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=deadline_seconds,
                                 env=environment)
        stdout, stderr, status = outcome.stdout, outcome.stderr, outcome.returncode
    except subprocess.TimeoutExpired as expired:
        stdout = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout or ""
        stderr = f"node did not finish within {deadline_seconds} s"
        status = None
    seen, failed, plan = relay(tap, prefix, stdout)
    if status is None or plan is None or seen != plan or (status != 0 and failed == 0):
        tap.point(False, f"{prefix}: node reports every planned case and exits",
                  f"exit status {status}, {seen} of {plan} cases reported\n{stderr[-4000:]}")
    cleanup(tap, prefix, stack, report=True)
