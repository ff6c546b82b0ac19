// Live updates pushed by the server: one EventSource on /console/events
// (driven by Redis Pub/Sub). The browser reconnects a dropped stream by itself;
// a stream the server refused (for example 503 TooManyStreams) is opened again
// after a growing delay. Nothing here fetches data: the handlers do, once per
// event.

const RETRY_FIRST_MS = 2000;
const RETRY_LONGEST_MS = 30000;

function parseData(message) {
  try {
    return JSON.parse(message.data);
  } catch {
    return {};
  }
}

/**
 * Opens the stream. handlers: onOpen() (on every (re)connection: refetch
 * everything), onExecution({executionArn, status, lastEventId}), onTopic({topic,
 * message}), onResync(), onConnection(state) with "live", "reconnecting" or
 * "connecting". Returns a function that closes the stream for good.
 */
export function connectLive(handlers) {
  let source = null;
  let retryMs = RETRY_FIRST_MS;
  let retryTimer = null;
  let closed = false;

  function open() {
    handlers.onConnection("connecting");
    source = new EventSource("/console/events");
    source.addEventListener("open", () => {
      retryMs = RETRY_FIRST_MS;
      handlers.onConnection("live");
      handlers.onOpen();
    });
    source.addEventListener("execution", (message) => handlers.onExecution(parseData(message)));
    source.addEventListener("topic", (message) => handlers.onTopic(parseData(message)));
    source.addEventListener("resync", () => handlers.onResync());
    source.addEventListener("error", () => {
      handlers.onConnection("reconnecting");
      if (source.readyState === EventSource.CLOSED && !closed) {
        retryTimer = setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_LONGEST_MS);
      }
    });
  }

  open();
  return function close() {
    closed = true;
    clearTimeout(retryTimer);
    if (source) source.close();
  };
}
