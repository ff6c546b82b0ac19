// What is selected, as the URL hash keeps it ("#execution=<arn>", so a reload
// keeps the selection), and the ARN arithmetic between state machines and
// their executions. Pure: no DOM, no I/O.

/** {execution: arn | null} from a location hash ("#execution=arn:aws:states:...", "" or "#"). */
export function parseHash(hash) {
  const text = String(hash || "").replace(/^#/, "");
  for (const part of text.split("&")) {
    const [key, ...rest] = part.split("=");
    if (key === "execution" && rest.length) {
      try {
        const arn = decodeURIComponent(rest.join("="));
        return { execution: arn || null };
      } catch {
        return { execution: null };
      }
    }
  }
  return { execution: null };
}

/** The hash for a selection: "#execution=<arn>" (colons kept readable), "" when nothing is selected. */
export function formatHash({ execution }) {
  if (!execution) return "";
  return `#execution=${encodeURIComponent(execution).replace(/%3A/gi, ":")}`;
}

/** The state machine ARN of an execution ARN (arn:...:execution:<machine>:<name>), or null for anything else. */
export function machineArnOfExecution(executionArn) {
  const parts = String(executionArn || "").split(":");
  if (parts.length < 8 || parts[0] !== "arn" || parts[5] !== "execution") return null;
  return [...parts.slice(0, 5), "stateMachine", parts[6]].join(":");
}

/** The name of an execution or state machine ARN (its last part). */
export function nameOfArn(arn) {
  return String(arn || "").split(":").pop();
}
