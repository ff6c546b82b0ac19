"""End-to-end: workflow variables (Assign, "$name" references) in JSONPath state machines (issue 17, item 3).

A state's Assign sets variables once the state completes; later states read them in Parameters, a Choice's
Variable, paths and intrinsic functions. Parallel branches and Map iterations start with a copy of the variables
and what they assign stays inside them. Variables are stored with the execution, so they survive a Task's wait
(an activity the test answers when it likes). Real redis-server, real loan-processor, real HTTP.
"""

import json

import harness
from harness import ACCOUNT, REGION, machine_arn, wait_until

ACTIVITY = "variables-worker"
ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{ACTIVITY}"


def activity_task(**fields):
    return dict({"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 600}, **fields)


MACHINES = {
    "Guess": {"StartAt": "Setup", "States": {
        "Setup": {"Type": "Pass", "Assign": {"answer": 42, "guess.$": "$.guess", "who.$": "$$.Execution.Name"},
                  "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$guess", "NumericEqualsPath": "$answer", "Assign": {"verdict": "right"}, "Next": "Report"}],
            "Assign": {"verdict": "wrong"}, "Default": "Report"},
        "Report": {"Type": "Pass", "Parameters": {
            "verdict.$": "$verdict", "who.$": "$who", "text.$": "States.Format('{} guessed {}', $who, $guess)"},
            "End": True}}},
    "TaskResult": {"StartAt": "Before", "States": {
        "Before": {"Type": "Pass", "Assign": {"limit": 3, "seen": "before"}, "Next": "Work"},
        "Work": activity_task(Parameters={"limit.$": "$limit"}, ResultSelector={"score.$": "$.score"},
                              Assign={"score.$": "$.score", "seen": "work", "previous.$": "$seen"}, Next="After"),
        "After": {"Type": "Pass", "Parameters": {"score.$": "$score", "limit.$": "$limit", "seen.$": "$seen",
                                                 "previous.$": "$previous"}, "End": True}}},
    "MapScope": {"StartAt": "Outer", "States": {
        "Outer": {"Type": "Pass", "Assign": {"x": 42, "items": [1, 2, 3]}, "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrency": 1, "Next": "After",
              "ItemProcessor": {"StartAt": "Inner", "States": {
                  "Inner": {"Type": "Pass", "Assign": {"x": 0, "innerX.$": "$x"},
                            "Parameters": {"item.$": "$", "outer.$": "$x"}, "End": True}}}},
        "After": {"Type": "Pass", "Assign": {"final.$": "$x"}, "Parameters": {"x.$": "$x", "items.$": "$"},
                  "End": True}}},
    "ParallelScope": {"StartAt": "Outer", "States": {
        "Outer": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "P"},
        "P": {"Type": "Parallel", "Next": "After", "Branches": [
            {"StartAt": "Wait", "States": {
                "Wait": activity_task(Assign={"x": "branch"}, Next="Read"),
                "Read": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True}}},
            {"StartAt": "Read2", "States": {
                "Read2": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True}}}]},
        "After": {"Type": "Pass", "Parameters": {"x.$": "$x", "branches.$": "$"}, "End": True}}},
    "Undefined": {"StartAt": "Use", "States": {
        "Use": {"Type": "Pass", "Parameters": {"value.$": "$nowhere"}, "End": True}}},
}


class Variables(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor(extra_state_machines=MACHINES, ACTIVITY_POLL_SECONDS="2")
        status, body = self.sfn(self.loan, "CreateActivity", {"name": ACTIVITY})
        self.assertEqual(200, status, body)

    def run_machine(self, machine, execution_input, name=None):
        return self.start_execution(self.loan, execution_input, name=name, state_machine_arn=machine_arn(machine))

    def finished(self, arn):
        def done():
            description = self.describe(self.loan, arn)
            return description if description["status"] != "RUNNING" else None
        return wait_until(done, 10, what=f"{arn} to finish")

    def take_task(self):
        status, body = self.sfn(self.loan, "GetActivityTask", {"activityArn": ACTIVITY_ARN, "workerName": "w"})
        self.assertEqual(200, status, body)
        self.assertIn("taskToken", body)
        return body

    def succeed(self, task, output):
        status, body = self.sfn(self.loan, "SendTaskSuccess", {"taskToken": task["taskToken"],
                                                                 "output": json.dumps(output)})
        self.assertEqual(200, status, body)

    def exited(self, arn, state):
        [event] = [e for e in self.all_events(self.loan, arn)
                   if e["type"].endswith("StateExited") and e["stateExitedEventDetails"]["name"] == state]
        return event["stateExitedEventDetails"]

    def test_assign_in_pass_and_choice_read_in_choice_and_parameters(self):
        for guess, verdict in ((42, "right"), (7, "wrong")):
            arn = self.run_machine("Guess", {"guess": guess}, name=f"guess-{guess}")
            done = self.finished(arn)
            self.assertEqual("SUCCEEDED", done["status"], done)
            self.assertEqual({"verdict": verdict, "who": f"guess-{guess}", "text": f"guess-{guess} guessed {guess}"},
                             json.loads(done["output"]))
            setup = self.exited(arn, "Setup")
            self.assertEqual({"answer": "42", "guess": str(guess), "who": f'"guess-{guess}"'},
                             setup["assignedVariables"])
            self.assertEqual({"truncated": False}, setup["assignedVariablesDetails"])
            self.assertEqual({"verdict": f'"{verdict}"'}, self.exited(arn, "Check")["assignedVariables"])
            self.assertNotIn("assignedVariables", self.exited(arn, "Report"))

    def test_a_task_assigns_from_its_result_and_variables_survive_its_wait(self):
        arn = self.run_machine("TaskResult", {})
        task = self.take_task()
        self.assertEqual({"limit": 3}, json.loads(task["input"]))
        self.succeed(task, {"score": 7, "noise": True})
        done = self.finished(arn)
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({"score": 7, "limit": 3, "seen": "work", "previous": "before"}, json.loads(done["output"]))
        self.assertEqual({"score": "7", "seen": '"work"', "previous": '"before"'},
                         self.exited(arn, "Work")["assignedVariables"])

    def test_map_iterations_read_outer_variables_and_keep_their_own(self):
        arn = self.run_machine("MapScope", {})
        done = self.finished(arn)
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({"x": 42, "items": [{"item": i, "outer": 42} for i in (1, 2, 3)]},
                         json.loads(done["output"]))
        inner = [e["stateExitedEventDetails"] for e in self.all_events(self.loan, arn)
                 if e["type"] == "PassStateExited" and e["stateExitedEventDetails"]["name"] == "Inner"]
        self.assertEqual([{"x": "0", "innerX": "42"}] * 3, [d["assignedVariables"] for d in inner])
        self.assertEqual({"final": "42"}, self.exited(arn, "After")["assignedVariables"])

    def test_parallel_branches_start_with_a_copy_that_survives_a_wait(self):
        arn = self.run_machine("ParallelScope", {})
        task = self.take_task()
        self.succeed(task, {"answered": True})
        done = self.finished(arn)
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({"x": "outer", "branches": [{"x": "branch"}, {"x": "outer"}]}, json.loads(done["output"]))

    def test_an_undefined_variable_fails_the_execution(self):
        arn = self.run_machine("Undefined", {"a": 1})
        done = self.finished(arn)
        self.assertEqual(("FAILED", "States.Runtime"), (done["status"], done["error"]))
        self.assertEqual("An error occurred while executing the state 'Use' (entered at the event id #2). The JSONPath "
                         "'$nowhere' specified for the field 'value.$' could not be found in the input '{\"a\":1}'",
                         done["cause"])

    def test_assign_is_refused_where_aws_refuses_it(self):
        definition = {"StartAt": "S", "States": {"S": {"Type": "Succeed", "Assign": {"x": 1}}}}
        status, body = self.sfn(self.loan, "CreateStateMachine", {
            "name": "AssignOnSucceed", "definition": json.dumps(definition),
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r"})
        self.assertEqual(400, status, body)
        self.assertTrue(body["__type"].endswith("InvalidDefinition"), body)
        self.assertIn("Field 'Assign' is not supported at /States/S", body["message"])


if __name__ == "__main__":
    harness.main()
