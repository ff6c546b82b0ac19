"""The newer Step Functions operations through the AWS CLI, one group of operations a test, error case included.

Which CLI: every installed one is a candidate, in this order: $AWS_CLI (a command line), Debian's /usr/bin/aws
(scripts/install-deps.sh --test installs it; aws-cli 2.9.19 predates TestState mocks, ValidateStateMachineDefinition,
versions, aliases and redrive), `aws` on PATH (often the pyenv Python's aws-cli v1, whose botocore has every
operation) and `python3 -m awscli` when that module is importable. A test runs with the first candidate whose
`<op> --generate-cli-skeleton input` (which sends no request) knows the operation and the members the test passes;
for the operations with the `sync-` host prefix (TestState, StartSyncExecution) the candidate must also honour
AWS_DISABLE_HOST_PREFIX_INJECTION=true, which a call against the test's server shows. When no candidate can, the test
is a TAP skip naming the operation and the CLIs tried, never a pass.

Every call gets --endpoint-url, --output json and an environment of dummy credentials (no profile, no config file);
a success's JSON output is asserted; an error's exit status (the service refused: 254 for v2, 255 for v1) and its
code and message on stderr, as the CLI prints them: "An error occurred (<code>) when calling the <Operation>
operation: <message>".
"""

import functools
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import harness
from harness import ACCOUNT, REGION, machine_arn, wait_until

ROLE = f"arn:aws:iam::{ACCOUNT}:role/CliRole"
PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
HOLD = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}
# The CLI's exit status when the service answered with an error: 254 for aws-cli v2, 255 for v1.
SERVICE_ERROR_STATUS = {"1": 255, "2": 254}
CLI_DEADLINE_S = 60
CHARGED = {"StatusCode": 200, "Payload": {"charged": True}}
MOCKED_MACHINE = "CliMockedFlow"
MOCKED_FLOW = {"StartAt": "Charge", "States": {"Charge": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Charge", "Payload.$": "$"},
    "ResultPath": "$.charge", "End": True}}}
MOCK_CONFIG = {"StateMachines": {MOCKED_MACHINE: {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}}},
               "MockedResponses": {"ChargeOk": {"0": {"Return": CHARGED}}}}


def definition(result):
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})


def cli_environment():
    """Dummy credentials and nothing else of AWS's from the caller's environment (no profile, no pager)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update({
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1", "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
    })
    return environment


def run_cli(command, *arguments):
    return subprocess.run([*command, *arguments], env=cli_environment(), capture_output=True, text=True,
                          timeout=CLI_DEADLINE_S, stdin=subprocess.DEVNULL)


@functools.lru_cache(maxsize=None)
def candidates():
    """The installed CLIs as (command tuple, version line), in the order of the module's docstring, each once."""
    commands = []
    if os.environ.get("AWS_CLI"):
        commands.append(tuple(shlex.split(os.environ["AWS_CLI"])))
    for path in ("/usr/bin/aws", shutil.which("aws")):
        if path and os.access(path, os.X_OK):
            commands.append((path,))
    if importlib.util.find_spec("awscli") is not None:
        commands.append((sys.executable, "-m", "awscli"))
    found, versions = [], set()
    for command in commands:
        try:
            answer = run_cli(command, "--version")
        except (OSError, subprocess.TimeoutExpired):
            continue
        version = (answer.stdout or answer.stderr).strip()
        if answer.returncode == 0 and version not in versions:
            versions.add(version)
            found.append((command, version))
    return tuple(found)


@functools.lru_cache(maxsize=None)
def skeleton(command, operation):
    """The input members the CLI knows for stepfunctions <operation> (a dict), or None when it lacks it."""
    answer = run_cli(command, "stepfunctions", operation, "--generate-cli-skeleton", "input")
    if answer.returncode != 0:
        return None
    try:
        return json.loads(answer.stdout)
    except ValueError:
        return None


_honours_no_host_prefix = {}


class CliTestCase(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = None
        self.cli = None
        self.cli_version = None

    def use_cli(self, needs, host_prefix=False):
        """Picks the first candidate CLI with every operation of needs ({operation: [members]}); skips the test
        when there is none. host_prefix: it must also honour AWS_DISABLE_HOST_PREFIX_INJECTION."""
        tried = []
        for command, version in candidates():
            missing = []
            for operation, members in needs.items():
                known = skeleton(command, operation)
                if known is None:
                    missing.append(operation)
                elif any(member not in known for member in members):
                    missing.append(f"{operation} {' '.join(m for m in members if m not in known)}")
            if not missing and host_prefix and not self.honours_no_host_prefix(command):
                missing = ["AWS_DISABLE_HOST_PREFIX_INJECTION"]
            if not missing:
                self.cli, self.cli_version = command, version
                print(f"# {self.id().split('.', 1)[-1]} runs {' '.join(command)}: {version}", flush=True)
                return
            tried.append(f"{version} lacks {', '.join(missing)}")
        self.skipTest(f"no installed AWS CLI can: {'; '.join(tried) or 'none is installed'}")

    def honours_no_host_prefix(self, command):
        """Whether the CLI sends start-sync-execution to the endpoint itself rather than to sync-<host>."""
        if command not in _honours_no_host_prefix:
            answer = run_cli(command, "stepfunctions", "start-sync-execution", "--endpoint-url", self.loan.base_url,
                             "--state-machine-arn", machine_arn("NoSuchMachine"))
            _honours_no_host_prefix[command] = "(StateMachineDoesNotExist)" in answer.stderr
        return _honours_no_host_prefix[command]

    def run_operation(self, operation, *arguments):
        return run_cli(self.cli, "stepfunctions", operation, "--endpoint-url", self.loan.base_url, "--output", "json",
                       *arguments)

    def call(self, operation, *arguments):
        """The parsed JSON output of a call that must succeed ({} when the CLI printed nothing)."""
        answer = self.run_operation(operation, *arguments)
        self.assertEqual(0, answer.returncode, f"{' '.join(self.cli)} {operation}: {answer.stderr}")
        return json.loads(answer.stdout) if answer.stdout.strip() else {}

    def refused(self, code, message, operation, *arguments):
        """Asserts the call fails as the CLI reports a service error with code and message (exactly)."""
        answer = self.run_operation(operation, *arguments)
        major = self.cli_version.removeprefix("aws-cli/")[:1]
        self.assertEqual(SERVICE_ERROR_STATUS.get(major), answer.returncode, f"{self.cli_version}: {answer.stderr}")
        self.assertEqual("", answer.stdout)
        name = "".join(word.capitalize() for word in operation.split("-"))
        # botocore adds " (reached max retries: N)" after the operation's name when its retry handler ran.
        self.assertRegex(answer.stderr.strip(), f"^An error occurred \\({code}\\) when calling the {name} operation"
                         f"(?: \\(reached max retries: \\d+\\))?: {re.escape(message)}$")

    def create(self, name, machine, *arguments):
        """create-state-machine of machine (a dict, or its JSON text)."""
        text = json.dumps(machine) if isinstance(machine, dict) else machine
        return self.call("create-state-machine", "--name", name, "--definition", text, "--role-arn", ROLE, *arguments)

    def status(self, arn, wanted):
        """describe-execution of arn once its status is wanted."""
        def reached():
            description = self.call("describe-execution", "--execution-arn", arn)
            return description if description["status"] == wanted else None
        return wait_until(reached, 10, what=f"{arn} {wanted}")


class Cli(CliTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor()

    def test_validate_state_machine_definition(self):
        self.use_cli({"validate-state-machine-definition": ["definition", "severity"]})
        self.assertEqual({"result": "OK", "diagnostics": [], "truncated": False},
                         self.call("validate-state-machine-definition", "--definition", json.dumps(PASS)))
        answer = self.call("validate-state-machine-definition", "--definition",
                           json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}))
        self.assertEqual({"result": "FAIL", "truncated": False, "diagnostics": [
            {"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET", "message": "Missing 'Next' target: Nowhere",
             "location": "/States/A/Next"}]}, answer)
        self.refused("ValidationException", "1 validation error detected: Value 'INFO' at 'severity' failed to "
                     "satisfy constraint: Member must satisfy enum value set: [ERROR, WARNING]",
                     "validate-state-machine-definition", "--definition", json.dumps(PASS), "--severity", "INFO")

    def test_describe_state_machine_for_execution(self):
        self.use_cli({"describe-state-machine-for-execution": ["executionArn"]})
        machine = self.create("CliHold", HOLD)
        execution = self.call("start-execution", "--state-machine-arn", machine["stateMachineArn"])["executionArn"]
        answer = self.call("describe-state-machine-for-execution", "--execution-arn", execution)
        self.assertEqual(HOLD, json.loads(answer["definition"]))
        self.assertEqual((machine["stateMachineArn"], "CliHold", ROLE),
                         (answer["stateMachineArn"], answer["name"], answer["roleArn"]))
        self.call("stop-execution", "--execution-arn", execution)
        unknown = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:CliHold:nobody"
        self.refused("ExecutionDoesNotExist", f"Execution Does Not Exist: '{unknown}'",
                     "describe-state-machine-for-execution", "--execution-arn", unknown)

    def test_tags(self):
        self.use_cli({"tag-resource": ["resourceArn", "tags"], "untag-resource": ["tagKeys"],
                      "list-tags-for-resource": ["resourceArn"], "create-state-machine": ["tags"]})
        arn = self.create("CliTagged", PASS, "--tags", "key=owner,value=me")["stateMachineArn"]
        self.assertEqual({"tags": [{"key": "owner", "value": "me"}]},
                         self.call("list-tags-for-resource", "--resource-arn", arn))
        self.assertEqual({}, self.call("tag-resource", "--resource-arn", arn, "--tags", "key=team,value=loans",
                                       "key=owner,value=you"))
        tags = self.call("list-tags-for-resource", "--resource-arn", arn)["tags"]
        self.assertEqual({"owner": "you", "team": "loans"}, {tag["key"]: tag["value"] for tag in tags})
        self.assertEqual({}, self.call("untag-resource", "--resource-arn", arn, "--tag-keys", "owner"))
        self.assertEqual({"tags": [{"key": "team", "value": "loans"}]},
                         self.call("list-tags-for-resource", "--resource-arn", arn))
        unknown = machine_arn("CliNobody")
        self.refused("ResourceNotFound", f"Resource not found: '{unknown}'", "tag-resource", "--resource-arn",
                     unknown, "--tags", "key=k,value=v")

    def test_test_state(self):
        self.use_cli({"test-state": ["definition", "input", "inspectionLevel", "mock"]}, host_prefix=True)
        task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "ResultPath": "$.answer", "Next": "Done"}
        answer = self.call("test-state", "--definition", json.dumps(task), "--input", '{"id":3}',
                           "--inspection-level", "DEBUG", "--mock", json.dumps({"result": '{"ok":true}'}))
        self.assertEqual(("SUCCEEDED", "Done"), (answer["status"], answer["nextState"]))
        self.assertEqual({"id": 3, "answer": {"ok": True}}, json.loads(answer["output"]))
        self.assertEqual({"FunctionName": "f", "Payload": {"id": 3}},
                         json.loads(answer["inspectionData"]["afterParameters"]))
        self.refused("ValidationException", "State type 'Pass' is not supported when a mock is specified",
                     "test-state", "--definition", json.dumps({"Type": "Pass", "End": True}), "--mock",
                     json.dumps({"result": "{}"}))

    def test_versions_and_aliases(self):
        self.use_cli({"create-state-machine": ["publish", "versionDescription"], "update-state-machine": ["publish"],
                      "publish-state-machine-version": ["description"], "list-state-machine-versions": [],
                      "delete-state-machine-version": [], "create-state-machine-alias": ["routingConfiguration"],
                      "describe-state-machine-alias": [], "update-state-machine-alias": [],
                      "list-state-machine-aliases": [], "delete-state-machine-alias": []})
        arn = machine_arn("CliVersioned")
        created = self.create("CliVersioned", definition("v1"), "--publish", "--version-description", "first")
        self.assertEqual(f"{arn}:1", created["stateMachineVersionArn"])
        updated = self.call("update-state-machine", "--state-machine-arn", arn, "--definition", definition("v2"),
                            "--publish")
        self.assertEqual(f"{arn}:2", updated["stateMachineVersionArn"])
        self.call("update-state-machine", "--state-machine-arn", arn, "--definition", definition("v3"))
        third = self.call("publish-state-machine-version", "--state-machine-arn", arn, "--description", "three")
        self.assertEqual(f"{arn}:3", third["stateMachineVersionArn"])
        listed = self.call("list-state-machine-versions", "--state-machine-arn", arn)["stateMachineVersions"]
        self.assertEqual([f"{arn}:3", f"{arn}:2", f"{arn}:1"], [v["stateMachineVersionArn"] for v in listed])

        one = [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
        alias = self.call("create-state-machine-alias", "--name", "prod", "--description", "d",
                          "--routing-configuration", json.dumps(one))["stateMachineAliasArn"]
        self.assertEqual(f"{arn}:prod", alias)
        described = self.call("describe-state-machine-alias", "--state-machine-alias-arn", alias)
        self.assertEqual(("prod", "d", one), (described["name"], described["description"],
                                              described["routingConfiguration"]))
        execution = self.call("start-execution", "--state-machine-arn", alias)["executionArn"]
        done = self.status(execution, "SUCCEEDED")
        self.assertEqual(('"v1"', alias, f"{arn}:1"),
                         (done["output"], done["stateMachineAliasArn"], done["stateMachineVersionArn"]))
        self.refused("ConflictException", "Version to be deleted must not be referenced by an alias. Current list of "
                     "aliases referencing this version: [prod]", "delete-state-machine-version",
                     "--state-machine-version-arn", f"{arn}:1")
        two = [{"stateMachineVersionArn": f"{arn}:2", "weight": 100}]
        self.call("update-state-machine-alias", "--state-machine-alias-arn", alias, "--routing-configuration",
                  json.dumps(two))
        self.assertEqual(two, self.call("describe-state-machine-alias", "--state-machine-alias-arn",
                                        alias)["routingConfiguration"])
        aliases = self.call("list-state-machine-aliases", "--state-machine-arn", arn)["stateMachineAliases"]
        self.assertEqual([alias], [a["stateMachineAliasArn"] for a in aliases])
        self.assertEqual({}, self.call("delete-state-machine-alias", "--state-machine-alias-arn", alias))
        self.assertEqual({}, self.call("delete-state-machine-version", "--state-machine-version-arn", f"{arn}:1"))
        listed = self.call("list-state-machine-versions", "--state-machine-arn", arn)["stateMachineVersions"]
        self.assertEqual([f"{arn}:3", f"{arn}:2"], [v["stateMachineVersionArn"] for v in listed])

    def test_redrive_and_redrive_filter(self):
        self.use_cli({"redrive-execution": ["executionArn"], "list-executions": ["redriveFilter"]})
        hold = self.create("CliRedrive", HOLD)["stateMachineArn"]
        execution = self.call("start-execution", "--state-machine-arn", hold, "--name", "stopped")["executionArn"]
        self.call("stop-execution", "--execution-arn", execution)
        self.assertEqual("REDRIVABLE", self.status(execution, "ABORTED")["redriveStatus"])
        self.assertIn("redriveDate", self.call("redrive-execution", "--execution-arn", execution))
        running = self.call("describe-execution", "--execution-arn", execution)
        self.assertEqual(("RUNNING", 1), (running["status"], running["redriveCount"]))
        redriven = self.call("list-executions", "--state-machine-arn", hold, "--redrive-filter", "REDRIVEN")
        self.assertEqual([("stopped", 1)], [(e["name"], e["redriveCount"]) for e in redriven["executions"]])
        self.assertEqual([], self.call("list-executions", "--state-machine-arn", hold, "--redrive-filter",
                                       "NOT_REDRIVEN")["executions"])
        self.call("stop-execution", "--execution-arn", execution)

        passing = self.create("CliSucceeds", PASS)["stateMachineArn"]
        succeeded = self.call("start-execution", "--state-machine-arn", passing)["executionArn"]
        self.status(succeeded, "SUCCEEDED")
        self.refused("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven", "redrive-execution",
                     "--execution-arn", succeeded)

    def test_start_sync_execution(self):
        self.use_cli({"start-sync-execution": ["stateMachineArn", "input"], "create-state-machine": ["type"]},
                     host_prefix=True)
        express = self.create("CliExpress", PASS, "--type", "EXPRESS")["stateMachineArn"]
        answer = self.call("start-sync-execution", "--state-machine-arn", express, "--input", '{"n":7}')
        self.assertEqual("SUCCEEDED", answer["status"])
        self.assertEqual({"n": 7}, json.loads(answer["output"]))
        self.assertIn(":express:", answer["executionArn"])
        self.assertEqual(64, answer["billingDetails"]["billedMemoryUsedInMB"])
        standard = self.create("CliStandard", PASS)["stateMachineArn"]
        self.refused("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine",
                     "start-sync-execution", "--state-machine-arn", standard)


class CliMockConfig(CliTestCase):
    def setUp(self):
        super().setUp()
        directory = tempfile.mkdtemp(prefix="e2e-cli-mocks-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "MockConfigFile.json")
        with open(path, "w") as file:
            json.dump(MOCK_CONFIG, file)
        self.loan = self.start_loan_processor(extra_state_machines={MOCKED_MACHINE: MOCKED_FLOW},
                                              SFN_MOCK_CONFIG=path)

    def test_a_test_case_arn(self):
        self.use_cli({"start-execution": ["stateMachineArn", "input"]})
        arn = machine_arn(MOCKED_MACHINE)
        execution = self.call("start-execution", "--state-machine-arn", f"{arn}#HappyPath", "--input",
                              '{"order":7}')["executionArn"]
        done = self.status(execution, "SUCCEEDED")
        self.assertEqual({"order": 7, "charge": CHARGED}, json.loads(done["output"]))
        self.assertEqual(arn, done["stateMachineArn"])
        self.refused("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}#NoSuchCase' (SFN_MOCK_CONFIG "
                     f"has no test case 'NoSuchCase' for the state machine '{MOCKED_MACHINE}')", "start-execution",
                     "--state-machine-arn", f"{arn}#NoSuchCase")


if __name__ == "__main__":
    harness.main()
