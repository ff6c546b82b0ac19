// Reading history events: details, summaries as the AWS console shows them, states, the valuation reference.
import assert from "node:assert/strict";
import test from "node:test";

import {
  eventDetails, eventStates, executionOutcome, executionRedrives, readableDetails, sinceStartMs, summarizeEvent,
  topicMessageSummary, truncate, valuationReferenceOf,
} from "../../loan-processor/console/page/events.mjs";
import * as histories from "./histories.mjs";

const byType = (events, type) => events.find((event) => event.type === type);

test("eventDetails finds the <type>EventDetails object, {} when there is none", () => {
  assert.equal(eventDetails(histories.WAITING[1]).name, "RequestValuation");
  assert.deepEqual(eventDetails({ id: 1, type: "ExecutionStarted", timestamp: 1 }), {});
  assert.deepEqual(eventDetails(undefined), {});
});

test("sinceStartMs counts whole milliseconds from the first event (timestamps are epoch seconds)", () => {
  const events = histories.SUCCEEDED;
  assert.equal(sinceStartMs(events[0], events[0]), 0);
  assert.equal(sinceStartMs(events[4], events[0]), 2);
  assert.equal(sinceStartMs(events[5], events[0]), 6203);
});

test("summaries: the state's name, the resource with its timeout, the output, the error", () => {
  const events = histories.TIMED_OUT_AND_CAUGHT;
  assert.equal(summarizeEvent(byType(events, "TaskStateEntered")), "RequestValuation");
  assert.equal(summarizeEvent(byType(events, "TaskScheduled")), "lambda:invoke.waitForTaskToken (timeout 30 s)");
  assert.equal(summarizeEvent(byType(events, "TaskStarted")), "lambda:invoke.waitForTaskToken");
  assert.match(summarizeEvent(byType(events, "TaskSubmitted")), /"valuationReference":"2SBQpDXgmFTwMQEIyfPfd"/);
  assert.equal(summarizeEvent(byType(events, "TaskTimedOut")), "States.Timeout");
  assert.equal(summarizeEvent(byType(events, "TaskStateExited")),
    'RequestValuation → {"Error":"States.Timeout","Cause":null}');
  assert.equal(summarizeEvent(byType(events, "ExecutionFailed")), "ValuationServiceTimedOut");
  assert.equal(summarizeEvent(byType(histories.UNCAUGHT_TASK_FAILURE, "TaskFailed")), "Boom: it broke");
  assert.match(summarizeEvent(histories.WAITING[0]), /^\{"applicationReference"/);
});

test("long summaries are cut with an ellipsis", () => {
  assert.equal(truncate("abcdef", 4), "abc…");
  assert.equal(truncate("abc", 4), "abc");
  const long = histories.event(9, "TaskSucceeded", 1, { output: JSON.stringify({ text: "x".repeat(500) }) });
  assert.equal(summarizeEvent(long).length, 120);
});

test("readableDetails parses the JSON texts of input, output and parameters", () => {
  const details = readableDetails(byType(histories.WAITING, "TaskScheduled"));
  assert.equal(details.parameters.FunctionName, "ValuationRequestFunction");
  assert.equal(details.timeoutInSeconds, 30);
  const broken = readableDetails(histories.event(1, "TaskSucceeded", 0, { output: "not json" }));
  assert.equal(broken.output, "not json");
});

test("eventStates names the state of each event, none for the execution's own", () => {
  assert.deepEqual(eventStates(histories.SUCCEEDED), ["", "RequestValuation", "RequestValuation", "RequestValuation",
    "RequestValuation", "RequestValuation", "RequestValuation", ""]);
});

test("valuationReferenceOf reads the latest waitForTaskToken TaskSubmitted output's Payload", () => {
  assert.equal(valuationReferenceOf(histories.WAITING), "2SBQpDXgmFTwMQEIyfPfd");
  assert.equal(valuationReferenceOf(histories.WAITING.slice(0, 4)), null);
  assert.equal(valuationReferenceOf(histories.RETRIED), null);
  assert.equal(valuationReferenceOf([histories.event(5, "TaskSubmitted", 0,
    { resource: "invoke.waitForTaskToken", output: "{broken" })]), null);
  assert.equal(valuationReferenceOf(undefined), null);
});

test("executionOutcome: RUNNING until an end event, then its status, output or error", () => {
  assert.deepEqual(executionOutcome(histories.WAITING), { status: "RUNNING", startDate: histories.WAITING[0].timestamp,
    stopDate: undefined, output: undefined, error: undefined, cause: undefined });
  const done = executionOutcome(histories.SUCCEEDED);
  assert.equal(done.status, "SUCCEEDED");
  assert.match(done.output, /"propertyValue":153500/);
  assert.ok(Math.abs((done.stopDate - done.startDate) - 6.203) < 1e-6);
  const failed = executionOutcome(histories.UNCAUGHT_TASK_FAILURE);
  assert.deepEqual([failed.status, failed.error, failed.cause], ["FAILED", "Boom", "it broke"]);
  assert.equal(executionOutcome(histories.STOPPED_IN_A_WAIT).status, "ABORTED");
  assert.equal(executionOutcome([]).status, "RUNNING");
});

test("topicMessageSummary shows a JSON message's description, else the text", () => {
  assert.equal(topicMessageSummary('{"description":"The valuation service timed out","source":"x"}'),
    "The valuation service timed out");
  assert.equal(topicMessageSummary("plain words"), "plain words");
  assert.equal(topicMessageSummary('{"other":1}'), '{"other":1}');
});

test("executionOutcome names the version and alias an execution was started by", () => {
  const version = "arn:aws:states:us-east-1:123456789012:stateMachine:M:2";
  const alias = "arn:aws:states:us-east-1:123456789012:stateMachine:M:prod";
  const outcome = executionOutcome([histories.event(1, "ExecutionStarted", 0,
    { input: "{}", stateMachineVersionArn: version, stateMachineAliasArn: alias })]);
  assert.deepEqual([outcome.versionArn, outcome.aliasArn], [version, alias]);
  assert.equal(executionOutcome(histories.WAITING).versionArn, undefined);
});

test("executionRedrives: the count and last date of ExecutionRedriven events", () => {
  assert.deepEqual(executionRedrives([]), { count: 0, date: undefined });
  assert.deepEqual(executionRedrives([{ type: "ExecutionStarted", timestamp: 1 },
    { type: "ExecutionRedriven", timestamp: 5 }, { type: "ExecutionRedriven", timestamp: 9 }]), { count: 2, date: 9 });
});
