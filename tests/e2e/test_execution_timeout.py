"""End-to-end: a state machine's top-level TimeoutSeconds.

An execution that runs longer than its machine's TimeoutSeconds ends TIMED_OUT, as at AWS: its history ends with
ExecutionTimedOut, DescribeExecution has a stopDate and neither error nor cause (as AWS recorded it), the open
task's token answers TaskTimedOut and a running fork's branches are aborted with it. TIME_SCALE 0.1: a definition
second is 0.1 s here.
"""

import json
import time

import harness
from harness import ACCOUNT, REGION, StackTestCase, machine_arn, wait_until

ACTIVITY = "slowpoke"
ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{ACTIVITY}"


def activity_task(name):
    return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": ACTIVITY_ARN, "End": True}}}


MACHINES = {
    "WaitsTooLong": {"TimeoutSeconds": 1, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 10, "Next": "Done"}, "Done": {"Type": "Succeed"}}},
    "TaskTooLong": dict(activity_task("Work"), TimeoutSeconds=3),
    "ParallelTooLong": {"TimeoutSeconds": 3, "StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": True, "Branches": [activity_task("T1"), activity_task("T2")]}}},
    "QuickEnough": {"TimeoutSeconds": 5, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "Done"}, "Done": {"Type": "Pass", "Result": "done", "End": True}}},
}


class ExecutionTimeoutTest(StackTestCase):
    TIME_SCALE = "0.1"

    def start(self):
        server = self.start_loan_processor(extra_state_machines=MACHINES, ACTIVITY_POLL_SECONDS="2")
        status, body = self.sfn(server, "CreateActivity", {"name": ACTIVITY})
        self.assertEqual(200, status, body)
        return server

    def run_machine(self, server, name):
        return self.start_execution(server, {"a": 1}, name="run-1", state_machine_arn=machine_arn(name))

    def take_task(self, server):
        status, body = self.sfn(server, "GetActivityTask", {"activityArn": ACTIVITY_ARN, "workerName": "w"})
        self.assertEqual(200, status, body)
        self.assertIn("taskToken", body)
        return body["taskToken"]

    def assert_timed_out(self, server, execution):
        description = self.wait_for_status(server, execution, "TIMED_OUT")
        self.assertNotIn("error", description)
        self.assertNotIn("cause", description)
        self.assertNotIn("output", description)
        self.assertGreaterEqual(description["stopDate"], description["startDate"])
        events = self.history(server, execution)
        self.assertEqual("ExecutionTimedOut", events[-1]["type"])
        self.assertEqual({}, events[-1]["executionTimedOutEventDetails"])
        self.assertEqual(1, [event["type"] for event in events].count("ExecutionTimedOut"))
        self.assertEqual(list(range(1, len(events) + 1)), [event["id"] for event in events])
        record = self.record(execution)
        self.assertEqual("TIMED_OUT", record["status"])
        self.assertNotIn("taskToken", record)
        self.assertNotIn("timerDue", record)
        execution_id = execution.split(":execution:")[1]
        self.assertIsNone(self.redis.command("ZSCORE", harness.timers_key(execution_id), execution_id))
        return description, events

    def record(self, execution):
        fields = self.redis.command("HGETALL", harness.execution_key(execution.split(":execution:")[1]))
        return dict(zip(fields[::2], fields[1::2]))

    def assert_token_closed(self, server, token):
        self.assert_aws_error(self.sfn(server, "SendTaskSuccess", {"taskToken": token, "output": "{}"}),
                              "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")

    def assert_no_branch_left(self, execution):
        execution_id = execution.split(":execution:")[1]
        leftover = [key for key in self.redis.command("KEYS", "*") if execution_id in key
                    and (":branch:" in key or ":branches:" in key or ":results:" in key)]
        self.assertEqual([], leftover)

    def test_a_wait_longer_than_the_timeout_ends_at_the_timeout(self):
        server = self.start()
        execution = self.run_machine(server, "WaitsTooLong")
        description, events = self.assert_timed_out(server, execution)
        # 1 s x 0.1 = 0.1 s; the Wait alone would take 1 s
        self.assertLess(description["stopDate"] - description["startDate"], 0.8)
        self.assertEqual(["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"],
                         [event["type"] for event in events])

    def test_an_open_activity_task_is_closed(self):
        server = self.start()
        execution = self.run_machine(server, "TaskTooLong")
        token = self.take_task(server)
        _, events = self.assert_timed_out(server, execution)
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                          "ExecutionTimedOut"], [event["type"] for event in events])
        self.assert_token_closed(server, token)
        self.assertEqual("TIMED_OUT", self.describe(server, execution)["status"])

    def test_a_parallel_of_open_tasks_is_aborted(self):
        server = self.start()
        execution = self.run_machine(server, "ParallelTooLong")
        tokens = [self.take_task(server), self.take_task(server)]
        self.assert_timed_out(server, execution)
        for token in tokens:
            self.assert_token_closed(server, token)
        self.assert_no_branch_left(execution)
        self.assertEqual("TIMED_OUT", self.describe(server, execution)["status"])

    def test_an_execution_that_ends_in_time_is_unaffected(self):
        server = self.start()
        execution = self.run_machine(server, "QuickEnough")
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual("done", json.loads(description["output"]))
        time.sleep(0.6)  # past the timeout: nothing more happens
        self.assertEqual("SUCCEEDED", self.describe(server, execution)["status"])
        self.assertEqual("ExecutionSucceeded", self.history(server, execution)[-1]["type"])

    def test_a_wait_is_bounded_while_the_deadline_is_recorded(self):
        server = self.start()
        execution = self.run_machine(server, "WaitsTooLong")
        record = self.record(execution)
        if record["status"] == "RUNNING":  # the timer is the deadline, not the Wait's end
            self.assertEqual(record["executionTimeoutDue"], record["timerDue"])
            self.assertEqual(int(record["startDate"]) + 100, int(record["executionTimeoutDue"]))
        self.assert_timed_out(server, execution)

    def test_the_blog_machines_have_no_deadline(self):
        loan, _ = self.start_stack()
        execution = self.start_execution(loan, name="app-ref-1")
        wait_until(lambda: self.record(execution).get("status"), 5, what="the execution's record")
        self.assertNotIn("executionTimeoutDue", self.record(execution))
        self.wait_for_status(loan, execution, "SUCCEEDED")


if __name__ == "__main__":
    harness.main()
