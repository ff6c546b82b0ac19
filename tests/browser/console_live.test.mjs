// The web console in a real browser, live: the blog's flow waiting then
// succeeding without a reload, a waiting task completed by the "Send success"
// button, and no polling (the page's only request while an execution waits is
// its event stream, which carries changes made through another loan-processor).
//
// Run by tests/e2e/test_console_browser.py with TIME_SCALE 0.5 (the valuation
// callback after 3 s, the task's timeout after 15 s) and a second
// loan-processor on the same Redis.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import {
  callAws, CONSOLE_URL, launchBrowser, LOAN_MACHINE_ARN, loanApplication, openConsole, screenshot,
  SECOND_LOAN_PROCESSOR_URL, startFromForm, waitForPage, waitForSelector, waitForState,
} from "./console_page.mjs";

const CASE_DEADLINE_MS = 60000;
const SUCCEEDED_BADGE = '[data-testid="execution-status"][data-status="SUCCEEDED"]';
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

async function withConsole(fn) {
  const page = await openConsole(browser.context);
  try {
    await fn(page);
    assert.deepEqual(page.problems, [], "the page logged no error or warning (a CSP violation included)");
  } finally {
    await page.close();
  }
}

test("the blog's flow: RequestValuation waits, then succeeds after the callback, without a reload",
  { timeout: CASE_DEADLINE_MS }, () => withConsole(async (page) => {
    await page.evaluate(() => { window.stillTheSamePage = true; });
    await startFromForm(page, "prompt");
    await waitForState(page, "RequestValuation", "waiting", 5000);
    await waitForSelector(page, '[data-testid="waiting-clock"]:not([hidden])', "the waiting clock shows", 2000);
    assert.match(await page.textContent('[data-testid="waiting-clock"]'), /RequestValuation: waiting .* times out in/);
    await screenshot(page, "waiting");

    await waitForState(page, "RequestValuation", "succeeded", 15000);
    await waitForSelector(page, SUCCEEDED_BADGE, "the execution shows SUCCEEDED", 5000);
    await waitForSelector(page, '#history tr[data-type="TaskSucceeded"]', "the history shows TaskSucceeded", 5000);
    await screenshot(page, "succeeded");

    assert.equal(await page.evaluate(() => window.stillTheSamePage), true, "the page was not reloaded");
    const types = await page.$$eval("#history tbody tr", (rows) => rows.map((row) => row.dataset.type));
    assert.ok(types.includes("TaskSubmitted"), types.join(", "));
    assert.ok(types.indexOf("TaskSubmitted") < types.indexOf("TaskSucceeded"), types.join(", "));
    assert.equal(types.at(-1), "ExecutionSucceeded");
    assert.equal(await page.getAttribute('g.edge[data-from="RequestValuation"][data-to="#end"]', "class").then(
      (classes) => classes.split(" ").includes("taken")), true, "the edge to the end is marked as taken");
    assert.equal(await page.getAttribute('g.node[data-state="PublishValuationServiceTimeoutError"]', "data-status"),
      "not-started");
    assert.match(await page.textContent('[data-testid="execution-output"]'), /"propertyValue":\d+/);
  }));

test("Send success by hand completes a waiting task; the execution ends SUCCEEDED with that output, live",
  { timeout: CASE_DEADLINE_MS }, () => withConsole(async (page) => {
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: CONSOLE_URL });
    const arn = await startFromForm(page, "none");
    await waitForState(page, "RequestValuation", "waiting", 5000);
    await waitForSelector(page, '[data-testid="token-key"][data-stored="true"]', "the token key holds the token", 5000);

    const token = await page.getAttribute('[data-testid="task-token"]', "data-token");
    assert.ok(token.length > 20, token);
    const shown = await page.textContent('[data-testid="task-token"]');
    const [head, tail] = shown.split("…");
    assert.ok(tail !== undefined && token.startsWith(head) && token.endsWith(tail), shown);
    await page.click('[data-testid="copy-token"]');
    await waitForPage(page, () => document.querySelector('[data-testid="copy-token"]').textContent !== "Copy", null,
      "the copy button answers", 3000);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);

    await page.click('[data-testid="send-heartbeat"]');
    await waitForSelector(page, '[data-testid="send-result"][data-outcome="ok"]', "the heartbeat is accepted", 5000);
    assert.equal(await page.textContent('[data-testid="send-result"]'), "SendTaskHeartbeat: accepted");

    const reference = JSON.parse(await page.inputValue('[data-testid="success-output"]')).valuationReference;
    const output = { valuationReference: reference, propertyValue: 424242 };
    await page.fill('[data-testid="success-output"]', JSON.stringify(output));
    await page.click('[data-testid="send-success"]');
    await waitForPage(page, (selector) => document.querySelector(selector).textContent.startsWith("SendTaskSuccess"),
      '[data-testid="send-result"]', "SendTaskSuccess answers", 5000);
    assert.equal(await page.textContent('[data-testid="send-result"]'), "SendTaskSuccess: accepted");

    await waitForState(page, "RequestValuation", "succeeded", 5000);
    await waitForSelector(page, SUCCEEDED_BADGE, "the execution shows SUCCEEDED", 5000);
    assert.equal(await page.textContent('[data-testid="execution-output"]'), JSON.stringify(output));
    await waitForSelector(page, '[data-testid="no-waiting-task"]', "the plumbing says no task waits", 5000);

    const [status, described] = await callAws(CONSOLE_URL, "DescribeExecution", { executionArn: arn });
    assert.equal(status, 200);
    assert.equal(described.status, "SUCCEEDED");
    assert.deepEqual(JSON.parse(described.output), output);
  }));

test("opened without a selection, the console follows each new execution until one is picked by hand",
  { timeout: CASE_DEADLINE_MS }, () => withConsole(async (page) => {
    assert.equal(await page.isChecked('[data-testid="follow-newest"]'), true);
    const start = async (name) => {
      const [status, started] = await callAws(CONSOLE_URL, "StartExecution", {
        stateMachineArn: LOAN_MACHINE_ARN, name, input: JSON.stringify(loanApplication("No callback")),
      });
      assert.equal(status, 200, JSON.stringify(started));
      return started.executionArn;
    };
    const first = await start(`followed-${process.pid}`);
    await waitForPage(page, (arn) => decodeURIComponent(location.hash) === `#execution=${arn}`, first,
      "the execution started through the API is selected", 5000);
    await waitForState(page, "RequestValuation", "waiting", 5000);

    const older = `[data-testid="execution-item"]:not([data-execution-arn="${first}"])`;
    await page.click(older);
    assert.equal(await page.isChecked('[data-testid="follow-newest"]'), false, "picking one stops following");
    const picked = decodeURIComponent(await page.evaluate(() => location.hash));
    const second = await start(`not-followed-${process.pid}`);
    const item = `[data-testid="execution-item"][data-execution-arn="${second}"]`;
    await waitForSelector(page, item, "the new execution is listed", 5000);
    assert.equal(decodeURIComponent(await page.evaluate(() => location.hash)), picked, "the selection stays");
  }));

test("no polling: while an execution waits the page requests nothing; another loan-processor's change arrives live",
  { timeout: CASE_DEADLINE_MS }, () => withConsole(async (page) => {
    await startFromForm(page, "none");
    await waitForState(page, "RequestValuation", "waiting", 5000);
    await sleep(500); // the fetches of the last change settle

    const windowStart = Date.now();
    await sleep(3000);
    const during = page.requests.filter((request) => request.at >= windowStart);
    assert.deepEqual(during, [], "the page made requests while the execution waited");
    const streams = page.requests.filter((request) => new URL(request.url).pathname === "/console/events");
    assert.equal(streams.length, 1, "one event stream, opened once");
    const clock = await page.textContent('[data-testid="waiting-clock"]');
    assert.match(clock, /waiting [3-9]\.\d s|waiting \d\d s/, "the waiting clock ticks locally");

    const name = `second-instance-${process.pid}`;
    const [status, started] = await callAws(SECOND_LOAN_PROCESSOR_URL, "StartExecution", {
      stateMachineArn: LOAN_MACHINE_ARN, name, input: JSON.stringify(loanApplication("999")),
    });
    assert.equal(status, 200, JSON.stringify(started));
    const item = `[data-testid="execution-item"][data-execution-arn="${started.executionArn}"]`;
    await waitForSelector(page, item, "the execution started through the second loan-processor is listed", 5000);
    await waitForSelector(page, `${item}[data-status="SUCCEEDED"]`, "its status turns SUCCEEDED in the list", 15000);
    const names = await page.$$eval('[data-testid="execution-item"] .name',
      (nodes) => nodes.map((node) => node.textContent));
    assert.equal(names[0], name, "the newest execution comes first");
  }));
