// The event history table (bottom): id, type, state, time since start and a
// summary of the details, expandable to the whole details as JSON, as the AWS
// console shows them. Events only ever get appended to an execution's history,
// so new rows are appended and opened rows stay open.

import { element } from "./dom.mjs";
import { eventStates, readableDetails, sinceStartMs, summarizeEvent } from "./events.mjs";
import { formatSinceStart, prettyJson } from "./format.mjs";

function toggleDetails(button, cell, event) {
  const open = button.getAttribute("aria-expanded") === "true";
  button.setAttribute("aria-expanded", String(!open));
  let block = cell.querySelector("pre");
  if (!block) {
    block = element("pre", { class: "json" }, prettyJson(readableDetails(event)));
    cell.append(block);
  }
  block.hidden = open;
}

function eventRow(event, stateName, firstEvent) {
  const detailsCell = element("td", { class: "details" });
  const toggle = element("button", {
    type: "button", class: "toggle", "aria-expanded": "false", title: "Show the details as JSON",
    onclick: () => toggleDetails(toggle, detailsCell, event),
  });
  detailsCell.append(toggle, element("span", { class: "summary" }, summarizeEvent(event)));
  return element("tr", {
    "data-event-id": event.id, "data-type": event.type,
    class: /Failed|TimedOut|Aborted/.test(event.type) ? "bad" : undefined,
  },
  element("td", { class: "id" }, event.id),
  element("td", { class: "type" }, event.type),
  element("td", { class: "state" }, stateName),
  element("td", { class: "time" }, formatSinceStart(sinceStartMs(event, firstEvent))),
  detailsCell);
}

/**
 * Shows events (the whole history, oldest first) in table's body: rows for
 * events not shown yet are appended; with reset, the body is emptied first
 * (another execution).
 */
export function showHistory(table, events, reset) {
  const body = table.tBodies[0];
  if (reset) body.replaceChildren();
  const shown = body.rows.length;
  if (events.length < shown) body.replaceChildren();
  const states = eventStates(events);
  for (let index = body.rows.length; index < events.length; index += 1) {
    body.append(eventRow(events[index], states[index], events[0]));
  }
}
