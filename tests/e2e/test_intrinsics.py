"""Intrinsic functions in Parameters and ResultSelector, end to end.

A Pass state builds a notice with States.Format, States.StringToJson,
States.Hash, States.UUID and States.Base64Encode; a Task publishes it to the
local SNS topic "NoticeTopic" (sns:publish, request-response) with more calls
in its Parameters and ResultSelector. Failing calls end an execution with
States.IntrinsicFailure, which a Task's Catch can take, or, for a path that
selects nothing, with States.Runtime.
"""

import base64
import hashlib
import json
import re

import harness
from harness import machine_arn

NOTICE_TOPIC = "NoticeTopic"
UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def publish_task(parameters, **fields):
    """A request-response sns:publish Task to NoticeTopic with more Parameters."""
    task = {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
            "Parameters": dict({"TopicArn": f"arn:aws:sns:us-east-1:123456789012:{NOTICE_TOPIC}"}, **parameters)}
    task.update(fields)
    return task


MACHINES = {
    "Notices": {"StartAt": "Build", "States": {
        "Build": {"Type": "Pass", "Parameters": {
            "reference.$": "$.reference",
            "applicant.$": "States.StringToJson($.applicantJson)",
            "text.$": "States.Format('Loan {} for {}: {} items, it\\'s \\{ready\\}', $.reference, "
                      "$.applicantName, States.ArrayLength($.items))",
            "digest.$": "States.Hash($.reference, 'SHA-256')",
            "requestId.$": "States.UUID()",
            "encoded.$": "States.Base64Encode($.reference)"},
            "Next": "Notify"},
        "Notify": publish_task(
            {"Message": {"text.$": "$.text", "digest.$": "$.digest", "requestId.$": "$.requestId",
                         "attempt.$": "States.MathAdd($$.State.RetryCount, 1)",
                         "tags.$": "States.StringSplit($.applicant.tags, ',')"},
             "Subject.$": "States.Format('Loan {}', $.applicant.name)"},
            ResultSelector={"messageId.$": "$.MessageId",
                            "receipt.$": "States.Format('published as {}', $.MessageId)"},
            ResultPath="$.notification", End=True)}},
    "BadApplicant": {"StartAt": "Build", "States": {
        "Build": {"Type": "Pass", "Parameters": {"applicant.$": "States.StringToJson($.applicantJson)"},
                  "End": True}}},
    "MissingArgument": {"StartAt": "Build", "States": {
        "Build": {"Type": "Pass", "Parameters": {"text.$": "States.Format('Loan {}', $.reference)"},
                  "End": True}}},
    "CaughtBadAmount": {"StartAt": "Notify", "States": {
        "Notify": publish_task(
            {"Message.$": "States.Format('Amount {}', States.MathAdd($.amount, $.increment))"},
            Catch=[{"ErrorEquals": ["States.IntrinsicFailure"], "ResultPath": "$.error", "Next": "Refused"}],
            End=True),
        "Refused": {"Type": "Pass", "End": True}}},
}

APPLICATION = {"reference": "app-ref", "applicantName": "Arnav", "items": [1, 2, 3],
               "applicantJson": json.dumps({"name": "Arnav", "tags": "first,,buyer"})}

CAUSE_PREFIX = "An error occurred while executing the state '{}' (entered at the event id #2). "


class Intrinsics(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor(extra_state_machines=MACHINES)

    def run_machine(self, machine, execution_input):
        arn = self.start_execution(self.loan, execution_input, state_machine_arn=machine_arn(machine))

        def finished():
            description = self.describe(self.loan, arn)
            return description if description["status"] != "RUNNING" else None
        return arn, harness.wait_until(finished, 10, what=f"{arn} to finish")

    def test_a_pass_and_a_task_build_and_publish_a_notice(self):
        arn, done = self.run_machine("Notices", APPLICATION)
        self.assertEqual("SUCCEEDED", done["status"], done)
        output = json.loads(done["output"])
        digest = hashlib.sha256(b"app-ref").hexdigest()
        self.assertEqual("Loan app-ref for Arnav: 3 items, it's {ready}", output["text"])
        self.assertEqual({"name": "Arnav", "tags": "first,,buyer"}, output["applicant"])
        self.assertEqual(digest, output["digest"])
        self.assertRegex(output["requestId"], UUID_V4)
        self.assertEqual("app-ref", base64.b64decode(output["encoded"]).decode())

        [published] = self.topic_messages(NOTICE_TOPIC)
        self.assertEqual("Loan Arnav", published["Subject"])
        self.assertEqual({"text": output["text"], "digest": digest, "requestId": output["requestId"], "attempt": 1,
                          "tags": ["first", "buyer"]}, json.loads(published["Message"]))
        message_id = output["notification"]["messageId"]
        self.assertTrue(message_id)
        self.assertEqual(f"published as {message_id}", output["notification"]["receipt"])

        events = self.history(self.loan, arn)
        self.assertEqual(["ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskStateEntered",
                          "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"],
                         [e["type"] for e in events])
        built = json.loads(events[2]["stateExitedEventDetails"]["output"])
        self.assertEqual(output["requestId"], built["requestId"])
        parameters = json.loads(events[4]["taskScheduledEventDetails"]["parameters"])
        self.assertEqual("Loan Arnav", parameters["Subject"])
        self.assertEqual(1, parameters["Message"]["attempt"])

    def test_a_new_uuid_for_every_execution(self):
        ids = {json.loads(self.run_machine("Notices", APPLICATION)[1]["output"])["requestId"] for _ in range(3)}
        self.assertEqual(3, len(ids))

    def test_an_intrinsic_failure_fails_the_execution(self):
        arn, done = self.run_machine("BadApplicant", dict(APPLICATION, applicantJson="{not json"))
        cause = (CAUSE_PREFIX.format("Build") + "The function 'States.StringToJson($.applicantJson)' had the "
                 "following error: Invalid arguments in States.StringToJson: the string is not a JSON text")
        self.assertEqual(("FAILED", "States.IntrinsicFailure", cause), (done["status"], done["error"], done["cause"]))
        self.assertNotIn("output", done)
        events = self.history(self.loan, arn)
        self.assertEqual(["ExecutionStarted", "PassStateEntered", "ExecutionFailed"], [e["type"] for e in events])
        self.assertEqual({"error": "States.IntrinsicFailure", "cause": cause},
                         events[-1]["executionFailedEventDetails"])

    def test_a_path_an_intrinsic_cannot_find_is_states_runtime(self):
        _, done = self.run_machine("MissingArgument", {"other": 1})
        self.assertEqual(("FAILED", "States.Runtime"), (done["status"], done["error"]))
        self.assertEqual(CAUSE_PREFIX.format("Build") + "The function 'States.Format('Loan {}', $.reference)' had the "
                         "following error: The JsonPath argument for the field '$.reference' could not be found in "
                         "the input '{\"other\":1}'", done["cause"])

    def test_a_task_catches_an_intrinsic_failure_in_its_parameters(self):
        arn, done = self.run_machine("CaughtBadAmount", {"amount": 100, "increment": "ten"})
        self.assertEqual("SUCCEEDED", done["status"], done)
        cause = (CAUSE_PREFIX.format("Notify") + "The function 'States.Format('Amount {}', States.MathAdd($.amount, "
                 "$.increment))' had the following error: Invalid arguments in States.MathAdd: argument 2 must be an "
                 "integer, not a string")
        self.assertEqual({"amount": 100, "increment": "ten",
                          "error": {"Error": "States.IntrinsicFailure", "Cause": cause}}, json.loads(done["output"]))
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "TaskStateExited", "PassStateEntered",
                          "PassStateExited", "ExecutionSucceeded"],
                         [e["type"] for e in self.history(self.loan, arn)])
        self.assertEqual([], self.topic_messages(NOTICE_TOPIC))

        _, fine = self.run_machine("CaughtBadAmount", {"amount": 100, "increment": 10})
        self.assertEqual("SUCCEEDED", fine["status"])
        self.assertEqual(["Amount 110"], [m["Message"] for m in self.topic_messages(NOTICE_TOPIC)])


if __name__ == "__main__":
    harness.main()
