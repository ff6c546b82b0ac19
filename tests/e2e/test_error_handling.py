"""Timeouts, heartbeats, Retry, Catch, Wait, Choice and Fail, end to end.

The workflows here are small definitions loaded beside the shipped ones. A
callback task hands its token to a worker through the local SNS topic
"WorkTopic" (sns:publish.waitForTaskToken); the test plays the worker: it
reads the token from the topic's stream and answers through the API.
TIME_SCALE 0.05 turns every second of a definition into 50 ms.
"""

import json
import time

import harness
from harness import TASK_CLOSED, machine_arn

WORK_TOPIC = "WorkTopic"


def callback_task(**fields):
    """A Task that publishes its token and input to WorkTopic and waits for the answer."""
    task = {"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
            "Parameters": {"TopicArn": f"arn:aws:sns:us-east-1:123456789012:{WORK_TOPIC}",
                           "Message": {"TaskToken.$": "$$.Task.Token", "input.$": "$",
                                       "retryCount.$": "$$.State.RetryCount"}}}
    task.update(fields)
    return task


MACHINES = {
    "Heartbeats": {"StartAt": "Work", "States": {
        "Work": callback_task(HeartbeatSeconds=4, TimeoutSeconds=100, End=True)}},
    "CaughtHeartbeat": {"StartAt": "Work", "States": {
        "Work": callback_task(HeartbeatSeconds=4, Catch=[{"ErrorEquals": ["States.HeartbeatTimeout"],
                                                          "ResultPath": "$.failure", "Next": "Missed"}], End=True),
        "Missed": {"Type": "Pass", "End": True}}},
    "Retries": {"StartAt": "Work", "States": {
        "Work": callback_task(
            Retry=[{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 3}],
            Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "GaveUp"}], End=True),
        "GaveUp": {"Type": "Pass", "End": True}}},
    "Waits": {"StartAt": "Fixed", "States": {
        "Fixed": {"Type": "Wait", "Seconds": 10, "Next": "FromInput"},
        "FromInput": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Past"},
        "Past": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "Done"},
        "Done": {"Type": "Succeed"}}},
    "Choices": {"StartAt": "Size", "States": {
        "Size": {"Type": "Choice", "Choices": [
            {"Variable": "$.amount", "NumericGreaterThan": 1000, "Next": "Large"},
            {"And": [{"Variable": "$.amount", "NumericGreaterThanEquals": 100},
                     {"Variable": "$.kind", "StringEquals": "mortgage"}], "Next": "Medium"}],
                 "Default": "Small"},
        "Large": {"Type": "Pass", "Result": "large", "ResultPath": "$.size", "End": True},
        "Medium": {"Type": "Pass", "Result": "medium", "ResultPath": "$.size", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True}}},
    "NoDefault": {"StartAt": "Size", "States": {
        "Size": {"Type": "Choice", "Choices": [{"Variable": "$.amount", "NumericEquals": 1, "Next": "One"}]},
        "One": {"Type": "Succeed"}}},
    "Refuse": {"StartAt": "Refuse", "States": {
        "Refuse": {"Type": "Fail", "ErrorPath": "$.code", "CausePath": "$.reason"}}},
}


class ErrorHandling(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor(extra_state_machines=MACHINES)

    def start(self, machine, execution_input):
        return self.start_execution(self.loan, execution_input, state_machine_arn=machine_arn(machine))

    def work_messages(self):
        return [json.loads(m["Message"]) for m in self.topic_messages(WORK_TOPIC)]

    def wait_for_work(self, count):
        """Waits until count tasks have been handed to the worker; returns the last one's message."""
        return harness.wait_until(lambda: self.work_messages()[count - 1] if len(self.work_messages()) >= count
                                  else None, 5, what=f"work message {count}")

    def wait_finished(self, arn, timeout=10):
        def finished():
            description = self.describe(self.loan, arn)
            return description if description["status"] != "RUNNING" else None
        return harness.wait_until(finished, timeout, what=f"{arn} to finish")

    def events_of(self, arn, event_type):
        return [e for e in self.history(self.loan, arn) if e["type"] == event_type]

    def test_heartbeats_keep_a_task_alive_and_a_missed_one_times_it_out(self):
        arn = self.start("Heartbeats", {"job": 1})
        token = self.wait_for_work(1)["TaskToken"]
        scale = float(self.TIME_SCALE)
        until = time.monotonic() + 12 * scale            # three heartbeat periods
        while time.monotonic() < until:
            self.assertEqual(200, self.sfn(self.loan, "SendTaskHeartbeat", {"taskToken": token})[0])
            time.sleep(scale)
        self.assertEqual("RUNNING", self.describe(self.loan, arn)["status"])
        done = self.wait_finished(arn)
        self.assertEqual(("FAILED", "States.Timeout"), (done["status"], done["error"]))
        timed_out = self.events_of(arn, "TaskTimedOut")
        self.assertEqual([{"resourceType": "sns", "resource": "publish.waitForTaskToken",
                           "error": "States.Timeout"}], [e["taskTimedOutEventDetails"] for e in timed_out])
        scheduled = self.events_of(arn, "TaskScheduled")[0]["taskScheduledEventDetails"]
        self.assertEqual((4, 100), (scheduled["heartbeatInSeconds"], scheduled["timeoutInSeconds"]))
        self.assertEqual("ExecutionFailed", self.history(self.loan, arn)[-1]["type"])
        self.assert_aws_error(self.sfn(self.loan, "SendTaskHeartbeat", {"taskToken": token}), "TaskTimedOut",
                              TASK_CLOSED)
        self.assert_aws_error(self.sfn(self.loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"}),
                              "TaskTimedOut", TASK_CLOSED)

    def test_a_missed_heartbeat_is_caught_by_states_heartbeat_timeout(self):
        arn = self.start("CaughtHeartbeat", {"job": 2})
        done = self.wait_finished(arn)
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertEqual({"job": 2, "failure": {"Error": "States.Timeout", "Cause": None}},
                         json.loads(done["output"]))
        types = [e["type"] for e in self.history(self.loan, arn)]
        self.assertEqual(["TaskTimedOut", "TaskStateExited", "PassStateEntered", "PassStateExited",
                          "ExecutionSucceeded"], types[-5:])

    def test_retries_back_off_with_new_tokens_then_the_catcher_takes_over(self):
        arn = self.start("Retries", {"loan": 7})
        tokens = []
        for attempt in range(1, 4):
            message = self.wait_for_work(attempt)
            self.assertEqual(attempt - 1, message["retryCount"])
            tokens.append(message["TaskToken"])
            status, _ = self.sfn(self.loan, "SendTaskFailure", {"taskToken": tokens[-1], "error": "Flaky",
                                                                 "cause": f"attempt {attempt}"})
            self.assertEqual(200, status)
        self.assertEqual(3, len(set(tokens)))
        done = self.wait_finished(arn)
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertEqual({"loan": 7, "error": {"Error": "Flaky", "Cause": "attempt 3"}}, json.loads(done["output"]))

        events = self.history(self.loan, arn)
        self.assertEqual(["ExecutionStarted", "TaskStateEntered"]
                         + ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskFailed"] * 3
                         + ["TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"],
                         [e["type"] for e in events])
        failed = [e for e in events if e["type"] == "TaskFailed"]
        rescheduled = [e for e in events if e["type"] == "TaskScheduled"][1:]
        scale = float(self.TIME_SCALE)
        for failure, next_attempt, interval in zip(failed, rescheduled, (2, 6)):
            self.assertGreaterEqual(next_attempt["timestamp"] - failure["timestamp"], interval * scale - 0.002)
        self.assert_aws_error(self.sfn(self.loan, "SendTaskSuccess", {"taskToken": tokens[0], "output": "{}"}),
                              "TaskTimedOut", TASK_CLOSED)

    def test_wait_states_rest_then_go_on(self):
        arn = self.start("Waits", {"delay": 6})
        harness.wait_until(lambda: self.events_of(arn, "WaitStateEntered"), 5, what="WaitStateEntered")
        self.assertEqual("RUNNING", self.describe(self.loan, arn)["status"])
        done = self.wait_finished(arn)
        self.assertEqual(("SUCCEEDED", {"delay": 6}), (done["status"], json.loads(done["output"])))
        events = self.history(self.loan, arn)
        self.assertEqual(["ExecutionStarted"] + ["WaitStateEntered", "WaitStateExited"] * 3
                         + ["SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"],
                         [e["type"] for e in events])
        scale = float(self.TIME_SCALE)
        self.assertGreaterEqual(events[2]["timestamp"] - events[1]["timestamp"], 10 * scale - 0.002)
        self.assertGreaterEqual(events[4]["timestamp"] - events[3]["timestamp"], 6 * scale - 0.002)
        self.assertLess(events[6]["timestamp"] - events[5]["timestamp"], 0.1)   # a timestamp in the past

    def test_a_wait_survives_a_restart_of_the_loan_processor(self):
        arn = self.start("Waits", {"delay": 1})
        harness.wait_until(lambda: self.events_of(arn, "WaitStateEntered"), 5, what="WaitStateEntered")
        port = self.loan.port
        self.loan.stop(kill=True)
        self.servers.remove(self.loan)
        time.sleep(12 * float(self.TIME_SCALE))               # the first Wait falls due while nobody runs
        self.loan = self.start_loan_processor(port=port, extra_state_machines=MACHINES)
        done = self.wait_finished(arn)
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertEqual(1, len(self.events_of(arn, "ExecutionSucceeded")))
        self.assertEqual(3, len(self.events_of(arn, "WaitStateExited")))

    def test_each_timer_fires_once_with_two_loan_processors_on_one_redis(self):
        other = self.start_loan_processor(extra_state_machines=MACHINES)
        arns = [self.start_execution(server, {"delay": 1}, state_machine_arn=machine_arn("Waits"))
                for server in (self.loan, other) * 10]
        for arn in arns:
            self.assertEqual("SUCCEEDED", self.wait_finished(arn)["status"])
            types = [e["type"] for e in self.history(other, arn)]
            self.assertEqual(3, types.count("WaitStateExited"), types)
            self.assertEqual(1, types.count("ExecutionSucceeded"), types)
        self.assertEqual([], self.redis.command("KEYS", "{sfn:*}:timers"))  # every shard's timers are gone

    def test_choice_takes_the_first_matching_rule_or_the_default(self):
        cases = [({"amount": 5000}, "large"), ({"amount": 500, "kind": "mortgage"}, "medium"),
                 ({"amount": 500, "kind": "loan"}, "small")]
        arns = [self.start("Choices", execution_input) for execution_input, _ in cases]
        for arn, (execution_input, size) in zip(arns, cases):
            done = self.wait_finished(arn)
            self.assertEqual("SUCCEEDED", done["status"])
            self.assertEqual(dict(execution_input, size=size), json.loads(done["output"]))
            types = [e["type"] for e in self.history(self.loan, arn)]
            self.assertEqual(["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered",
                              "PassStateExited", "ExecutionSucceeded"], types)

    def test_a_choice_without_a_match_fails_with_no_choice_matched(self):
        arn = self.start("NoDefault", {"amount": 2})
        done = self.wait_finished(arn)
        self.assertEqual(("FAILED", "States.NoChoiceMatched"), (done["status"], done["error"]))
        self.assertIn("'Size'", done["cause"])

    def test_fail_takes_its_error_and_cause_from_the_input(self):
        arn = self.start("Refuse", {"code": "LoanRefused", "reason": "Income too low"})
        done = self.wait_finished(arn)
        self.assertEqual(("FAILED", "LoanRefused", "Income too low"), (done["status"], done["error"], done["cause"]))
        last = self.history(self.loan, arn)[-1]
        self.assertEqual({"error": "LoanRefused", "cause": "Income too low"}, last["executionFailedEventDetails"])

    def test_invalid_token_and_closed_task_are_told_apart(self):
        for operation, extra in (("SendTaskSuccess", {"output": "{}"}), ("SendTaskFailure", {}),
                                 ("SendTaskHeartbeat", {})):
            self.assert_aws_error(self.sfn(self.loan, operation, dict(taskToken="NoSuchTaskToken", **extra)),
                                  "InvalidToken", "Invalid Token: 'Invalid token'")
        arn = self.start("Heartbeats", {"job": 3})
        token = self.wait_for_work(1)["TaskToken"]
        self.wait_finished(arn)                                # the heartbeat runs out
        for operation, extra in (("SendTaskSuccess", {"output": "{}"}), ("SendTaskFailure", {}),
                                 ("SendTaskHeartbeat", {})):
            self.assert_aws_error(self.sfn(self.loan, operation, dict(taskToken=token, **extra)), "TaskTimedOut",
                                  TASK_CLOSED)


if __name__ == "__main__":
    harness.main()
