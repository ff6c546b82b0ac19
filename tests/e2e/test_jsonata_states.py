"""End-to-end: JSONata state machines (QueryLanguage "JSONata", issue 17 item 2).

A JSONata machine's states read "{% expression %}" fields with $states (input, result, context) and the
workflow variables: a Pass's Output and Assign, a Choice's Conditions, a Wait's Seconds, a Task's Arguments
(the blog's valuation request, answered by the real valuation service's callback) and Output, a Map's Items
and ItemSelector, a Parallel's Arguments, Output and Catch, a Fail's Error and Cause. $eval is not available
(as at AWS). An expression that fails fails the state with States.QueryEvaluationError after an
EvaluationFailed event; a bad expression is refused at CreateStateMachine. Real redis-server, real
loan-processor and valuation-service, real HTTP.
"""

import json

import harness
from harness import SAMPLE_APPLICATION, machine_arn, property_value

VALUATION = {
    "QueryLanguage": "JSONata", "StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Assign": {"reference": "{% $states.input.applicationReference %}"},
                    "Output": {"application": "{% $states.input %}", "wait": 0}, "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": "{% $states.input.wait %}", "Next": "RequestValuation"},
        "RequestValuation": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "TimeoutSeconds": "{% 30 %}",
            "Arguments": {"FunctionName": "ValuationRequestFunction",
                          "Payload": {"taskToken": "{% $states.context.Task.Token %}",
                                      "loanApplication": "{% $states.input.application %}"}},
            "Assign": {"value": "{% $states.result.propertyValue %}"},
            "Output": {"reference": "{% $reference %}", "valuation": "{% $states.result %}"},
            "Next": "Decide"},
        "Decide": {"Type": "Choice", "Choices": [
            {"Condition": "{% $value >= 100000 %}", "Next": "Offer",
             "Output": {"offer": True, "reference": "{% $states.input.reference %}", "value": "{% $value %}"}}],
            "Default": "Decline"},
        "Offer": {"Type": "Succeed"},
        "Decline": {"Type": "Fail", "Error": "Declined", "Cause": "{% 'value ' & $string($value) %}"}}}

MAP = {
    "QueryLanguage": "JSONata", "StartAt": "Each", "States": {
        "Each": {"Type": "Map", "Items": "{% $states.input.numbers %}", "MaxConcurrency": "{% 2 %}",
                 "ItemSelector": {"n": "{% $states.context.Map.Item.Value %}",
                                  "i": "{% $states.context.Map.Item.Index %}"},
                 "ItemProcessor": {"StartAt": "Square", "States": {
                     "Square": {"Type": "Pass", "Output": "{% $states.input.n * $states.input.n + $states.input.i %}",
                                "End": True}}},
                 "Output": {"squares": "{% $states.result %}", "total": "{% $sum($states.result) %}"},
                 "End": True}}}

UNDEFINED = {
    "QueryLanguage": "JSONata", "StartAt": "Use", "States": {
        "Use": {"Type": "Pass", "Output": {"value": "{% $states.input.missing %}"}, "End": True}}}

PARALLEL = {
    "QueryLanguage": "JSONata", "StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Arguments": {"n": "{% $states.input.n %}"},
                 "Branches": [
                     {"StartAt": "Double", "States": {
                         "Double": {"Type": "Pass", "Output": "{% $states.input.n * 2 %}", "End": True}}},
                     {"StartAt": "Check", "States": {
                         "Check": {"Type": "Choice", "Choices": [
                             {"Condition": "{% $states.input.n > 2 %}", "Next": "TooBig"}], "Default": "Fine"},
                         "TooBig": {"Type": "Fail", "Error": "{% 'Too' & 'Big' %}",
                                    "Cause": "{% 'n=' & $string($states.input.n) %}"},
                         "Fine": {"Type": "Pass", "Output": "fine", "End": True}}}],
                 "Output": {"results": "{% $states.result %}"},
                 "Catch": [{"ErrorEquals": ["TooBig"], "Output": {"caught": "{% $states.errorOutput %}"},
                            "Next": "Done"}],
                 "Next": "Done"},
        "Done": {"Type": "Succeed"}}}

EVAL = {
    "QueryLanguage": "JSONata", "StartAt": "Use", "States": {
        "Use": {"Type": "Pass", "Output": "{% $eval('1 + 1') %}", "End": True}}}

MACHINES = {"JsonataValuation": VALUATION, "JsonataMap": MAP, "JsonataUndefined": UNDEFINED,
            "JsonataParallel": PARALLEL, "JsonataEval": EVAL}


class JsonataStates(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan, _ = self.start_stack(extra_state_machines=MACHINES)

    def run_to(self, machine, execution_input, status):
        arn = self.start_execution(self.loan, execution_input, state_machine_arn=machine_arn(machine))
        return arn, self.wait_for_status(self.loan, arn, status)

    def test_valuation_task_with_arguments_and_callback(self):
        arn, done = self.run_to("JsonataValuation", SAMPLE_APPLICATION, "SUCCEEDED")
        output = json.loads(done["output"])
        expected = property_value("999", "PO1 1CE")
        self.assertEqual({"offer": True, "reference": "app-ref", "value": expected}, output)
        events = self.history(self.loan, arn)
        scheduled = next(e for e in events if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
        parameters = json.loads(scheduled["parameters"])
        self.assertEqual("ValuationRequestFunction", parameters["FunctionName"])
        self.assertEqual(SAMPLE_APPLICATION, parameters["Payload"]["loanApplication"])
        self.assertTrue(parameters["Payload"]["taskToken"])
        self.assertEqual(30, scheduled["timeoutInSeconds"])
        exited = next(e for e in events if e["type"] == "TaskStateExited")["stateExitedEventDetails"]
        self.assertEqual({"value": str(expected)}, exited["assignedVariables"])

    def test_map_items_selector_and_output(self):
        _, done = self.run_to("JsonataMap", {"numbers": [1, 2, 3]}, "SUCCEEDED")
        self.assertEqual({"squares": [1, 5, 11], "total": 17}, json.loads(done["output"]))

    def test_parallel_with_arguments_output_fail_and_catch(self):
        _, done = self.run_to("JsonataParallel", {"n": 1}, "SUCCEEDED")
        self.assertEqual({"results": [2, "fine"]}, json.loads(done["output"]))
        arn, done = self.run_to("JsonataParallel", {"n": 3}, "SUCCEEDED")
        self.assertEqual({"caught": {"Error": "TooBig", "Cause": "n=3"}}, json.loads(done["output"]))
        types = [e["type"] for e in self.history(self.loan, arn)]
        self.assertIn("ParallelStateFailed", types)
        self.assertEqual("SucceedStateExited", types[-2])

    def test_eval_is_not_available_as_at_aws(self):
        _, done = self.run_to("JsonataEval", {}, "FAILED")
        self.assertEqual("States.QueryEvaluationError", done["error"])
        self.assertIn("$eval('1 + 1')", done["cause"])

    def test_a_failing_expression_fails_with_query_evaluation_error(self):
        arn, done = self.run_to("JsonataUndefined", {}, "FAILED")
        self.assertEqual("States.QueryEvaluationError", done["error"])
        self.assertIn("The JSONata expression '$states.input.missing' specified for the field 'Output/value' "
                      "returned nothing (undefined).", done["cause"])
        types = [e["type"] for e in self.history(self.loan, arn)]
        self.assertEqual(["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"], types)

    def test_a_bad_expression_is_refused_at_creation(self):
        definition = {"QueryLanguage": "JSONata", "StartAt": "P",
                      "States": {"P": {"Type": "Pass", "Output": "{% 1 + %}", "End": True}}}
        status, body = self.sfn(self.loan, "CreateStateMachine", {
            "name": "BadJsonata", "definition": json.dumps(definition),
            "roleArn": "arn:aws:iam::123456789012:role/r"})
        self.assertEqual(400, status, body)
        self.assertTrue(body["__type"].endswith("InvalidDefinition"), body)
        self.assertIn("The JSONata expression '1 +' is not valid", body["message"])

    def test_jsonpath_fields_are_refused_in_a_jsonata_state(self):
        definition = {"QueryLanguage": "JSONata", "StartAt": "P",
                      "States": {"P": {"Type": "Pass", "ResultPath": "$.x", "End": True}}}
        status, body = self.sfn(self.loan, "CreateStateMachine", {
            "name": "MixedJsonata", "definition": json.dumps(definition),
            "roleArn": "arn:aws:iam::123456789012:role/r"})
        self.assertEqual(400, status, body)
        self.assertIn("Field 'ResultPath' is not supported at /States/P", body["message"])


if __name__ == "__main__":
    harness.main()
