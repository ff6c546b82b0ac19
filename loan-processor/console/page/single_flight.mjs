// Coalescing refreshes: live events can arrive faster than their fetches
// finish; each refresh runs at most once at a time, and calls that come while
// it runs make it run exactly once more afterwards (so the last change is
// always fetched, without a queue of identical fetches). Pure: no DOM, no I/O.

/**
 * A function that runs task (an async function) now, or, when a run is in
 * progress, once after it; concurrent calls share that one later run. Returns
 * a promise that settles when a run that started after the call has finished.
 * A failing run is reported to onError (default: console.error) and does not
 * stop later runs.
 */
export function singleFlight(task, onError = (error) => console.error(error)) {
  let running = null;
  let queued = null;

  async function runOnce() {
    try {
      await task();
    } catch (error) {
      onError(error);
    }
  }

  function start() {
    running = runOnce().then(() => {
      running = null;
    });
    return running;
  }

  return function run() {
    if (!running) return start();
    if (!queued) {
      queued = running.then(() => {
        queued = null;
        return start();
      });
    }
    return queued;
  };
}
