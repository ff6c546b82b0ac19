"""The loan-processor driven by the real AWS SDK for JavaScript v3 (tests/sdk).

Each tests/sdk/*.test.mjs file runs with Node.js against a stack of its own
(Redis, the valuation service and the loan-processor, started by the harness
with the SDK suite's extra state machine), configured only the way an SDK user
would: AWS_ENDPOINT_URL_SFN, AWS_REGION, AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY. Every JS case becomes one TAP point here, named
"<file>: <case>"; after each file one more point says the servers shut down
cleanly with no sanitizer report.

Without Node.js 18 or later the suite reports one "# SKIP" point. The SDK is
installed by scripts/test.sh (npm ci in tests/sdk, from the committed
lockfile); an install that is missing or stale is a failure that says so.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import harness

SDK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "sdk")
SDK_FILES = ["loan_processor.test.mjs", "pending_operations.test.mjs"]
WORKER_MACHINE = "SdkWorkerStateMachine"
MINIMUM_NODE_MAJOR = 18
NODE_DEADLINE_SECONDS = 120   # per file; every JS case has its own 15 s deadline as well
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


def sdk_environment(loan, redis):
    """The environment of an SDK user pointed at loan, and nothing else of AWS's (no profile, no config file)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update({
        "AWS_ENDPOINT_URL_SFN": loan.base_url,
        "AWS_REGION": harness.REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "REDIS_URL": redis.url,
        "TIME_SCALE": harness.StackTestCase.TIME_SCALE,
    })
    return environment


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


def run_file(tap, node, file_name, worker_definition):
    """Runs one SDK test file against a fresh stack and relays its cases."""
    prefix = file_name.replace(".test.mjs", "")
    stack = harness.StackTestCase()
    try:
        stack.setUp()
        loan, _ = stack.start_stack(extra_state_machines={WORKER_MACHINE: worker_definition})
    except Exception as error:  # noqa: BLE001 - any failure to start is reported as a failing point
        tap.point(False, f"{prefix}: the stack starts", repr(error))
        cleanup(tap, prefix, stack, report=False)
        return
    try:
        outcome = subprocess.run([node, os.path.join(SDK_DIR, file_name)], cwd=SDK_DIR, capture_output=True,
                                 text=True, timeout=NODE_DEADLINE_SECONDS, env=sdk_environment(loan, stack.redis))
        stdout, stderr, status = outcome.stdout, outcome.stderr, outcome.returncode
    except subprocess.TimeoutExpired as expired:
        stdout = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout or ""
        stderr = f"node did not finish within {NODE_DEADLINE_SECONDS} s"
        status = None
    seen, failed, plan = relay(tap, prefix, stdout)
    if status is None or plan is None or seen != plan or (status != 0 and failed == 0):
        tap.point(False, f"{prefix}: node reports every planned case and exits",
                  f"exit status {status}, {seen} of {plan} cases reported\n{stderr[-4000:]}")
    cleanup(tap, prefix, stack, report=True)


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


def main():
    tap = Tap()
    node = shutil.which("node")
    major = node_major_version(node) if node else None
    if major is None or major < MINIMUM_NODE_MAJOR:
        found = "no node on PATH" if not node else f"node {major or 'unknown version'}"
        tap.point(True, f"AWS SDK for JavaScript suite # SKIP needs Node.js {MINIMUM_NODE_MAJOR} or later ({found}); "
                        "scripts/install-deps.sh --test installs it")
        tap.finish()
    installed = subprocess.run([node, os.path.join(SDK_DIR, "installed.mjs")], capture_output=True, text=True,
                               timeout=30)
    if installed.returncode != 0:
        tap.point(False, "the AWS SDK for JavaScript is installed from tests/sdk/package-lock.json",
                  installed.stdout + installed.stderr)
        tap.finish()
    with open(os.path.join(SDK_DIR, "state-machines", f"{WORKER_MACHINE}.asl.json")) as file:
        worker_definition = json.load(file)
    for file_name in SDK_FILES:
        run_file(tap, node, file_name, worker_definition)
    tap.finish()


if __name__ == "__main__":
    main()
