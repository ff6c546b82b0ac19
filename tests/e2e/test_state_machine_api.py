"""State machines through the API: Create, Describe, Update, Delete and List, kept in Redis.

A state machine created here runs a callback workflow: its Task publishes its
token to the local SNS topic "WorkTopic" (sns:publish.waitForTaskToken) and the
test plays the worker, reading the token from the topic's stream and answering
through the API.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

import harness
from harness import ACCOUNT, LOAN_MACHINE_ARN, LOAN_PROCESSOR, PART1_MACHINE_ARN, REGION, STATE_MACHINES_DIR, machine_arn

ROLE = f"arn:aws:iam::{ACCOUNT}:role/WorkflowRole"
WORK_TOPIC = "WorkTopic"
UUID_SHAPE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}


def callback_machine(version, **task_fields):
    """Publishes its token to WorkTopic, waits for the answer, then records which version of itself ran."""
    work = {"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
            "Parameters": {"TopicArn": WORK_TOPIC, "Message": {"TaskToken.$": "$$.Task.Token", "input.$": "$"}},
            "ResultPath": "$.answer", "Next": "Finish"}
    work.update(task_fields)
    return {"StartAt": "Work", "States": {
        "Work": work,
        "Finish": {"Type": "Pass", "Result": version, "ResultPath": "$.version", "End": True}}}


PASS_MACHINE = {"Comment": "BASE_PASS_RESULT", "StartAt": "State_1",
                "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}}


class StateMachineApiCase(harness.StackTestCase):
    """A loan-processor and helpers to create machines and play the worker."""

    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor()

    def create(self, name, definition, server=None, **members):
        body = {"name": name, "definition": json.dumps(definition) if isinstance(definition, dict) else definition,
                "roleArn": ROLE}
        body.update(members)
        return self.sfn(server or self.loan, "CreateStateMachine", body)

    def created(self, name, definition, server=None, **members):
        status, body = self.create(name, definition, server, **members)
        self.assertEqual(200, status, body)
        return body["stateMachineArn"]

    def describe_machine(self, arn, server=None):
        status, body = self.sfn(server or self.loan, "DescribeStateMachine", {"stateMachineArn": arn})
        self.assertEqual(200, status, body)
        return body

    def token_of(self, execution_arn):
        """The task token the execution published to WorkTopic (waits for it)."""
        def published():
            for message in self.topic_messages(WORK_TOPIC):
                if message.get("executionArn") == execution_arn:
                    return json.loads(message["Message"])["TaskToken"]
            return None
        return harness.wait_until(published, 5, what=f"the token of {execution_arn}")

    def answer(self, execution_arn, output, server=None):
        return self.sfn(server or self.loan, "SendTaskSuccess",
                        {"taskToken": self.token_of(execution_arn), "output": json.dumps(output)})


class StateMachineApi(StateMachineApiCase):
    def test_create_describe_idempotent_create_and_conflict(self):
        status, created = self.create("Simple", PASS_MACHINE)
        self.assertEqual(200, status)
        self.assertEqual({"stateMachineArn", "creationDate"}, set(created))
        self.assertEqual(machine_arn("Simple"), created["stateMachineArn"])
        self.assert_epoch_seconds_of_now(created["creationDate"])

        described = self.describe_machine(created["stateMachineArn"])
        self.assertEqual({"stateMachineArn": machine_arn("Simple"), "name": "Simple", "status": "ACTIVE",
                          "definition": json.dumps(PASS_MACHINE), "roleArn": ROLE, "type": "STANDARD",
                          "creationDate": created["creationDate"], "loggingConfiguration": DEFAULT_LOGGING,
                          "tracingConfiguration": {"enabled": False}}, described)

        status, lean = self.sfn(self.loan, "DescribeStateMachine", {"stateMachineArn": machine_arn("Simple"),
                                                                    "includedData": "METADATA_ONLY"})
        self.assertEqual((200, "{}"), (status, lean["definition"]))
        self.assert_aws_error(self.sfn(self.loan, "DescribeStateMachine", {"stateMachineArn": machine_arn("Simple"),
                                                                           "includedData": "SOME"}),
                              "ValidationException")

        # The same name, definition and configuration is AWS's idempotent answer, even with another role.
        again = self.create("Simple", PASS_MACHINE, roleArn=f"arn:aws:iam::{ACCOUNT}:role/Other",
                            loggingConfiguration=DEFAULT_LOGGING)
        self.assertEqual((200, created), again)
        self.assertEqual(ROLE, self.describe_machine(machine_arn("Simple"))["roleArn"])

        other = dict(PASS_MACHINE, Comment="changed")
        self.assert_aws_error(self.create("Simple", other), "StateMachineAlreadyExists",
                              f"State Machine Already Exists: '{machine_arn('Simple')}'")
        self.assert_aws_error(self.create("Simple", PASS_MACHINE, type="EXPRESS"), "StateMachineAlreadyExists")
        self.assert_aws_error(self.create("Simple", PASS_MACHINE, tracingConfiguration={"enabled": True}),
                              "StateMachineAlreadyExists")

    def test_state_machines_live_in_redis_under_their_definition_hash(self):
        definition = json.dumps(callback_machine("v1"))
        self.created("Stored", definition)
        stored = dict(zip(*[iter(self.redis.command("HGETALL", "{sfn}:state-machine:Stored"))] * 2))
        digest = hashlib.sha256(definition.encode()).hexdigest()
        self.assertEqual(definition, stored["definition"])
        self.assertEqual(digest, stored["definitionHash"])
        self.assertEqual(definition, self.redis.command("GET", f"{{sfn}}:definition:{digest}"))
        self.assertEqual(sorted(harness.SHIPPED_MACHINES + ["Stored"]),
                         self.redis.command("ZRANGE", "{sfn}:state-machines", 0, -1))
        arn = self.start_execution(self.loan, {"loan": 1}, state_machine_arn=machine_arn("Stored"))
        execution_id = arn.split(":execution:")[1]
        self.assertEqual(digest, self.redis.command("HGET", harness.execution_key(execution_id), "definitionHash"))
        self.assertEqual(0, self.redis.command("EXISTS", "sfn:state-machine:Stored"))  # the old key is gone

    def test_create_refuses_bad_requests_with_aws_errors(self):
        for missing in ["name", "definition", "roleArn"]:
            body = {"name": "M", "definition": json.dumps(PASS_MACHINE), "roleArn": ROLE}
            del body[missing]
            self.assert_aws_error(self.sfn(self.loan, "CreateStateMachine", body), "ValidationException",
                                  f"1 validation error detected: Value at '{missing}' failed to satisfy "
                                  "constraint: Member must not be null")
        for name in ["has space", "a/b", "x:y", "<tag>"]:
            self.assert_aws_error(self.create(name, PASS_MACHINE), "InvalidName", f"Invalid Name: '{name}'")
        self.assert_aws_error(self.create("x" * 81, PASS_MACHINE), "ValidationException")
        self.assert_aws_error(self.create("M", PASS_MACHINE, roleArn="not-an-arn"), "InvalidArn",
                              "Invalid Arn: 'Invalid ARN prefix: not-an-arn'")
        self.assert_aws_error(self.create("M", PASS_MACHINE, type="FAST"), "ValidationException",
                              "1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [STANDARD, EXPRESS]")
        self.assert_aws_error(self.create("M", {"StartAt": "A"}), "InvalidDefinition",
                              "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are "
                              "required: [States] at /'")
        self.assert_aws_error(self.create("M", "not json"), "InvalidDefinition")
        self.assert_aws_error(self.create("M", {"StartAt": "A", "States": {"A": {"Type": "Pass"}}}),
                              "InvalidDefinition",
                              "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are "
                              "required: [Next | End] at /States/A'")
        publish = {"StartAt": "Publish", "States": {"Publish": callback_machine("x")["States"]["Work"]}}
        publish["States"]["Publish"].pop("Next")
        publish["States"]["Publish"]["End"] = True
        self.assert_aws_error(self.create("M", publish, type="EXPRESS"), "InvalidDefinition",
                              "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine "
                              "does not support '.waitForTaskToken' service integration  at /States/Publish/Resource'")
        # publish is supported since issue 18 (test_versions_aliases.py); a versionDescription without it is not.
        self.assert_aws_error(self.create("M", PASS_MACHINE, versionDescription="x"), "ValidationException",
                              "Version description can only be set when publish is true")
        self.assert_aws_error(self.create("M", PASS_MACHINE, loggingConfiguration={"level": "ALL"}),
                              "InvalidLoggingConfiguration",
                              "Invalid Logging Configuration: Must specify exactly one Log Destination.")
        self.assert_aws_error(self.create("M", "x" * (1048576 + 1)), "ValidationException",
                              "1 validation error detected: Value at 'definition' failed to satisfy constraint: "
                              "Member must have length less than or equal to 1048576")
        status, body = self.sfn(self.loan, "DescribeStateMachine", {"stateMachineArn": machine_arn("M")})
        self.assertEqual(400, status, "nothing refused was created")

    def test_an_express_machine_is_described_as_express_and_not_listed_for_executions(self):
        arn = self.created("Quick", PASS_MACHINE, type="EXPRESS")
        self.assertEqual("EXPRESS", self.describe_machine(arn)["type"])
        execution = self.start_execution(self.loan, {}, state_machine_arn=arn)  # an express execution (issue 18)
        self.assertIn(":express:Quick:", execution)
        self.assert_aws_error(self.sfn(self.loan, "DescribeExecution", {"executionArn": execution}), "InvalidArn",
                              "Invalid Arn: 'Resource type not valid in this context: express'")
        self.assert_aws_error(self.sfn(self.loan, "ListExecutions", {"stateMachineArn": arn}),
                              "StateMachineTypeNotSupported",
                              "This operation is not supported by this type of state machine")

    def test_state_machine_arns_are_checked(self):
        for operation in ["DescribeStateMachine", "UpdateStateMachine", "DeleteStateMachine", "ListExecutions"]:
            self.assert_aws_error(self.sfn(self.loan, operation, {"stateMachineArn": "not_a_valid_arn",
                                                                  "definition": "{}"}),
                                  "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'")
        execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:LoanProcessorStateMachine:x"
        self.assert_aws_error(self.sfn(self.loan, "DescribeStateMachine", {"stateMachineArn": execution}),
                              "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: execution'")
        self.assert_aws_error(self.sfn(self.loan, "DescribeExecution", {"executionArn": LOAN_MACHINE_ARN}),
                              "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: statemachine'")
        self.assert_aws_error(self.sfn(self.loan, "DescribeStateMachine", {}), "ValidationException")
        for missing in [machine_arn("Missing"), LOAN_MACHINE_ARN.replace(REGION, "eu-west-1"), LOAN_MACHINE_ARN + ":1"]:
            self.assert_aws_error(self.sfn(self.loan, "DescribeStateMachine", {"stateMachineArn": missing}),
                                  "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'")

    def test_delete_then_describe_list_and_start_say_it_is_gone(self):
        arn = self.created("Doomed", PASS_MACHINE)
        self.assertEqual((200, {}), self.sfn(self.loan, "DeleteStateMachine", {"stateMachineArn": arn}))
        self.assert_aws_error(self.sfn(self.loan, "DescribeStateMachine", {"stateMachineArn": arn}),
                              "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        self.assert_aws_error(self.sfn(self.loan, "StartExecution", {"stateMachineArn": arn}),
                              "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        self.assert_aws_error(self.sfn(self.loan, "ListExecutions", {"stateMachineArn": arn}),
                              "StateMachineDoesNotExist")
        names = [m["name"] for m in self.sfn(self.loan, "ListStateMachines", {})[1]["stateMachines"]]
        self.assertNotIn("Doomed", names)
        self.assertEqual((200, {}), self.sfn(self.loan, "DeleteStateMachine", {"stateMachineArn": arn}))  # recorded
        self.created("Doomed", callback_machine("v2"))  # the name is free again, for another definition

    def test_a_running_execution_of_a_deleted_machine_runs_to_completion(self):
        arn = self.created("Fleeting", callback_machine("v1"))
        execution = self.start_execution(self.loan, {"loan": 1}, state_machine_arn=arn)
        token = self.token_of(execution)
        self.assertEqual(200, self.sfn(self.loan, "DeleteStateMachine", {"stateMachineArn": arn})[0])
        self.assertEqual(200, self.sfn(self.loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"})[0])
        done = self.wait_for_status(self.loan, execution, "SUCCEEDED")
        self.assertEqual({"loan": 1, "answer": {}, "version": "v1"}, json.loads(done["output"]))

    def test_list_state_machines_by_name_with_paging(self):
        for name in ["Zeta", "Alpha", "Mid"]:
            self.created(name, PASS_MACHINE)
        expected = sorted(["Zeta", "Alpha", "Mid"] + harness.SHIPPED_MACHINES)
        status, everything = self.sfn(self.loan, "ListStateMachines", {})
        self.assertEqual(expected, [m["name"] for m in everything["stateMachines"]])
        self.assertNotIn("nextToken", everything)
        self.assertEqual({"stateMachineArn", "name", "type", "creationDate"}, set(everything["stateMachines"][0]))
        self.assertEqual(machine_arn("Alpha"), everything["stateMachines"][0]["stateMachineArn"])

        pages, body = [], {"maxResults": 2}
        while True:
            status, page = self.sfn(self.loan, "ListStateMachines", body)
            self.assertEqual(200, status, page)
            pages.append([m["name"] for m in page["stateMachines"]])
            if "nextToken" not in page:
                break
            body = {"maxResults": 2, "nextToken": page["nextToken"]}
        self.assertEqual([expected[i:i + 2] for i in range(0, len(expected), 2)], pages)

        self.assert_aws_error(self.sfn(self.loan, "ListStateMachines", {"maxResults": 1001}), "ValidationException",
                              "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
                              "constraint: Member must have value less than or equal to 1000")
        long_token = "t" * 1025
        self.assert_aws_error(self.sfn(self.loan, "ListStateMachines", {"nextToken": long_token}),
                              "ValidationException",
                              f"1 validation error detected: Value '{long_token}' at 'nextToken' failed to satisfy "
                              "constraint: Member must have length less than or equal to 1024")
        self.assert_aws_error(self.sfn(self.loan, "ListStateMachines", {"nextToken": "not a name"}), "InvalidToken")


class CallbackWorkflows(StateMachineApiCase):
    def test_a_created_machine_runs_a_callback_workflow_end_to_end(self):
        arn = self.created("Approval", callback_machine("v1", TimeoutSeconds=600))
        execution = self.start_execution(self.loan, {"loan": 7}, state_machine_arn=arn)
        self.assertEqual("RUNNING", self.describe(self.loan, execution)["status"])
        self.assertEqual((200, {}), self.answer(execution, {"approved": True}))
        done = self.wait_for_status(self.loan, execution, "SUCCEEDED")
        self.assertEqual({"loan": 7, "answer": {"approved": True}, "version": "v1"}, json.loads(done["output"]))
        types = [e["type"] for e in self.history(self.loan, execution)]
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                          "TaskSucceeded", "TaskStateExited", "PassStateEntered", "PassStateExited",
                          "ExecutionSucceeded"], types)
        started = self.history(self.loan, execution)[0]["executionStartedEventDetails"]
        self.assertEqual(ROLE, started["roleArn"])

    def test_update_while_an_execution_runs_keeps_its_definition(self):
        arn = self.created("Versioned", callback_machine("v1"))
        first = self.start_execution(self.loan, {"n": 1}, state_machine_arn=arn)
        self.token_of(first)  # it waits on v1's task

        new_role = f"arn:aws:iam::{ACCOUNT}:role/NewRole"
        status, updated = self.sfn(self.loan, "UpdateStateMachine", {
            "stateMachineArn": arn, "definition": json.dumps(callback_machine("v2")), "roleArn": new_role})
        self.assertEqual(200, status, updated)
        self.assertEqual({"updateDate", "revisionId"}, set(updated))
        self.assertRegex(updated["revisionId"], UUID_SHAPE)
        described = self.describe_machine(arn)
        self.assertEqual(json.dumps(callback_machine("v2")), described["definition"])
        self.assertEqual((new_role, updated["revisionId"]), (described["roleArn"], described["revisionId"]))
        second = self.start_execution(self.loan, {"n": 2}, state_machine_arn=arn)

        self.assertEqual(200, self.answer(first, {})[0])
        self.assertEqual(200, self.answer(second, {})[0])
        self.assertEqual("v1", json.loads(self.wait_for_status(self.loan, first, "SUCCEEDED")["output"])["version"])
        self.assertEqual("v2", json.loads(self.wait_for_status(self.loan, second, "SUCCEEDED")["output"])["version"])
        self.assertEqual(ROLE, self.history(self.loan, first)[0]["executionStartedEventDetails"]["roleArn"])
        self.assertEqual(new_role, self.history(self.loan, second)[0]["executionStartedEventDetails"]["roleArn"])

        # The same update again gives the same revision, as AWS's does; a role change gives another.
        same = self.sfn(self.loan, "UpdateStateMachine", {"stateMachineArn": arn, "roleArn": new_role})[1]
        self.assertEqual(updated["revisionId"], same["revisionId"])
        changed = self.sfn(self.loan, "UpdateStateMachine", {"stateMachineArn": arn, "roleArn": ROLE})[1]
        self.assertNotEqual(updated["revisionId"], changed["revisionId"])

    def test_update_errors(self):
        arn = self.created("Updatable", PASS_MACHINE)
        self.assert_aws_error(self.sfn(self.loan, "UpdateStateMachine", {"stateMachineArn": arn}),
                              "MissingRequiredParameter",
                              "Either the definition, the role ARN, the LoggingConfiguration, or the "
                              "TracingConfiguration must be specified")
        missing = machine_arn("Nowhere")
        self.assert_aws_error(self.sfn(self.loan, "UpdateStateMachine", {"stateMachineArn": missing,
                                                                         "roleArn": ROLE}),
                              "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'")
        self.assert_aws_error(self.sfn(self.loan, "UpdateStateMachine", {"stateMachineArn": arn,
                                                                         "definition": "{\"StartAt\": \"A\"}"}),
                              "InvalidDefinition")
        self.assert_aws_error(self.sfn(self.loan, "UpdateStateMachine", {"stateMachineArn": arn, "roleArn": "role"}),
                              "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: role'")
        express = self.created("Fast", PASS_MACHINE, type="EXPRESS")
        self.assert_aws_error(self.sfn(self.loan, "UpdateStateMachine", {
            "stateMachineArn": express, "definition": json.dumps(callback_machine("v2"))}), "InvalidDefinition",
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support "
            "'.waitForTaskToken' service integration  at /States/Work/Resource'")
        self.assertEqual(json.dumps(PASS_MACHINE), self.describe_machine(express)["definition"])
        status, logged = self.sfn(self.loan, "UpdateStateMachine", {
            "stateMachineArn": arn, "tracingConfiguration": {"enabled": True}})
        self.assertEqual(200, status, logged)
        self.assertEqual({"enabled": True}, self.describe_machine(arn)["tracingConfiguration"])


class SeveralLoanProcessors(StateMachineApiCase):
    def test_two_loan_processors_see_what_the_other_created(self):
        other = self.start_loan_processor()
        arn = self.created("Shared", callback_machine("v1"), server=self.loan)
        self.assertEqual(self.describe_machine(arn, self.loan), self.describe_machine(arn, other))
        execution = self.start_execution(other, {"from": "other"}, state_machine_arn=arn)
        self.assertEqual(200, self.answer(execution, {}, server=self.loan)[0])
        self.assertEqual("SUCCEEDED", self.wait_for_status(other, execution, "SUCCEEDED")["status"])
        listed = self.sfn(self.loan, "ListExecutions", {"stateMachineArn": arn})[1]["executions"]
        self.assertEqual([execution], [e["executionArn"] for e in listed])

        self.assertEqual(200, self.sfn(other, "UpdateStateMachine", {
            "stateMachineArn": arn, "definition": json.dumps(callback_machine("v2"))})[0])
        second = self.start_execution(self.loan, {}, state_machine_arn=arn)
        self.assertEqual(200, self.answer(second, {}, server=other)[0])
        self.assertEqual("v2", json.loads(self.wait_for_status(self.loan, second, "SUCCEEDED")["output"])["version"])
        self.assertEqual(200, self.sfn(self.loan, "DeleteStateMachine", {"stateMachineArn": arn})[0])
        self.assert_aws_error(self.sfn(other, "DescribeStateMachine", {"stateMachineArn": arn}),
                              "StateMachineDoesNotExist")

    def test_the_shipped_definitions_are_registered_once_and_a_restart_keeps_them(self):
        with open(os.path.join(STATE_MACHINES_DIR, "LoanProcessorStateMachine.asl.json")) as file:
            shipped = file.read()
        described = self.describe_machine(LOAN_MACHINE_ARN)
        self.assertEqual(shipped, described["definition"])
        self.assertEqual(f"arn:aws:iam::{ACCOUNT}:role/LoanProcessorStateMachineRole", described["roleArn"])
        self.assertNotIn("revisionId", described)
        other = self.start_loan_processor()          # a second instance registers the same files: no change
        self.assertEqual(described, self.describe_machine(LOAN_MACHINE_ARN, other))
        self.assertEqual(self.describe_machine(PART1_MACHINE_ARN), self.describe_machine(PART1_MACHINE_ARN, other))

    def test_after_redis_comes_back_a_lost_shipped_machine_is_created_and_an_updated_one_kept(self):
        changed = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        self.assertEqual(200, self.sfn(self.loan, "UpdateStateMachine", {
            "stateMachineArn": PART1_MACHINE_ARN, "definition": json.dumps(changed)})[0])
        self.redis.command("DEL", "{sfn}:state-machine:LoanProcessorStateMachine")  # as if Redis lost it
        self.redis.stop()
        self.redis.start()
        def described(arn):
            status, body = self.sfn(self.loan, "DescribeStateMachine", {"stateMachineArn": arn})
            return body if status == 200 else None
        harness.wait_until(lambda: described(LOAN_MACHINE_ARN), 10, what="the shipped machine created again")
        self.assertEqual(json.dumps(changed), described(PART1_MACHINE_ARN)["definition"])

    def test_a_changed_shipped_file_updates_the_machine_at_start(self):
        self.loan.stop()
        self.servers.remove(self.loan)
        changed = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        before = self.describe_machine(LOAN_MACHINE_ARN, self.start_loan_processor())
        restarted = self.start_loan_processor(extra_state_machines={"LoanProcessorStateMachine": changed})
        after = self.describe_machine(LOAN_MACHINE_ARN, restarted)
        self.assertEqual(json.dumps(changed), after["definition"])
        self.assertEqual(before["creationDate"], after["creationDate"])
        self.assertIn("revisionId", after)

    def test_a_definition_error_in_a_shipped_file_stops_the_start(self):
        directory = tempfile.mkdtemp(prefix="e2e-bad-machines-")
        self.addCleanup(shutil.rmtree, directory, True)
        with open(os.path.join(directory, "Broken.asl.json"), "w") as file:
            json.dump({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}, file)
        environment = dict(os.environ, REDIS_URL=self.redis.url, STATE_MACHINES_DIR=directory,
                           LOAN_PROCESSOR_PORT=str(harness.free_port()))
        run = subprocess.run([LOAN_PROCESSOR], env=environment, capture_output=True, text=True, timeout=20)
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertIn("SCHEMA_VALIDATION_FAILED: These fields are required: [Next | End] at /States/A",
                      run.stdout + run.stderr)
        for marker in harness.SANITIZER_MARKERS:
            self.assertNotIn(marker, run.stdout + run.stderr)
        self.assertEqual(0, self.redis.command("EXISTS", "{sfn}:state-machine:Broken"))


if __name__ == "__main__":
    harness.main()
