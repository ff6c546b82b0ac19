"""The loan-processor driven by the real AWS SDK for JavaScript v3 (tests/sdk).

Each tests/sdk/*.test.mjs file runs with Node.js against a stack of its own
(Redis, the valuation service and the loan-processor, started by the harness
with the SDK suite's extra state machine), configured only the way an SDK user
would: AWS_ENDPOINT_URL_SFN, AWS_REGION, AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (the loan-processor reads tests/sdk/mock-config.json as
its SFN_MOCK_CONFIG). Every JS case becomes one TAP point here, named
"<file>: <case>"; after each file one more point says the servers shut down
cleanly with no sanitizer report.

Without Node.js 18 or later the suite reports one "# SKIP" point. The SDK is
installed by scripts/test.sh (npm ci in tests/sdk, from the committed
lockfile); an install that is missing or stale is a failure that says so.
Running the files and relaying their TAP is node_tap.py's, shared with the
web console's browser tests.
"""

import json
import os

import harness
import node_tap

SDK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "sdk")
SDK_FILES = ["loan_processor.test.mjs", "pending_operations.test.mjs"]
WORKER_MACHINE = "SdkWorkerStateMachine"
MOCK_CONFIG = os.path.join(SDK_DIR, "mock-config.json")   # the test cases the SFN_MOCK_CONFIG case starts
NODE_DEADLINE_SECONDS = 120   # per file; every JS case has its own 15 s deadline as well


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


def main():
    tap = node_tap.Tap()
    node = node_tap.require_node(tap, "AWS SDK for JavaScript suite")
    node_tap.require_npm_packages(tap, node, SDK_DIR)
    with open(os.path.join(SDK_DIR, "state-machines", f"{WORKER_MACHINE}.asl.json")) as file:
        worker_definition = json.load(file)

    def start(stack):
        valuation = stack.start_valuation_service()
        loan = stack.start_loan_processor(valuation_port=valuation.port,
                                          extra_state_machines={WORKER_MACHINE: worker_definition},
                                          SFN_MOCK_CONFIG=MOCK_CONFIG)
        return sdk_environment(loan, stack.redis)

    for file_name in SDK_FILES:
        node_tap.run_file(tap, [node, os.path.join(SDK_DIR, file_name)], SDK_DIR, start, NODE_DEADLINE_SECONDS,
                          file_name.replace(".test.mjs", ""))
    tap.finish()


if __name__ == "__main__":
    main()
