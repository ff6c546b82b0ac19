"""JSONPath as AWS accepts it, end to end (issue 17 item 4).

Wildcards ([*], .*), slices ([1:], [:1], [1:5], [::2]) and filters ([?(@.status == 0)]) in Parameters and
ResultSelector values, InputPath, OutputPath and a Map's ItemsPath: such a path yields an array of its matches, []
when nothing matches (even when the input lacks the field), as AWS's recorded histories show. ResultPath stays a
reference path. InputPath and OutputPath may read the context object ($$). A Fail state's ErrorPath and CausePath may be intrinsic function calls, and a backslash inside a
bracket member's quotes escapes only a backslash or that quote ($['Test\\""Name"'] names Test\\""Name").
"""

import json

import harness
from harness import machine_arn

ROLE = "arn:aws:iam::123456789012:role/StepFunctionsRole"
NOTICE_TOPIC = "NoticeTopic"

USERS = [{"name": "Ada", "status": 0, "year": 1997}, {"name": "Bo", "status": 1, "year": 1998},
         {"name": "Cy", "status": 0, "year": 1999}]
ITEMS = [{"itemValue": 1}, {"itemValue": 2}, {"other": 3}, {"itemValue": 4}]

MACHINES = {
    "Selections": {"StartAt": "Select", "States": {
        "Select": {"Type": "Pass", "Parameters": {
            "all.$": "$.items[*]",
            "values.$": "$.items[*].itemValue",
            "tail.$": "$.items[1:].itemValue",
            "head.$": "$.items[:1]",
            "middle.$": "$.items[1:3]",
            "everyOther.$": "$.items[::2]",
            "members.$": "$.owner.*",
            "active.$": "$.users[?(@.status == 0)].name",
            "before1999.$": "$.users[?(@.year < 1999)].year",
            "named.$": "$.users[?(@.name == 'Bo')]",
            "missing.$": "$.absent[*]",
            "noMatch.$": "$.users[?(@.status == 7)]"},
            "End": True}}},
    "Paths": {"StartAt": "Shape", "States": {
        "Shape": {"Type": "Pass", "InputPath": "$.items[*].itemValue", "OutputPath": "$[1:]", "End": True}}},
    "MapOverFiltered": {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.users[?(@.status == 0)]",
                 "ItemProcessor": {"StartAt": "Name", "States": {
                     "Name": {"Type": "Pass", "InputPath": "$.name", "End": True}}},
                 "End": True}}},
    "Selector": {"StartAt": "Notify", "States": {
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                   "Parameters": {"TopicArn": f"arn:aws:sns:us-east-1:123456789012:{NOTICE_TOPIC}",
                                  "Message.$": "$.users[?(@.status == 0)].name"},
                   "ResultSelector": {"ids.$": "$[?(@.MessageId)].MessageId"},
                   "ResultPath": "$.published", "End": True}}},
    "FailIntrinsic": {"StartAt": "Fail", "States": {
        "Fail": {"Type": "Fail", "ErrorPath": "States.Format('{}', $.Error)",
                 "CausePath": "States.Format('This is a custom error message for {}, caused by {}.', $.Error, "
                              "$.Cause)"}}},
    "ContextPaths": {"StartAt": "FromContext", "States": {
        "FromContext": {"Type": "Pass", "InputPath": "$$.Execution.Input", "Parameters": {"copy.$": "$.items[0]"},
                        "Next": "Name"},
        "Name": {"Type": "Pass", "OutputPath": "$$.State", "Next": "Whole"},
        "Whole": {"Type": "Wait", "Seconds": 0, "InputPath": "$$", "OutputPath": "$.StateMachine.Name",
                  "End": True}}},
    "Escapes": {"StartAt": "Read", "States": {
        "Read": {"Type": "Pass", "Parameters": {"value.$": "$['Test\\\"\"Name\"']", "quote.$": "$['it\\'s']"},
                 "End": True}}},
}


class JsonPathForms(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor(extra_state_machines=MACHINES)

    def run_machine(self, machine, execution_input):
        arn = self.start_execution(self.loan, execution_input, state_machine_arn=machine_arn(machine))

        def finished():
            description = self.describe(self.loan, arn)
            return description if description["status"] != "RUNNING" else None
        return arn, harness.wait_until(finished, 10, what=f"{arn} to finish")

    def create(self, name, definition):
        return self.sfn(self.loan, "CreateStateMachine",
                        {"name": name, "definition": json.dumps(definition), "roleArn": ROLE})

    def test_wildcards_slices_and_filters_in_parameters(self):
        arn, done = self.run_machine("Selections", {"items": ITEMS, "users": USERS, "owner": {"a": 1, "b": [2]}})
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({
            "all": ITEMS, "values": [1, 2, 4], "tail": [2, 4], "head": [{"itemValue": 1}],
            "middle": [{"itemValue": 2}, {"other": 3}], "everyOther": [{"itemValue": 1}, {"other": 3}],
            "members": [1, [2]], "active": ["Ada", "Cy"], "before1999": [1997, 1998], "named": [USERS[1]],
            "missing": [], "noMatch": []}, json.loads(done["output"]))
        events = self.history(self.loan, arn)
        self.assertEqual(["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"],
                         [e["type"] for e in events])

    def test_with_no_input_every_form_gives_an_empty_array(self):
        for number, path in enumerate(["$[*]", "$.items[*]", "$.items[1:]", "$.items[:1]", "$.item.items[1:5]",
                     "$.items[*].itemValue", "$.item.items[1:5].itemValue", "$.users[?(@.status == 0)]"]):
            with self.subTest(path=path):
                machine = {"StartAt": "Entry", "States": {
                    "Entry": {"Type": "Pass", "Parameters": {"item.$": path}, "End": True}}}
                status, body = self.create(f"NoInput{number}", machine)
                self.assertEqual(200, status, body)
                status, started = self.sfn(self.loan, "StartExecution",
                                           {"stateMachineArn": body["stateMachineArn"], "input": "{}"})
                self.assertEqual(200, status, started)
                done = self.wait_for_status(self.loan, started["executionArn"], "SUCCEEDED")
                self.assertEqual({"item": []}, json.loads(done["output"]))

    def test_input_path_and_output_path(self):
        _, done = self.run_machine("Paths", {"items": ITEMS})
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual([2, 4], json.loads(done["output"]))

    def test_a_map_iterates_over_filtered_items(self):
        _, done = self.run_machine("MapOverFiltered", {"users": USERS})
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual(["Ada", "Cy"], json.loads(done["output"]))
        _, empty = self.run_machine("MapOverFiltered", {"users": []})
        self.assertEqual(("SUCCEEDED", []), (empty["status"], json.loads(empty["output"])))

    def test_a_filter_in_task_parameters_and_result_selector(self):
        _, done = self.run_machine("Selector", {"users": USERS})
        self.assertEqual("SUCCEEDED", done["status"], done)
        [published] = self.topic_messages(NOTICE_TOPIC)
        self.assertEqual(["Ada", "Cy"], json.loads(published["Message"]))  # a non-string Message goes as JSON
        ids = json.loads(done["output"])["published"]["ids"]
        self.assertEqual(1, len(ids))
        self.assertTrue(ids[0])

    def test_a_fail_state_with_intrinsic_error_and_cause(self):
        arn, done = self.run_machine("FailIntrinsic", {"Error": "error string", "Cause": "cause string"})
        self.assertEqual(("FAILED", "error string", "This is a custom error message for error string, caused by "
                          "cause string."), (done["status"], done["error"], done["cause"]))
        events = self.history(self.loan, arn)
        self.assertEqual(["ExecutionStarted", "FailStateEntered", "ExecutionFailed"], [e["type"] for e in events])

    def test_a_fail_state_intrinsic_missing_argument_is_states_runtime(self):
        _, done = self.run_machine("FailIntrinsic", {"Error": "error string"})
        self.assertEqual(("FAILED", "States.Runtime"), (done["status"], done["error"]))
        self.assertIn("The JsonPath argument for the field '$.Cause' could not be found", done["cause"])

    def test_context_object_in_input_path_and_output_path(self):
        arn, done = self.run_machine("ContextPaths", {"items": ITEMS})
        self.assertEqual(("SUCCEEDED", "ContextPaths"), (done["status"], json.loads(done["output"])), done)
        events = self.history(self.loan, arn)
        exited = [json.loads(e["stateExitedEventDetails"]["output"]) for e in events if "stateExitedEventDetails" in e]
        self.assertEqual({"copy": ITEMS[0]}, exited[0])
        self.assertEqual("Name", exited[1]["Name"])
        self.assertRegex(exited[1]["EnteredTime"], r"^\d{4}-\d\d-\d\dT")

    def test_escaped_quotes_in_bracket_notation(self):
        _, done = self.run_machine("Escapes", {"Test\\\"\"Name\"": "Value\"\\", "it's": 1})
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({"value": "Value\"\\", "quote": 1}, json.loads(done["output"]))

    def test_result_path_and_bad_queries_are_refused(self):
        pass_with = lambda **fields: {"StartAt": "P", "States": {"P": dict({"Type": "Pass", "End": True}, **fields)}}
        cases = [
            (pass_with(ResultPath="$.a[*]"), "ResultPath", "/States/P/ResultPath"),
            (pass_with(ResultPath="$.a[1:]"), "ResultPath", "/States/P/ResultPath"),
            (pass_with(ResultPath="$$.Execution"), "ResultPath", "/States/P/ResultPath"),
            (pass_with(InputPath="$$.Execution[*]"), "InputPath", "/States/P/InputPath"),
            (pass_with(InputPath="$..a"), "InputPath", "/States/P/InputPath"),
            (pass_with(OutputPath="$.a[?(@.b ==)]"), "OutputPath", "/States/P/OutputPath"),
        ]
        for definition, field, where in cases:
            with self.subTest(field=field, definition=definition):
                self.assert_aws_error(self.create("Refused", definition), "InvalidDefinition",
                                      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the "
                                      f"field '{field}' must be a valid JSONPath at {where}'")
        status, body = self.create("Refused", pass_with(Parameters={"x.$": "$.a[0,1]"}))
        self.assertEqual((400, "InvalidDefinition"), (status, body["__type"].split("#")[-1]), body)


if __name__ == "__main__":
    harness.main()
