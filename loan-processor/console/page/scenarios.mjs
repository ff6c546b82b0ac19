// The blog's sample loan application and the follow-up post's stories: the
// property's nameOrNumber is the mock valuation service's switch (as in
// scripts/demo.sh). Pure: no DOM, no I/O.

export const DEFAULT_MACHINE_NAME = "LoanProcessorStateMachine";

export const SCENARIOS = Object.freeze([
  { id: "prompt", nameOrNumber: "999", label: "Prompt callback (999): succeeds after 6 s" },
  { id: "late", nameOrNumber: "Late callback", label: "Late callback: times out, the callback comes at 45 s" },
  { id: "duplicate", nameOrNumber: "Duplicate response", label: "Duplicate response: the second gets TaskTimedOut" },
  { id: "none", nameOrNumber: "No callback", label: "No callback: times out at 30 s" },
  { id: "unknown", nameOrNumber: "Unknown reference", label: "Unknown reference: 404, then the timeout" },
  { id: "failed", nameOrNumber: "Failed response", label: "Failed response: SendTaskFailure, caught" },
]);

export const SAMPLE_APPLICATION_DEFAULTS = Object.freeze({ applicationReference: "app-ref", postcode: "PO1 1CE" });

/** The scenario with this id (the prompt one for an unknown id). */
export function scenarioById(id) {
  return SCENARIOS.find((scenario) => scenario.id === id) || SCENARIOS[0];
}

/** The blog's loan application for a scenario id: {applicationReference, property: {nameOrNumber, postcode}}. */
export function loanApplication({ applicationReference, postcode, scenario }) {
  return {
    applicationReference: applicationReference || SAMPLE_APPLICATION_DEFAULTS.applicationReference,
    property: {
      nameOrNumber: scenarioById(scenario).nameOrNumber,
      postcode: postcode || SAMPLE_APPLICATION_DEFAULTS.postcode,
    },
  };
}

/** Whether a state machine (ARN or name) takes a loan application: the blog's workflows, part 1 and part 2. */
export function takesLoanApplication(machineArnOrName) {
  const name = String(machineArnOrName || "").split(":").pop();
  return /^LoanProcessor.*StateMachine$/.test(name);
}

/** The output the "Send success" form starts with: a ValuationResponse for the reference. */
export function sampleValuationResponse(reference) {
  return { valuationReference: reference || "valuation-reference", propertyValue: 500000 };
}
