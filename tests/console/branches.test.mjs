// The live branches the execution panel lists: what each waits for, and the graph's colours where they rest.
import assert from "node:assert/strict";
import test from "node:test";

import {
  answerable, branchesKey, branchLabel, describeBranchWait, withRestingBranches,
} from "../../loan-processor/console/page/branches.mjs";
import { deriveStatuses, nodeStatus, STATUS } from "../../loan-processor/console/page/status.mjs";
import * as histories from "./histories.mjs";

const TASK = { branchId: "3.0", state: "Approve", resting: "task", taskToken: "token-0", enteredAt: 1 };
const ITERATION = { branchId: "3.1", state: "Score", resting: "task", mapIndex: 1 };
const WAITING = { branchId: "5.0", state: "Pause", resting: "wait", timerDue: 2 };

test("a branch with a task token is answerable; one without, or resting elsewhere, is not", () => {
  assert.equal(answerable(TASK), true);
  assert.equal(answerable(ITERATION), false);
  assert.equal(answerable({ ...TASK, resting: "retry" }), false);
  assert.equal(answerable({ ...TASK, taskToken: "" }), false);
});

test("what a branch waits for, in words", () => {
  assert.equal(describeBranchWait(TASK), "its task token");
  assert.equal(describeBranchWait(ITERATION), "its task");
  assert.equal(describeBranchWait(WAITING), "the end of its Wait");
  assert.equal(describeBranchWait({ ...WAITING, resting: "retry" }), "its next attempt");
  assert.equal(describeBranchWait({ ...WAITING, resting: "fork" }), "its own branches");
});

test("a Map iteration's label says its index, a Parallel branch's its id only", () => {
  assert.equal(branchLabel(TASK), "3.0");
  assert.equal(branchLabel(ITERATION), "3.1 · Map index 1");
  assert.equal(branchLabel({ ...ITERATION, mapIndex: 0 }), "3.1 · Map index 0");
});

test("the rows' key changes when a branch moves or gets another token, not when a clock does", () => {
  const key = branchesKey([TASK, ITERATION]);
  assert.equal(branchesKey([{ ...TASK, timeoutAt: 5 }, ITERATION]), key);
  assert.notEqual(branchesKey([{ ...TASK, taskToken: "token-0b" }, ITERATION]), key);
  assert.notEqual(branchesKey([TASK]), key);
  assert.equal(branchesKey(undefined), branchesKey([]));
});

test("nested states where branches rest are coloured running; the history's view is not changed", () => {
  const view = deriveStatuses(histories.WAITING);
  const painted = withRestingBranches(view, [TASK, ITERATION, WAITING, { branchId: "7.0", state: "Inner",
    resting: "fork" }]);
  assert.equal(nodeStatus(painted, "Approve"), STATUS.WAITING);
  assert.equal(nodeStatus(painted, "Score"), STATUS.IN_PROGRESS);
  assert.equal(nodeStatus(painted, "Pause"), STATUS.IN_PROGRESS);
  assert.equal(nodeStatus(painted, "Inner"), STATUS.IN_PROGRESS);
  assert.equal(nodeStatus(painted, "RequestValuation"), STATUS.WAITING);
  assert.equal(nodeStatus(view, "Approve"), STATUS.NOT_STARTED);
  assert.equal(withRestingBranches(view, []), view);
  assert.equal(withRestingBranches(view, undefined), view);
});

test("a state one iteration left and another still rests in is running; one waiting branch there wins", () => {
  const view = { ...deriveStatuses([]), states: new Map([["Score", { status: STATUS.SUCCEEDED, output: "{}" }]]) };
  const painted = withRestingBranches(view, [ITERATION, { ...ITERATION, branchId: "3.2", taskToken: "t" },
    { ...ITERATION, branchId: "3.3" }]);
  assert.equal(nodeStatus(painted, "Score"), STATUS.WAITING);
  assert.equal(painted.states.get("Score").output, "{}");
  assert.equal(nodeStatus(view, "Score"), STATUS.SUCCEEDED);
});
