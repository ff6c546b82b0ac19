// The callback plumbing (right column): for a waiting task its token
// (shortened, copyable), every live branch of the execution (Parallel
// branches, Map iterations: what each waits for, its token and the same
// answer buttons), the Redis keys, the valuationReference -> token key
// and what the valuation service is about to send, with buttons that answer
// the task by hand through the AWS API; and the error-topic messages of the
// execution.

import { answerable, branchesKey, branchLabel, describeBranchWait } from "./branches.mjs";
import { element, replaceChildren } from "./dom.mjs";
import { formatDueIn, prettyJson, shortenToken } from "./format.mjs";
import { topicMessageSummary } from "./events.mjs";
import { sampleValuationResponse } from "./scenarios.mjs";

function copyToClipboard(text, button) {
  const done = (label) => {
    button.textContent = label;
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Copy failed"));
    return;
  }
  const scratch = element("textarea", { class: "offscreen" }, text);
  document.body.append(scratch);
  scratch.select();
  done(document.execCommand("copy") ? "Copied" : "Copy failed");
  scratch.remove();
}

function tokenLine(token) {
  const copy = element("button", { type: "button", class: "small", "data-testid": "copy-token" }, "Copy");
  copy.addEventListener("click", () => copyToClipboard(token, copy));
  return element("p", { class: "kv" },
    element("span", { class: "k" }, "Task token"),
    element("code", { class: "token", title: token, "data-token": token, "data-testid": "task-token" },
      shortenToken(token)),
    copy);
}

/** The answer buttons for the task of token: send(kind, token, fields) on a click. */
function answerForms(token, reference, send) {
  const output = element("textarea", { rows: 3, spellcheck: "false", "data-testid": "success-output",
    "aria-label": "Output (JSON)" }, JSON.stringify(sampleValuationResponse(reference)));
  const error = element("input", { type: "text", value: "ValuationFailed", "data-testid": "failure-error",
    "aria-label": "Error" });
  const cause = element("input", { type: "text", placeholder: "cause (optional)", "data-testid": "failure-cause",
    "aria-label": "Cause" });
  const button = (kind, label, fields) => element("button", {
    type: "button", "data-testid": `send-${kind}`, onclick: () => send(kind, token, fields()),
  }, label);
  return element("div", { class: "answers" },
    element("div", { class: "answer" }, element("label", {}, "Output", output),
      button("success", "Send success", () => ({ output: output.value }))),
    element("div", { class: "answer" }, element("label", {}, "Error", error), element("label", {}, "Cause", cause),
      button("failure", "Send failure", () => ({ error: error.value, cause: cause.value }))),
    element("div", { class: "answer" }, button("heartbeat", "Send heartbeat", () => ({}))));
}

function waitingTask(waiting, reference, send) {
  return element("div", { class: "waiting-task", "data-token": waiting.taskToken },
    element("p", {}, element("strong", {}, waiting.state), " waits for its task token."),
    tokenLine(waiting.taskToken),
    answerForms(waiting.taskToken, reference, send));
}

function branchRow(branch, reference, send) {
  const waitsFor = describeBranchWait(branch);
  return element("li", { class: "branch", "data-testid": "branch", "data-branch-id": branch.branchId,
    "data-resting": branch.resting || "" },
  element("p", {}, element("strong", {}, branchLabel(branch)), " rests in ",
    element("strong", { "data-testid": "branch-state" }, branch.state || "?"), ` and waits for ${waitsFor}.`),
  answerable(branch) ? [
    tokenLine(branch.taskToken),
    element("details", { class: "branch-answer" }, element("summary", {}, "Answer by hand"),
      answerForms(branch.taskToken, reference, send)),
  ] : []);
}

/** The live branches of inside (/console/api/execution's branches), each answerable by hand when it has a token. */
function branchList(inside, reference, send) {
  const branches = (inside && inside.branches) || [];
  if (branches.length === 0) return [];
  const more = inside.branchesTruncated
    ? element("p", { class: "subtle", "data-testid": "branches-truncated" }, "More branches are running than listed.")
    : null;
  return element("div", { class: "branches", "data-testid": "branches" },
    element("h3", {}, `Open branches (${branches.length}${inside.branchesTruncated ? "+" : ""})`),
    element("ol", { class: "branch-list" }, branches.map((branch) => branchRow(branch, reference, send))),
    more);
}

function redisKeys(inside) {
  const keys = inside && inside.redisKeys ? Object.entries(inside.redisKeys) : [];
  return keys.map(([name, key]) => element("p", { class: "kv" },
    element("span", { class: "k" }, `Redis ${name}`), element("code", {}, key)));
}

function tokenKeyLine(valuation, waiting) {
  const stored = Boolean(valuation.taskToken);
  const same = stored && waiting && waiting.taskToken === valuation.taskToken;
  const text = !stored ? "is empty: no token stored"
    : same ? "holds this task's token"
      : "holds a token no task waits for now (a callback gets TaskTimedOut)";
  return element("p", { class: "kv", "data-testid": "token-key", "data-stored": String(stored) },
    element("span", { class: "k" }, "Token key"), element("code", {}, valuation.tokenKey), ` ${text}`);
}

function pendingCallback(callback) {
  const due = callback.delivering
    ? element("span", {}, "being delivered now")
    : element("span", { class: "due", "data-due-at": callback.dueAt ?? "" }, "");
  return element("li", { "data-testid": "pending-callback" },
    element("p", {}, "POST ", element("code", {}, callback.url), " ", due,
      callback.attempts ? ` (attempt ${callback.attempts + 1})` : ""),
    element("pre", { class: "json" }, prettyJson(callback.body)));
}

function valuationSection(reference, valuation, waiting) {
  if (!reference) return [];
  const parts = [element("h3", {}, "Valuation ", element("code", {}, reference))];
  if (!valuation) return [...parts, element("p", { class: "subtle" }, "loading…")];
  parts.push(tokenKeyLine(valuation, waiting));
  const callbacks = valuation.pendingCallbacks || [];
  parts.push(callbacks.length
    ? element("div", {}, element("p", {}, "The valuation service is about to send:"),
      element("ul", { class: "callbacks" }, callbacks.map(pendingCallback)))
    : element("p", { class: "subtle", "data-testid": "no-pending-callback" },
      "The valuation service has nothing pending for this reference."));
  return parts;
}

/**
 * The plumbing panel in container, answering tasks through send(kind, token,
 * fields) (a promise: see app.mjs). Returns {reset(), render(data), showResult(text, ok), tick(localNowMs)}:
 * render takes {inside, valuation, reference} (valuation with its
 * clockOffsetMs: local time minus Redis's, the clock of its due times) and
 * keeps the answer forms (and what was typed) while the same task waits, and
 * the branch rows while the same branches rest where they rested.
 */
export function createPlumbingView(container, send) {
  const taskHost = element("div", { class: "task-host" });
  const branchHost = element("div", { class: "branch-host" });
  const result = element("p", { class: "result", "data-testid": "send-result", role: "status" });
  const infoHost = element("div", { class: "info-host" });
  replaceChildren(container, taskHost, branchHost, result, infoHost);
  let shownToken = null;
  let shownBranches = null;
  let clockOffsetMs = 0;

  function tick(localNowMs) {
    for (const due of infoHost.querySelectorAll("[data-due-at]")) {
      const at = Number(due.dataset.dueAt);
      due.textContent = due.dataset.dueAt ? `due ${formatDueIn(at - (localNowMs - clockOffsetMs))}` : "not scheduled";
    }
  }

  function render({ inside, valuation, reference }) {
    clockOffsetMs = (valuation && valuation.clockOffsetMs) || 0;
    const waiting = inside && inside.waiting;
    const token = waiting && waiting.kind === "task" && waiting.taskToken ? waiting.taskToken : null;
    if (token !== shownToken) {
      shownToken = token;
      replaceChildren(taskHost, token
        ? waitingTask(waiting, reference, send)
        : element("p", { class: "subtle", "data-testid": "no-waiting-task" }, "No task is waiting for a token."));
    }
    const branches = branchesKey(inside && inside.branches) + String(Boolean(inside && inside.branchesTruncated));
    if (branches !== shownBranches) {
      shownBranches = branches;
      replaceChildren(branchHost, branchList(inside, reference, send));
    }
    replaceChildren(infoHost, redisKeys(inside), valuationSection(reference, valuation, waiting));
    tick(Date.now());
  }

  function reset() {
    shownToken = undefined;
    shownBranches = null;
    replaceChildren(branchHost);
    result.textContent = "";
    delete result.dataset.outcome;
    replaceChildren(taskHost, element("p", { class: "subtle" }, "Nothing selected."));
    replaceChildren(infoHost);
  }

  function showResult(text, ok) {
    result.textContent = text;
    result.dataset.outcome = ok ? "ok" : "error";
  }

  return { reset, render, showResult, tick };
}

/** Shows the execution's error-topic messages (/console/api/execution's topicMessages) in container. */
export function renderTopicMessages(container, inside) {
  const messages = (inside && inside.topicMessages) || [];
  if (!inside) {
    replaceChildren(container, element("p", { class: "subtle" }, "Nothing selected."));
    return;
  }
  if (messages.length === 0) {
    const topic = inside.topic || "the error topic";
    replaceChildren(container,
      element("p", { class: "subtle" }, `Nothing published to ${topic} about this execution.`));
    return;
  }
  replaceChildren(container, element("ol", { class: "topic-messages" }, messages.map((message) =>
    element("li", { "data-testid": "topic-message" },
      element("details", {},
        element("summary", {}, element("span", { class: "subtle" }, message.timestamp || ""), " ",
          topicMessageSummary(message.message)),
        element("pre", { class: "json" }, prettyJson(message.message)))))));
}
