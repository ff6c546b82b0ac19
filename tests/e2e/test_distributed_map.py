"""End-to-end: the distributed Map (issue 16; docs/execution-model.md "Distributed Map", docs/api.md "Map Runs").

Each item of a Map whose ProcessorConfig.Mode is DISTRIBUTED runs as a child execution of a Map Run, with its own
ARN, status and history. What a user checks: the parent's and the children's statuses, outputs and event types, the
Map Run through DescribeMapRun / ListMapRuns / ListExecutions(mapRunArn), and that stopping works on the parent and
is refused on a child. Real redis-server, real loan-processors and valuation-service, real HTTP.
"""

import json
import re
import time

import boto3
from botocore.config import Config

import harness
from harness import StackTestCase, machine_arn, property_value, wait_until

DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def distributed_map(processor, **fields):
    """A machine whose only state is a distributed Map over $.items (fields added to the Map)."""
    processor = dict(processor, ProcessorConfig=DISTRIBUTED)
    state = dict({"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, "End": True}, **fields)
    return {"StartAt": "M", "States": {"M": state}}


PASS_PROCESSOR = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
FAIL_ON_2_PROCESSOR = {"StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}], "Default": "Ok"},
    "Bad": {"Type": "Fail", "Error": "Bad", "Cause": "item 2 is bad"},
    "Ok": {"Type": "Pass", "End": True}}}
# The iteration of the shipped LoanPortfolioStateMachine.asl.json: one valuation request with its task token.
VALUATION_PROCESSOR = {"StartAt": "RequestPropertyValuation", "States": {"RequestPropertyValuation": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "TimeoutSeconds": 30,
    "Parameters": {"FunctionName": "ValuationRequestFunction",
                   "Payload": {"taskToken.$": "$$.Task.Token", "loanApplication.$": "$"}},
    "End": True}}}

MACHINES = {
    "DistPass": distributed_map(PASS_PROCESSOR, Label="Props"),
    "DistFail": distributed_map(FAIL_ON_2_PROCESSOR, Label="Checks"),
    "DistTolerant": distributed_map(FAIL_ON_2_PROCESSOR, Label="Checks", ToleratedFailureCount=1),
    "DistValuation": distributed_map(VALUATION_PROCESSOR, Label="Valuations"),
    "DistContext": distributed_map({"StartAt": "Who", "States": {"Who": {
        "Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id", "input.$": "$$.Execution.Input",
                                       "machine.$": "$$.StateMachine.Id"}, "End": True}}}, Label="Who"),
    "DistBatched": distributed_map(PASS_PROCESSOR, Label="Batches",
                                   ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"fixed": True}}),
    "DistValuationOneAtATime": distributed_map(VALUATION_PROCESSOR, Label="OneAtATime", MaxConcurrency=1),
}

PASS_CHILD_TYPES = ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def applications(count):
    return [{"applicationReference": f"app-{i}", "property": {"nameOrNumber": str(i), "postcode": "PO1 1CE"}}
            for i in range(count)]


class DistributedMapTestCase(StackTestCase):
    def client(self, server):
        return boto3.client("stepfunctions", endpoint_url=server.base_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}))

    def launch(self, **environment):
        return self.start_loan_processor(extra_state_machines=MACHINES, **environment)

    def run_machine(self, server, name, items, execution="run-1"):
        return self.start_execution(server, {"items": items}, name=execution, state_machine_arn=machine_arn(name))

    def types(self, server, execution):
        return [event["type"] for event in self.all_events(server, execution)]

    def map_run_arn(self, server, execution):
        """The ARN of the execution's only Map Run, as its MapRunStarted event and ListMapRuns give it."""
        events = [event for event in self.all_events(server, execution) if event["type"] == "MapRunStarted"]
        self.assertEqual(1, len(events), events)
        arn = events[0]["mapRunStartedEventDetails"]["mapRunArn"]
        status, runs = self.sfn(server, "ListMapRuns", {"executionArn": execution})
        self.assertEqual(200, status, runs)
        self.assertEqual([arn], [run["mapRunArn"] for run in runs["mapRuns"]])
        return arn

    def describe_map_run(self, server, map_run_arn):
        status, body = self.sfn(server, "DescribeMapRun", {"mapRunArn": map_run_arn})
        self.assertEqual(200, status, body)
        return body

    def children(self, server, map_run_arn):
        """The Map Run's child executions (ListExecutions by mapRunArn, every page)."""
        executions, options = [], {"mapRunArn": map_run_arn, "maxResults": 100}
        while True:
            status, page = self.sfn(server, "ListExecutions", options)
            self.assertEqual(200, status, page)
            executions += page["executions"]
            if not page.get("nextToken"):
                return executions
            options["nextToken"] = page["nextToken"]

    def wait_for_children(self, server, execution, count, what, timeout=20):
        """Waits until the execution's Map Run lists count children for which what(child_arn) holds."""
        def ready():
            status, runs = self.sfn(server, "ListMapRuns", {"executionArn": execution})
            if status != 200 or not runs["mapRuns"]:
                return None
            children = self.children(server, runs["mapRuns"][0]["mapRunArn"])
            return children if len(children) == count and all(what(c["executionArn"]) for c in children) else None
        return wait_until(ready, timeout, interval=0.1, what=f"{count} children")

    def task_token(self, server, child):
        """The task token the child's valuation task was given (its TaskScheduled parameters)."""
        for event in self.all_events(server, child):
            if event["type"] == "TaskScheduled":
                parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
                return parameters["Payload"]["taskToken"]
        self.fail(f"no TaskScheduled in {child}")

    def start_slow_valuation_map(self, count):
        """A stack whose valuation service answers after about 60 s, running DistValuation over count items until
        every child has submitted its request; returns (loan, execution, children)."""
        valuation = self.start_valuation_service(TIME_SCALE="10")
        loan = self.start_loan_processor(valuation_port=valuation.port, extra_state_machines=MACHINES)
        execution = self.run_machine(loan, "DistValuation", applications(count))
        children = self.wait_for_children(loan, execution, count,
                                          lambda child: "TaskSubmitted" in self.types(loan, child))
        return loan, execution, children


class PassTest(DistributedMapTestCase):
    def test_a_pass_processor_over_three_items_runs_three_child_executions(self):
        server = self.launch()
        items = [{"n": 1}, "two", 3]
        execution = self.run_machine(server, "DistPass", items)
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual(items, json.loads(description["output"]))
        self.assertEqual(["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded",
                          "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"], self.types(server, execution))

        map_run = self.map_run_arn(server, execution)
        self.assertIn(":mapRun:DistPass/Props:", map_run)
        sdk = self.client(server)
        run = sdk.describe_map_run(mapRunArn=map_run)
        self.assertEqual("SUCCEEDED", run["status"])
        self.assertEqual(execution, run["executionArn"])
        self.assertEqual((3, 3, 0, 0), tuple(run["itemCounts"][k] for k in ("total", "succeeded", "failed",
                                                                              "running")))
        self.assertEqual(run["itemCounts"], run["executionCounts"])
        self.assertEqual([map_run], [r["mapRunArn"] for r in sdk.list_map_runs(executionArn=execution)["mapRuns"]])

        children = sdk.list_executions(mapRunArn=map_run)["executions"]
        self.assertEqual(3, len(children))
        inputs = []
        for child in children:
            self.assertEqual("SUCCEEDED", child["status"])
            self.assertTrue(child["stateMachineArn"].endswith(":stateMachine:DistPass/Props"), child)
            self.assertRegex(child["executionArn"], r":execution:DistPass/Props:[0-9a-f-]{36}$")
            self.assertEqual(map_run, child["mapRunArn"])
            described = sdk.describe_execution(executionArn=child["executionArn"])
            self.assertEqual(map_run, described["mapRunArn"])
            self.assertEqual(described["input"], described["output"])
            inputs.append(json.loads(described["input"]))
            events = sdk.get_execution_history(executionArn=child["executionArn"])["events"]
            self.assertEqual(PASS_CHILD_TYPES, [event["type"] for event in events])
            self.assertEqual(described["input"], events[0]["executionStartedEventDetails"]["input"])
        self.assertCountEqual([json.dumps(item, sort_keys=True) for item in items],
                              [json.dumps(item, sort_keys=True) for item in inputs])

        listed = sdk.list_executions(stateMachineArn=machine_arn("DistPass"))["executions"]
        self.assertEqual([execution], [entry["executionArn"] for entry in listed])


class BatchTest(DistributedMapTestCase):
    def test_an_item_batcher_gives_each_child_a_batch(self):
        loan = self.launch()
        execution = self.run_machine(loan, "DistBatched", [1, 2, 3])
        self.wait_for_status(loan, execution, "SUCCEEDED")
        batches = [{"BatchInput": {"fixed": True}, "Items": [1, 2]}, {"BatchInput": {"fixed": True}, "Items": [3]}]
        self.assertEqual(batches, json.loads(self.describe(loan, execution)["output"]))
        started = [event for event in self.all_events(loan, execution) if event["type"] == "MapStateStarted"]
        self.assertEqual(3, started[0]["mapStateStartedEventDetails"]["length"])  # the items, not the batches
        children = self.children(loan, self.map_run_arn(loan, execution))
        self.assertEqual(2, len(children))
        self.assertEqual(sorted(json.dumps(batch, sort_keys=True) for batch in batches),
                         sorted(json.dumps(json.loads(self.describe(loan, child["executionArn"])["input"]),
                                           sort_keys=True) for child in children))


class ContextTest(DistributedMapTestCase):
    def test_a_child_execution_sees_its_own_context_object(self):
        loan = self.launch()
        execution = self.run_machine(loan, "DistContext", [10, 20])
        self.wait_for_status(loan, execution, "SUCCEEDED")
        children = {child["executionArn"]: child for child in self.children(loan, self.map_run_arn(loan, execution))}
        outputs = json.loads(self.describe(loan, execution)["output"])
        self.assertEqual(sorted(children), sorted(output["id"] for output in outputs))
        self.assertEqual([10, 20], [output["input"] for output in outputs])
        for output in outputs:
            self.assertEqual(children[output["id"]]["stateMachineArn"], output["machine"])
            self.assertTrue(output["machine"].endswith(":stateMachine:DistContext/Who"), output)


class CallbackTest(DistributedMapTestCase):
    def test_twenty_valuation_callbacks_with_two_instances_on_one_redis(self):
        count = 20
        first, valuation = self.start_stack(extra_state_machines=MACHINES)
        second = self.start_loan_processor(valuation_port=valuation.port, extra_state_machines=MACHINES)
        execution = self.run_machine(first, "DistValuation", applications(count))
        description = self.wait_for_status(second, execution, "SUCCEEDED", timeout=30)
        output = json.loads(description["output"])
        self.assertEqual([property_value(str(i), "PO1 1CE") for i in range(count)],
                         [item["propertyValue"] for item in output])
        map_run = self.map_run_arn(first, execution)
        run = self.describe_map_run(first, map_run)
        self.assertEqual("SUCCEEDED", run["status"])
        self.assertEqual((count, count), (run["itemCounts"]["total"], run["itemCounts"]["succeeded"]))
        children = self.children(second, map_run)
        self.assertEqual(count, len(children))
        for child in children:
            self.assertEqual("SUCCEEDED", child["status"])
            types = self.types(first, child["executionArn"])
            self.assertEqual(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                              "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"], types)
        # The valuation service calls back the CALLBACK_URL of the instance that ran the child's task, which logs
        # "callback-received ... for <valuationReference>" and commits the child's TaskSucceeded: each child's
        # reference (its output) is received by exactly one instance of the two. Which one is not asserted: the
        # instance that commits the Map claims its children's timers (due at once) before the other polls, so
        # today every child runs there; both instances run throughout and the Map completes.
        references = {json.loads(self.describe(first, child["executionArn"])["output"])["valuationReference"]
                      for child in children}
        self.assertEqual(count, len(references))
        received = [set(re.findall(r"callback-received: Valuation callback \S+ received for (\S+):", server.logs()))
                    for server in (first, second)]
        self.assertEqual(references, received[0] | received[1])
        self.assertEqual(set(), received[0] & received[1], "each child's callback was received by one instance")
        print(f"# callbacks received by instance 1: {len(received[0])}, by instance 2: {len(received[1])}")
        self.assertTrue(first.healthy() and second.healthy())


class FailureTest(DistributedMapTestCase):
    def failing_child(self, server, map_run):
        children = self.children(server, map_run)
        self.assertEqual(3, len(children))
        failed = [child for child in children if child["status"] == "FAILED"]
        self.assertEqual(1, len(failed), children)
        self.assertEqual(["SUCCEEDED", "SUCCEEDED"], [c["status"] for c in children if c not in failed])
        events = self.all_events(server, failed[0]["executionArn"])
        self.assertEqual(["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "FailStateEntered",
                          "ExecutionFailed"], [event["type"] for event in events])
        self.assertEqual({"error": "Bad", "cause": "item 2 is bad"}, events[-1]["executionFailedEventDetails"])
        return failed[0]

    def test_a_failure_without_tolerance_fails_the_map_run_and_the_parent(self):
        server = self.launch()
        execution = self.run_machine(server, "DistFail", [1, 2, 3])
        description = self.wait_for_status(server, execution, "FAILED")
        types = self.types(server, execution)
        self.assertEqual(["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunFailed",
                          "MapStateFailed", "ExecutionFailed"], types)
        print(f"# parent failed with error {description.get('error')!r}, cause {description.get('cause')!r}")
        # Without a tolerance the engine fails the Map with the child's own error and cause (as an inline Map);
        # States.ExceedToleratedFailureThreshold is for a tolerance set and exceeded.
        self.assertEqual("Bad", description["error"])
        self.assertEqual("item 2 is bad", description["cause"])
        failed_event = self.all_events(server, execution)[-1]["executionFailedEventDetails"]
        self.assertEqual({"error": "Bad", "cause": "item 2 is bad"}, failed_event)
        map_run = self.map_run_arn(server, execution)
        run = self.describe_map_run(server, map_run)
        self.assertEqual("FAILED", run["status"])
        self.assertGreaterEqual(run["itemCounts"]["failed"], 1)
        self.assertIn("stopDate", run)
        self.failing_child(server, map_run)

    def test_one_failure_within_a_tolerated_count_of_1(self):
        server = self.launch()
        execution = self.run_machine(server, "DistTolerant", [1, 2, 3])
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual([1, {"Error": "Bad", "Cause": "item 2 is bad"}, 3], json.loads(description["output"]))
        self.assertEqual(["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded",
                          "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"], self.types(server, execution))
        map_run = self.map_run_arn(server, execution)
        run = self.describe_map_run(server, map_run)
        self.assertEqual("SUCCEEDED", run["status"])
        self.assertEqual(1, run["toleratedFailureCount"])
        self.assertEqual((3, 2, 1), tuple(run["itemCounts"][k] for k in ("total", "succeeded", "failed")))
        self.failing_child(server, map_run)


class UpdateTest(DistributedMapTestCase):
    def test_update_map_run_raises_the_concurrency_of_the_running_map(self):
        valuation = self.start_valuation_service(TIME_SCALE="10")
        loan = self.start_loan_processor(valuation_port=valuation.port, extra_state_machines=MACHINES)
        execution = self.run_machine(loan, "DistValuationOneAtATime", applications(3))
        self.wait_for_children(loan, execution, 1, lambda child: "TaskSubmitted" in self.types(loan, child))
        map_run = self.map_run_arn(loan, execution)
        time.sleep(0.5)  # MaxConcurrency 1: no second child while the first waits for its callback
        self.assertEqual(1, len(self.children(loan, map_run)))
        client = self.client(loan)
        client.update_map_run(mapRunArn=map_run, maxConcurrency=3)
        self.assertEqual(3, client.describe_map_run(mapRunArn=map_run)["maxConcurrency"])
        children = wait_until(lambda: (lambda c: c if len(c) == 3 else None)(self.children(loan, map_run)), 10,
                              what="three children running once MaxConcurrency is 3")
        self.assertEqual(["RUNNING"] * 3, [child["status"] for child in children])
        self.assertEqual("RUNNING", self.describe(loan, execution)["status"])


class StopTest(DistributedMapTestCase):
    def test_stopping_the_parent_aborts_the_map_run_and_every_child(self):
        loan, execution, children = self.start_slow_valuation_map(5)
        token = self.task_token(loan, children[0]["executionArn"])
        status, body = self.sfn(loan, "StopExecution", {"executionArn": execution, "error": "Stop", "cause": "user"})
        self.assertEqual(200, status, body)
        self.assertEqual("ABORTED", self.describe(loan, execution)["status"])
        self.assertEqual("ExecutionAborted", self.types(loan, execution)[-1])
        map_run = self.map_run_arn(loan, execution)
        wait_until(lambda: self.describe_map_run(loan, map_run)["status"] == "ABORTED", 10, what="Map Run ABORTED")
        for child in children:
            arn = child["executionArn"]
            wait_until(lambda: self.describe(loan, arn)["status"] == "ABORTED", 10, what=f"{arn} ABORTED")
            self.assertEqual("ExecutionAborted", self.types(loan, arn)[-1])
        self.assertEqual(["ABORTED"] * 5, [child["status"] for child in self.children(loan, map_run)])
        self.assert_aws_error(self.sfn(loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"}),
                              "TaskTimedOut")

    def test_stopping_a_child_execution_is_refused(self):
        loan, execution, children = self.start_slow_valuation_map(2)
        child = children[0]["executionArn"]
        status, body = self.sfn(loan, "StopExecution", {"executionArn": child})
        self.assertEqual(400, status, body)
        self.assertEqual("ValidationException", body["__type"].split("#")[-1], body)
        print(f"# StopExecution of a child: {body['message']}")
        self.assertEqual("RUNNING", self.describe(loan, child)["status"])
        self.assertEqual("RUNNING", self.describe(loan, execution)["status"])


if __name__ == "__main__":
    harness.main()
