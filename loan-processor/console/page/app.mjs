// The console page: what is selected, what was fetched, and when to fetch it.
// It fetches on load, on user actions and on live events only (live.mjs): never
// on a timer. The one timer here ticks the waiting clocks on screen. Opened
// without an execution in its URL, it follows the newest execution (so a demo
// shows its story as it starts) until the user picks one.

import { ApiError, callAws, callAwsAllPages, getConsoleView } from "./api.mjs";
import { withRestingBranches } from "./branches.mjs";
import { byId } from "./dom.mjs";
import { executionOutcome, executionRedrives, valuationReferenceOf } from "./events.mjs";
import { findExecution, upsertExecution } from "./execution_list.mjs";
import { renderExecutionList, renderExecutionSummary } from "./executions_view.mjs";
import { describeWaitingClock, mockTestCaseLabel, waitingClock } from "./format.mjs";
import { drawGraph, paintGraph, setNodeClock, showGraphMessage } from "./graph_view.mjs";
import { showHistory } from "./history_view.mjs";
import { connectLive } from "./live.mjs";
import { createPlumbingView, renderTopicMessages } from "./plumbing_view.mjs";
import { DEFAULT_MACHINE_NAME } from "./scenarios.mjs";
import { formatHash, machineArnOfExecution, nameOfArn, parseHash } from "./selection.mjs";
import { singleFlight } from "./single_flight.mjs";
import { createStartForm } from "./start_form.mjs";
import { renderStateDetails } from "./state_view.mjs";
import { deriveStatuses } from "./status.mjs";
import { describeTaskAnswer, taskAnswerRequest } from "./task_answer.mjs";

const LIST_PAGE_SIZE = 100;
const CLOCK_TICK_MS = 200;

const page = {
  machines: [],
  machineArn: null,
  statusFilter: "",
  executions: [],
  executionsNextToken: null,
  selectedArn: null,
  following: false,       // select each new execution as it appears (until the user picks one)
  selectedState: null,
  graphKey: null,
  history: [],
  inside: null,
  clockOffsetMs: 0,
  reference: null,
  valuation: null,
  view: deriveStatuses([]),
};

const ui = {
  machineSelect: byId("machine-select"),
  statusFilter: byId("status-filter"),
  list: byId("execution-list"),
  moreExecutions: byId("more-executions"),
  follow: byId("follow-newest"),
  startResult: byId("start-result"),
  summary: byId("execution-summary"),
  waitingClock: byId("waiting-clock"),
  graph: byId("graph"),
  stateDetails: byId("state-details"),
  topicMessages: byId("topic-messages"),
  history: byId("history"),
  live: byId("live-status"),
  pageError: byId("page-error"),
};

const startForm = createStartForm(byId("start-form"), startExecution);
const plumbing = createPlumbingView(byId("plumbing"), answerTask);
let clockTimer = null;

// ---- rendering ----

function renderList() {
  renderExecutionList(ui.list, page.executions, page.selectedArn, chooseExecution);
  ui.moreExecutions.hidden = !page.executionsNextToken;
}

function renderMachines() {
  ui.machineSelect.replaceChildren(...page.machines.map((machine) => {
    const option = document.createElement("option");
    option.value = machine.stateMachineArn;
    option.textContent = machine.name;
    return option;
  }));
  ui.machineSelect.value = page.machineArn || "";
}

/** The graph's colours: the history's, and running wherever a live branch rests. */
function paintedView() {
  return withRestingBranches(page.view, page.inside && page.inside.branches);
}

function renderSelected() {
  const view = paintedView();
  renderExecutionSummary(ui.summary, page.selectedArn, executionOutcome(page.history),
    executionRedrives(page.history), mockTestCaseLabel(page.inside));
  paintGraph(ui.graph, view, page.selectedState);
  renderStateDetails(ui.stateDetails, page.selectedState, view.states.get(page.selectedState));
  plumbing.render(page);
  renderTopicMessages(ui.topicMessages, page.inside);
  updateClockTimer();
}

/** Ticks the waiting clocks while something on screen counts down (a display timer: it fetches nothing). */
function updateClockTimer() {
  const waiting = page.inside && page.inside.waiting;
  const pending = page.valuation && (page.valuation.pendingCallbacks || []).length > 0;
  if ((waiting || pending) && !clockTimer) clockTimer = setInterval(tickClocks, CLOCK_TICK_MS);
  if (!waiting && !pending && clockTimer) {
    clearInterval(clockTimer);
    clockTimer = null;
  }
  tickClocks();
}

function tickClocks() {
  const now = Date.now();
  const waiting = page.inside && page.inside.waiting;
  const text = waiting ? describeWaitingClock(waitingClock(waiting, page.clockOffsetMs, now)) : "";
  ui.waitingClock.hidden = !waiting;
  ui.waitingClock.textContent = waiting ? `${waiting.state}: ${text}` : "";
  setNodeClock(ui.graph, waiting ? waiting.state : null, text.replace(/^waiting /, ""));
  plumbing.tick(now);
}

// ---- fetching ----

async function fetchMachines() {
  page.machines = await callAwsAllPages("ListStateMachines", { maxResults: 1000 }, "stateMachines");
  const wanted = machineArnOfExecution(page.selectedArn) || page.machineArn;
  const known = (arn) => page.machines.some((machine) => machine.stateMachineArn === arn);
  const fallback = page.machines.find((machine) => machine.name === DEFAULT_MACHINE_NAME) || page.machines[0];
  const chosen = known(wanted) ? wanted : fallback && fallback.stateMachineArn;
  if (chosen !== page.machineArn) {
    page.machineArn = chosen || null;
    startForm.setMachine(page.machineArn);
  }
  renderMachines();
  showMachineGraph();
}

function listRequest(nextToken) {
  const request = { stateMachineArn: page.machineArn, maxResults: LIST_PAGE_SIZE };
  if (page.statusFilter) request.statusFilter = page.statusFilter;
  if (nextToken) request.nextToken = nextToken;
  return request;
}

const refreshExecutions = singleFlight(async () => {
  if (!page.machineArn) return;
  const asked = listRequest();
  const answer = await callAws("ListExecutions", asked);
  if (asked.stateMachineArn !== page.machineArn || (asked.statusFilter || "") !== page.statusFilter) return;
  page.executions = answer.executions || [];
  page.executionsNextToken = answer.nextToken || null;
  renderList();
  followNewest();
}, showFailure);

async function loadMoreExecutions() {
  if (!page.executionsNextToken) return;
  const answer = await callAws("ListExecutions", listRequest(page.executionsNextToken));
  for (const execution of answer.executions || []) {
    page.executions = upsertExecution(page.executions, execution, page.statusFilter);
  }
  page.executionsNextToken = answer.nextToken || null;
  renderList();
}

const refreshEverything = singleFlight(async () => {
  await fetchMachines();
  ui.pageError.hidden = true;
  await Promise.all([refreshExecutions(), refreshSelected()]);
}, showFailure);

function fetchHistory(arn) {
  return callAwsAllPages("GetExecutionHistory", { executionArn: arn, maxResults: 1000, includeExecutionData: true },
    "events");
}

/** The console's view of arn, or an {error} object when it cannot be had (shown instead of failing the rest). */
async function fetchInside(arn) {
  try {
    const inside = await getConsoleView("execution", { executionArn: arn });
    return { inside, clockOffsetMs: Date.now() - inside.now };
  } catch (error) {
    return { inside: null, error };
  }
}

/** The valuation view of reference, with its clockOffsetMs (its times are on Redis's clock), or null. */
async function fetchValuation(reference) {
  if (!reference) return null;
  try {
    const valuation = await getConsoleView("valuation", { reference });
    return { ...valuation, clockOffsetMs: Date.now() - valuation.now };
  } catch (error) {
    return null;
  }
}

/**
 * Draws the graph of an execution's definition, or of a state machine's (arn
 * says which), unless it is drawn or being fetched already.
 */
async function ensureGraph(arn) {
  if (!arn || page.graphKey === arn) return;
  page.graphKey = arn;
  const parameters = machineArnOfExecution(arn) ? { executionArn: arn } : { stateMachineArn: arn };
  try {
    const layout = await getConsoleView("graph", parameters);
    if (arn !== page.graphKey) return;
    drawGraph(ui.graph, layout, selectState);
    paintGraph(ui.graph, paintedView(), page.selectedState);
  } catch (error) {
    if (arn !== page.graphKey) return;
    page.graphKey = null;
    showGraphMessage(ui.graph, `The graph cannot be drawn: ${error.message}`);
  }
}

/** With no execution selected, the graph shows the selected state machine's definition. */
function showMachineGraph() {
  if (!page.selectedArn) ensureGraph(page.machineArn);
}

/** Refetches what the selected execution shows: its history (unless withHistory is false), inside view, valuation. */
async function loadSelected(withHistory) {
  const arn = page.selectedArn;
  if (!arn) return;
  const [fetched, inside] = await Promise.all([
    withHistory ? fetchHistory(arn) : null,
    fetchInside(arn),
    ensureGraph(arn),
  ]);
  if (arn !== page.selectedArn) return;
  const history = fetched || page.history;
  const reference = valuationReferenceOf(history);
  const valuation = await fetchValuation(reference);
  if (arn !== page.selectedArn) return;
  const firstFetch = page.history.length === 0;
  Object.assign(page, { history, reference, valuation });
  Object.assign(page, { inside: inside.inside, clockOffsetMs: inside.clockOffsetMs || 0 });
  page.view = deriveStatuses(history);
  showHistory(ui.history, history, firstFetch);
  renderSelected();
}

function showSelectionFailure(error) {
  console.error(error);
  renderExecutionSummary(ui.summary, page.selectedArn, { status: "UNKNOWN", error: "The execution cannot be shown",
    cause: error.message });
}

// One loader for the selected execution, so that answers never arrive out of order; a run refetches the
// history only when a call since the last run asked for it.
let historyWanted = false;
const selectedLoader = singleFlight(() => {
  const withHistory = historyWanted;
  historyWanted = false;
  return loadSelected(withHistory);
}, showSelectionFailure);

/** Refetches everything the selected execution shows (its history changed). */
function refreshSelected() {
  historyWanted = true;
  return selectedLoader();
}

/** Refetches the selected execution's inside view and valuation only (an error-topic message, a task answer). */
function refreshInside() {
  return selectedLoader();
}

// ---- user actions ----

/** Following: shows the newest execution of the list (it comes first). */
function followNewest() {
  if (page.following && page.executions.length) selectExecution(page.executions[0].executionArn);
}

function setFollowing(following) {
  page.following = following;
  ui.follow.checked = following;
}

/** The user picked an execution: it stays selected, new ones no longer take its place. */
function chooseExecution(arn) {
  setFollowing(false);
  selectExecution(arn);
}

function selectExecution(arn) {
  if (arn === page.selectedArn) return;
  const machineArn = machineArnOfExecution(arn);
  Object.assign(page, { selectedArn: arn, selectedState: null, history: [], inside: null, valuation: null,
    reference: null, view: deriveStatuses([]) });
  if (location.hash !== formatHash({ execution: arn })) location.hash = formatHash({ execution: arn });
  plumbing.reset();
  showHistory(ui.history, [], true);
  showGraphMessage(ui.graph, "Loading the graph…");
  page.graphKey = null;
  if (!arn) showMachineGraph();
  if (machineArn && machineArn !== page.machineArn && page.machines.some((m) => m.stateMachineArn === machineArn)) {
    switchMachine(machineArn, false);
  }
  renderList();
  renderSelected();
  refreshSelected();
}

function switchMachine(machineArn, clearSelection) {
  page.machineArn = machineArn;
  page.executions = [];
  page.executionsNextToken = null;
  ui.machineSelect.value = machineArn;
  startForm.setMachine(machineArn);
  if (clearSelection && machineArnOfExecution(page.selectedArn) !== machineArn) selectExecution(null);
  renderList();
  showMachineGraph();
  refreshExecutions();
}

function selectState(name) {
  page.selectedState = name;
  renderSelected();
}

async function startExecution(inputText) {
  ui.startResult.textContent = "Starting…";
  ui.startResult.dataset.outcome = "";
  try {
    const answer = await callAws("StartExecution", { stateMachineArn: page.machineArn, input: inputText });
    ui.startResult.textContent = `Started ${nameOfArn(answer.executionArn)}`;
    ui.startResult.dataset.outcome = "ok";
    page.executions = upsertExecution(page.executions, { executionArn: answer.executionArn,
      name: nameOfArn(answer.executionArn), status: "RUNNING", startDate: answer.startDate }, page.statusFilter);
    selectExecution(answer.executionArn);
  } catch (error) {
    ui.startResult.textContent = error instanceof ApiError ? `${error.shortType}: ${error.detail}` : String(error);
    ui.startResult.dataset.outcome = "error";
  }
}

async function answerTask(kind, token, fields) {
  const { operation, request } = taskAnswerRequest(kind, token, fields);
  try {
    await callAws(operation, request);
    plumbing.showResult(describeTaskAnswer(operation), true);
  } catch (error) {
    plumbing.showResult(describeTaskAnswer(operation, error), false);
  }
  refreshInside();
}

/** Says why the page could not load something (the next live event or user action tries again). */
function showFailure(error) {
  console.error(error);
  ui.pageError.textContent = `The console could not load: ${error.message}`;
  ui.pageError.hidden = false;
}

// ---- live events ----

const describing = new Set();

/** A change to an execution the list does not show yet: describe it once and add it. */
async function addExecution(executionArn) {
  if (describing.has(executionArn)) return;
  describing.add(executionArn);
  try {
    const described = await callAws("DescribeExecution", { executionArn });
    if (described.stateMachineArn !== page.machineArn) return;
    page.executions = upsertExecution(page.executions, { executionArn, name: described.name,
      status: described.status, startDate: described.startDate, stopDate: described.stopDate }, page.statusFilter);
    renderList();
    followNewest();
  } catch (error) {
    console.warn(error);
  } finally {
    describing.delete(executionArn);
  }
}

/** Whether the selected execution's history on screen already reaches the change's last event. */
function alreadyShown(change) {
  const last = page.history[page.history.length - 1];
  return Boolean(last) && Number.isInteger(change.lastEventId) && last.id >= change.lastEventId;
}

function onExecutionChange(change) {
  if (!change.executionArn) return;
  if (change.executionArn === page.selectedArn && !alreadyShown(change)) refreshSelected();
  if (machineArnOfExecution(change.executionArn) !== page.machineArn) return;
  if (findExecution(page.executions, change.executionArn)) {
    page.executions = upsertExecution(page.executions, { executionArn: change.executionArn, status: change.status },
      page.statusFilter);
    renderList();
  } else {
    addExecution(change.executionArn);
  }
}

function setLiveIndicator(state) {
  ui.live.dataset.state = state;
  ui.live.textContent = { live: "live", reconnecting: "reconnecting…", connecting: "connecting…" }[state];
}

// ---- start ----

ui.machineSelect.addEventListener("change", () => switchMachine(ui.machineSelect.value, true));
ui.statusFilter.addEventListener("change", () => {
  page.statusFilter = ui.statusFilter.value;
  page.executions = [];
  renderList();
  refreshExecutions();
});
ui.moreExecutions.addEventListener("click", () => loadMoreExecutions().catch(showFailure));
window.addEventListener("hashchange", () => {
  const wanted = parseHash(location.hash).execution;
  if (wanted !== page.selectedArn) chooseExecution(wanted);
});
ui.follow.addEventListener("change", () => {
  setFollowing(ui.follow.checked);
  followNewest();
});

page.selectedArn = parseHash(location.hash).execution;
setFollowing(!page.selectedArn); // a link to one execution shows that one; the bare URL follows the newest
plumbing.reset();
renderSelected();
connectLive({
  onOpen: refreshEverything,
  onResync: refreshEverything,
  onExecution: onExecutionChange,
  onTopic: () => refreshInside(),
  onConnection: setLiveIndicator,
});
