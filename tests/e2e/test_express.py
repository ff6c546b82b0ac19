"""EXPRESS state machines: StartSyncExecution, asynchronous StartExecution, and what AWS keeps of them (nothing
once ended: DescribeExecution, GetExecutionHistory and StopExecution refuse express ARNs, ListExecutions refuses
EXPRESS machines). Also DescribeExecution's traceHeader. Through boto3 (StartSyncExecution carries the host prefix
"sync-": the client is made with inject_host_prefix=False) and raw requests.
"""

import json
import re
import socket
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import harness
from harness import ACCOUNT, REGION

ROLE = f"arn:aws:iam::{ACCOUNT}:role/WorkflowRole"
EXPRESS_ARN = re.compile(rf"^arn:aws:states:{REGION}:{ACCOUNT}:express:(?P<machine>[^:]+):(?P<name>[^:]+):"
                         r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NOTIFY_TOPIC = "ExpressTopic"

PASS_MACHINE = {"StartAt": "Greet", "States": {
    "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('Hello {}', $.who)"}, "End": True}}}
FAIL_MACHINE = {"StartAt": "Boom", "States": {
    "Boom": {"Type": "Fail", "Error": "Custom.Broken", "Cause": "it broke on purpose"}}}
SLOW_MACHINE = {"TimeoutSeconds": 2, "StartAt": "Nap", "States": {
    "Nap": {"Type": "Wait", "Seconds": 60, "End": True}}}
WAIT_MACHINE = {"StartAt": "Nap", "States": {
    "Nap": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}
NOTIFY_MACHINE = {"StartAt": "Nap", "States": {
    "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Notify"},
    "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
               "Parameters": {"TopicArn": NOTIFY_TOPIC, "Message.$": "$"}, "End": True}}}
CALLBACK_MACHINE = {"StartAt": "Publish", "States": {
    "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
                "Parameters": {"TopicArn": NOTIFY_TOPIC, "Message.$": "$$.Task.Token"}, "End": True}}}


class ExpressCase(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor()
        self.sfn_client = self.client(self.loan)

    def client(self, loan):
        return boto3.client("stepfunctions", endpoint_url=loan.base_url, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(inject_host_prefix=False, retries={"max_attempts": 1},
                                          read_timeout=120))

    def create(self, name, definition, machine_type="EXPRESS"):
        return self.sfn_client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE,
                                                    type=machine_type)["stateMachineArn"]

    def assert_error(self, code, message, call, **arguments):
        with self.assertRaises(ClientError) as raised:
            call(**arguments)
        self.assertEqual(code, raised.exception.response["Error"]["Code"])
        if message is not None:
            self.assertEqual(message, raised.exception.response["Error"]["Message"])


class StartSyncExecution(ExpressCase):
    def test_success_answers_the_output_and_aws_shape(self):
        arn = self.create("Greeter", PASS_MACHINE)
        response = self.sfn_client.start_sync_execution(stateMachineArn=arn, name="hello",
                                                        input=json.dumps({"who": "Ada"}),
                                                        traceHeader="Root=1-5759e988-bd862e3fe1be46a994272793")
        self.assertEqual("SUCCEEDED", response["status"])
        self.assertEqual({"greeting": "Hello Ada"}, json.loads(response["output"]))
        match = EXPRESS_ARN.match(response["executionArn"])
        self.assertIsNotNone(match, response["executionArn"])
        self.assertEqual(("Greeter", "hello"), (match["machine"], match["name"]))
        self.assertEqual(arn, response["stateMachineArn"])
        self.assertEqual("hello", response["name"])
        self.assertEqual(json.dumps({"who": "Ada"}), response["input"])
        self.assertEqual({"included": True}, response["inputDetails"])
        self.assertEqual({"included": True}, response["outputDetails"])
        self.assertEqual("Root=1-5759e988-bd862e3fe1be46a994272793", response["traceHeader"])
        self.assertLessEqual(response["startDate"], response["stopDate"])
        billing = response["billingDetails"]
        self.assertEqual(64, billing["billedMemoryUsedInMB"])
        self.assertEqual(0, billing["billedDurationInMilliseconds"] % 100)
        self.assertGreaterEqual(billing["billedDurationInMilliseconds"], 100)
        self.assertNotIn("error", response)

    def test_a_name_may_be_used_again(self):
        arn = self.create("Again", PASS_MACHINE)
        first = self.sfn_client.start_sync_execution(stateMachineArn=arn, name="same", input='{"who":"a"}')
        second = self.sfn_client.start_sync_execution(stateMachineArn=arn, name="same", input='{"who":"b"}')
        self.assertNotEqual(first["executionArn"], second["executionArn"])
        self.assertEqual({"greeting": "Hello b"}, json.loads(second["output"]))

    def test_failure_answers_200_with_error_and_cause(self):
        arn = self.create("Breaker", FAIL_MACHINE)
        response = self.sfn_client.start_sync_execution(stateMachineArn=arn)
        self.assertEqual("FAILED", response["status"])
        self.assertEqual("Custom.Broken", response["error"])
        self.assertEqual("it broke on purpose", response["cause"])
        self.assertNotIn("output", response)
        self.assertEqual("{}", response["input"])

    def test_the_machine_timeout_answers_timed_out(self):
        arn = self.create("Sleeper", SLOW_MACHINE)  # 2 s x TIME_SCALE 0.05
        started = time.monotonic()
        response = self.sfn_client.start_sync_execution(stateMachineArn=arn)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual("TIMED_OUT", response["status"])
        self.assertEqual("States.Timeout", response["error"])
        self.assertNotIn("output", response)

    def test_a_wait_is_answered_when_it_ends(self):
        arn = self.create("Waiter", WAIT_MACHINE)
        response = self.sfn_client.start_sync_execution(stateMachineArn=arn, input='{"n":1}')
        self.assertEqual("SUCCEEDED", response["status"])
        self.assertEqual({"n": 1}, json.loads(response["output"]))

    def test_standard_machine_is_refused(self):
        arn = self.create("Standard", PASS_MACHINE, machine_type="STANDARD")
        self.assert_error("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine",
                          self.sfn_client.start_sync_execution, stateMachineArn=arn)
        self.assertEqual([], self.sfn_client.list_executions(stateMachineArn=arn)["executions"])

    def test_request_errors(self):
        arn = self.create("Checked", PASS_MACHINE)
        missing = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Nowhere"
        self.assert_error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'",
                          self.sfn_client.start_sync_execution, stateMachineArn=missing)
        self.assert_error("InvalidExecutionInput", None, self.sfn_client.start_sync_execution,
                          stateMachineArn=arn, input="not json")
        self.assert_error("InvalidName", "Invalid Name: 'a b'", self.sfn_client.start_sync_execution,
                          stateMachineArn=arn, name="a b")
        self.assert_error("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: nope'",
                          self.sfn_client.start_sync_execution, stateMachineArn="nope")
        self.assert_error("ValidationException", None, self.sfn_client.start_sync_execution,
                          stateMachineArn=arn, traceHeader="x" * 257)

    def test_any_host_is_answered(self):
        arn = self.create("Hosted", PASS_MACHINE)
        status, text = harness.request("POST", f"{self.loan.base_url}/", {"stateMachineArn": arn,
                                                                           "input": '{"who":"host"}'},
                                       {"Content-Type": "application/x-amz-json-1.0",
                                        "X-Amz-Target": "AWSStepFunctions.StartSyncExecution",
                                        "Host": f"sync-localhost:{self.loan.port}"})
        self.assertEqual(200, status, text)
        self.assertEqual("SUCCEEDED", json.loads(text)["status"])

    def test_concurrent_calls_each_get_their_own_answer(self):
        arn = self.create("Parallel", WAIT_MACHINE)
        answers = {}

        def call(index):
            client = self.client(self.loan)
            answers[index] = client.start_sync_execution(stateMachineArn=arn, input=json.dumps({"index": index}))
        threads = [threading.Thread(target=call, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(12, len(answers))
        for index, answer in answers.items():
            self.assertEqual("SUCCEEDED", answer["status"])
            self.assertEqual({"index": index}, json.loads(answer["output"]))

    def test_an_execution_run_by_another_instance_is_answered(self):
        other = self.start_loan_processor()
        arn = self.create("Shared", WAIT_MACHINE)
        answers = []

        def call(index):
            answers.append(self.client(other if index % 2 else self.loan).start_sync_execution(
                stateMachineArn=arn, input=json.dumps({"index": index})))
        threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(["SUCCEEDED"] * 8, [answer["status"] for answer in answers])

    def test_a_client_that_goes_away_leaves_the_server_healthy(self):
        arn = self.create("Abandoned", {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 40,
                                                                               "End": True}}})
        body = json.dumps({"stateMachineArn": arn}).encode()
        for _ in range(5):
            with socket.create_connection(("127.0.0.1", self.loan.port), timeout=5) as connection:
                connection.sendall(b"POST / HTTP/1.1\r\nHost: sync-x\r\nContent-Type: application/x-amz-json-1.0\r\n"
                                   b"X-Amz-Target: AWSStepFunctions.StartSyncExecution\r\n"
                                   b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                time.sleep(0.1)
        status, _ = harness.request("GET", f"{self.loan.base_url}/health")
        self.assertEqual(200, status)
        other = self.create("AfterAbandon", PASS_MACHINE)
        self.assertEqual("SUCCEEDED", self.sfn_client.start_sync_execution(stateMachineArn=other,
                                                                           input='{"who":"x"}')["status"])
        time.sleep(2.5)  # the abandoned executions end (40 s x 0.05); their waits were already gone
        self.assertEqual("SUCCEEDED", self.sfn_client.start_sync_execution(stateMachineArn=other,
                                                                           input='{"who":"y"}')["status"])


class ExpressExecutions(ExpressCase):
    def test_start_execution_runs_it_asynchronously_with_an_express_arn(self):
        arn = self.create("Notifier", NOTIFY_MACHINE)
        response = self.sfn_client.start_execution(stateMachineArn=arn, name="note", input='{"note":"hi"}')
        match = EXPRESS_ARN.match(response["executionArn"])
        self.assertIsNotNone(match, response["executionArn"])
        self.assertEqual(("Notifier", "note"), (match["machine"], match["name"]))
        again = self.sfn_client.start_execution(stateMachineArn=arn, name="note", input='{"note":"hi"}')
        self.assertNotEqual(response["executionArn"], again["executionArn"])  # not idempotent, as on AWS

        def published():
            arns = [m.get("executionArn") for m in self.topic_messages(NOTIFY_TOPIC)]
            return response["executionArn"] in arns and again["executionArn"] in arns
        harness.wait_until(published, 10, what="the express executions' messages")
        messages = [m for m in self.topic_messages(NOTIFY_TOPIC) if m.get("executionArn") == response["executionArn"]]
        self.assertEqual({"note": "hi"}, json.loads(messages[0]["Message"]))

    def test_express_executions_are_not_kept_and_not_described(self):
        arn = self.create("Ephemeral", WAIT_MACHINE)
        execution = self.sfn_client.start_execution(stateMachineArn=arn)["executionArn"]
        not_valid = "Invalid Arn: 'Resource type not valid in this context: express'"
        self.assert_error("InvalidArn", not_valid, self.sfn_client.describe_execution, executionArn=execution)
        self.assert_error("InvalidArn", not_valid, self.sfn_client.get_execution_history, executionArn=execution)
        self.assert_error("InvalidArn", not_valid, self.sfn_client.stop_execution, executionArn=execution)
        self.assert_error("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine",
                          self.sfn_client.list_executions, stateMachineArn=arn)
        uuid = execution.rsplit(":", 1)[1]
        record = [key for key in self.redis.command("KEYS", f"*:execution:Ephemeral:{uuid}")]
        self.assertEqual(1, len(record), record)
        self.assertEqual(-1, self.redis.command("TTL", record[0]))  # kept while it runs

        def expiring():
            return self.redis.command("TTL", record[0]) > 0
        harness.wait_until(expiring, 10, what="the ended express execution's record to expire")
        self.assertLessEqual(self.redis.command("TTL", record[0]), 60)
        history = record[0].replace(":execution:", ":history:")
        self.assertGreater(self.redis.command("TTL", history), 0)
        index = harness.executions_index_key(arn)
        self.assertEqual(0, self.redis.command("ZCARD", index))  # not listed: ListExecutions refuses EXPRESS

    def test_a_failed_fork_of_an_express_execution_leaves_nothing_behind(self):
        # A STANDARD execution's failed Parallel keeps its branches' results for RedriveExecution; an EXPRESS one
        # cannot be redriven and expires once ended, so nothing of it may be kept without an expiry.
        definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Fine", "States": {"Fine": {"Type": "Pass", "End": True}}},
            {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 1, "Next": "Boom"},
                                          "Boom": {"Type": "Fail", "Error": "Custom.Broken"}}}]}}}
        arn = self.create("ForkedExpress", definition)
        answer = self.sfn_client.start_sync_execution(stateMachineArn=arn)
        self.assertEqual(("FAILED", "Custom.Broken"), (answer["status"], answer["error"]))
        uuid = answer["executionArn"].rsplit(":", 1)[1]
        left = self.redis.command("KEYS", f"*ForkedExpress:{uuid}*")
        self.assertTrue(left, "the record and history live until they expire")
        for key in left:
            self.assertGreater(self.redis.command("TTL", key), 0, key)

    def test_callbacks_are_refused_in_express_definitions(self):
        self.assert_error("InvalidDefinition",
                          "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not "
                          "support '.waitForTaskToken' service integration  at /States/Publish/Resource'",
                          self.create, name="Callback", definition=CALLBACK_MACHINE)


class DescribeExecutionFields(ExpressCase):
    def test_trace_header_and_details(self):
        arn = self.create("Traced", PASS_MACHINE, machine_type="STANDARD")
        execution = self.sfn_client.start_execution(stateMachineArn=arn, input='{"who":"T"}',
                                                    traceHeader="Root=1-abc")["executionArn"]
        description = self.wait_for_status(self.loan, execution, "SUCCEEDED")
        self.assertEqual("Root=1-abc", description["traceHeader"])
        self.assertEqual({"included": True}, description["inputDetails"])
        self.assertEqual({"included": True}, description["outputDetails"])
        untraced = self.sfn_client.start_execution(stateMachineArn=arn, input='{"who":"U"}')["executionArn"]
        self.assertNotIn("traceHeader", self.wait_for_status(self.loan, untraced, "SUCCEEDED"))

    def test_the_trace_id_header_wins_over_the_member(self):
        arn = self.create("Headed", PASS_MACHINE, machine_type="STANDARD")
        status, text = harness.request("POST", f"{self.loan.base_url}/",
                                       {"stateMachineArn": arn, "input": '{"who":"h"}', "traceHeader": "body"},
                                       {"Content-Type": "application/x-amz-json-1.0",
                                        "X-Amz-Target": "AWSStepFunctions.StartExecution",
                                        "X-Amzn-Trace-Id": "Root=1-header"})
        self.assertEqual(200, status, text)
        description = self.wait_for_status(self.loan, json.loads(text)["executionArn"], "SUCCEEDED")
        self.assertEqual("Root=1-header", description["traceHeader"])

    def test_failed_execution_has_error_and_cause_and_no_output(self):
        arn = self.create("Failing", FAIL_MACHINE, machine_type="STANDARD")
        execution = self.sfn_client.start_execution(stateMachineArn=arn)["executionArn"]
        description = self.wait_for_status(self.loan, execution, "FAILED")
        self.assertEqual("Custom.Broken", description["error"])
        self.assertEqual("it broke on purpose", description["cause"])
        self.assertNotIn("output", description)


if __name__ == "__main__":
    harness.main()
