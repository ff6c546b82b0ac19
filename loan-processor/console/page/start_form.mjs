// The start form (left column): the blog's sample application with a
// scenario select for the loan workflows (the property's nameOrNumber is the
// valuation service's switch), a JSON input for any other state machine.

import { element, replaceChildren } from "./dom.mjs";
import { loanApplication, SAMPLE_APPLICATION_DEFAULTS, SCENARIOS, takesLoanApplication } from "./scenarios.mjs";

function field(label, control) {
  return element("label", { class: "field" }, element("span", {}, label), control);
}

function loanFields() {
  const reference = element("input", { type: "text", name: "applicationReference",
    value: SAMPLE_APPLICATION_DEFAULTS.applicationReference, "data-testid": "application-reference" });
  const postcode = element("input", { type: "text", name: "postcode", value: SAMPLE_APPLICATION_DEFAULTS.postcode,
    "data-testid": "postcode" });
  const scenario = element("select", { name: "scenario", "data-testid": "scenario-select" },
    SCENARIOS.map((item) => element("option", { value: item.id }, item.label)));
  const input = () => JSON.stringify(loanApplication({
    applicationReference: reference.value.trim(), postcode: postcode.value.trim(), scenario: scenario.value,
  }));
  const controls = [field("Application reference", reference), field("Postcode", postcode),
    field("Scenario", scenario)];
  return { controls, input };
}

function jsonFields() {
  const text = element("textarea", { name: "input", rows: 6, spellcheck: "false", "data-testid": "input-json" }, "{}");
  return { controls: [field("Input (JSON)", text)], input: () => text.value };
}

/**
 * Fills form for starting executions; onStart(inputText) (a promise) runs on
 * submit, with the button disabled meanwhile. Returns {setMachine(machineArn)},
 * which picks the fields for that state machine.
 */
export function createStartForm(form, onStart) {
  let fields = null;
  const button = element("button", { type: "submit", class: "primary", "data-testid": "start-button" },
    "Start execution");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!fields) return;
    button.disabled = true;
    try {
      await onStart(fields.input());
    } finally {
      button.disabled = false;
    }
  });

  function setMachine(machineArn) {
    fields = takesLoanApplication(machineArn) ? loanFields() : jsonFields();
    replaceChildren(form, fields.controls, button);
  }

  return { setMachine };
}
