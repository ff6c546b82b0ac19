// Coalesced refreshes: at most one run at a time, and one more run for every burst of calls during it.
import assert from "node:assert/strict";
import test from "node:test";

import { singleFlight } from "../../loan-processor/console/page/single_flight.mjs";

function gate() {
  let open;
  const opened = new Promise((resolve) => { open = resolve; });
  return { opened, open };
}

test("calls during a run make exactly one more run, after it", async () => {
  const gates = [gate(), gate()];
  let runs = 0;
  const refresh = singleFlight(async () => {
    runs += 1;
    await gates[runs - 1].opened;
  });
  const first = refresh();
  const second = refresh();
  const third = refresh();
  assert.equal(second, third);
  assert.equal(runs, 1);
  gates[0].open();
  await first;
  gates[1].open();
  await second;
  assert.equal(runs, 2);
});

test("a call after a run has finished runs again at once", async () => {
  let runs = 0;
  const refresh = singleFlight(async () => { runs += 1; });
  await refresh();
  await refresh();
  assert.equal(runs, 2);
});

test("a failing run is reported and later calls still run", async () => {
  const reported = [];
  let runs = 0;
  const refresh = singleFlight(async () => {
    runs += 1;
    if (runs === 1) throw new Error("no server");
  }, (error) => reported.push(error.message));
  await refresh();
  await refresh();
  assert.deepEqual(reported, ["no server"]);
  assert.equal(runs, 2);
});
