// The live branches of an execution (Parallel branches, Map iterations), as
// /console/api/execution lists them: what each waits for, and the graph's
// colours where they rest. Pure: no DOM, no I/O.

import { STATUS } from "./status.mjs";

const WAITS_FOR = Object.freeze({
  wait: "the end of its Wait",
  retry: "its next attempt",
  fork: "its own branches",
});

/** Whether a branch waits for its task's token (so it can be answered by hand). */
export function answerable(branch) {
  return branch.resting === "task" && typeof branch.taskToken === "string" && branch.taskToken !== "";
}

/** What a branch waits for, in words: "its task token", "its task", "the end of its Wait", ... */
export function describeBranchWait(branch) {
  if (branch.resting === "task") return answerable(branch) ? "its task token" : "its task";
  return WAITS_FOR[branch.resting] || (branch.resting ? `(${branch.resting})` : "nothing: it is moving on");
}

/** A branch's label: "3.1" for a Parallel branch, "3.1 · Map index 1" for an iteration. */
export function branchLabel(branch) {
  const index = branch.mapIndex ?? null;
  return index === null ? branch.branchId : `${branch.branchId} · Map index ${index}`;
}

/**
 * What the branch rows show, as one string: the rows are rebuilt only when
 * it changes (so that what a user typed in a row's answer stays while the
 * same tasks wait).
 */
export function branchesKey(branches) {
  return JSON.stringify((branches || []).map((branch) => [branch.branchId, branch.state, branch.resting,
    branch.taskToken ?? null]));
}

/**
 * The derived view (status.mjs) with every state a live branch rests in
 * coloured as running: waiting when it waits for its task's token, else in
 * progress (whatever the history says: another iteration may have left the
 * same state already). view is not changed; a view without branches is
 * returned as it is.
 */
export function withRestingBranches(view, branches) {
  const resting = (branches || []).filter((branch) => branch.state);
  if (resting.length === 0) return view;
  const states = new Map(view.states);
  for (const branch of resting) {
    const status = answerable(branch) ? STATUS.WAITING : STATUS.IN_PROGRESS;
    const known = states.get(branch.state);
    if (known && known.status === STATUS.WAITING) continue; /* one waiting branch there is enough */
    states.set(branch.state, { ...(known || { type: undefined, input: undefined, output: undefined }), status });
  }
  return { ...view, states };
}
