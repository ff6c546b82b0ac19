"""End-to-end: RedriveExecution, DescribeExecution's redrive fields and ListExecutions' redriveFilter, with boto3.

The Task that fails and then succeeds is an activity's: the test is its worker, and answers SendTaskFailure on
the first run and SendTaskSuccess after the redrive. Real redis-server, real loan-processor, real HTTP.
"""

import datetime
import json
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import harness
from harness import ACCOUNT, REGION, StackTestCase, machine_arn, wait_until

ACTIVITY = "redrive-worker"
ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{ACTIVITY}"


def work(**fields):
    return dict({"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 600}, **fields)


MACHINES = {
    # Prepare (Pass) -> Work (the activity) -> Done.
    "RedriveSimple": {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": {"prepared": True}, "ResultPath": "$.prep", "Next": "Work"},
            "Work": work(Next="Done"),
            "Done": {"Type": "Succeed"},
        },
    },
    # First's retries are exhausted, it is caught, then Check fails uncaught after one retry of its own.
    "RedriveRetryCatch": {
        "StartAt": "First",
        "States": {
            "First": work(Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                          Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Check"}],
                          Next="Check"),
            "Check": work(Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 1}], End=True),
        },
    },
    # Times out while its task waits (TimeoutSeconds 40 is 2 s here).
    "RedriveTimeout": {"TimeoutSeconds": 40, "StartAt": "Work", "States": {"Work": work(End=True)}},
    # Two branches: Quick succeeds at once, Slow waits for the activity (which fails the first time).
    "RedriveParallel": {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Next": "Both"},
            "Both": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "Result": "quick", "End": True}}},
                {"StartAt": "Slow", "States": {"Slow": work(End=True)}},
            ]},
        },
    },
    # Five items, each an iteration waiting for the activity; the iteration's input names its redrive count.
    "RedriveMap": {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                     "ItemSelector": {"value.$": "$$.Map.Item.Value", "redrives.$": "$$.Execution.RedriveCount"},
                     "ItemProcessor": {"StartAt": "Item", "States": {"Item": work(End=True)}}},
        },
    },
    # The same one at a time: the items after the failed one never start.
    "RedriveMapSequential": {
        "StartAt": "Each",
        "States": {
            "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
                     "ItemProcessor": {"StartAt": "Item", "States": {"Item": work(End=True)}}},
        },
    },
    # The context object's redrive fields, before and after a redrive.
    "RedriveContext": {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Parameters": {"count.$": "$$.Execution.RedriveCount"}, "ResultPath": "$.before",
                       "Next": "Work"},
            "Work": work(ResultPath=None, Next="After"),
            "After": {"Type": "Pass", "ResultPath": "$.after", "End": True,
                      "Parameters": {"count.$": "$$.Execution.RedriveCount", "time.$": "$$.Execution.RedriveTime"}},
        },
    },
    # A Map inside a Parallel's branch.
    "RedriveNested": {
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "Result": "quick", "End": True}}},
                {"StartAt": "Inner", "States": {"Inner": {
                    "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
                    "ItemProcessor": {"StartAt": "Item", "States": {"Item": work(End=True)}}}}},
            ]},
        },
    },
    # Branch 0 holds a Map of the items (after a Pass); branch 1 succeeds at once.
    "RedriveParallelOfMap": {
        "StartAt": "Outer",
        "States": {
            "Outer": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "Lead", "States": {
                    "Lead": {"Type": "Pass", "Next": "Items"},
                    "Items": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                              "ItemProcessor": {"StartAt": "Piece", "States": {"Piece": work(End=True)}}}}},
                {"StartAt": "Other", "States": {"Other": {"Type": "Pass", "Result": "other", "End": True}}},
            ]},
        },
    },
    # Each iteration: a Pass, then a Parallel of an activity (Left) and a Pass (Right).
    "RedriveMapOfParallel": {
        "StartAt": "Every",
        "States": {
            "Every": {"Type": "Map", "ItemsPath": "$.items", "End": True, "ItemProcessor": {
                "StartAt": "Prep",
                "States": {
                    "Prep": {"Type": "Pass", "Next": "Pair"},
                    "Pair": {"Type": "Parallel", "End": True, "Branches": [
                        {"StartAt": "Left", "States": {"Left": work(End=True)}},
                        {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": "right", "End": True}}},
                    ]}}}},
        },
    },
    # A distributed Map: each item a child execution of a Map Run.
    "RedriveDistributed": {
        "StartAt": "Each",
        "States": {
            "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                     "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                       "StartAt": "Item", "States": {"Item": work(End=True)}}},
        },
    },
    "RedriveSucceeds": {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}},
}


class RedriveTest(StackTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_loan_processor(extra_state_machines=MACHINES, ACTIVITY_POLL_SECONDS="5")
        self.client = boto3.client("stepfunctions", endpoint_url=self.server.base_url, region_name=REGION,
                                   aws_access_key_id="test", aws_secret_access_key="test",
                                   config=Config(retries={"max_attempts": 1}))
        self.client.create_activity(name=ACTIVITY)

    def start(self, machine, name, application=None):
        return self.client.start_execution(stateMachineArn=machine_arn(machine), name=name,
                                           input=json.dumps(application or {"a": 1}))["executionArn"]

    def take_task(self):
        task = self.client.get_activity_task(activityArn=ACTIVITY_ARN, workerName="w")
        self.assertIn("taskToken", task, task)
        return task

    def fail_task(self):
        self.client.send_task_failure(taskToken=self.take_task()["taskToken"], error="Boom", cause="valuation down")

    def succeed_task(self, output='{"ok":true}'):
        task = self.take_task()
        self.client.send_task_success(taskToken=task["taskToken"], output=output)
        return task

    def wait_status(self, arn, status):
        return wait_until(lambda: self.client.describe_execution(executionArn=arn)["status"] == status and
                          self.client.describe_execution(executionArn=arn), 10, what=f"{arn} {status}")

    def events(self, arn):
        return self.client.get_execution_history(executionArn=arn, maxResults=1000)["events"]

    def entered(self, arn, state):
        return [e for e in self.events(arn)
                if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == state]

    def assert_not_redrivable(self, arn, message):
        with self.assertRaises(ClientError) as raised:
            self.client.redrive_execution(executionArn=arn)
        error = raised.exception.response["Error"]
        self.assertEqual(("ExecutionNotRedrivable", message), (error["Code"], error["Message"]))

    def test_failed_execution_redrives_from_the_failed_state_to_success(self):
        arn = self.start("RedriveSimple", "simple")
        self.fail_task()
        failed = self.wait_status(arn, "FAILED")
        self.assertEqual(("REDRIVABLE", 0), (failed["redriveStatus"], failed["redriveCount"]))
        self.assertNotIn("redriveDate", failed)
        before = self.events(arn)

        redriven = self.client.redrive_execution(executionArn=arn, clientToken="token-1")
        self.assertAlmostEqual(time.time(), redriven["redriveDate"].timestamp(), delta=60)
        again = self.client.redrive_execution(executionArn=arn, clientToken="token-1")
        self.assertEqual(redriven["redriveDate"], again["redriveDate"], "the same client token: the same answer")
        running = self.client.describe_execution(executionArn=arn)
        self.assertEqual("RUNNING", running["status"])
        self.assertNotIn("stopDate", running)
        self.assertEqual(1, running["redriveCount"])
        self.assertEqual("NOT_REDRIVABLE", running["redriveStatus"])
        self.assertEqual("Execution is RUNNING and cannot be redriven", running["redriveStatusReason"])
        self.assert_not_redrivable(arn, "Execution is RUNNING and cannot be redriven")

        task = self.succeed_task()
        self.assertEqual({"a": 1, "prep": {"prepared": True}}, json.loads(task["input"]), "the same input")
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual((1, "NOT_REDRIVABLE"), (done["redriveCount"], done["redriveStatus"]))
        self.assertEqual("Execution is SUCCEEDED and cannot be redriven", done["redriveStatusReason"])
        self.assertEqual(redriven["redriveDate"], done["redriveDate"])

        events = self.events(arn)
        self.assertEqual([e["id"] for e in before], [e["id"] for e in events[:len(before)]], "earlier events kept")
        redrive = events[len(before)]
        self.assertEqual(("ExecutionRedriven", {"redriveCount": 1}, len(before) + 1, len(before)),
                         (redrive["type"], redrive["executionRedrivenEventDetails"], redrive["id"],
                          redrive["previousEventId"]))
        self.assertEqual(("TaskStateEntered", "Work"),
                         (events[len(before) + 1]["type"], events[len(before) + 1]["stateEnteredEventDetails"]["name"]))
        self.assertEqual(list(range(1, len(events) + 1)), [e["id"] for e in events], "ids continue")
        self.assertEqual(1, len(self.entered(arn, "Prepare")), "the successful state is not run again")
        self.assertEqual(2, len(self.entered(arn, "Work")))
        self.assertEqual("ExecutionSucceeded", events[-1]["type"])
        self.assert_not_redrivable(arn, "Execution is SUCCEEDED and cannot be redriven")

    def test_redrive_after_a_failure_inside_retry_and_catch_resets_the_retry_counts(self):
        arn = self.start("RedriveRetryCatch", "retry-catch")
        self.fail_task()
        self.fail_task()  # First's retry: exhausted, caught, on to Check
        self.fail_task()
        self.fail_task()  # Check's retry: exhausted, uncaught
        self.wait_status(arn, "FAILED")
        self.client.redrive_execution(executionArn=arn)
        self.fail_task()  # Check again: its retry counts start over, so this failure is retried
        self.succeed_task()
        self.wait_status(arn, "SUCCEEDED")
        self.assertEqual(1, len(self.entered(arn, "First")), "First is not run again")
        self.assertEqual(2, len(self.entered(arn, "Check")))
        types = [e["type"] for e in self.events(arn)]
        after = types[types.index("ExecutionRedriven"):]
        self.assertEqual(2, after.count("ActivityFailed") + after.count("ActivitySucceeded"), after)
        self.assertEqual(1, after.count("ActivityFailed"))

    def test_aborted_and_timed_out_executions_redrive(self):
        stopped = self.start("RedriveSimple", "stopped")
        wait_until(lambda: self.entered(stopped, "Work"), 10, what="Work entered")
        self.client.stop_execution(executionArn=stopped)
        self.assertEqual("REDRIVABLE", self.wait_status(stopped, "ABORTED")["redriveStatus"])
        self.client.redrive_execution(executionArn=stopped)
        self.succeed_task()  # the aborted task's token is closed: the one taken now is the redriven one's
        self.wait_status(stopped, "SUCCEEDED")
        self.assertEqual(1, len(self.entered(stopped, "Prepare")))

        timed_out = self.start("RedriveTimeout", "timed-out")
        self.wait_status(timed_out, "TIMED_OUT")
        self.client.redrive_execution(executionArn=timed_out)
        self.assertEqual("RUNNING", self.client.describe_execution(executionArn=timed_out)["status"])
        self.succeed_task()  # the first run's task, closed, is skipped by GetActivityTask
        done = self.wait_status(timed_out, "SUCCEEDED")
        self.assertEqual(1, done["redriveCount"])

    def test_a_parallel_reruns_only_its_failed_branch(self):
        arn = self.start("RedriveParallel", "parallel")
        self.fail_task()
        self.wait_status(arn, "FAILED")
        self.client.redrive_execution(executionArn=arn)
        task = self.succeed_task('"slow"')
        self.assertEqual({"a": 1}, json.loads(task["input"]))
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual(["quick", "slow"], json.loads(done["output"]))
        self.assertEqual((1, 1, 1, 2), (len(self.entered(arn, "Before")), len(self.entered(arn, "Both")),
                                        len(self.entered(arn, "Quick")), len(self.entered(arn, "Slow"))),
                         "only the failed branch runs again")

        stopped = self.start("RedriveParallel", "parallel-stopped")
        wait_until(lambda: self.entered(stopped, "Slow"), 10, what="Slow entered")
        self.client.stop_execution(executionArn=stopped)
        self.wait_status(stopped, "ABORTED")
        self.client.redrive_execution(executionArn=stopped)
        self.succeed_task('"again"')
        self.assertEqual(["quick", "again"], json.loads(self.wait_status(stopped, "SUCCEEDED")["output"]))
        self.assertEqual((1, 2), (len(self.entered(stopped, "Quick")), len(self.entered(stopped, "Slow"))))

    def iterations(self, arn):
        return [e["mapIterationStartedEventDetails"]["index"] for e in self.events(arn)
                if e["type"] == "MapIterationStarted"]

    def test_an_inline_map_reruns_only_its_failed_iterations(self):
        arn = self.start("RedriveMap", "map", {"items": [1, 2, 3, 4, 5]})
        tasks = {}
        for _ in range(5):
            task = self.take_task()
            tasks[json.loads(task["input"])["value"]] = task["taskToken"]
        self.assertEqual([1, 2, 3, 4, 5], sorted(tasks))
        for value in (1, 2, 4, 5):
            self.client.send_task_success(taskToken=tasks[value], output=json.dumps(value * 10))
        wait_until(lambda: sum(e["type"] == "ActivitySucceeded" for e in self.events(arn)) == 4, 10)
        self.client.send_task_failure(taskToken=tasks[3], error="Boom", cause="item 3")
        self.wait_status(arn, "FAILED")

        self.client.redrive_execution(executionArn=arn)
        task = self.succeed_task("30")
        self.assertEqual({"value": 3, "redrives": 1}, json.loads(task["input"]), "its item, in the redriven context")
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual([10, 20, 30, 40, 50], json.loads(done["output"]), "every output, in order")
        self.assertEqual((1, 1, 6), (len(self.entered(arn, "Before")), len(self.entered(arn, "Each")),
                                     len(self.entered(arn, "Item"))), "only the failed iteration runs again")
        self.assertEqual([0, 1, 2, 3, 4, 2], self.iterations(arn))
        types = [e["type"] for e in self.events(arn)]
        self.assertEqual(["ExecutionRedriven", "MapIterationStarted"], types[types.index("ExecutionRedriven"):][:2])
        self.assertEqual(1, types.count("MapStateStarted"), "the Map is not started again")

    def test_a_sequential_map_starts_the_iterations_that_never_started_in_order(self):
        arn = self.start("RedriveMapSequential", "sequential", {"items": [1, 2, 3, 4, 5]})
        self.succeed_task("10")
        self.succeed_task("20")
        self.fail_task()
        self.wait_status(arn, "FAILED")
        self.assertEqual([0, 1, 2], self.iterations(arn), "the items after the failed one never started")

        self.client.redrive_execution(executionArn=arn)
        for value in (3, 4, 5):
            task = self.succeed_task(json.dumps(value * 10))
            self.assertEqual(value, json.loads(task["input"]), "one at a time, in order")
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual([10, 20, 30, 40, 50], json.loads(done["output"]))
        self.assertEqual([0, 1, 2, 2, 3, 4], self.iterations(arn))

    def test_a_fork_nested_in_a_branch_reruns_only_its_failed_iterations(self):
        arn = self.start("RedriveNested", "nested", {"items": [1, 2]})
        self.succeed_task("10")
        self.fail_task()
        self.wait_status(arn, "FAILED")
        self.client.redrive_execution(executionArn=arn)
        self.assertEqual(2, json.loads(self.succeed_task("20")["input"]), "the failed iteration only")
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual(["quick", [10, 20]], json.loads(done["output"]))
        self.assertEqual((1, 1, 1, 3), (len(self.entered(arn, "Both")), len(self.entered(arn, "Quick")),
                                        len(self.entered(arn, "Inner")), len(self.entered(arn, "Item"))))

    def entered_inputs(self, arn, state):
        return sorted(e["stateEnteredEventDetails"]["input"] for e in self.entered(arn, state))

    def test_a_map_in_a_parallel_branch_reruns_only_its_failed_item(self):
        arn = self.start("RedriveParallelOfMap", "parallel-of-map", {"items": [0, 1, 2, 3]})
        tasks = {}
        for _ in range(4):
            task = self.take_task()
            tasks[json.loads(task["input"])] = task["taskToken"]
        for value in (0, 1, 3):
            self.client.send_task_success(taskToken=tasks[value], output=json.dumps(value * 10))
        wait_until(lambda: sum(e["type"] == "ActivitySucceeded" for e in self.events(arn)) == 3, 10)
        self.client.send_task_failure(taskToken=tasks[2], error="Boom", cause="item 2")
        self.wait_status(arn, "FAILED")
        before = len(self.events(arn))

        self.client.redrive_execution(executionArn=arn)
        self.assertEqual(2, json.loads(self.succeed_task("20")["input"]), "item 2 only")
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual([[0, 10, 20, 30], "other"], json.loads(done["output"]))
        self.assertEqual(["0", "1", "2", "2", "3"], self.entered_inputs(arn, "Piece"), "items 0, 1, 3 entered once")
        self.assertEqual((1, 1, 1, 1), (len(self.entered(arn, "Outer")), len(self.entered(arn, "Lead")),
                                        len(self.entered(arn, "Items")), len(self.entered(arn, "Other"))),
                         "branch 1 and what branch 0 did before its Map are not run again")
        after = self.events(arn)[before:]
        self.assertEqual(["ExecutionRedriven", "MapIterationStarted"], [e["type"] for e in after[:2]])
        self.assertEqual([2], [e["mapIterationStartedEventDetails"]["index"] for e in after
                               if e["type"] == "MapIterationStarted"])
        types = [e["type"] for e in self.events(arn)]
        self.assertEqual((1, 1, 1), (types.count("MapStateStarted"), types.count("ParallelStateStarted"),
                                     types.count("MapStateSucceeded")))
        self.assertEqual(list(range(1, len(types) + 1)), [e["id"] for e in self.events(arn)], "ids continue")

    def test_a_stopped_parallel_keeps_what_its_nested_map_finished(self):
        arn = self.start("RedriveParallelOfMap", "parallel-of-map-stopped", {"items": [0, 1, 2, 3]})
        tasks = {}
        for _ in range(4):
            task = self.take_task()
            tasks[json.loads(task["input"])] = task["taskToken"]
        for value in (0, 1):
            self.client.send_task_success(taskToken=tasks[value], output=json.dumps(value * 10))
        wait_until(lambda: sum(e["type"] == "ActivitySucceeded" for e in self.events(arn)) == 2, 10)
        self.client.stop_execution(executionArn=arn)
        self.wait_status(arn, "ABORTED")

        self.client.redrive_execution(executionArn=arn)
        rerun = []
        for _ in range(2):
            task = self.take_task()
            rerun.append(json.loads(task["input"]))
            self.client.send_task_success(taskToken=task["taskToken"], output=json.dumps(rerun[-1] * 10))
        self.assertEqual([2, 3], sorted(rerun), "the items that had not finished")
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual([[0, 10, 20, 30], "other"], json.loads(done["output"]))
        self.assertEqual(["0", "1", "2", "2", "3", "3"], self.entered_inputs(arn, "Piece"))
        self.assertEqual((1, 1, 1), (len(self.entered(arn, "Lead")), len(self.entered(arn, "Items")),
                                     len(self.entered(arn, "Other"))))

    def test_a_parallel_in_a_map_iteration_reruns_only_its_failed_branch(self):
        arn = self.start("RedriveMapOfParallel", "map-of-parallel", {"items": [1, 2, 3]})
        tasks = {}
        for _ in range(3):
            task = self.take_task()
            tasks[json.loads(task["input"])] = task["taskToken"]
        for value in (1, 3):
            self.client.send_task_success(taskToken=tasks[value], output=json.dumps(value * 10))
        wait_until(lambda: sum(e["type"] == "ActivitySucceeded" for e in self.events(arn)) == 2, 10)
        self.client.send_task_failure(taskToken=tasks[2], error="Boom", cause="item 2")
        self.wait_status(arn, "FAILED")
        before = len(self.events(arn))

        self.client.redrive_execution(executionArn=arn)
        self.assertEqual(2, json.loads(self.succeed_task("20")["input"]), "the failed branch of item 2 only")
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual([[10, "right"], [20, "right"], [30, "right"]], json.loads(done["output"]))
        self.assertEqual((1, 3, 3, 3, 4), (len(self.entered(arn, "Every")), len(self.entered(arn, "Prep")),
                                           len(self.entered(arn, "Pair")), len(self.entered(arn, "Right")),
                                           len(self.entered(arn, "Left"))), "only item 2's Left runs again")
        self.assertEqual(["1", "2", "2", "3"], self.entered_inputs(arn, "Left"))
        after = [e["type"] for e in self.events(arn)[before:]]
        self.assertEqual("ExecutionRedriven", after[0])
        self.assertNotIn("MapIterationStarted", after, "the iteration rests at its Parallel: not started again")
        self.assertNotIn("ParallelStateStarted", after)

    def test_a_distributed_map_redrives_its_map_run_and_only_its_failed_child_execution(self):
        arn = self.start("RedriveDistributed", "distributed", {"items": [1, 2, 3, 4, 5]})
        tasks = {}
        for _ in range(5):
            task = self.take_task()
            tasks[json.loads(task["input"])] = task["taskToken"]
        for value in (1, 3, 4, 5):
            self.client.send_task_success(taskToken=tasks[value], output=json.dumps(value * 10))
        run = wait_until(lambda: self.client.list_map_runs(executionArn=arn)["mapRuns"], 10)[0]["mapRunArn"]
        wait_until(lambda: self.client.describe_map_run(mapRunArn=run)["executionCounts"]["succeeded"] == 4, 10)
        self.client.send_task_failure(taskToken=tasks[2], error="Boom", cause="item 2")
        self.wait_status(arn, "FAILED")
        children = self.client.list_executions(mapRunArn=run)["executions"]
        failed = [c["executionArn"] for c in children if c["status"] == "FAILED"]
        succeeded = [c["executionArn"] for c in children if c["status"] == "SUCCEEDED"]
        self.assertEqual((1, 4), (len(failed), len(succeeded)))
        self.assertEqual("REDRIVABLE_BY_MAP_RUN", self.client.describe_execution(executionArn=failed[0])["redriveStatus"])
        self.assert_not_redrivable(failed[0], "Execution is a child execution of a Map Run: it is redriven by "
                                              "redriving its parent execution")
        before = {child: self.events(child) for child in succeeded}
        failed_before = self.events(failed[0])

        self.client.redrive_execution(executionArn=arn)
        task = self.succeed_task("20")
        self.assertEqual(2, json.loads(task["input"]), "only the failed child runs again")
        done = self.wait_status(arn, "SUCCEEDED")
        self.assertEqual([10, 20, 30, 40, 50], json.loads(done["output"]), "every result, in order")
        runs = self.client.list_map_runs(executionArn=arn)["mapRuns"]
        self.assertEqual([run], [r["mapRunArn"] for r in runs], "the same Map Run")
        described = wait_until(lambda: (lambda d: d["status"] == "SUCCEEDED" and d)(
            self.client.describe_map_run(mapRunArn=run)), 10)
        self.assertEqual(1, described["redriveCount"])
        self.assertAlmostEqual(time.time(), described["redriveDate"].timestamp(), delta=60)
        counts = described["executionCounts"]
        self.assertEqual((0, 5, 0, 0, 5), (counts["running"], counts["succeeded"], counts["failed"],
                                           counts["aborted"], counts["total"]))
        child = self.client.describe_execution(executionArn=failed[0])
        self.assertEqual(("SUCCEEDED", 1, "20"), (child["status"], child["redriveCount"], child["output"]))
        self.assertIn("redriveDate", child)
        child_events = self.events(failed[0])
        redriven = child_events[len(failed_before)]
        self.assertEqual(("ExecutionRedriven", {"redriveCount": 1}, len(failed_before) + 1, len(failed_before)),
                         (redriven["type"], redriven["executionRedrivenEventDetails"], redriven["id"],
                          redriven["previousEventId"]))
        self.assertEqual("TaskStateEntered", child_events[len(failed_before) + 1]["type"])
        self.assertEqual(child_events[-1]["type"], "ExecutionSucceeded")
        for succeeded_child in succeeded:
            self.assertEqual(before[succeeded_child], self.events(succeeded_child), "a succeeded child is not rerun")
        types = [e["type"] for e in self.events(arn)]
        self.assertEqual(["ExecutionRedriven", "MapRunRedriven"], types[types.index("ExecutionRedriven"):][:2])
        self.assertEqual((1, 1, 1), (types.count("MapStateStarted"), types.count("MapRunStarted"),
                                     types.count("MapRunSucceeded")))

    def test_the_context_object_shows_the_redrive(self):
        arn = self.start("RedriveContext", "context")
        self.fail_task()
        self.wait_status(arn, "FAILED")
        redriven = self.client.redrive_execution(executionArn=arn)
        self.succeed_task()
        output = json.loads(self.wait_status(arn, "SUCCEEDED")["output"])
        self.assertEqual(({"count": 0}, 1), (output["before"], output["after"]["count"]))
        redrive_time = datetime.datetime.fromisoformat(output["after"]["time"].replace("Z", "+00:00"))
        self.assertAlmostEqual(redriven["redriveDate"].timestamp(), redrive_time.timestamp(), delta=0.002)

    def test_what_cannot_be_redriven(self):
        arn = self.start("RedriveSucceeds", "succeeded")
        self.wait_status(arn, "SUCCEEDED")
        self.assert_not_redrivable(arn, "Execution is SUCCEEDED and cannot be redriven")
        missing = arn.replace(":succeeded", ":nobody")
        with self.assertRaises(ClientError) as raised:
            self.client.redrive_execution(executionArn=missing)
        self.assertEqual("ExecutionDoesNotExist", raised.exception.response["Error"]["Code"])
        with self.assertRaises(ClientError) as raised:
            self.client.redrive_execution(executionArn="not-an-arn")
        self.assertEqual("InvalidArn", raised.exception.response["Error"]["Code"])

        self.client.create_state_machine(name="Quick", type="EXPRESS", roleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
                                         definition=json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail"}}}))
        express = self.client.start_execution(stateMachineArn=machine_arn("Quick"), name="e")["executionArn"]
        try:
            wait_until(lambda: self.client.describe_execution(executionArn=express)["status"] == "FAILED", 10)
        except ClientError:
            return  # express executions are not kept: nothing to redrive
        self.assert_not_redrivable(express, "Execution of an EXPRESS state machine cannot be redriven")

    def test_list_executions_redrive_filter(self):
        redriven = self.start("RedriveSimple", "one")
        self.fail_task()
        self.wait_status(redriven, "FAILED")
        plain = self.start("RedriveSucceeds", "two")
        self.wait_status(plain, "SUCCEEDED")
        self.client.redrive_execution(executionArn=redriven)

        def names(machine, **filters):
            listed = self.client.list_executions(stateMachineArn=machine_arn(machine), **filters)["executions"]
            return [(item["name"], item["redriveCount"], "redriveDate" in item) for item in listed]

        self.assertEqual([("one", 1, True)], names("RedriveSimple"))
        self.assertEqual([("one", 1, True)], names("RedriveSimple", redriveFilter="REDRIVEN"))
        self.assertEqual([], names("RedriveSimple", redriveFilter="NOT_REDRIVEN"))
        self.assertEqual([("two", 0, False)], names("RedriveSucceeds", redriveFilter="NOT_REDRIVEN"))
        self.assertEqual([], names("RedriveSucceeds", redriveFilter="REDRIVEN"))
        self.assertEqual([("one", 1, True)], names("RedriveSimple", redriveFilter="REDRIVEN", statusFilter="RUNNING"))


if __name__ == "__main__":
    harness.main()
