"""Definitions that go wrong: refused at start-up with AWS's text, or failing at run time as AWS fails them."""

import json
import os
import subprocess

import harness

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "cdk-task-token-mistake",
                       "LoanProcessorCdkMistakeStateMachine.asl.json")


class Definitions(harness.StackTestCase):
    def test_the_cdk_double_suffix_mistake_fails_with_states_runtime_before_the_task(self):
        with open(EXAMPLE) as file:
            definition = json.load(file)
        loan, valuation = self.start_stack(extra_state_machines={"LoanProcessorCdkMistakeStateMachine": definition})
        arn = self.start_execution(loan, state_machine_arn=harness.machine_arn("LoanProcessorCdkMistakeStateMachine"))
        done = self.wait_for_status(loan, arn, "FAILED")
        self.assertEqual("States.Runtime", done["error"])
        prefix = ("An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                  "The Parameters '")
        suffix = ("' could not be used to start the Task: [The value for the field 'taskToken.$' must be a valid "
                  "JSONPath or a valid intrinsic function call]")
        self.assertTrue(done["cause"].startswith(prefix), done["cause"])
        self.assertTrue(done["cause"].endswith(suffix), done["cause"])
        parameters = json.loads(done["cause"][len(prefix):-len(suffix)])
        self.assertEqual("ValuationRequestFunction", parameters["FunctionName"])
        self.assertEqual(harness.SAMPLE_APPLICATION, parameters["Payload"]["loanApplication"])
        self.assertTrue(parameters["Payload"]["taskToken.$"])           # the token, under the wrong key
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"],
                         [e["type"] for e in self.history(loan, arn)])
        self.assertNotIn("valuation-requested", loan.logs())             # the valuation service was never called
        self.assertEqual([], self.redis.command("KEYS", "valuation:*"))

    def test_a_shipped_definition_with_an_error_stops_the_start_with_aws_text(self):
        broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "TimeoutSeconds": 3, "End": True}}}
        environment = dict(os.environ, LOAN_PROCESSOR_PORT=str(harness.free_port()), REDIS_URL=self.redis.url,
                           STATE_MACHINES_DIR=self.state_machines_dir({"Broken": broken}))
        result = subprocess.run([harness.LOAN_PROCESSOR], env=environment, capture_output=True, text=True, timeout=10)
        self.assertNotEqual(0, result.returncode)
        self.assertIn("Broken.asl.json: SCHEMA_VALIDATION_FAILED: Field 'TimeoutSeconds' is not supported at "
                      "/States/A", result.stdout + result.stderr)


if __name__ == "__main__":
    harness.main()
