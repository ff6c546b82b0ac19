"""The six stories of 'Handling Step Function Task Token failures with CDK', end to end.

Each test runs the part-2 loan workflow (the default LoanProcessorStateMachine, and
in FailureScenariosInJsonata its JSONata twin LoanProcessorJsonataStateMachine, which
must behave the same) against the real valuation service with one of its switches, and checks what
the post's integration tests check: the execution's status, the error of its
ExecutionFailed event, and the descriptions published to the error topic.
With TIME_SCALE 0.05 the 30-second timeout takes 1.5 s and the late
callback arrives after 2.25 s.
"""

import json

import harness
from harness import LOAN_MACHINE_ARN, TASK_CLOSED

TIMED_OUT = "The valuation service timed out"
FAILED = "The valuation failed"
UNKNOWN = "Unknown valuation reference"


class FailureScenarios(harness.StackTestCase):
    MACHINE_ARN = LOAN_MACHINE_ARN

    def run_scenario(self, name_or_number):
        loan, _ = self.start_stack()
        application = {"applicationReference": f"app-{name_or_number}",
                       "property": {"nameOrNumber": name_or_number, "postcode": "PO1 1CE"}}
        arn = self.start_execution(loan, application, state_machine_arn=self.MACHINE_ARN)
        return loan, arn

    def wait_until_finished(self, loan, arn, timeout=10):
        def finished():
            description = self.describe(loan, arn)
            return description if description["status"] != "RUNNING" else None
        return harness.wait_until(finished, timeout, what=f"{arn} to finish")

    def wait_for_descriptions(self, *wanted, timeout=10):
        """Waits until every wanted description is on the error topic; returns all descriptions."""
        def published():
            descriptions = self.topic_descriptions()
            return descriptions if all(d in descriptions for d in wanted) else None
        return harness.wait_until(published, timeout, what=f"error-topic messages {wanted}")

    def last_event(self, loan, arn):
        return self.history(loan, arn, reverseOrder=True, maxResults=1)[0]

    def assert_failed_with(self, loan, arn, error):
        done = self.wait_until_finished(loan, arn)
        self.assertEqual("FAILED", done["status"], done)
        last = self.last_event(loan, arn)
        self.assertEqual("ExecutionFailed", last["type"])
        self.assertEqual(error, last["executionFailedEventDetails"]["error"])
        self.assertNotIn("cause", last["executionFailedEventDetails"])
        self.assertEqual(error, done["error"])
        return done

    def test_a_prompt_callback_succeeds(self):
        loan, arn = self.run_scenario("999")
        done = self.wait_until_finished(loan, arn)
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertEqual(harness.property_value("999", "PO1 1CE"), json.loads(done["output"])["propertyValue"])
        self.assertEqual([], self.topic_descriptions())

    def test_no_callback_times_out_publishes_and_fails(self):
        loan, arn = self.run_scenario("No callback")
        done = self.assert_failed_with(loan, arn, "ValuationServiceTimedOut")
        self.assertGreaterEqual(done["stopDate"] - done["startDate"], 30 * float(self.TIME_SCALE) - 0.05)
        self.assertEqual([TIMED_OUT], self.wait_for_descriptions(TIMED_OUT))

        events = self.history(loan, arn)
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                          "TaskTimedOut", "TaskStateExited", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                          "TaskSucceeded", "TaskStateExited", "FailStateEntered", "ExecutionFailed"],
                         [e["type"] for e in events])
        self.assertEqual(list(range(1, 15)), [e["id"] for e in events])
        timed_out = events[5]["taskTimedOutEventDetails"]
        self.assertEqual({"resourceType": "lambda", "resource": "invoke.waitForTaskToken",
                          "error": "States.Timeout"}, timed_out)
        self.assertEqual({"Error": "States.Timeout", "Cause": None},
                         json.loads(events[6]["stateExitedEventDetails"]["output"]))
        self.assertEqual("PublishValuationServiceTimeoutError", events[7]["stateEnteredEventDetails"]["name"])
        scheduled = events[8]["taskScheduledEventDetails"]
        self.assertEqual(("sns", "publish"), (scheduled["resourceType"], scheduled["resource"]))
        self.assertEqual("ValuationServiceTimedOut", events[12]["stateEnteredEventDetails"]["name"])

        message = json.loads(self.topic_messages()[0]["Message"])
        self.assertEqual({"description": TIMED_OUT, "source": self.MACHINE_ARN, "executionId": arn,
                          "executionStartTime": message["executionStartTime"]}, message)
        self.assertRegex(message["executionStartTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_a_late_callback_finds_the_task_timed_out(self):
        loan, arn = self.run_scenario("Late callback")
        self.assert_failed_with(loan, arn, "ValuationServiceTimedOut")
        descriptions = self.wait_for_descriptions(TIMED_OUT, TASK_CLOSED)
        self.assertEqual([TIMED_OUT, TASK_CLOSED], descriptions)
        late = json.loads(self.topic_messages()[1]["Message"])
        self.assertEqual(self.describe(loan, arn)["status"], "FAILED")
        self.assertIn("valuationReference", json.loads(late["eventBody"]))

    def test_a_duplicate_callback_succeeds_once_and_publishes_the_second(self):
        loan, arn = self.run_scenario("Duplicate response")
        done = self.wait_until_finished(loan, arn)
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertEqual([TASK_CLOSED], self.wait_for_descriptions(TASK_CLOSED))
        types = [e["type"] for e in self.history(loan, arn)]
        self.assertEqual(1, types.count("TaskSucceeded"))

    def test_an_unknown_reference_is_published_and_the_task_times_out(self):
        loan, arn = self.run_scenario("Unknown reference")
        self.assert_failed_with(loan, arn, "ValuationServiceTimedOut")
        descriptions = self.wait_for_descriptions(UNKNOWN, TIMED_OUT)
        self.assertEqual([UNKNOWN, TIMED_OUT], descriptions)
        unknown = json.loads(self.topic_messages()[0]["Message"])
        self.assertEqual("unknown-ref", json.loads(unknown["eventBody"])["valuationReference"])

    def test_a_failed_valuation_is_caught_published_and_fails(self):
        loan, arn = self.run_scenario("Failed response")
        self.assert_failed_with(loan, arn, "ValuationFailed")
        self.assertEqual([FAILED], self.wait_for_descriptions(FAILED))
        events = self.history(loan, arn)
        failed = next(e for e in events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
        self.assertEqual({"resourceType": "lambda", "resource": "invoke.waitForTaskToken", "error": "ValuationFailed"},
                         failed)
        self.assertEqual("PublishValuationFailedError",
                         [e for e in events if e["type"] == "TaskStateEntered"][1]["stateEnteredEventDetails"]["name"])

    def test_the_part1_workflow_has_no_timeout_and_takes_a_late_callback(self):
        loan, _ = self.start_stack()
        application = {"applicationReference": "app-late", "property": {"nameOrNumber": "Late callback",
                                                                        "postcode": "PO1 1CE"}}
        arn = self.start_execution(loan, application, state_machine_arn=harness.PART1_MACHINE_ARN)
        done = self.wait_until_finished(loan, arn)
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertGreaterEqual(done["stopDate"] - done["startDate"], 45 * float(self.TIME_SCALE) - 0.05)
        self.assertEqual([], self.topic_descriptions())


class FailureScenariosInJsonata(FailureScenarios):
    """The same six stories on the JSONata twin of the workflow (QueryLanguage JSONata, variables)."""
    MACHINE_ARN = LOAN_MACHINE_ARN.replace("LoanProcessorStateMachine", "LoanProcessorJsonataStateMachine")


if __name__ == "__main__":
    harness.main()
