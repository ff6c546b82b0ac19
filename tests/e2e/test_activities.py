"""End-to-end: Step Functions activities.

CreateActivity / DescribeActivity / ListActivities / DeleteActivity, Task
states whose Resource is an activity ARN, and workers that GetActivityTask
(a long poll), SendTaskHeartbeat and SendTaskSuccess/Failure, with the
Activity* history events AWS records. Real redis-server, real loan-processors,
real HTTP; TIME_SCALE 0.05 scales the definitions' timeouts, not the long poll.
"""

import json
import socket
import threading
import time

import harness
from harness import ACCOUNT, REGION, StackTestCase, machine_arn, wait_until

ACTIVITY = "worker"
ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{ACTIVITY}"
MISSING_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:nobody"
INPUT = {"a": 1}
SENT_INPUT = json.dumps(INPUT)                      # what StartExecution sends (ExecutionStarted keeps it as sent)
STATE_INPUT = json.dumps(INPUT, separators=(",", ":"))  # as the states pass it on


def activity_task(resource=ACTIVITY_ARN, **fields):
    return {"StartAt": "Work", "States": {"Work": dict({"Type": "Task", "Resource": resource, "End": True}, **fields)}}


MACHINES = {
    # Seconds are definition seconds: x 0.05 in real time.
    "ActivityMachine": activity_task(TimeoutSeconds=600, HeartbeatSeconds=10),
    "QuickTimeoutMachine": activity_task(TimeoutSeconds=2),
    "HeartbeatMachine": activity_task(TimeoutSeconds=600, HeartbeatSeconds=4),
    "MissingActivityMachine": activity_task(resource=MISSING_ARN),
    "RetryingActivityMachine": {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 600,
                     "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                     "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                     "Next": "Done"},
            "Caught": {"Type": "Pass", "End": True},
            "Done": {"Type": "Succeed"},
        },
    },
}

QUEUE_KEY = f"{{sfn:activity:{ACTIVITY}}}:tasks"
ACTIVITY_KEY = f"{{sfn:activity:{ACTIVITY}}}:activity"
ACTIVITIES_INDEX_KEY = "{sfn:activities}:index"


def untruncated():
    return {"truncated": False}


def compact(events):
    """The events without timestamps: (id, previousEventId, type, details)."""
    result = []
    for event in events:
        details = [value for key, value in event.items() if key.endswith("EventDetails")]
        result.append((event["id"], event["previousEventId"], event["type"], details[0] if details else None))
    return result


class ActivityTestCase(StackTestCase):
    def start(self, **environment):
        settings = {"ACTIVITY_POLL_SECONDS": "5"}
        settings.update(environment)
        return self.start_loan_processor(extra_state_machines=MACHINES, **settings)

    def create_activity(self, server, name=ACTIVITY):
        status, body = self.sfn(server, "CreateActivity", {"name": name})
        self.assertEqual(200, status, body)
        return body

    def poll(self, server, worker="worker-1", arn=ACTIVITY_ARN):
        """One GetActivityTask; returns (status, body)."""
        body = {"activityArn": arn}
        if worker is not None:
            body["workerName"] = worker
        return self.sfn(server, "GetActivityTask", body)

    def poll_in_background(self, server, worker="worker-1"):
        """Starts a GetActivityTask in a thread; the result holds status, body and the time it returned."""
        result = {}

        def run():
            result["status"], result["body"] = self.poll(server, worker)
            result["returned"] = time.monotonic()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        result["thread"] = thread
        return result

    def take_task(self, server, worker="worker-1"):
        status, body = self.poll(server, worker)
        self.assertEqual(200, status, body)
        self.assertIn("taskToken", body, body)
        return body

    def run_machine(self, server, name, execution="run-1", application=INPUT):
        return self.start_execution(server, application, name=execution, state_machine_arn=machine_arn(name))

    def wait_for_history_type(self, server, execution_arn, wanted):
        return wait_until(lambda: [e for e in self.history(server, execution_arn) if e["type"] == wanted], 10,
                          what=f"{wanted} in the history of {execution_arn}")


class ActivityApiTest(ActivityTestCase):
    def test_create_describe_list_and_delete(self):
        server = self.start()
        created = self.create_activity(server)
        self.assertEqual(ACTIVITY_ARN, created["activityArn"])
        self.assert_epoch_seconds_of_now(created["creationDate"])
        self.assertEqual(created, self.create_activity(server), "CreateActivity is idempotent on the name")

        status, described = self.sfn(server, "DescribeActivity", {"activityArn": ACTIVITY_ARN})
        self.assertEqual(200, status, described)
        self.assertEqual({"activityArn": ACTIVITY_ARN, "name": ACTIVITY, "creationDate": created["creationDate"]},
                         described)
        self.assertEqual(ACTIVITY_ARN, self.redis.command("HGET", ACTIVITY_KEY, "arn"))
        self.assertIsNotNone(self.redis.command("ZSCORE", ACTIVITIES_INDEX_KEY, ACTIVITY))

        status, body = self.sfn(server, "DeleteActivity", {"activityArn": ACTIVITY_ARN})
        self.assertEqual((200, {}), (status, body))
        status, body = self.sfn(server, "DeleteActivity", {"activityArn": ACTIVITY_ARN})
        self.assertEqual((200, {}), (status, body), "deleting an activity that is gone is no error")
        self.assert_aws_error(self.sfn(server, "DescribeActivity", {"activityArn": ACTIVITY_ARN}),
                              "ActivityDoesNotExist", f"Activity Does Not Exist: '{ACTIVITY_ARN}'")
        self.assert_aws_error(self.poll(server), "ActivityDoesNotExist", f"Activity Does Not Exist: '{ACTIVITY_ARN}'")
        self.assertEqual(0, self.redis.command("EXISTS", ACTIVITY_KEY))
        self.assertIsNone(self.redis.command("ZSCORE", ACTIVITIES_INDEX_KEY, ACTIVITY))

    def test_list_activities_pages_oldest_first(self):
        server = self.start()
        names = ["first", "second.v2", "third-3"]
        for name in names:
            self.create_activity(server, name)
            time.sleep(0.002)
        status, page = self.sfn(server, "ListActivities", {"maxResults": 2})
        self.assertEqual(200, status, page)
        self.assertEqual(names[:2], [item["name"] for item in page["activities"]])
        self.assertEqual(f"arn:aws:states:{REGION}:{ACCOUNT}:activity:first", page["activities"][0]["activityArn"])
        self.assertIn("creationDate", page["activities"][0])
        status, rest = self.sfn(server, "ListActivities", {"maxResults": 2, "nextToken": page["nextToken"]})
        self.assertEqual(200, status, rest)
        self.assertEqual(names[2:], [item["name"] for item in rest["activities"]])
        self.assertNotIn("nextToken", rest)
        self.assert_aws_error(self.sfn(server, "ListActivities", {"nextToken": "garbage"}), "InvalidToken")
        self.assert_aws_error(self.sfn(server, "ListActivities", {"maxResults": 1001}), "ValidationException")

    def test_bad_names_and_arns(self):
        server = self.start()
        for name in ["TestActivity InvalidName$", "a/b", "a:b", "a*b", "tab\there"]:
            self.assert_aws_error(self.sfn(server, "CreateActivity", {"name": name}), "InvalidName",
                                  f"Invalid Name: '{name}'")
        self.assert_aws_error(self.sfn(server, "CreateActivity", {}), "ValidationException",
                              "1 validation error detected: Value at 'name' failed to satisfy constraint: "
                              "Member must not be null")
        self.assert_aws_error(self.sfn(server, "CreateActivity", {"name": "x" * 81}), "ValidationException")
        self.create_activity(server, "x" * 80)

        for operation in ["DescribeActivity", "DeleteActivity", "GetActivityTask"]:
            self.assert_aws_error(self.sfn(server, operation, {"activityArn": "not_an_activity_arn"}), "InvalidArn",
                                  "Invalid Arn: 'Invalid ARN prefix: not_an_activity_arn'")
            self.assert_aws_error(self.sfn(server, operation, {"activityArn": machine_arn("ActivityMachine")}),
                                  "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: statemachine'")
            broken = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:"
            self.assert_aws_error(self.sfn(server, operation, {"activityArn": broken}), "InvalidArn",
                                  f"Invalid Arn: 'Invalid ARN prefix: {broken}'")
            self.assert_aws_error(self.sfn(server, operation, {}), "ValidationException")

        self.create_activity(server)
        elsewhere = f"arn:aws:states:eu-west-1:{ACCOUNT}:activity:{ACTIVITY}"
        self.assert_aws_error(self.sfn(server, "DescribeActivity", {"activityArn": elsewhere}),
                              "ActivityDoesNotExist", f"Activity Does Not Exist: '{elsewhere}'")
        self.assert_aws_error(self.poll(server, worker="w" * 81), "ValidationException")
        self.assert_aws_error(self.poll(server, worker=""), "ValidationException")


class ActivityTaskTest(ActivityTestCase):
    def test_worker_loop_with_heartbeats_records_the_activity_events(self):
        server = self.start()
        self.create_activity(server)
        execution = self.run_machine(server, "ActivityMachine")
        # The task is queued just after its ActivityScheduled is committed.
        wait_until(lambda: self.redis.command("LLEN", QUEUE_KEY) == 1, 5, what="the task in its activity's queue")
        task = self.take_task(server, "worker-1")
        self.assertEqual(INPUT, json.loads(task["input"]))
        self.assertEqual(0, self.redis.command("LLEN", QUEUE_KEY))

        # HeartbeatSeconds 10 is 0.5 s here: heartbeats keep the task alive three times as long.
        for _ in range(8):
            time.sleep(0.2)
            self.assertEqual((200, {}), self.sfn(server, "SendTaskHeartbeat", {"taskToken": task["taskToken"]}))
        self.assertEqual("RUNNING", self.describe(server, execution)["status"])
        output = '{"done":true}'
        self.assertEqual((200, {}), self.sfn(server, "SendTaskSuccess",
                                             {"taskToken": task["taskToken"], "output": output}))
        self.assertEqual(output, self.wait_for_status(server, execution, "SUCCEEDED")["output"])

        self.assertEqual([
            (1, 0, "ExecutionStarted", {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/ActivityMachineRole",
                                        "input": SENT_INPUT, "inputDetails": untruncated()}),
            (2, 0, "TaskStateEntered", {"name": "Work", "input": STATE_INPUT, "inputDetails": untruncated()}),
            (3, 2, "ActivityScheduled", {"resource": ACTIVITY_ARN, "input": STATE_INPUT, "inputDetails": untruncated(),
                                         "timeoutInSeconds": 600, "heartbeatInSeconds": 10}),
            (4, 3, "ActivityStarted", {"workerName": "worker-1"}),
            (5, 4, "ActivitySucceeded", {"output": output, "outputDetails": untruncated()}),
            (6, 5, "TaskStateExited", {"name": "Work", "output": output, "outputDetails": untruncated()}),
            (7, 6, "ExecutionSucceeded", {"output": output, "outputDetails": untruncated()}),
        ], compact(self.history(server, execution)))
        self.assert_aws_error(self.sfn(server, "SendTaskSuccess", {"taskToken": task["taskToken"], "output": "{}"}),
                              "TaskTimedOut", harness.TASK_CLOSED)

    def test_worker_without_a_name_and_a_failure(self):
        server = self.start()
        self.create_activity(server)
        execution = self.run_machine(server, "ActivityMachine")
        task = self.take_task(server, worker=None)
        self.assertEqual((200, {}), self.sfn(server, "SendTaskFailure", {"taskToken": task["taskToken"],
                                                                         "error": "Programmatic Error",
                                                                         "cause": "it broke"}))
        failed = self.wait_for_status(server, execution, "FAILED")
        self.assertEqual(("Programmatic Error", "it broke"), (failed["error"], failed["cause"]))
        self.assertEqual([
            "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityFailed",
            "ExecutionFailed"], [event["type"] for event in self.history(server, execution)])
        events = compact(self.history(server, execution))
        self.assertEqual({}, events[3][3], "a worker without a name: empty ActivityStarted details, as AWS records")
        self.assertEqual({"error": "Programmatic Error", "cause": "it broke"}, events[4][3])

    def test_retry_then_catch_an_activity_failure(self):
        server = self.start()
        self.create_activity(server)
        execution = self.run_machine(server, "RetryingActivityMachine")
        first = self.take_task(server, "first")
        self.sfn(server, "SendTaskFailure", {"taskToken": first["taskToken"], "error": "Boom", "cause": "one"})
        second = self.take_task(server, "second")
        self.assertNotEqual(first["taskToken"], second["taskToken"], "each attempt has its own token")
        self.sfn(server, "SendTaskFailure", {"taskToken": second["taskToken"], "error": "Boom", "cause": "two"})
        succeeded = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual({"a": 1, "error": {"Error": "Boom", "Cause": "two"}}, json.loads(succeeded["output"]))
        events = compact(self.history(server, execution))
        self.assertEqual([
            "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityFailed",
            "ActivityScheduled", "ActivityStarted", "ActivityFailed", "TaskStateExited", "PassStateEntered",
            "PassStateExited", "ExecutionSucceeded"], [event[2] for event in events])
        self.assertEqual([{"workerName": "first"}, {"workerName": "second"}],
                         [event[3] for event in events if event[2] == "ActivityStarted"])

    def test_missing_activity_fails_the_execution_at_once(self):
        server = self.start()
        execution = self.run_machine(server, "MissingActivityMachine")
        failed = self.wait_for_status(server, execution, "FAILED")
        cause = (f"An error occurred while executing the state 'Work' (entered at the event id #2). "
                 f"The activity {MISSING_ARN} does not exist.")
        self.assertEqual(("States.Runtime", cause), (failed["error"], failed["cause"]))
        self.assertEqual([
            (1, 0, "ExecutionStarted", {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/MissingActivityMachineRole",
                                        "input": SENT_INPUT, "inputDetails": untruncated()}),
            (2, 0, "TaskStateEntered", {"name": "Work", "input": STATE_INPUT, "inputDetails": untruncated()}),
            (3, 2, "ExecutionFailed", {"error": "States.Runtime", "cause": cause}),
        ], compact(self.history(server, execution)))

    def test_task_times_out_in_the_queue_and_is_skipped(self):
        server = self.start(ACTIVITY_POLL_SECONDS="0.5")
        self.create_activity(server)
        execution = self.run_machine(server, "QuickTimeoutMachine")
        failed = self.wait_for_status(server, execution, "FAILED")
        self.assertEqual("States.Timeout", failed["error"])
        events = compact(self.history(server, execution))
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityTimedOut",
                          "ExecutionFailed"], [event[2] for event in events])
        self.assertEqual({"error": "States.Timeout"}, events[3][3])
        self.assertEqual(2, events[2][3]["timeoutInSeconds"])
        self.assertEqual(1, self.redis.command("LLEN", QUEUE_KEY), "the closed task still sits in the queue")
        status, body = self.poll(server)
        self.assertEqual((200, {}), (status, body), "a worker never gets a task that has closed")
        self.assertEqual(0, self.redis.command("LLEN", QUEUE_KEY))

    def test_missed_heartbeat_times_the_activity_out(self):
        server = self.start()
        self.create_activity(server)
        waiting = self.poll_in_background(server)
        time.sleep(0.2)
        execution = self.run_machine(server, "HeartbeatMachine")
        waiting["thread"].join(10)
        token = waiting["body"]["taskToken"]
        failed = self.wait_for_status(server, execution, "FAILED")  # HeartbeatSeconds 4: 0.2 s without a heartbeat
        self.assertEqual("States.Timeout", failed["error"])
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                          "ActivityTimedOut", "ExecutionFailed"],
                         [event["type"] for event in self.history(server, execution)])
        self.assert_aws_error(self.sfn(server, "SendTaskHeartbeat", {"taskToken": token}), "TaskTimedOut",
                              harness.TASK_CLOSED)

    def test_delete_activity_drops_its_queued_tasks(self):
        server = self.start()
        self.create_activity(server)
        self.run_machine(server, "ActivityMachine")
        wait_until(lambda: self.redis.command("LLEN", QUEUE_KEY) == 1, 5, what="the task in the activity's queue")
        self.assertEqual((200, {}), self.sfn(server, "DeleteActivity", {"activityArn": ACTIVITY_ARN}))
        self.assertEqual(0, self.redis.command("EXISTS", QUEUE_KEY))
        self.assert_aws_error(self.poll(server), "ActivityDoesNotExist")

    def test_full_queue_fails_the_schedule(self):
        server = self.start(ACTIVITY_MAX_QUEUED_TASKS="1")
        self.create_activity(server)
        self.run_machine(server, "ActivityMachine", execution="queued")
        wait_until(lambda: self.redis.command("LLEN", QUEUE_KEY) == 1, 5, what="the first task in the queue")
        execution = self.run_machine(server, "ActivityMachine", execution="refused")
        failed = self.wait_for_status(server, execution, "FAILED")
        cause = f"Too many tasks of the activity {ACTIVITY_ARN} wait for a worker"
        self.assertEqual(("ActivityQueueFull", cause), (failed["error"], failed["cause"]))
        events = compact(self.history(server, execution))
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityScheduleFailed",
                          "ExecutionFailed"], [event[2] for event in events])
        self.assertEqual({"error": "ActivityQueueFull", "cause": cause}, events[3][3])
        self.assertEqual(1, self.redis.command("LLEN", QUEUE_KEY))


class LongPollTest(ActivityTestCase):
    def test_long_poll_returns_as_soon_as_a_task_is_queued(self):
        server = self.start(ACTIVITY_POLL_SECONDS="10")
        self.create_activity(server)
        waiting = self.poll_in_background(server)
        time.sleep(0.3)
        self.assertTrue(waiting["thread"].is_alive(), "the poll waits while nothing is queued")
        started = time.monotonic()
        self.run_machine(server, "ActivityMachine")
        waiting["thread"].join(10)
        self.assertEqual(200, waiting["status"], waiting["body"])
        self.assertIn("taskToken", waiting["body"])
        self.assertLess(waiting["returned"] - started, 0.3)

    def test_long_poll_ends_without_a_task_at_its_deadline(self):
        server = self.start(ACTIVITY_POLL_SECONDS="0.5")
        self.create_activity(server)
        started = time.monotonic()
        self.assertEqual((200, {}), self.poll(server))
        self.assertGreaterEqual(time.monotonic() - started, 0.45)
        self.assertLess(time.monotonic() - started, 2)

    def test_a_poller_that_went_away_does_not_swallow_the_task(self):
        server = self.start(ACTIVITY_POLL_SECONDS="10")
        self.create_activity(server)
        body = json.dumps({"activityArn": ACTIVITY_ARN, "workerName": "gone"}).encode()
        head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                f"X-Amz-Target: AWSStepFunctions.GetActivityTask\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
            connection.sendall(head + body)
            time.sleep(0.3)  # the poll now waits on its suspended request
        execution = self.run_machine(server, "ActivityMachine")
        task = self.take_task(server, "second")
        self.assertEqual(INPUT, json.loads(task["input"]))
        started = [event for event in self.history(server, execution) if event["type"] == "ActivityStarted"]
        self.assertEqual([{"workerName": "second"}], [event["activityStartedEventDetails"] for event in started])

    def test_too_many_waiting_pollers_are_refused(self):
        server = self.start(ACTIVITY_POLL_SECONDS="1", ACTIVITY_MAX_POLLERS="1")
        self.create_activity(server)
        waiting = self.poll_in_background(server)
        time.sleep(0.2)
        self.assert_aws_error(self.poll(server, "second"), "ActivityWorkerLimitExceeded")
        waiting["thread"].join(10)
        self.assertEqual((200, {}), (waiting["status"], waiting["body"]))

    def test_shutdown_answers_waiting_pollers_without_a_task(self):
        server = self.start(ACTIVITY_POLL_SECONDS="30")
        self.create_activity(server)
        waiting = self.poll_in_background(server)
        time.sleep(0.2)
        started = time.monotonic()
        server.check_clean_exit(server.stop())
        waiting["thread"].join(10)
        self.assertEqual((200, {}), (waiting["status"], waiting["body"]))
        self.assertLess(waiting["returned"] - started, 2)

    def test_task_queued_on_one_loan_processor_is_polled_on_another(self):
        first = self.start(ACTIVITY_POLL_SECONDS="10")
        second = self.start(ACTIVITY_POLL_SECONDS="10")
        self.create_activity(first)
        waiting = self.poll_in_background(second, "worker-b")
        time.sleep(0.2)
        started = time.monotonic()
        execution = self.run_machine(first, "ActivityMachine")
        waiting["thread"].join(10)
        self.assertEqual(200, waiting["status"], waiting["body"])
        self.assertLess(waiting["returned"] - started, 1, "other processes' tasks are found by the periodic look")
        token = waiting["body"]["taskToken"]
        self.assertEqual((200, {}), self.sfn(second, "SendTaskSuccess", {"taskToken": token, "output": '"ok"'}))
        self.assertEqual('"ok"', self.wait_for_status(first, execution, "SUCCEEDED")["output"])
        started_events = [e for e in self.history(first, execution) if e["type"] == "ActivityStarted"]
        self.assertEqual([{"workerName": "worker-b"}], [e["activityStartedEventDetails"] for e in started_events])


if __name__ == "__main__":
    harness.main()
