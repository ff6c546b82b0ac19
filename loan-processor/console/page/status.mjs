// What each state of an execution is doing, derived from its AWS-shaped history
// (GetExecutionHistory events, oldest first). Pure: no DOM, no I/O.
//
// The rules, as the AWS console paints its graph:
//   <Type>StateEntered                    in progress (a Fail state: failed at once)
//   TaskSubmitted of a .waitForTaskToken  waiting (for its token)
//   <Type>StateExited                     succeeded, or caught when a task error
//                                         (TaskFailed, TaskTimedOut, ...) came before
//                                         it: the Catch took the execution on
//   Execution{Failed,TimedOut,Aborted}    the state it rested in: failed
// A retried task (a new TaskScheduled after the error) is in progress again.

import { eventDetails } from "./events.mjs";

export const STATUS = Object.freeze({
  NOT_STARTED: "not-started",
  IN_PROGRESS: "in-progress",
  WAITING: "waiting",
  SUCCEEDED: "succeeded",
  FAILED: "failed",
  CAUGHT: "caught",
});

export const START_NODE = "#start";
export const END_NODE = "#end";

const TASK_ERROR = /^(Task|Activity|LambdaFunction)(Failed|TimedOut|StartFailed|SubmitFailed|ScheduleFailed)$/;
const TASK_ATTEMPT = /^(Task|Activity|LambdaFunction)Scheduled$/;
const EXECUTION_END_FAILED = new Set(["ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"]);

/** The key of a transition from one graph node to another (as in the graph's edges). */
export function transitionKey(from, to) {
  return `${from}\u0000${to}`;
}

function enterState(view, event, details) {
  const failState = event.type === "FailStateEntered";
  view.states.set(details.name, {
    status: failState ? STATUS.FAILED : STATUS.IN_PROGRESS,
    type: event.type.slice(0, -"StateEntered".length),
    input: details.input,
    output: undefined,
    assignedVariables: undefined,
    enteredEventId: event.id,
    exitedEventId: undefined,
  });
  view.transitions.add(transitionKey(view.previous, details.name));
  view.current = details.name;
  view.taskError = false;
}

function exitState(view, event, details) {
  const state = view.states.get(details.name);
  if (state) {
    state.status = view.taskError ? STATUS.CAUGHT : STATUS.SUCCEEDED;
    state.output = details.output;
    state.assignedVariables = details.assignedVariables;
    state.exitedEventId = event.id;
  }
  view.previous = details.name;
  view.current = null;
  view.taskError = false;
}

function setCurrentStatus(view, status) {
  const state = view.current && view.states.get(view.current);
  if (state) state.status = status;
}

function endExecution(view, event) {
  if (event.type === "ExecutionSucceeded") {
    view.end = STATUS.SUCCEEDED;
    view.transitions.add(transitionKey(view.previous, END_NODE));
    return;
  }
  view.end = STATUS.FAILED;
  const state = view.current && view.states.get(view.current);
  if (!state) return;
  if (state.type === "Fail") view.transitions.add(transitionKey(view.current, END_NODE));
  state.status = STATUS.FAILED;
}

function applyEvent(view, event) {
  const type = event.type || "";
  const details = eventDetails(event);
  if (type === "ExecutionStarted") view.start = STATUS.SUCCEEDED;
  else if (type.endsWith("StateEntered")) enterState(view, event, details);
  else if (type.endsWith("StateExited")) exitState(view, event, details);
  else if (TASK_ATTEMPT.test(type)) {
    view.taskError = false;
    setCurrentStatus(view, STATUS.IN_PROGRESS);
  } else if (type === "TaskSubmitted" && /\.waitForTaskToken$/.test(details.resource || "")) {
    setCurrentStatus(view, STATUS.WAITING);
  } else if (TASK_ERROR.test(type)) view.taskError = true;
  else if (type === "ExecutionSucceeded" || EXECUTION_END_FAILED.has(type)) endExecution(view, event);
}

/**
 * The status of every state the history reaches, with its latest input and
 * output, and the transitions taken. Returns {states: Map name ->
 * {status, type, input, output, enteredEventId, exitedEventId}, start, end
 * (the pseudo-nodes' statuses), current (the state the execution rests in, or
 * null), transitions: Set of transitionKey(from, to)}. States never entered are
 * absent (not started).
 */
export function deriveStatuses(events) {
  const view = {
    states: new Map(),
    start: STATUS.NOT_STARTED,
    end: STATUS.NOT_STARTED,
    current: null,
    previous: START_NODE,
    taskError: false,
    transitions: new Set(),
  };
  for (const event of events || []) applyEvent(view, event);
  const { states, start, end, current, transitions } = view;
  return { states, start, end, current, transitions };
}

/** The status of one graph node (a state's name, START_NODE or END_NODE) in a derived view. */
export function nodeStatus(view, nodeId) {
  if (nodeId === START_NODE) return view.start;
  if (nodeId === END_NODE) return view.end;
  const state = view.states.get(nodeId);
  return state ? state.status : STATUS.NOT_STARTED;
}
