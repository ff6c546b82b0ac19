// The executions list's contents as live changes arrive: pure list updates
// (no DOM, no I/O). Entries are ListExecutions items: {executionArn, name,
// status, startDate, stopDate?} with dates in epoch seconds; newest first.

function newestFirst(a, b) {
  return (Number(b.startDate) || 0) - (Number(a.startDate) || 0);
}

/** Whether an execution with this status belongs in a list filtered by statusFilter ("" for all). */
export function matchesFilter(status, statusFilter) {
  return !statusFilter || status === statusFilter;
}

/**
 * The list with entry added or updated (merged over the entry of the same
 * executionArn), or without it when its status no longer matches
 * statusFilter; newest first. Returns a new array.
 */
export function upsertExecution(list, entry, statusFilter) {
  const others = list.filter((item) => item.executionArn !== entry.executionArn);
  const existing = list.find((item) => item.executionArn === entry.executionArn);
  const merged = { ...existing, ...entry };
  if (!matchesFilter(merged.status, statusFilter)) return others;
  return [merged, ...others].sort(newestFirst);
}

/** The entry of executionArn in the list, or undefined. */
export function findExecution(list, executionArn) {
  return list.find((item) => item.executionArn === executionArn);
}
