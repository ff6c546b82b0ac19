"""ValidateStateMachineDefinition, DescribeStateMachineForExecution and tags through boto3."""

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
            # The next two as AWS answered them (recorded).
            ({}, "SCHEMA_VALIDATION_FAILED", "These fields are required: [States, StartAt]", "/"),
            ({"StartAt": "Pass", "QueryLanguage": "JSONata", "States": {"Pass": {"Type": "Pass", "QueryLanguage": "JSONPath",
                                                                          "End": True}}},
             "SCHEMA_VALIDATION_FAILED", "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
             "/States/Pass"),
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
        # AWS's message, trailing space included (recorded).
        self.assertEqual("Express state machine does not support '.waitForTaskToken' service integration ",
                         diagnostic["message"])

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

    def test_every_error_is_listed_the_first_being_create_s(self):
        # Errors come as the checker meets them: each state in document order (a bad state's other fields are
        # not read), then the scope's missing transition targets, then its unreachable states.
        definition = {"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "Nowhere"},
            "B": {"Type": "Pass", "Next": "Elsewhere"},
            "C": {"Type": "Pass", "Bogus": 1, "End": True}}}
        answer = self.validate(definition, severity="WARNING")
        self.assertEqual("FAIL", answer["result"])
        self.assertFalse(answer["truncated"])
        found = [(d["severity"], d["code"], d["location"]) for d in answer["diagnostics"]]
        self.assertEqual([("ERROR", "SCHEMA_VALIDATION_FAILED", "/States/C"),
                          ("ERROR", "MISSING_TRANSITION_TARGET", "/States/A/Next"),
                          ("ERROR", "MISSING_TRANSITION_TARGET", "/States/B/Next"),
                          ("ERROR", "UNREACHABLE_STATE", "/States/B"),
                          ("ERROR", "UNREACHABLE_STATE", "/States/C")], found)
        self.assertEqual("Missing 'Next' target: Nowhere", answer["diagnostics"][1]["message"])
        first = answer["diagnostics"][0]
        text = self.refused("InvalidDefinition", self.client.create_state_machine, name="Refused",
                            definition=json.dumps(definition), roleArn=ROLE)
        self.assertEqual(f"Invalid State Machine Definition: '{first['code']}: {first['message']} at "
                         f"{first['location']}'", text)
        answer = self.validate(definition, maxResults=2)
        self.assertEqual("FAIL", answer["result"])
        self.assertTrue(answer["truncated"])
        self.assertEqual(["/States/C", "/States/A/Next"], [d["location"] for d in answer["diagnostics"]])

    def test_a_bad_state_still_leads_where_its_next_says(self):
        definition = {"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Seconds": 3, "Next": "B"},
            "B": {"Type": "Pass", "End": True},
            "Lost": {"Type": "Pass", "End": True},
            "P": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}},
                {"StartAt": "Z", "States": {"Z": {"Type": "Sleep", "End": True}}}]}}}
        answer = self.validate(definition)
        found = [(d["code"], d["location"]) for d in answer["diagnostics"]]
        self.assertEqual([("SCHEMA_VALIDATION_FAILED", "/States/A"),
                          ("MISSING_TRANSITION_TARGET", "/States/P/Branches[0]/States/X/Next"),
                          ("SCHEMA_VALIDATION_FAILED", "/States/P/Branches[1]/States/Z/Type"),
                          ("UNREACHABLE_STATE", "/States/Lost"),
                          ("UNREACHABLE_STATE", "/States/P")], found)

    def test_every_express_refusal_is_listed(self):
        definition = {"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                  "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                  "Parameters": {"StateMachineArn": "arn"}, "End": True}}}
        answer = self.validate(definition, type="EXPRESS")
        self.assertEqual(["/States/A/Resource", "/States/B/Resource"],
                         [d["location"] for d in answer["diagnostics"]])

    def test_a_path_in_a_field_that_takes_none(self):
        definition = {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Default": "F",
                  "Choices": [{"Variable": "$.a", "StringEquals": "$.b", "Next": "F"}]},
            "F": {"Type": "Fail", "Error": "Failed", "Cause": "$.cause"}}}
        answer = self.validate(definition, severity="WARNING")
        self.assertEqual("OK", answer["result"])
        self.assertEqual([("WARNING", "NO_PATH", "/States/C/Choices/0/StringEquals"),
                          ("WARNING", "NO_PATH", "/States/F/Cause")],
                         [(d["severity"], d["code"], d["location"]) for d in answer["diagnostics"]])

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

    def test_an_execution_of_a_version_or_an_alias_runs_the_version(self):
        first, second, third = waiting_machine("first"), waiting_machine("second"), waiting_machine("third")
        arn = self.client.create_state_machine(name="Released", definition=json.dumps(first),
                                               roleArn=ROLE)["stateMachineArn"]
        one = self.client.update_state_machine(stateMachineArn=arn, definition=json.dumps(second), publish=True)
        self.client.update_state_machine(stateMachineArn=arn, definition=json.dumps(third), publish=True)
        version = self.client.describe_state_machine(stateMachineArn=one["stateMachineVersionArn"])
        self.assertIn("revisionId", version)
        alias = self.client.create_state_machine_alias(
            name="live", routingConfiguration=[{"stateMachineVersionArn": one["stateMachineVersionArn"],
                                                "weight": 100}])["stateMachineAliasArn"]
        executions = [self.client.start_execution(stateMachineArn=started, name=name)["executionArn"]
                      for started, name in ((one["stateMachineVersionArn"], "byVersion"), (alias, "byAlias"))]
        for execution in executions:
            with self.subTest(execution=execution):
                answer = self.client.describe_state_machine_for_execution(executionArn=execution)
                self.assertEqual(second, json.loads(answer["definition"]))
                self.assertEqual(arn, answer["stateMachineArn"])
                self.assertEqual("Released", answer["name"])
                self.assertEqual(version["revisionId"], answer["revisionId"])
                self.assertEqual(version["creationDate"], answer["updateDate"])
                self.client.stop_execution(executionArn=execution)

    def test_unknown_and_invalid_executions(self):
        unknown = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:Nothing:nobody"
        message = self.refused("ExecutionDoesNotExist", self.client.describe_state_machine_for_execution,
                               executionArn=unknown)
        self.assertEqual(f"Execution Does Not Exist: '{unknown}'", message)
        self.refused("InvalidArn", self.client.describe_state_machine_for_execution, executionArn="not-an-arn")
        self.refused("ValidationException", self.client.describe_state_machine_for_execution)


class Tags(ValidateAndTagsCase):
    def tags_of(self, arn):
        return {tag["key"]: tag["value"] for tag in self.client.list_tags_for_resource(resourceArn=arn)["tags"]}

    def machine(self, name, **members):
        return self.client.create_state_machine(name=name, definition=json.dumps(PASS), roleArn=ROLE,
                                                **members)["stateMachineArn"]

    def activity(self, name, **members):
        return self.client.create_activity(name=name, **members)["activityArn"]

    def test_round_trip_overwrite_and_untag_on_a_machine_and_an_activity(self):
        for arn in (self.machine("Tagged"), self.activity("TaggedActivity")):
            with self.subTest(arn=arn):
                self.assertEqual({"tags": []}, {"tags": self.client.list_tags_for_resource(resourceArn=arn)["tags"]})
                answer = self.client.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "loans"},
                                                                         {"key": "stage", "value": "dev"},
                                                                         {"key": "empty", "value": ""}])
                answer.pop("ResponseMetadata")
                self.assertEqual({}, answer)
                self.assertEqual({"team": "loans", "stage": "dev", "empty": ""}, self.tags_of(arn))
                self.client.tag_resource(resourceArn=arn, tags=[{"key": "stage", "value": "prod"}])
                self.assertEqual({"team": "loans", "stage": "prod", "empty": ""}, self.tags_of(arn))
                answer = self.client.untag_resource(resourceArn=arn, tagKeys=["team", "unknown"])
                answer.pop("ResponseMetadata")
                self.assertEqual({}, answer)
                self.assertEqual({"stage": "prod", "empty": ""}, self.tags_of(arn))

    def test_tags_on_create_and_an_idempotent_create_keeps_them(self):
        tags = [{"key": "owner", "value": "me"}]
        for create in (self.machine, self.activity):
            with self.subTest(create=create.__name__):
                arn = create("Created" + create.__name__, tags=tags)
                self.assertEqual({"owner": "me"}, self.tags_of(arn))
                self.assertEqual(arn, create("Created" + create.__name__, tags=[{"key": "other", "value": "x"}]))
                self.assertEqual({"owner": "me"}, self.tags_of(arn))

    def test_at_most_50_tags(self):
        fifty = [{"key": f"k{i}", "value": str(i)} for i in range(50)]
        for arn in (self.machine("Full"), self.activity("FullActivity")):
            with self.subTest(arn=arn):
                self.client.tag_resource(resourceArn=arn, tags=fifty)
                self.client.tag_resource(resourceArn=arn, tags=[{"key": "k0", "value": "again"}])
                with self.assertRaises(ClientError) as caught:
                    self.client.tag_resource(resourceArn=arn, tags=[{"key": "one-more", "value": "x"}])
                self.assertEqual("TooManyTags", caught.exception.response["Error"]["Code"])
                self.assertEqual(arn, caught.exception.response["resourceName"])
                self.assertEqual(50, len(self.tags_of(arn)))
        many = fifty + [{"key": "k50", "value": "50"}]
        self.refused("TooManyTags", self.client.create_state_machine, name="TooMany", definition=json.dumps(PASS),
                     roleArn=ROLE, tags=many)
        self.refused("TooManyTags", self.client.create_activity, name="TooMany", tags=many)
        self.refused("StateMachineDoesNotExist", self.client.describe_state_machine,
                     stateMachineArn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:TooMany")

    def test_lengths(self):
        arn = self.machine("Lengths")
        message = self.refused("ValidationException", self.client.tag_resource, resourceArn=arn,
                               tags=[{"key": "ok", "value": "v"}, {"key": "k" * 129, "value": "v"}])
        self.assertIn("1 validation error detected: Value '" + "k" * 129 + "' at 'tags.2.member.key' failed to "
                      "satisfy constraint: Member must have length less than or equal to 128", message)
        message = self.refused("ValidationException", self.client.tag_resource, resourceArn=arn,
                               tags=[{"key": "", "value": "v"}])
        self.assertIn("at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than "
                      "or equal to 1", message)
        message = self.refused("ValidationException", self.client.tag_resource, resourceArn=arn,
                               tags=[{"key": "k", "value": "v" * 257}])
        self.assertIn("at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or "
                      "equal to 256", message)
        message = self.refused("ValidationException", self.client.untag_resource, resourceArn=arn,
                               tagKeys=["k" * 129])
        self.assertIn("at 'tagKeys.1.member' failed to satisfy constraint", message)
        self.refused("ValidationException", self.client.create_activity, name="LongKey",
                     tags=[{"key": "k" * 129, "value": "v"}])
        self.client.tag_resource(resourceArn=arn, tags=[{"key": "k" * 128, "value": "v" * 256}])
        self.assertEqual({"k" * 128: "v" * 256}, self.tags_of(arn))
        self.assertEqual([], self.client.list_tags_for_resource(
            resourceArn=self.client.describe_activity(activityArn=self.activity("Untouched"))["activityArn"])["tags"])

    def test_unknown_resources_and_malformed_arns(self):
        unknown = [f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Nobody",
                   f"arn:aws:states:us-east-1:{ACCOUNT}:activity:Nobody",
                   f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:Lengths",
                   f"arn:aws:states:us-east-1:{ACCOUNT}:execution:Nobody:run"]
        for arn in unknown:
            for call, members in ((self.client.list_tags_for_resource, {}),
                                  (self.client.tag_resource, {"tags": [{"key": "k", "value": "v"}]}),
                                  (self.client.untag_resource, {"tagKeys": ["k"]})):
                with self.subTest(arn=arn, call=call.__name__):
                    with self.assertRaises(ClientError) as caught:
                        call(resourceArn=arn, **members)
                    error = caught.exception.response["Error"]
                    self.assertEqual("ResourceNotFound", error["Code"])
                    self.assertEqual(f"Resource not found: '{arn}'", error["Message"])
                    self.assertEqual(arn, caught.exception.response["resourceName"])
        message = self.refused("InvalidArn", self.client.list_tags_for_resource, resourceArn="not-an-arn")
        self.assertEqual("Invalid Arn: 'Invalid ARN prefix: not-an-arn'", message)
        self.refused("InvalidArn", self.client.tag_resource, resourceArn="arn:aws:states:x",
                     tags=[{"key": "k", "value": "v"}])
        self.refused("ValidationException", self.client.tag_resource,
                     resourceArn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Nobody")
        self.refused("ValidationException", self.client.list_tags_for_resource)

    def test_tags_go_with_their_resource(self):
        for create, delete, member in ((self.machine, self.client.delete_state_machine, "stateMachineArn"),
                                       (self.activity, self.client.delete_activity, "activityArn")):
            with self.subTest(create=create.__name__):
                name = "Again" + create.__name__
                arn = create(name, tags=[{"key": "created", "value": "first"}])
                self.client.tag_resource(resourceArn=arn, tags=[{"key": "later", "value": "x"}])
                delete(**{member: arn})
                self.refused("ResourceNotFound", self.client.list_tags_for_resource, resourceArn=arn)
                self.assertEqual(arn, create(name))
                self.assertEqual({}, self.tags_of(arn))
                delete(**{member: arn})
                create(name, tags=[{"key": "created", "value": "second"}])
                self.assertEqual({"created": "second"}, self.tags_of(arn))


if __name__ == "__main__":
    harness.main()
