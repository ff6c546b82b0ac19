"""Mocked service integrations in AWS Step Functions Local's format (SFN_MOCK_CONFIG), end to end.

The loan-processor reads a mock configuration the test writes; executions
started as <stateMachineArn>#<TestCase> answer the Task states their test
case names from it (Return or Throw per invocation, ranges "1-2"), and run
the other states for real. The history shows a mocked answer as a real one
(TaskScheduled, TaskStarted, TaskSucceeded or TaskFailed), so Retry and
Catch work on it. A bad file refuses the start with its reason.
"""

import json
import os
import tempfile

import boto3
from botocore.config import Config

import harness
from harness import LOAN_MACHINE_ARN, machine_arn

TOPIC = "MockTopic"
CHARGE_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:Charge"

MACHINES = {
    "MockedFlow": {"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": CHARGE_FUNCTION, "Payload.$": "$"},
                   "Retry": [{"ErrorEquals": ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException"],
                              "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
                   "Catch": [{"ErrorEquals": ["Payment.Declined"], "ResultPath": "$.error", "Next": "Declined"}],
                   "ResultPath": "$.charge", "Next": "Notify"},
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                   "Parameters": {"TopicArn": f"arn:aws:sns:us-east-1:123456789012:{TOPIC}",
                                  "Message.$": "$.charge.Payload"},
                   "ResultPath": "$.notified", "End": True},
        "Declined": {"Type": "Pass", "End": True}}},
    "MockedMap": {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0, "End": True,
                 "Iterator": {"StartAt": "Charge", "States": {
                     "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {"FunctionName": CHARGE_FUNCTION, "Payload.$": "$"},
                                "Retry": [{"ErrorEquals": ["Lambda.TimeoutException"], "IntervalSeconds": 1,
                                           "MaxAttempts": 2}],
                                "OutputPath": "$.Payload", "End": True}}}}}},
    # A loop through a Choice: each entry into Charge is the next invocation (a retry is one too).
    "MockedLoop": {"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": CHARGE_FUNCTION, "Payload.$": "$"},
                   "Retry": [{"ErrorEquals": ["Lambda.TimeoutException"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                   "ResultSelector": {"done.$": "$.Payload.done"}, "ResultPath": "$.charge", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.charge.done", "BooleanEquals": True, "Next": "Done"}],
                  "Default": "Charge"},
        "Done": {"Type": "Succeed"}}},
    "MockedDistributedMap": {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                 "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                   "StartAt": "Charge", "States": {
                     "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {"FunctionName": CHARGE_FUNCTION, "Payload.$": "$"},
                                "Retry": [{"ErrorEquals": ["Lambda.TimeoutException"], "IntervalSeconds": 1,
                                           "MaxAttempts": 2}],
                                "OutputPath": "$.Payload", "End": True}}}}}},
}

EXPRESS_MACHINE = {"StartAt": "Charge", "States": {
    "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
               "Parameters": {"FunctionName": CHARGE_FUNCTION, "Payload.$": "$"},
               "OutputPath": "$.Payload", "End": True}}}

CHARGED = {"StatusCode": 200, "Payload": {"charged": True, "body": "Hello from Lambda!"}}
PUBLISHED = {"MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}
VALUATION = {"valuation": 250000, "currency": "GBP"}

MOCK_CONFIG = {
    "StateMachines": {
        "MockedFlow": {"TestCases": {
            "HappyPath": {"Charge": "ChargeOk", "Notify": "PublishOk"},
            "RetryPath": {"Charge": "ChargeRetry", "Notify": "PublishOk"},
            "DeclinedPath": {"Charge": "ChargeDeclined"},
            "TimeoutPath": {"Charge": "ChargeTimesOut"},
            "HybridPath": {"Charge": "ChargeOk"}}},
        "MockedMap": {"TestCases": {"EachRetriesOnce": {"Charge": "ChargeFlaky"}}},
        "MockedLoop": {"TestCases": {"LoopsTwice": {"Charge": "ChargeUntilDone"}}},
        "MockedDistributedMap": {"TestCases": {"EachRetriesOnce": {"Charge": "ChargeFlaky"}}},
        "MockedExpress": {"TestCases": {"HappyPath": {"Charge": "ChargeOnce"},
                                        "Declined": {"Charge": "ChargeDeclined"}}},
        "LoanProcessorStateMachine": {"TestCases": {
            "Valued": {"RequestValuation": "ValuationReturned"},
            "ValuationFails": {"RequestValuation": "ValuationFailed"}}},
    },
    "MockedResponses": {
        "ChargeOk": {"0": {"Return": CHARGED}},
        "PublishOk": {"0": {"Return": PUBLISHED}},
        "ChargeRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": CHARGED}},
        "ChargeDeclined": {"0": {"Throw": {"Error": "Payment.Declined", "Cause": "Card declined."}}},
        "ChargeTimesOut": {"0": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}}},
        "ChargeFlaky": {"0": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                        "1": {"Return": {"StatusCode": 200, "Payload": "charged"}}},
        "ChargeOnce": {"0": {"Return": {"StatusCode": 200, "Payload": "charged"}}},
        "ChargeUntilDone": {"0": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                            "1-2": {"Return": {"StatusCode": 200, "Payload": {"done": False}}},
                            "3": {"Return": {"StatusCode": 200, "Payload": {"done": True}}}},
        "ValuationReturned": {"0": {"Return": VALUATION}},
        "ValuationFailed": {"0": {"Throw": {"Error": "ValuationFailed", "Cause": "The property could not be valued"}}},
    },
}


def write_file(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as file:
        file.write(text)
    return path


class MockConfig(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.directory = tempfile.mkdtemp(prefix="e2e-mock-config-")
        self.addCleanup(lambda: [os.remove(os.path.join(self.directory, f)) for f in os.listdir(self.directory)]
                        and os.rmdir(self.directory))

    def start_with_mocks(self, config=None):
        path = write_file(self.directory, "MockConfigFile.json", json.dumps(config or MOCK_CONFIG, indent=2))
        self.loan = self.start_loan_processor(extra_state_machines=MACHINES, SFN_MOCK_CONFIG=path)
        return self.loan

    def run_case(self, machine, case, execution_input=None, wanted="SUCCEEDED"):
        body = {"stateMachineArn": f"{machine_arn(machine)}#{case}", "input": json.dumps(execution_input or {})}
        status, response = self.sfn(self.loan, "StartExecution", body)
        self.assertEqual(200, status, response)
        description = self.wait_for_status(self.loan, response["executionArn"], wanted)
        return response["executionArn"], description, self.all_events(self.loan, response["executionArn"])

    def task_events(self, events):
        return [event for event in events if event["type"].startswith("Task") and "State" not in event["type"]]

    def test_happy_path_answers_both_tasks_from_the_mocks(self):
        self.start_with_mocks()
        arn, description, events = self.run_case("MockedFlow", "HappyPath", {"order": 7})
        self.assertEqual(f"arn:aws:states:us-east-1:123456789012:execution:MockedFlow:{arn.rsplit(':', 1)[1]}", arn)
        self.assertEqual(machine_arn("MockedFlow"), description["stateMachineArn"])
        self.assertEqual({"order": 7, "charge": CHARGED, "notified": PUBLISHED}, json.loads(description["output"]))
        tasks = self.task_events(events)
        self.assertEqual(["TaskScheduled", "TaskStarted", "TaskSucceeded"] * 2, [event["type"] for event in tasks])
        self.assertEqual(CHARGED, json.loads(tasks[2]["taskSucceededEventDetails"]["output"]))
        self.assertEqual("lambda", tasks[2]["taskSucceededEventDetails"]["resourceType"])
        self.assertEqual(PUBLISHED, json.loads(tasks[5]["taskSucceededEventDetails"]["output"]))
        self.assertEqual([], self.topic_messages(TOPIC), "a mocked sns:publish publishes nothing")

    def test_retry_path_fails_three_times_then_succeeds(self):
        self.start_with_mocks()
        _, description, events = self.run_case("MockedFlow", "RetryPath")
        charge = [event for event in self.task_events(events)
                  if event["type"] in ("TaskFailed", "TaskSucceeded")][:4]
        self.assertEqual(["TaskFailed"] * 3 + ["TaskSucceeded"], [event["type"] for event in charge])
        self.assertEqual(["Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"],
                         [event["taskFailedEventDetails"]["error"] for event in charge[:3]])
        self.assertEqual("Lambda timed out.", charge[2]["taskFailedEventDetails"]["cause"])
        self.assertEqual(4, sum(1 for event in events if event["type"] == "TaskScheduled"
                                and "Charge" in event["taskScheduledEventDetails"]["parameters"]))
        self.assertEqual(CHARGED, json.loads(description["output"])["charge"])

    def test_a_thrown_error_is_caught_by_catch(self):
        self.start_with_mocks()
        _, description, events = self.run_case("MockedFlow", "DeclinedPath", {"order": 8})
        self.assertEqual({"order": 8, "error": {"Error": "Payment.Declined", "Cause": "Card declined."}},
                         json.loads(description["output"]))
        self.assertIn("Declined", [event.get("stateEnteredEventDetails", {}).get("name") for event in events])

    def test_an_uncaught_error_fails_the_execution_after_its_retries(self):
        self.start_with_mocks()
        _, description, events = self.run_case("MockedFlow", "TimeoutPath", wanted="FAILED")
        self.assertEqual("Lambda.TimeoutException", description["error"])
        self.assertEqual("Lambda timed out.", description["cause"])
        # one entry at "0": every retry gets the last entry again (3 retries, 4 attempts)
        self.assertEqual(4, sum(1 for event in events if event["type"] == "TaskFailed"))
        self.assertEqual("ExecutionFailed", events[-1]["type"])

    def test_hybrid_path_runs_the_unmocked_state_for_real(self):
        self.start_with_mocks()
        _, description, _ = self.run_case("MockedFlow", "HybridPath")
        messages = self.topic_messages(TOPIC)
        self.assertEqual(1, len(messages))
        self.assertEqual(CHARGED["Payload"], json.loads(messages[0]["Message"]))
        self.assertIn("MessageId", json.loads(description["output"])["notified"])

    def test_each_map_iteration_counts_its_own_invocations(self):
        self.start_with_mocks()
        _, description, events = self.run_case("MockedMap", "EachRetriesOnce", {"items": [1, 2, 3]})
        self.assertEqual(["charged"] * 3, json.loads(description["output"]))
        self.assertEqual(3, sum(1 for event in events if event["type"] == "TaskFailed"))
        self.assertEqual(3, sum(1 for event in events if event["type"] == "TaskSucceeded"))

    def test_a_loop_back_into_a_state_takes_the_next_invocation(self):
        self.start_with_mocks()
        _, description, events = self.run_case("MockedLoop", "LoopsTwice", {"n": 1})
        self.assertEqual({"n": 1, "charge": {"done": True}}, json.loads(description["output"]))
        tasks = [event["type"] for event in self.task_events(events) if event["type"] != "TaskStarted"]
        # invocation 0 throws (retried), 1 and 2 loop back through the Choice, 3 ends it
        self.assertEqual(["TaskScheduled", "TaskFailed"] + ["TaskScheduled", "TaskSucceeded"] * 3, tasks)
        self.assertEqual(3, sum(1 for event in events if event.get("stateEnteredEventDetails", {}).get("name")
                                == "Charge"))

    def test_distributed_map_children_answer_from_the_test_case(self):
        self.start_with_mocks()
        arn, description, _ = self.run_case("MockedDistributedMap", "EachRetriesOnce", {"items": [1, 2, 3]})
        self.assertEqual(["charged"] * 3, json.loads(description["output"]))
        runs = self.sfn(self.loan, "ListMapRuns", {"executionArn": arn})[1]["mapRuns"]
        children = self.sfn(self.loan, "ListExecutions", {"mapRunArn": runs[0]["mapRunArn"]})[1]["executions"]
        self.assertEqual(3, len(children))
        for child in children:
            types = [event["type"] for event in self.task_events(self.all_events(self.loan, child["executionArn"]))]
            self.assertEqual(["TaskScheduled", "TaskStarted", "TaskFailed"]
                             + ["TaskScheduled", "TaskStarted", "TaskSucceeded"], types)

    def express_client(self):
        return boto3.client("stepfunctions", endpoint_url=self.loan.base_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=60))

    def test_start_sync_execution_runs_a_test_case_of_an_express_machine(self):
        self.start_with_mocks()
        client = self.express_client()
        arn = client.create_state_machine(name="MockedExpress", definition=json.dumps(EXPRESS_MACHINE),
                                          roleArn="arn:aws:iam::123456789012:role/StepFunctionsRole",
                                          type="EXPRESS")["stateMachineArn"]
        response = client.start_sync_execution(stateMachineArn=f"{arn}#HappyPath", input='{"order": 9}')
        self.assertEqual("SUCCEEDED", response["status"], response)
        self.assertEqual("charged", json.loads(response["output"]))
        self.assertEqual(arn, response["stateMachineArn"])
        declined = client.start_sync_execution(stateMachineArn=f"{arn}#Declined")
        self.assertEqual(("FAILED", "Payment.Declined", "Card declined."),
                         (declined["status"], declined.get("error"), declined.get("cause")))
        with self.assertRaises(client.exceptions.StateMachineDoesNotExist):
            client.start_sync_execution(stateMachineArn=f"{arn}#NoSuchCase")

    def test_the_console_view_names_the_test_case(self):
        self.start_with_mocks()
        arn, _, _ = self.run_case("MockedFlow", "HappyPath")
        status, text = harness.request("GET", f"{self.loan.base_url}/console/api/execution?executionArn={arn}")
        self.assertEqual((200, "HappyPath"), (status, json.loads(text).get("mockTestCase")))
        plain = self.start_execution(self.loan, {}, state_machine_arn=machine_arn("MockedFlow"))
        status, text = harness.request("GET", f"{self.loan.base_url}/console/api/execution?executionArn={plain}")
        self.assertEqual((200, False), (status, "mockTestCase" in json.loads(text)))

    def test_a_mocked_callback_task_answers_at_once(self):
        self.start_with_mocks()   # no valuation service runs: the task must not call it
        _, description, events = self.run_case("LoanProcessorStateMachine", "Valued", harness.SAMPLE_APPLICATION)
        self.assertEqual(VALUATION, json.loads(description["output"]))
        self.assertEqual(["TaskScheduled", "TaskStarted", "TaskSucceeded"],
                         [event["type"] for event in self.task_events(events)])
        self.assertEqual("invoke.waitForTaskToken",
                         self.task_events(events)[0]["taskScheduledEventDetails"]["resource"])

    def test_a_mocked_callback_failure_takes_the_blog_error_path(self):
        self.start_with_mocks()
        _, description, _ = self.run_case("LoanProcessorStateMachine", "ValuationFails", harness.SAMPLE_APPLICATION,
                                          wanted="FAILED")
        self.assertEqual("ValuationFailed", description["error"])
        self.assertEqual(["The valuation failed"], self.topic_descriptions())   # the unmocked publish ran

    def test_executions_without_a_test_case_run_for_real(self):
        self.start_with_mocks()
        arn = self.start_execution(self.loan, {}, state_machine_arn=machine_arn("MockedFlow"))
        description = self.wait_for_status(self.loan, arn, "FAILED")
        self.assertNotEqual("Payment.Declined", description["error"])

    def test_an_unknown_test_case_is_refused(self):
        self.start_with_mocks()
        for arn, reason in [
                (f"{machine_arn('MockedFlow')}#NoSuchCase",
                 "(SFN_MOCK_CONFIG has no test case 'NoSuchCase' for the state machine 'MockedFlow')"),
                (f"{LOAN_MACHINE_ARN}#HappyPath",
                 "(SFN_MOCK_CONFIG has no test case 'HappyPath' for the state machine 'LoanProcessorStateMachine')")]:
            self.assert_aws_error(self.sfn(self.loan, "StartExecution", {"stateMachineArn": arn}),
                                  "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}' {reason}")

    def test_test_cases_need_a_mock_configuration(self):
        self.loan = self.start_loan_processor(extra_state_machines=MACHINES)
        arn = f"{machine_arn('MockedFlow')}#HappyPath"
        self.assert_aws_error(self.sfn(self.loan, "StartExecution", {"stateMachineArn": arn}),
                              "StateMachineDoesNotExist",
                              f"State Machine Does Not Exist: '{arn}' (no mock configuration: test cases need "
                              "SFN_MOCK_CONFIG)")

    def test_a_bad_file_refuses_the_start_with_its_reason(self):
        good = json.dumps(MOCK_CONFIG)
        undefined = json.loads(good)
        undefined["StateMachines"]["MockedFlow"]["TestCases"]["HappyPath"]["Charge"] = "Nowhere"
        backwards = json.loads(good)
        backwards["MockedResponses"]["ChargeRetry"]["2-1"] = backwards["MockedResponses"]["ChargeRetry"].pop("1-2")
        both = json.loads(good)
        both["MockedResponses"]["ChargeOk"]["0"]["Throw"] = {"Error": "E", "Cause": "C"}
        cases = [
            ("syntax.json", '{\n  "StateMachines": {},\n  "MockedResponses": {,}\n}',
             "syntax.json: line 3: invalid JSON"),
            ("undefined.json", json.dumps(undefined),
             "StateMachines.MockedFlow.TestCases.HappyPath.Charge: no mocked response Nowhere in MockedResponses"),
            ("backwards.json", json.dumps(backwards),
             'MockedResponses.ChargeRetry."2-1": an invocation index must be N or N-M'),
            ("both.json", json.dumps(both), 'MockedResponses.ChargeOk."0": must have exactly one of Return and Throw'),
            ("shape.json", json.dumps({"StateMachines": [], "MockedResponses": {}}),
             "StateMachines and MockedResponses must both be objects"),
        ]
        for name, text, reason in cases:
            with self.subTest(name):
                path = write_file(self.directory, name, text)
                with self.assertRaises(harness.ServerDidNotStart) as refused:
                    self.start_loan_processor(SFN_MOCK_CONFIG=path)
                self.assertIn(f"SFN_MOCK_CONFIG {path}", str(refused.exception))
                self.assertIn(reason, str(refused.exception))
                self.assertIn("exited with status 2", str(refused.exception))
        missing = os.path.join(self.directory, "missing.json")
        with self.assertRaises(harness.ServerDidNotStart) as refused:
            self.start_loan_processor(SFN_MOCK_CONFIG=missing)
        self.assertIn(f"SFN_MOCK_CONFIG {missing}: cannot read the file", str(refused.exception))


SHIPPED_EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "mock-config",
                               "MockConfigFile.json")
# examples/mock-config/README.md's table: each test case's end (status, error, output, error-topic description).
SHIPPED_CASES = {
    "HappyPath": ("SUCCEEDED", None, {"valuation": 250000, "currency": "GBP"}, None),
    "ValuationFails": ("FAILED", "ValuationFailed", None, "The valuation failed"),
    "ValuationTimesOut": ("FAILED", "ValuationServiceTimedOut", None, "The valuation service timed out"),
    "RetryThenSuccess": ("SUCCEEDED", None, {"valuation": 180000, "currency": "GBP"}, None),
}


class ShippedExample(harness.StackTestCase):
    """examples/mock-config: every test case of the shipped file ends as its README says."""

    def test_every_case_of_the_shipped_file_ends_as_documented(self):
        with open(SHIPPED_EXAMPLE) as file:
            cases = json.load(file)["StateMachines"]["LoanProcessorStateMachine"]["TestCases"]
        self.assertEqual(sorted(SHIPPED_CASES), sorted(cases), "a case of the file is missing from the README's table")
        loan = self.start_loan_processor(SFN_MOCK_CONFIG=SHIPPED_EXAMPLE)   # and no valuation service
        for case, (wanted, error, output, published) in SHIPPED_CASES.items():
            with self.subTest(case):
                arn = self.start_execution(loan, state_machine_arn=f"{LOAN_MACHINE_ARN}#{case}")
                description = self.wait_for_status(loan, arn, wanted)
                self.assertEqual(error, description.get("error"))
                if output is not None:
                    self.assertEqual(output, json.loads(description["output"]))
                if published is not None:
                    self.assertIn(published, self.topic_descriptions())
                if case == "RetryThenSuccess":
                    retried = [event for event in self.all_events(loan, arn) if event["type"] == "TaskFailed"]
                    self.assertEqual(["Lambda.ServiceException", "Lambda.SdkClientException"],
                                     [event["taskFailedEventDetails"]["error"] for event in retried])


if __name__ == "__main__":
    harness.main()
