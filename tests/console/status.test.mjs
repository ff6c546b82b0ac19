// The graph's colours: each state's status derived from its execution's history.
import assert from "node:assert/strict";
import test from "node:test";

import {
  deriveStatuses, END_NODE, nodeStatus, START_NODE, STATUS, transitionKey,
} from "../../loan-processor/console/page/status.mjs";
import { assignedValues } from "../../loan-processor/console/page/state_view.mjs";
import * as histories from "./histories.mjs";

const statusesOf = (events, ...names) => {
  const view = deriveStatuses(events);
  return Object.fromEntries(names.map((name) => [name, nodeStatus(view, name)]));
};

test("nothing happened yet: every node is not started", () => {
  assert.deepEqual(statusesOf([], START_NODE, "RequestValuation", END_NODE),
    { [START_NODE]: STATUS.NOT_STARTED, RequestValuation: STATUS.NOT_STARTED, [END_NODE]: STATUS.NOT_STARTED });
});

test("a waitForTaskToken task is in progress until TaskSubmitted, then waiting", () => {
  assert.equal(nodeStatus(deriveStatuses(histories.WAITING.slice(0, 4)), "RequestValuation"), STATUS.IN_PROGRESS);
  const view = deriveStatuses(histories.WAITING);
  assert.equal(nodeStatus(view, "RequestValuation"), STATUS.WAITING);
  assert.equal(nodeStatus(view, START_NODE), STATUS.SUCCEEDED);
  assert.equal(nodeStatus(view, END_NODE), STATUS.NOT_STARTED);
  assert.equal(view.current, "RequestValuation");
});

test("the prompt callback: RequestValuation succeeded, the end reached along its edge", () => {
  const view = deriveStatuses(histories.SUCCEEDED);
  assert.equal(nodeStatus(view, "RequestValuation"), STATUS.SUCCEEDED);
  assert.equal(nodeStatus(view, END_NODE), STATUS.SUCCEEDED);
  assert.equal(nodeStatus(view, "PublishValuationServiceTimeoutError"), STATUS.NOT_STARTED);
  assert.deepEqual([...view.transitions],
    [transitionKey(START_NODE, "RequestValuation"), transitionKey("RequestValuation", END_NODE)]);
  assert.equal(view.current, null);
});

test("no callback: the timed-out task is caught, the publisher succeeded, the Fail state failed", () => {
  const view = deriveStatuses(histories.TIMED_OUT_AND_CAUGHT);
  assert.deepEqual(statusesOf(histories.TIMED_OUT_AND_CAUGHT, "RequestValuation", "PublishValuationServiceTimeoutError",
    "ValuationServiceTimedOut", "PublishValuationFailedError", END_NODE), {
    RequestValuation: STATUS.CAUGHT,
    PublishValuationServiceTimeoutError: STATUS.SUCCEEDED,
    ValuationServiceTimedOut: STATUS.FAILED,
    PublishValuationFailedError: STATUS.NOT_STARTED,
    [END_NODE]: STATUS.FAILED,
  });
  assert.ok(view.transitions.has(transitionKey("RequestValuation", "PublishValuationServiceTimeoutError")));
  assert.ok(view.transitions.has(transitionKey("ValuationServiceTimedOut", END_NODE)));
  assert.ok(!view.transitions.has(transitionKey("RequestValuation", END_NODE)));
});

test("a failed response (TaskFailed) is caught the same way", () => {
  const names = ["RequestValuation", "PublishValuationFailedError", "ValuationFailed"];
  assert.deepEqual(statusesOf(histories.FAILED_AND_CAUGHT, ...names),
    { RequestValuation: STATUS.CAUGHT, PublishValuationFailedError: STATUS.SUCCEEDED, ValuationFailed: STATUS.FAILED });
});

test("a Fail state is failed as soon as it is entered", () => {
  const entered = histories.TIMED_OUT_AND_CAUGHT.slice(0, -1);
  assert.equal(nodeStatus(deriveStatuses(entered), "ValuationServiceTimedOut"), STATUS.FAILED);
  assert.equal(nodeStatus(deriveStatuses(entered), END_NODE), STATUS.NOT_STARTED);
});

test("an uncaught task error fails the task itself, and no edge to the end is taken", () => {
  const view = deriveStatuses(histories.UNCAUGHT_TASK_FAILURE);
  assert.equal(nodeStatus(view, "RequestValuation"), STATUS.FAILED);
  assert.equal(nodeStatus(view, END_NODE), STATUS.FAILED);
  assert.ok(!view.transitions.has(transitionKey("RequestValuation", END_NODE)));
});

test("a task error that a Retry takes is in progress, and a success after it is not caught", () => {
  assert.equal(nodeStatus(deriveStatuses(histories.RETRIED), "Call"), STATUS.IN_PROGRESS);
  assert.equal(nodeStatus(deriveStatuses(histories.RETRIED_AGAIN), "Call"), STATUS.IN_PROGRESS);
  assert.equal(nodeStatus(deriveStatuses(histories.RETRIED_AND_SUCCEEDED), "Call"), STATUS.SUCCEEDED);
});

test("a task's TaskSubmitted that is not a waitForTaskToken one does not make it waiting", () => {
  const events = [...histories.RETRIED_AGAIN,
    histories.event(7, "TaskSubmitted", 2.2, { resourceType: "states", resource: "startExecution.sync" })];
  assert.equal(nodeStatus(deriveStatuses(events), "Call"), STATUS.IN_PROGRESS);
});

test("Pass and Choice states succeed; an aborted execution fails the state it rested in", () => {
  assert.deepEqual(statusesOf(histories.STOPPED_IN_A_WAIT, "Prepare", "Check", "Pause", END_NODE),
    { Prepare: STATUS.SUCCEEDED, Check: STATUS.SUCCEEDED, Pause: STATUS.FAILED, [END_NODE]: STATUS.FAILED });
  const view = deriveStatuses(histories.STOPPED_IN_A_WAIT);
  assert.ok(view.transitions.has(transitionKey("Prepare", "Check")));
  assert.ok(view.transitions.has(transitionKey("Check", "Pause")));
});

test("a state entered again shows its latest visit, with that visit's input", () => {
  const view = deriveStatuses(histories.LOOPING);
  assert.equal(nodeStatus(view, "Step"), STATUS.IN_PROGRESS);
  assert.equal(view.states.get("Step").input, '{"round":2}');
  assert.equal(view.states.get("Step").output, undefined);
  assert.ok(view.transitions.has(transitionKey("Again", "Step")));
});

test("each state keeps its input, output and the ids of its entered and exited events", () => {
  const state = deriveStatuses(histories.TIMED_OUT_AND_CAUGHT).states.get("RequestValuation");
  assert.equal(state.type, "Task");
  assert.match(state.input, /"nameOrNumber":"999"/);
  assert.equal(state.output, '{"Error":"States.Timeout","Cause":null}');
  assert.equal(state.enteredEventId, 2);
  assert.equal(state.exitedEventId, 7);
});

test("a state's assigned variables are kept from its StateExited event", () => {
  const events = [
    histories.event(1, "ExecutionStarted", 0, { input: "{}" }),
    histories.event(2, "PassStateEntered", 0, { name: "Prepare", input: "{}" }, "stateEnteredEventDetails"),
    histories.event(3, "PassStateExited", 0, { name: "Prepare", output: "{}",
      assignedVariables: { reference: "\"app-1\"", limit: "3" } }, "stateExitedEventDetails"),
  ];
  const view = deriveStatuses(events);
  assert.deepEqual(view.states.get("Prepare").assignedVariables, { reference: "\"app-1\"", limit: "3" });
});

test("assignedValues parses each variable's JSON text (a text that is not JSON stays as it is)", () => {
  assert.deepEqual(assignedValues({ reference: "\"app-1\"", limit: "3", odd: "{not json" }),
    { reference: "app-1", limit: 3, odd: "{not json" });
  assert.equal(assignedValues(undefined), undefined);
  assert.equal(assignedValues({}), undefined);
});
