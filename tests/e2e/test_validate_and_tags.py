"""ValidateStateMachineDefinition and DescribeStateMachineForExecution through boto3."""

import json

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import harness
from harness import ACCOUNT

ROLE = f"arn:aws:iam::{ACCOUNT}:role/WorkflowRole"
PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def waiting_machine(comment):
    """Rests in a long Wait, so that its executions stay RUNNING while the test looks at them."""
    return {"Comment": comment, "StartAt": "Hold",
            "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}


class ValidateAndTagsCase(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor()
        self.client = boto3.client("stepfunctions", endpoint_url=self.loan.base_url, region_name="us-east-1",
                                   aws_access_key_id="test", aws_secret_access_key="test",
                                   config=Config(parameter_validation=False, retries={"max_attempts": 1}))

    def validate(self, definition, **members):
        text = definition if isinstance(definition, str) else json.dumps(definition)
        answer = self.client.validate_state_machine_definition(definition=text, **members)
        answer.pop("ResponseMetadata")
        return answer

    def refused(self, code, call, **members):
        with self.assertRaises(ClientError) as caught:
            call(**members)
        self.assertEqual(code, caught.exception.response["Error"]["Code"], caught.exception.response)
        return caught.exception.response["Error"]["Message"]

    def only_error(self, definition, **members):
        answer = self.validate(definition, **members)
        self.assertEqual("FAIL", answer["result"], answer)
        self.assertFalse(answer["truncated"])
        self.assertEqual(1, len(answer["diagnostics"]), answer)
        diagnostic = answer["diagnostics"][0]
        self.assertEqual("ERROR", diagnostic["severity"])
        return diagnostic


class Validate(ValidateAndTagsCase):
    def test_a_valid_definition_is_ok_without_diagnostics(self):
        self.assertEqual({"result": "OK", "diagnostics": [], "truncated": False}, self.validate(PASS))
        self.assertEqual({"result": "OK", "diagnostics": [], "truncated": False},
                         self.validate(PASS, type="EXPRESS", severity="WARNING", maxResults=0))

    def test_invalid_json(self):
        diagnostic = self.only_error('{"StartAt": "A", ')
        self.assertEqual("INVALID_JSON_DESCRIPTION", diagnostic["code"])
        self.assertNotIn("location", diagnostic)

    def test_each_create_refusal_is_an_error_with_its_code_and_location(self):
        cases = [
            ({"States": {"A": {"Type": "Pass", "End": True}}}, "SCHEMA_VALIDATION_FAILED",
             "These fields are required: [StartAt]", "/"),
            ({"StartAt": "A", "States": {"A": {"Type": "Sleep", "End": True}}}, "SCHEMA_VALIDATION_FAILED",
             "'Sleep' is not a supported state type", "/States/A/Type"),
            ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}, "MISSING_TRANSITION_TARGET",
             "Missing 'Next' target: Nowhere", "/States/A/Next"),
        ]
        for definition, code, message, location in cases:
            with self.subTest(code=code, location=location):
                diagnostic = self.only_error(definition)
                self.assertEqual(code, diagnostic["code"])
                self.assertEqual(message, diagnostic["message"])
                self.assertEqual(location, diagnostic["location"])
                # CreateStateMachine refuses it with the same words.
                text = self.refused("InvalidDefinition", self.client.create_state_machine, name="Refused",
                                    definition=json.dumps(definition), roleArn=ROLE)
                self.assertEqual(f"Invalid State Machine Definition: '{code}: {message} at {location}'", text)

    def test_bad_jsonata_and_bad_jsonpath(self):
        jsonata = {"QueryLanguage": "JSONata", "StartAt": "A",
                   "States": {"A": {"Type": "Pass", "Output": "{% $states.input + %}", "End": True}}}
        diagnostic = self.only_error(jsonata)
        self.assertEqual("SCHEMA_VALIDATION_FAILED", diagnostic["code"])
        self.assertTrue(diagnostic["location"].startswith("/States/A"), diagnostic)
        jsonpath = {"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "not a path", "End": True}}}
        diagnostic = self.only_error(jsonpath)
        self.assertEqual("SCHEMA_VALIDATION_FAILED", diagnostic["code"])
        self.assertTrue(diagnostic["location"].startswith("/States/A"), diagnostic)

    def test_express_refusals_depend_on_type(self):
        definition = {"StartAt": "A", "States": {"A": {
            "Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
            "Parameters": {"TopicArn": "T", "Message.$": "$$.Task.Token"}, "End": True}}}
        self.assertEqual("OK", self.validate(definition)["result"])
        diagnostic = self.only_error(definition, type="EXPRESS")
        self.assertEqual("/States/A/Resource", diagnostic["location"])

    def test_warnings_only_when_asked_and_truncated(self):
        definition = {"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Parameters": {"path": "$.x", "call": "States.Format('{}', $.y)", "ok.$": "$.z",
                                                 "plain": "text"}, "Next": "B"},
            "B": {"Type": "Pass", "Result": {"value.$": "$.x"}, "End": True}}}
        self.assertEqual({"result": "OK", "diagnostics": [], "truncated": False}, self.validate(definition))
        answer = self.validate(definition, severity="WARNING")
        self.assertEqual("OK", answer["result"])
        self.assertFalse(answer["truncated"])
        found = [(d["severity"], d["code"], d["location"]) for d in answer["diagnostics"]]
        self.assertEqual([("WARNING", "NO_DOLLAR", "/States/A/Parameters/path"),
                          ("WARNING", "NO_DOLLAR", "/States/A/Parameters/call"),
                          ("WARNING", "PASS_RESULT_IS_STATIC", "/States/B/Result/value.$")], found)
        answer = self.validate(definition, severity="WARNING", maxResults=2)
        self.assertTrue(answer["truncated"])
        self.assertEqual(2, len(answer["diagnostics"]))

    def test_request_errors(self):
        message = self.refused("ValidationException", self.client.validate_state_machine_definition,
                               definition=json.dumps(PASS), maxResults=101)
        self.assertIn("Member must have value less than or equal to 100", message)
        self.refused("ValidationException", self.client.validate_state_machine_definition,
                     definition=json.dumps(PASS), severity="INFO")
        self.refused("ValidationException", self.client.validate_state_machine_definition,
                     definition=json.dumps(PASS), type="QUICK")
        self.refused("ValidationException", self.client.validate_state_machine_definition)
        message = self.refused("ValidationException", self.client.validate_state_machine_definition,
                               definition="x" * 1048577)
        self.assertIn("Member must have length less than or equal to 1048576", message)


class DescribeStateMachineForExecution(ValidateAndTagsCase):
    def test_an_old_execution_keeps_its_definition(self):
        first, second = waiting_machine("first"), waiting_machine("second")
        machine = self.client.create_state_machine(name="Versioned", definition=json.dumps(first), roleArn=ROLE)
        arn = machine["stateMachineArn"]
        old = self.client.start_execution(stateMachineArn=arn, name="old")["executionArn"]
        answer = self.client.describe_state_machine_for_execution(executionArn=old)
        self.assertEqual(first, json.loads(answer["definition"]))
        self.assertEqual(arn, answer["stateMachineArn"])
        self.assertEqual("Versioned", answer["name"])
        self.assertEqual(ROLE, answer["roleArn"])
        self.assertEqual(machine["creationDate"], answer["updateDate"])
        self.assertEqual({"level": "OFF", "includeExecutionData": False}, answer["loggingConfiguration"])
        self.assertEqual({"enabled": False}, answer["tracingConfiguration"])
        self.assertNotIn("revisionId", answer)

        updated = self.client.update_state_machine(stateMachineArn=arn, definition=json.dumps(second))
        new = self.client.start_execution(stateMachineArn=arn, name="new")["executionArn"]
        self.assertEqual(first, json.loads(
            self.client.describe_state_machine_for_execution(executionArn=old)["definition"]))
        answer = self.client.describe_state_machine_for_execution(executionArn=new)
        self.assertEqual(second, json.loads(answer["definition"]))
        self.assertEqual(updated["revisionId"], answer["revisionId"])
        self.assertEqual(updated["updateDate"], answer["updateDate"])
        for execution in (old, new):
            self.client.stop_execution(executionArn=execution)

    def test_unknown_and_invalid_executions(self):
        unknown = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:Nothing:nobody"
        message = self.refused("ExecutionDoesNotExist", self.client.describe_state_machine_for_execution,
                               executionArn=unknown)
        self.assertEqual(f"Execution Does Not Exist: '{unknown}'", message)
        self.refused("InvalidArn", self.client.describe_state_machine_for_execution, executionArn="not-an-arn")
        self.refused("ValidationException", self.client.describe_state_machine_for_execution)


if __name__ == "__main__":
    harness.main()
