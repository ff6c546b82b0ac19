"""Hostile input against the store (issue 15): documents the store could not hold, changes Redis refuses.

An execution's input, a task's output and a valuation callback's body nested deeper than the interpreter's limit
(INTERPRETER_MAX_NESTING, 512 levels of arrays and objects) are refused at the API with a 400 naming the limit,
before anything is stored. Each case checks the status, the JSON error, and that the server stayed responsive: a
second client's GET /health is answered within harness.health_limit_s() while the hostile request runs and after it.
"""

import json
import time

import harness
from harness import ACCOUNT, LOAN_MACHINE_ARN, REGION, StackTestCase, wait_until

MAX_NESTING = 512
ACTIVITY = "StoreActivity"
ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{ACTIVITY}"
ACTIVITY_MACHINE = "StoreActivityMachine"
ACTIVITY_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{ACTIVITY_MACHINE}"
COPY_MACHINE = "StoreCopyMachine"
COPY_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{COPY_MACHINE}"
PASS_MACHINE = "StorePassMachine"
PASS_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{PASS_MACHINE}"
WAIT_MACHINE = "StoreWaitMachine"
WAIT_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{WAIT_MACHINE}"
MACHINES = {
    WAIT_MACHINE: {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                                              "P": {"Type": "Pass", "End": True}}},
    ACTIVITY_MACHINE: {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 600, "End": True}}},
    PASS_MACHINE: {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    # 1,000 copies of the input: 200 MB built from a 200 KiB input, were it built.
    COPY_MACHINE: {"StartAt": "Copy", "States": {
        "Copy": {"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 600, "End": True,
                 "Parameters": {f"k{i}.$": "$" for i in range(1000)}}}},
}


def nested(levels):
    """JSON text of arrays nested levels deep: [[[...]]]."""
    return "[" * levels + "]" * levels






class StoreCase(StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor(extra_state_machines=MACHINES)

    def responsive(self, send, server=None):
        return harness.assert_responsive(self, server or self.loan, send)

    def sfn_call(self, operation, body):
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{operation}"}
        status, data = self.responsive(
            lambda: harness.raw_request(self.loan.base_url, "POST", "/", json.dumps(body).encode(), headers))
        return status, json.loads(data) if data else None

    def assert_sfn_error(self, answer, status, code, *fragments):
        actual, body = answer
        self.assertEqual(status, actual, body)
        self.assertEqual(code, body["__type"].split("#")[-1], body)
        for fragment in fragments:
            self.assertIn(fragment, body["message"])

    def keys(self):
        return set(self.redis.command("KEYS", "*") or [])


class DeepDocuments(StoreCase):
    def test_an_input_nested_over_the_limit_is_refused_at_start(self):
        before = self.keys()
        for levels in [MAX_NESTING + 1, 1000, 1500, 100000]:
            with self.subTest(levels=levels):
                answer = self.sfn_call("StartExecution", {"stateMachineArn": PASS_MACHINE_ARN,
                                                          "input": nested(levels)})
                self.assert_sfn_error(answer, 400, "InvalidExecutionInput", "Invalid State Machine Execution Input",
                                      f"more than {MAX_NESTING} levels deep")
        self.assertEqual(set(), self.keys() - before)

    def test_an_input_at_the_limit_runs(self):
        status, body = self.sfn_call("StartExecution", {"stateMachineArn": PASS_MACHINE_ARN,
                                                        "input": nested(MAX_NESTING)})
        self.assertEqual(200, status, body)
        self.wait_for_status(self.loan, body["executionArn"], "SUCCEEDED")

    def test_brackets_inside_strings_do_not_count(self):
        status, body = self.sfn_call("StartExecution", {"stateMachineArn": PASS_MACHINE_ARN,
                                                        "input": json.dumps({"text": "[{" * 2000})})
        self.assertEqual(200, status, body)
        self.wait_for_status(self.loan, body["executionArn"], "SUCCEEDED")

    def test_a_task_output_nested_over_the_limit_is_refused(self):
        status, body = self.sfn(self.loan, "CreateActivity", {"name": ACTIVITY})
        self.assertEqual(200, status, body)
        arn = self.start_execution(self.loan, {"a": 1}, state_machine_arn=ACTIVITY_MACHINE_ARN)
        status, task = self.sfn(self.loan, "GetActivityTask", {"activityArn": ACTIVITY_ARN})
        self.assertEqual(200, status, task)
        answer = self.sfn_call("SendTaskSuccess", {"taskToken": task["taskToken"], "output": nested(MAX_NESTING + 1)})
        self.assert_sfn_error(answer, 400, "InvalidOutput", "Invalid Output", f"more than {MAX_NESTING} levels deep")
        self.assertEqual("RUNNING", self.describe(self.loan, arn)["status"])
        status, body = self.sfn_call("SendTaskSuccess", {"taskToken": task["taskToken"], "output": nested(3)})
        self.assertEqual(200, status, body)
        self.wait_for_status(self.loan, arn, "SUCCEEDED")

    def test_a_webhook_body_nested_over_the_limit_is_refused(self):
        body = '{"valuationReference":"r","propertyValue":1,"extra":' + nested(MAX_NESTING + 1) + "}"
        status, data = self.responsive(lambda: harness.raw_request(
            self.loan.base_url, "POST", "/valuation-callback", body.encode(), {"Content-Type": "application/json"}))
        answer = json.loads(data)
        self.assertEqual(400, status, answer)
        self.assertEqual("InvalidRequest", answer["error"])
        self.assertIn(f"more than {MAX_NESTING} levels deep", answer["message"])


class ParametersSize(StoreCase):
    def test_a_template_copying_a_big_input_many_times_fails_at_the_data_limit_quickly(self):
        status, body = self.sfn(self.loan, "CreateActivity", {"name": ACTIVITY})
        self.assertEqual(200, status, body)
        document = json.dumps({"blob": "x" * (200 * 1024)})
        started = time.monotonic()
        status, body = self.sfn_call("StartExecution", {"stateMachineArn": COPY_MACHINE_ARN, "input": document})
        self.assertEqual(200, status, body)
        arn = body["executionArn"]
        description = self.responsive(lambda: self.wait_for_status(self.loan, arn, "FAILED"))
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual("States.DataLimitExceeded", description.get("error"), description)
        failed = [event for event in self.history(self.loan, arn) if event["type"] == "ExecutionFailed"]
        self.assertEqual(1, len(failed))
        details = failed[0]["executionFailedEventDetails"]
        self.assertEqual("States.DataLimitExceeded", details["error"])
        self.assertEqual("The state/task 'Copy' returned a result with a size exceeding the maximum number of bytes "
                         "service limit.", details["cause"])


def history_key(machine, name):
    execution_id = f"{machine}:{name}"
    return harness.execution_key(execution_id, "history")


class RefusedChanges(StoreCase):
    """A key of the wrong type planted in Redis: every script that writes it fails the same way (WRONGTYPE)."""

    def test_a_start_redis_refuses_is_a_400_not_a_503(self):
        self.redis.command("SET", history_key(PASS_MACHINE, "planted"), "not a list")
        answer = self.sfn_call("StartExecution", {"stateMachineArn": PASS_MACHINE_ARN, "name": "planted"})
        self.assert_sfn_error(answer, 400, "InvalidExecutionInput", "The store refused the execution")
        wait_until(lambda: "store-refused" in self.loan.logs(), 5, what="the store-refused log line")
        status, body = self.sfn_call("StartExecution", {"stateMachineArn": PASS_MACHINE_ARN, "name": "fine"})
        self.assertEqual(200, status, body)

    def test_a_task_answer_redis_refuses_is_a_500_not_a_503(self):
        status, body = self.sfn(self.loan, "CreateActivity", {"name": ACTIVITY})
        self.assertEqual(200, status, body)
        self.start_execution(self.loan, {"a": 1}, name="refused", state_machine_arn=ACTIVITY_MACHINE_ARN)
        status, task = self.sfn(self.loan, "GetActivityTask", {"activityArn": ACTIVITY_ARN})
        self.assertEqual(200, status, task)
        key = history_key(ACTIVITY_MACHINE, "refused")
        self.redis.command("DEL", key)
        self.redis.command("SET", key, "not a list")
        answer = self.sfn_call("SendTaskSuccess", {"taskToken": task["taskToken"], "output": "{}"})
        self.assert_sfn_error(answer, 500, "InternalFailure", "The store refused the change", "retrying will not help")

    def test_a_timer_change_redis_refuses_fails_the_execution_or_is_logged(self):
        """The Wait's end cannot be stored: the engine tries to fail the execution instead of retrying for ever;
        with the history itself unwritable even that is refused, and said so in the log (never a crash or a stall)."""
        status, body = self.sfn_call("StartExecution", {"stateMachineArn": WAIT_MACHINE_ARN, "name": "waits"})
        self.assertEqual(200, status, body)
        key = history_key(WAIT_MACHINE, "waits")
        self.redis.command("DEL", key)
        self.redis.command("SET", key, "not a list")
        self.responsive(lambda: wait_until(lambda: "Redis refused even the failure" in self.loan.logs(), 30,
                                           what="the refused failure's log line"))
        logs = self.loan.logs()
        self.assertIn("the execution fails", logs)
        status, description = self.sfn(self.loan, "DescribeExecution", {"executionArn": body["executionArn"]})
        self.assertEqual(200, status, description)
        self.assertEqual("RUNNING", description["status"])


if __name__ == "__main__":
    harness.main()
