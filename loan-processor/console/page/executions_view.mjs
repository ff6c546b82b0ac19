// The executions list (left column): one button per execution, newest first,
// with its status; the selected one highlighted.

import { element, replaceChildren } from "./dom.mjs";
import { formatClockTime, formatSinceStart } from "./format.mjs";

function executionItem(execution, selected, onSelect) {
  const button = element("button", {
    type: "button",
    class: `execution${selected ? " selected" : ""}`,
    "data-testid": "execution-item",
    "data-execution-arn": execution.executionArn,
    "data-status": execution.status,
    "aria-current": selected ? "true" : undefined,
    title: execution.executionArn,
    onclick: () => onSelect(execution.executionArn),
  },
  element("span", { class: "name" }, execution.name),
  element("span", { class: "badge", "data-status": execution.status }, execution.status),
  element("span", { class: "when subtle" }, formatClockTime(execution.startDate)));
  return element("li", {}, button);
}

/** Shows executions in list (an <ol>), marking selectedArn; onSelect(executionArn) on a click. */
export function renderExecutionList(list, executions, selectedArn, onSelect) {
  if (executions.length === 0) {
    replaceChildren(list, element("li", { class: "subtle empty" }, "No executions yet."));
    return;
  }
  replaceChildren(list, executions.map((execution) =>
    executionItem(execution, execution.executionArn === selectedArn, onSelect)));
}

/**
 * Shows the selected execution's heading in container: its name, status,
 * start time and duration, and its error or output once it has ended
 * (outcome: events.mjs executionOutcome), and how often it was redriven
 * (redrives: events.mjs executionRedrives; optional), and the mock test case it runs (testCase: format.mjs
 * mockTestCaseLabel; optional). A null arn shows the hint to select one.
 */
export function renderExecutionSummary(container, arn, outcome, redrives, testCase) {
  if (!arn) {
    replaceChildren(container, element("p", { class: "subtle" }, "Select an execution, or start one."));
    return;
  }
  const parts = [
    element("h2", { class: "execution-name", title: arn }, arn.split(":").pop()),
    element("span", { class: "badge", "data-status": outcome.status, "data-testid": "execution-status" },
      outcome.status),
  ];
  if (outcome.versionArn) {
    const via = outcome.aliasArn ? ` via alias ${outcome.aliasArn.split(":").pop()}` : "";
    parts.push(element("span", { class: "subtle", title: outcome.versionArn, "data-testid": "execution-version" },
      `version ${outcome.versionArn.split(":").pop()}${via}`));
  }
  if (testCase) {
    parts.push(element("span", { class: "subtle", "data-testid": "execution-test-case" }, testCase));
  }
  if (outcome.startDate !== undefined) {
    parts.push(element("span", { class: "subtle" }, `started ${formatClockTime(outcome.startDate)}`));
  }
  if (outcome.stopDate !== undefined) {
    parts.push(element("span", { class: "subtle" },
      `took ${formatSinceStart((outcome.stopDate - outcome.startDate) * 1000)}`));
  }
  if (redrives && redrives.count > 0) {
    parts.push(element("span", { class: "subtle", "data-testid": "execution-redrives" },
      `redriven ${redrives.count}×, last at ${formatClockTime(redrives.date)}`));
  }
  const outcomeLine = outcome.error || outcome.cause
    ? element("p", { class: "outcome bad", "data-testid": "execution-error" },
      [outcome.error, outcome.cause].filter(Boolean).join(": "))
    : outcome.output !== undefined
      ? element("p", { class: "outcome", "data-testid": "execution-output" }, element("code", {}, outcome.output))
      : null;
  replaceChildren(container, element("div", { class: "summary-line" }, parts), outcomeLine);
}
