"""The web console in a real browser: Debian's chromium driven by playwright-core (tests/browser).

Each tests/browser/*.test.mjs file runs with Node.js (node --test-reporter=tap)
against a stack of its own (Redis, the valuation service and the
loan-processor, started by the harness with the file's TIME_SCALE; the live
file also gets a second loan-processor on the same Redis), and opens the
console in chromium. Every JS case becomes one TAP point here (node_tap.py);
after each file one more point says the servers shut down cleanly.

Screenshots go to BROWSER_SCREENSHOT_DIR (meson passes
<build>/meson-logs/browser), or to a temporary directory named in the output.

Without Node.js 18 or later, or without /usr/bin/chromium, the suite reports
one "# SKIP" point (scripts/install-deps.sh --test installs both). playwright-core
is installed by scripts/test.sh (npm ci in tests/browser, from the committed
lockfile); an install that is missing or stale is a failure that says so.
"""

import os
import tempfile

import node_tap

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "browser")
CHROMIUM = "/usr/bin/chromium"
NODE_DEADLINE_SECONDS = 240   # per file; every JS case and every wait in it has its own deadline as well
# file, the stack's TIME_SCALE, whether it needs a second loan-processor
BROWSER_FILES = [
    ("console_live.test.mjs", "0.5", True),      # a 3 s callback, a 15 s timeout: time to watch and to click
    ("console_timeout.test.mjs", "0.1", False),  # the 30 s timeout after 3 s
]


def screenshot_directory():
    """BROWSER_SCREENSHOT_DIR emptied of an earlier run's screenshots, or a new temporary directory."""
    directory = os.environ.get("BROWSER_SCREENSHOT_DIR")
    if not directory:
        return tempfile.mkdtemp(prefix="console-browser-")
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".png"):
            os.remove(os.path.join(directory, name))
    return directory


def starter(time_scale, second_instance, screenshots):
    """start(stack) for node_tap.run_file: the servers, and the environment the JS file reads."""
    def start(stack):
        loan, valuation = stack.start_stack()
        environment = dict(os.environ)
        environment.update({"CONSOLE_URL": loan.base_url, "TIME_SCALE": time_scale, "SCREENSHOT_DIR": screenshots,
                            "CHROMIUM": CHROMIUM})
        if second_instance:
            second = stack.start_loan_processor(valuation_port=valuation.port)
            environment["SECOND_LOAN_PROCESSOR_URL"] = second.base_url
        return environment
    return start


def main():
    tap = node_tap.Tap()
    node = node_tap.require_node(tap, "web console browser suite")
    if not os.access(CHROMIUM, os.X_OK):
        tap.point(True, f"web console browser suite # SKIP needs {CHROMIUM} (Debian's chromium); "
                        "scripts/install-deps.sh --test installs it")
        tap.finish()
    node_tap.require_npm_packages(tap, node, BROWSER_DIR)
    screenshots = screenshot_directory()
    print(f"# screenshots: {screenshots}", flush=True)
    for file_name, time_scale, second_instance in BROWSER_FILES:
        node_tap.run_file(tap, [node, "--test-reporter=tap", os.path.join(BROWSER_DIR, file_name)], BROWSER_DIR,
                          starter(time_scale, second_instance, screenshots), NODE_DEADLINE_SECONDS,
                          file_name.replace(".test.mjs", ""), time_scale=time_scale)
    tap.finish()


if __name__ == "__main__":
    main()
