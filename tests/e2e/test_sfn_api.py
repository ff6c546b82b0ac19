"""The AWS Step Functions JSON API: shapes, task-token answers and AWS's error texts."""

import json
import os
import subprocess
import threading
import time

import harness
from harness import LOAN_MACHINE_ARN, PART1_MACHINE_ARN, SAMPLE_APPLICATION, TASK_CLOSED, request

EXECUTION_PREFIX = "arn:aws:states:us-east-1:123456789012:execution:LoanProcessorStateMachine:"


class StepFunctionsApi(harness.StackTestCase):
    def waiting_token(self, loan, arn):
        """Waits until the execution's task is submitted; returns its task token."""
        def submitted():
            events = self.history(loan, arn)
            return events if any(e["type"] == "TaskSubmitted" for e in events) else None
        events = harness.wait_until(submitted, 5, what="TaskSubmitted")
        return json.loads(events[2]["taskScheduledEventDetails"]["parameters"])["Payload"]["taskToken"]

    def start_waiting_execution(self, name=None):
        """A part-1 loan execution (no timeout) whose valuation never calls back, so the test answers the task."""
        loan, _ = self.start_stack()
        application = {"applicationReference": "manual", "property": {"nameOrNumber": "No callback",
                                                                      "postcode": "PO1 1CE"}}
        arn = self.start_execution(loan, application, name=name, state_machine_arn=PART1_MACHINE_ARN)
        return loan, arn, self.waiting_token(loan, arn)

    def test_send_task_success_by_hand_completes_the_execution(self):
        loan, arn, token = self.start_waiting_execution()
        self.assertEqual("RUNNING", self.describe(loan, arn)["status"])
        status, body = self.sfn(loan, "SendTaskSuccess", {"taskToken": token, "output": '{"propertyValue": 1}'})
        self.assertEqual((200, {}), (status, body))
        done = self.describe(loan, arn)
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertEqual({"propertyValue": 1}, json.loads(done["output"]))

    def test_a_second_send_task_success_gets_task_timed_out(self):
        loan, arn, token = self.start_waiting_execution()
        self.assertEqual(200, self.sfn(loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"})[0])
        self.assert_aws_error(self.sfn(loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"}),
                              "TaskTimedOut", TASK_CLOSED)
        self.assert_aws_error(self.sfn(loan, "SendTaskFailure", {"taskToken": token}), "TaskTimedOut", TASK_CLOSED)
        self.assert_aws_error(self.sfn(loan, "SendTaskHeartbeat", {"taskToken": token}), "TaskTimedOut", TASK_CLOSED)
        types = [e["type"] for e in self.history(loan, arn)]
        self.assertEqual(1, types.count("TaskSucceeded"))

    def test_send_task_failure_fails_the_execution_with_error_and_cause(self):
        loan, arn, token = self.start_waiting_execution()
        self.assertEqual(200, self.sfn(loan, "SendTaskHeartbeat", {"taskToken": token})[0])
        status, _ = self.sfn(loan, "SendTaskFailure", {"taskToken": token, "error": "ValuationFailed",
                                                       "cause": "The surveyor could not get in"})
        self.assertEqual(200, status)
        done = self.describe(loan, arn)
        self.assertEqual(("FAILED", "ValuationFailed", "The surveyor could not get in"),
                         (done["status"], done["error"], done["cause"]))
        self.assertNotIn("output", done)
        self.assertEqual("REDRIVABLE", done["redriveStatus"])
        events = self.history(loan, arn)
        self.assertEqual(["TaskFailed", "ExecutionFailed"], [e["type"] for e in events[-2:]])
        self.assertEqual({"resourceType": "lambda", "resource": "invoke.waitForTaskToken", "error": "ValuationFailed",
                          "cause": "The surveyor could not get in"}, events[-2]["taskFailedEventDetails"])

    def test_invalid_tokens_and_outputs(self):
        loan, arn, token = self.start_waiting_execution()
        for bad in ["NoSuchTaskToken", "FakeTaskToken", "AAAA"]:
            self.assert_aws_error(self.sfn(loan, "SendTaskSuccess", {"taskToken": bad, "output": "{}"}),
                                  "InvalidToken", "Invalid Token: 'Invalid token'")
        self.assert_aws_error(self.sfn(loan, "SendTaskSuccess", {"taskToken": token, "output": "not json"}),
                              "InvalidOutput")
        self.assert_aws_error(self.sfn(loan, "SendTaskSuccess", {"taskToken": token}), "ValidationException",
                              "1 validation error detected: Value at 'output' failed to satisfy constraint: "
                              "Member must not be null")
        self.assert_aws_error(self.sfn(loan, "SendTaskSuccess", {"taskToken": "x" * 2049, "output": "{}"}),
                              "ValidationException")
        self.assert_aws_error(self.sfn(loan, "SendTaskFailure", {"taskToken": token, "error": "e" * 257}),
                              "ValidationException")
        self.assertEqual("RUNNING", self.describe(loan, arn)["status"])  # none of that touched the task

    def test_start_execution_names_idempotency_and_inputs(self):
        loan, _ = self.start_stack()
        body = {"stateMachineArn": LOAN_MACHINE_ARN, "name": "same-name", "input": json.dumps(SAMPLE_APPLICATION)}
        status, first = self.sfn(loan, "StartExecution", body)
        self.assertEqual(200, status)
        self.assertEqual(EXECUTION_PREFIX + "same-name", first["executionArn"])
        self.assert_epoch_seconds_of_now(first["startDate"])
        status, again = self.sfn(loan, "StartExecution", body)  # same name and input while RUNNING
        self.assertEqual((200, first), (status, again))
        self.assert_aws_error(self.sfn(loan, "StartExecution", dict(body, input='{"other": 1}')),
                              "ExecutionAlreadyExists", f"Execution Already Exists: '{EXECUTION_PREFIX}same-name'")
        self.wait_for_status(loan, first["executionArn"], "SUCCEEDED")
        self.assert_aws_error(self.sfn(loan, "StartExecution", body), "ExecutionAlreadyExists")
        for name in ["has space", "a/b", "x" * 81, ""]:
            self.assert_aws_error(self.sfn(loan, "StartExecution", dict(body, name=name)), "InvalidName")
        self.assert_aws_error(self.sfn(loan, "StartExecution", dict(body, name="bad-input", input="not json")),
                              "InvalidExecutionInput")
        missing = LOAN_MACHINE_ARN + "Missing"
        self.assert_aws_error(self.sfn(loan, "StartExecution", {"stateMachineArn": missing}),
                              "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'")
        self.assert_aws_error(self.sfn(loan, "StartExecution", {}), "ValidationException")
        status, unnamed = self.sfn(loan, "StartExecution", {"stateMachineArn": LOAN_MACHINE_ARN,
                                                            "input": json.dumps(SAMPLE_APPLICATION)})
        self.assertEqual(200, status)
        self.assertRegex(unnamed["executionArn"], EXECUTION_PREFIX + r"[0-9a-f]{8}-[0-9a-f]{4}-4")

    def test_describe_and_history_errors(self):
        loan, _ = self.start_stack()
        missing = EXECUTION_PREFIX + "nope"
        self.assert_aws_error(self.sfn(loan, "DescribeExecution", {"executionArn": missing}),
                              "ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'")
        self.assert_aws_error(self.sfn(loan, "GetExecutionHistory", {"executionArn": missing}),
                              "ExecutionDoesNotExist")
        self.assert_aws_error(self.sfn(loan, "DescribeExecution", {"executionArn": "nonsense"}), "InvalidArn",
                              "Invalid Arn: 'Invalid ARN prefix: nonsense'")

    def test_history_paging_reverse_order_and_execution_data(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan)
        self.wait_for_status(loan, arn, "SUCCEEDED")
        status, page = self.sfn(loan, "GetExecutionHistory", {"executionArn": arn, "maxResults": 3})
        self.assertEqual([1, 2, 3], [e["id"] for e in page["events"]])
        status, rest = self.sfn(loan, "GetExecutionHistory", {"executionArn": arn, "maxResults": 100,
                                                              "nextToken": page["nextToken"]})
        self.assertEqual(list(range(4, 9)), [e["id"] for e in rest["events"]])
        self.assertNotIn("nextToken", rest)
        backwards = self.history(loan, arn, reverseOrder=True)
        self.assertEqual(list(range(8, 0, -1)), [e["id"] for e in backwards])
        lean = self.history(loan, arn, includeExecutionData=False)
        self.assertNotIn("input", lean[0]["executionStartedEventDetails"])
        self.assertNotIn("output", lean[-1]["executionSucceededEventDetails"])

    def test_unknown_operations_and_bad_bodies(self):
        loan, _ = self.start_stack()
        status, text = request("POST", f"{loan.base_url}/", b"{}", {"X-Amz-Target": "AWSStepFunctions.Nope"})
        self.assertEqual(400, status)
        self.assertEqual("UnknownOperationException", json.loads(text)["__type"].split("#")[-1])
        status, text = request("POST", f"{loan.base_url}/", b"{}")
        self.assertEqual(400, status)
        status, text = request("POST", f"{loan.base_url}/", b"{oops",
                               {"X-Amz-Target": "AWSStepFunctions.DescribeExecution"})
        self.assertEqual(400, status)
        self.assertEqual("SerializationException", json.loads(text)["__type"].split("#")[-1])
        # The input is JSON *text*; an object in its place is refused, not replaced by "{}".
        self.assert_aws_error(self.sfn(loan, "StartExecution", {"stateMachineArn": LOAN_MACHINE_ARN,
                                                                 "input": SAMPLE_APPLICATION}),
                              "SerializationException", "The value of 'input' must be a JSON string")
        self.assert_aws_error(self.sfn(loan, "SendTaskFailure", {"taskToken": "x", "error": 7}),
                              "SerializationException", "The value of 'error' must be a JSON string")
        self.assertEqual([], self.redis.command("KEYS", "{sfn:*}:execution:*"))
        status, text = harness.send_oversized(f"{loan.base_url}/", 3 * 1024 * 1024,
                                              {"X-Amz-Target": "AWSStepFunctions.StartExecution"})
        self.assertEqual(413, status)
        self.assertEqual("PayloadTooLarge", json.loads(text)["error"])
        status, text = self.sfn(loan, "ListStateMachines", {})
        self.assertEqual(200, status)
        self.assertEqual(sorted(harness.machine_arn(name) for name in harness.SHIPPED_MACHINES),
                         sorted(m["stateMachineArn"] for m in text["stateMachines"]))

    def waiting_execution(self, loan, name=None, state_machine_arn=PART1_MACHINE_ARN):
        """An execution whose valuation never calls back; returns its ARN and task token."""
        application = {"applicationReference": "manual", "property": {"nameOrNumber": "No callback",
                                                                      "postcode": "PO1 1CE"}}
        arn = self.start_execution(loan, application, name=name, state_machine_arn=state_machine_arn)
        return arn, self.waiting_token(loan, arn)

    def test_stop_a_waiting_execution_then_its_token_is_closed(self):
        loan, _ = self.start_stack()
        arn, token = self.waiting_execution(loan, "to-stop", state_machine_arn=LOAN_MACHINE_ARN)
        execution_id = arn.split(":execution:")[1]
        self.assertIsNotNone(self.redis.command("ZSCORE", harness.timers_key(execution_id), execution_id))  # its 30 s task timeout
        status, stopped = self.sfn(loan, "StopExecution", {"executionArn": arn, "error": "Operator",
                                                           "cause": "Stopped by hand"})
        self.assertEqual(200, status, stopped)
        self.assertEqual({"stopDate"}, set(stopped))
        described = self.describe(loan, arn)
        self.assertEqual(("ABORTED", "Operator", "Stopped by hand", stopped["stopDate"]),
                         (described["status"], described["error"], described["cause"], described["stopDate"]))
        self.assertNotIn("output", described)
        events = self.history(loan, arn)
        self.assertEqual({"timestamp": stopped["stopDate"], "type": "ExecutionAborted", "id": len(events),
                          "previousEventId": 0,
                          "executionAbortedEventDetails": {"error": "Operator", "cause": "Stopped by hand"}},
                         events[-1])
        self.assertIsNone(self.redis.command("ZSCORE", harness.timers_key(execution_id), execution_id))  # no timeout fires later
        self.assertIsNone(self.redis.command("HGET", harness.execution_key(execution_id), "taskToken"))
        for operation, body in [("SendTaskSuccess", {"taskToken": token, "output": "{}"}),
                                ("SendTaskFailure", {"taskToken": token}),
                                ("SendTaskHeartbeat", {"taskToken": token})]:
            self.assert_aws_error(self.sfn(loan, operation, body), "TaskTimedOut", TASK_CLOSED)
        # Stopping a closed execution changes nothing and answers its stopDate.
        self.assertEqual((200, stopped), self.sfn(loan, "StopExecution", {"executionArn": arn, "error": "Again"}))
        self.assertEqual(len(events), len(self.history(loan, arn)))
        self.assertEqual("Operator", self.describe(loan, arn)["error"])

    def test_stop_without_error_or_cause_and_stop_errors(self):
        loan, _ = self.start_stack()
        arn, _ = self.waiting_execution(loan)
        self.assertEqual(200, self.sfn(loan, "StopExecution", {"executionArn": arn})[0])
        described = self.describe(loan, arn)
        self.assertEqual("ABORTED", described["status"])
        self.assertNotIn("error", described)
        self.assertNotIn("cause", described)
        self.assertEqual({}, self.history(loan, arn)[-1]["executionAbortedEventDetails"])  # AWS-recorded shape
        missing = EXECUTION_PREFIX + "nope"
        self.assert_aws_error(self.sfn(loan, "StopExecution", {"executionArn": missing}),
                              "ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'")
        self.assert_aws_error(self.sfn(loan, "StopExecution", {"executionArn": "nonsense"}), "InvalidArn",
                              "Invalid Arn: 'Invalid ARN prefix: nonsense'")
        self.assert_aws_error(self.sfn(loan, "StopExecution", {}), "ValidationException")
        self.assert_aws_error(self.sfn(loan, "StopExecution", {"executionArn": arn, "error": "e" * 257}),
                              "ValidationException")
        self.assert_aws_error(self.sfn(loan, "StopExecution", {"executionArn": arn, "cause": "c" * 32769}),
                              "ValidationException")

    def test_a_callback_racing_a_stop_has_exactly_one_winner(self):
        loan, _ = self.start_stack()
        waiting = [self.waiting_execution(loan) for _ in range(8)]
        answers = {}

        def answer(arn, token):
            answers[arn, "success"] = self.sfn(loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"})[0]

        def stop(arn):
            answers[arn, "stop"] = self.sfn(loan, "StopExecution", {"executionArn": arn})[0]

        threads = []
        for arn, token in waiting:  # each pair started together, the stop first: both kinds of winner happen
            threads += [threading.Thread(target=stop, args=(arn,)), threading.Thread(target=answer, args=(arn, token))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        for arn, _ in waiting:
            self.assertEqual(200, answers[arn, "stop"])
            status = self.describe(loan, arn)["status"]
            types = [e["type"] for e in self.history(loan, arn)]
            if answers[arn, "success"] == 200:       # the callback won: the stop found it closed
                self.assertEqual(("SUCCEEDED", 0), (status, types.count("ExecutionAborted")), types)
            else:                                    # the stop won: the callback found the task closed
                self.assertEqual(400, answers[arn, "success"])
                self.assertEqual(("ABORTED", 0), (status, types.count("TaskSucceeded")), types)
            self.assertEqual(1, sum(types.count(t) for t in ["ExecutionSucceeded", "ExecutionAborted"]), types)

    def test_list_executions_newest_first_with_paging_and_status_filter(self):
        loan, _ = self.start_stack()
        arns = []
        for number in range(5):
            arns.append(self.waiting_execution(loan, f"listed-{number}")[0])
            time.sleep(0.005)  # distinct start times
        for arn in arns[1::2]:
            self.assertEqual(200, self.sfn(loan, "StopExecution", {"executionArn": arn})[0])
        newest_first = list(reversed(arns))

        status, everything = self.sfn(loan, "ListExecutions", {"stateMachineArn": PART1_MACHINE_ARN})
        self.assertEqual(200, status, everything)
        self.assertEqual(newest_first, [e["executionArn"] for e in everything["executions"]])
        self.assertNotIn("nextToken", everything)
        running, aborted = everything["executions"][0], everything["executions"][1]
        self.assertEqual({"executionArn", "stateMachineArn", "name", "status", "startDate", "redriveCount"},
                         set(running))
        self.assertEqual((PART1_MACHINE_ARN, "listed-4", "RUNNING", 0),
                         (running["stateMachineArn"], running["name"], running["status"], running["redriveCount"]))
        self.assertEqual(self.describe(loan, arns[4])["startDate"], running["startDate"])
        self.assertEqual(("ABORTED", self.describe(loan, arns[3])["stopDate"]), (aborted["status"], aborted["stopDate"]))

        pages, body = [], {"stateMachineArn": PART1_MACHINE_ARN, "maxResults": 2}
        while True:
            status, page = self.sfn(loan, "ListExecutions", body)
            self.assertEqual(200, status, page)
            pages.append([e["executionArn"] for e in page["executions"]])
            if "nextToken" not in page:
                break
            body["nextToken"] = page["nextToken"]
        self.assertEqual([newest_first[0:2], newest_first[2:4], newest_first[4:]], pages)

        def listed(status_filter):
            body = {"stateMachineArn": PART1_MACHINE_ARN, "statusFilter": status_filter}
            return [e["executionArn"] for e in self.sfn(loan, "ListExecutions", body)[1]["executions"]]
        self.assertEqual([arns[3], arns[1]], listed("ABORTED"))
        self.assertEqual([arns[4], arns[2], arns[0]], listed("RUNNING"))
        self.assertEqual([], listed("SUCCEEDED"))
        self.assertEqual([], self.sfn(loan, "ListExecutions", {"stateMachineArn": LOAN_MACHINE_ARN})[1]["executions"])

    def test_list_executions_skips_index_entries_without_an_execution(self):
        """What a crash between StartExecution's two writes (index entry, then execution) leaves is not listed."""
        loan, _ = self.start_stack()
        arns = []
        for number in range(3):
            arns.append(self.waiting_execution(loan, f"kept-{number}")[0])
            time.sleep(0.005)  # distinct start times
        self.assertEqual(200, self.sfn(loan, "StopExecution", {"executionArn": arns[1]})[0])
        index = harness.executions_index_key(PART1_MACHINE_ARN)
        newest = int(self.redis.command("ZRANGE", index, -1, -1, "WITHSCORES")[1])
        prefix = arns[0].rsplit(":", 1)[0]
        orphans = []  # newer than the real ones, and enough to take several rounds of record look-ups
        for number in range(250):
            orphans += [newest + 1 + number, f"{prefix}:crashed-{number}"]
        self.assertEqual(250, self.redis.command("ZADD", index, *orphans))

        def listed(**options):
            status, body = self.sfn(loan, "ListExecutions", dict(stateMachineArn=PART1_MACHINE_ARN, **options))
            self.assertEqual(200, status, body)
            return [e["executionArn"] for e in body["executions"]], body.get("nextToken")
        self.assertEqual((arns[::-1], None), listed())
        self.assertEqual(([arns[2], arns[0]], None), listed(statusFilter="RUNNING"))
        first, next_token = listed(maxResults=1)
        self.assertEqual([arns[2]], first)
        second, next_token = listed(maxResults=1, nextToken=next_token, statusFilter="ABORTED")
        self.assertEqual([arns[1]], second)
        self.assertEqual(([], None), listed(maxResults=1, nextToken=next_token, statusFilter="ABORTED"))

    def test_list_executions_errors(self):
        loan, _ = self.start_stack()
        body = {"stateMachineArn": PART1_MACHINE_ARN}
        self.assert_aws_error(self.sfn(loan, "ListExecutions", dict(body, statusFilter="succeeded")),
                              "ValidationException",
                              "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, "
                              "PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")
        self.assert_aws_error(self.sfn(loan, "ListExecutions", dict(body, maxResults=1001)), "ValidationException",
                              "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
                              "constraint: Member must have value less than or equal to 1000")
        long_token = "t" * 3097
        self.assert_aws_error(self.sfn(loan, "ListExecutions", dict(body, nextToken=long_token)),
                              "ValidationException",
                              f"1 validation error detected: Value '{long_token}' at 'nextToken' failed to satisfy "
                              "constraint: Member must have length less than or equal to 3096")
        self.assert_aws_error(self.sfn(loan, "ListExecutions", dict(body, nextToken="garbage")), "InvalidToken")
        self.assert_aws_error(self.sfn(loan, "ListExecutions", {"stateMachineArn": "invalid_state_machine_arn"}),
                              "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'")
        missing = LOAN_MACHINE_ARN + "Missing"
        self.assert_aws_error(self.sfn(loan, "ListExecutions", {"stateMachineArn": missing}),
                              "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'")
        self.assert_aws_error(self.sfn(loan, "ListExecutions", {}), "ValidationException")
        self.assertEqual([], self.sfn(loan, "ListExecutions", dict(body, redriveFilter="REDRIVEN"))[1]["executions"])

    def test_redis_down_answers_503_and_nothing_is_lost(self):
        loan, arn, token = self.start_waiting_execution()
        self.redis.stop()
        harness.wait_until(lambda: request("GET", f"{loan.base_url}/health")[0] == 503, 5, what="health 503")
        status, body = self.sfn(loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"})
        self.assertEqual(503, status, body)
        status, body = self.sfn(loan, "StartExecution", {"stateMachineArn": LOAN_MACHINE_ARN})
        self.assertEqual(503, status, body)
        self.redis.start()
        harness.wait_until(loan.healthy, 10, what="health 200 again")
        self.assertEqual(200, self.sfn(loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"})[0])
        self.assertEqual("SUCCEEDED", self.describe(loan, arn)["status"])

    def test_help_lists_every_setting(self):
        output = subprocess.run([harness.LOAN_PROCESSOR, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(0, output.returncode)
        for name in ["LOAN_PROCESSOR_PORT", "BIND_ADDRESS", "REDIS_URL", "VALUATION_SERVICE_URL", "CALLBACK_URL",
                     "TIME_SCALE", "LOG_FORMAT"]:
            self.assertIn(name, output.stdout)
        bad = subprocess.run([harness.LOAN_PROCESSOR, "--time-scale", "zero"], capture_output=True, text=True,
                             timeout=10)
        self.assertEqual(2, bad.returncode)

    def test_a_wrong_log_level_or_format_stops_the_server_with_the_reason(self):
        for name, value, reason in (("LOG_LEVEL", "loud", 'LOG_LEVEL must be debug, info, warn or error, not "loud"'),
                                    ("LOG_FORMAT", "xml", 'LOG_FORMAT must be text or json, not "xml"')):
            with self.subTest(name=name):
                bad = subprocess.run([harness.LOAN_PROCESSOR], capture_output=True, text=True, timeout=10,
                                     env=dict(os.environ, **{name: value}))
                self.assertEqual(2, bad.returncode)
                self.assertIn(f"loan-processor: {reason}", bad.stderr)


if __name__ == "__main__":
    harness.main()
