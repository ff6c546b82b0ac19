// The selected state's details (right column): its status, its input and
// output in the selected execution (from its StateEntered/StateExited events),
// and the workflow variables it assigned (Assign: the StateExited event's
// assignedVariables, each value a JSON text).

import { element, replaceChildren } from "./dom.mjs";
import { prettyJson } from "./format.mjs";
import { STATUS } from "./status.mjs";

function jsonBlock(title, value, testId) {
  return element("div", { class: "io" },
    element("h3", {}, title),
    value === undefined
      ? element("p", { class: "subtle" }, "not yet")
      : element("pre", { class: "json", "data-testid": testId }, prettyJson(value)));
}

/** The variables a state assigned ({name: JSON text}) as one object of their values; undefined without any. */
export function assignedValues(assigned) {
  if (!assigned || Object.keys(assigned).length === 0) return undefined;
  const values = {};
  for (const [name, text] of Object.entries(assigned)) {
    try {
      values[name] = JSON.parse(text);
    } catch {
      values[name] = text;
    }
  }
  return values;
}

/** The "Variables assigned" block of a state that assigned some (undefined otherwise: nothing shown). */
function variablesBlock(assigned) {
  const values = assignedValues(assigned);
  return values === undefined ? undefined : jsonBlock("Variables assigned", values, "state-variables");
}

/**
 * Shows state name's details in container: state is its entry of the derived
 * view (status.mjs), undefined when the execution has not reached it; a null
 * name shows the hint to click a state.
 */
export function renderStateDetails(container, name, state) {
  if (!name) {
    replaceChildren(container,
      element("p", { class: "subtle" }, "Click a state in the graph to see its input and output."));
    return;
  }
  const status = state ? state.status : STATUS.NOT_STARTED;
  replaceChildren(container,
    element("p", { class: "state-title" },
      element("strong", { "data-testid": "selected-state" }, name), " ",
      element("span", { class: "badge", "data-status": status }, status.replace("-", " "))),
    state
      ? [jsonBlock("Input", state.input, "state-input"), jsonBlock("Output", state.output, "state-output"),
        variablesBlock(state.assignedVariables)]
      : element("p", { class: "subtle" }, "This execution has not reached this state."));
}
