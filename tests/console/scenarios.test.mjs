// The start form's applications and the requests that answer a task by hand.
import assert from "node:assert/strict";
import test from "node:test";

import {
  loanApplication, sampleValuationResponse, SCENARIOS, scenarioById, takesLoanApplication,
} from "../../loan-processor/console/page/scenarios.mjs";
import { describeTaskAnswer, taskAnswerRequest } from "../../loan-processor/console/page/task_answer.mjs";

test("the six stories and their valuation-service switches, as scripts/demo.sh names them", () => {
  assert.deepEqual(SCENARIOS.map((scenario) => [scenario.id, scenario.nameOrNumber]), [
    ["prompt", "999"], ["late", "Late callback"], ["duplicate", "Duplicate response"], ["none", "No callback"],
    ["unknown", "Unknown reference"], ["failed", "Failed response"],
  ]);
  assert.equal(scenarioById("none").nameOrNumber, "No callback");
  assert.equal(scenarioById("nonsense").id, "prompt");
});

test("the blog's sample application, with the scenario's switch as the property's nameOrNumber", () => {
  assert.deepEqual(loanApplication({ applicationReference: "app-ref", postcode: "PO1 1CE", scenario: "prompt" }),
    { applicationReference: "app-ref", property: { nameOrNumber: "999", postcode: "PO1 1CE" } });
  assert.deepEqual(loanApplication({ scenario: "failed" }),
    { applicationReference: "app-ref", property: { nameOrNumber: "Failed response", postcode: "PO1 1CE" } });
});

test("the loan workflows take the application; other state machines a JSON input", () => {
  assert.ok(takesLoanApplication("arn:aws:states:us-east-1:123456789012:stateMachine:LoanProcessorStateMachine"));
  assert.ok(takesLoanApplication("LoanProcessorPart1StateMachine"));
  assert.ok(!takesLoanApplication("arn:aws:states:us-east-1:123456789012:stateMachine:LoanApproval"));
  assert.ok(!takesLoanApplication(null));
});

test("the Send success form starts with a ValuationResponse for the reference", () => {
  assert.deepEqual(sampleValuationResponse("R1"), { valuationReference: "R1", propertyValue: 500000 });
});

test("task answers are the AWS requests a user's SDK sends", () => {
  assert.deepEqual(taskAnswerRequest("success", "T", { output: '{"a":1}' }),
    { operation: "SendTaskSuccess", request: { taskToken: "T", output: '{"a":1}' } });
  assert.deepEqual(taskAnswerRequest("failure", "T", { error: "ValuationFailed", cause: "" }),
    { operation: "SendTaskFailure", request: { taskToken: "T", error: "ValuationFailed" } });
  assert.deepEqual(taskAnswerRequest("failure", "T", { error: "E", cause: "C" }).request,
    { taskToken: "T", error: "E", cause: "C" });
  assert.deepEqual(taskAnswerRequest("heartbeat", "T"),
    { operation: "SendTaskHeartbeat", request: { taskToken: "T" } });
  assert.throws(() => taskAnswerRequest("maybe", "T"), /unknown task answer/);
});

test("an answer's report names the operation and the API's error type and message", () => {
  assert.equal(describeTaskAnswer("SendTaskSuccess"), "SendTaskSuccess: accepted");
  const closed = { type: "com.amazonaws.swf.service.model.v20120810#TaskTimedOut",
    detail: "Task Timed Out: 'Provided task does not exist anymore'" };
  assert.equal(describeTaskAnswer("SendTaskSuccess", closed),
    "SendTaskSuccess: TaskTimedOut: Task Timed Out: 'Provided task does not exist anymore'");
  assert.equal(describeTaskAnswer("SendTaskHeartbeat", new TypeError("Failed to fetch")),
    "SendTaskHeartbeat: TypeError: Failed to fetch");
});
