// The web console in a real browser: the follow-up post's "No callback" story.
// The task times out, its Catch publishes to the error topic, and the Fail
// state ends the execution; the graph shows the Catch path and the page the
// error-topic message.
//
// Run by tests/e2e/test_console_browser.py with TIME_SCALE 0.1 (the task's
// 30 s timeout after 3 s).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  launchBrowser, openConsole, screenshot, startFromForm, waitForPage, waitForSelector, waitForState,
} from "./console_page.mjs";

const CASE_DEADLINE_MS = 60000;
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

test("No callback: the task is caught, the error is published, the Fail state fails the execution",
  { timeout: CASE_DEADLINE_MS }, async () => {
    const page = await openConsole(browser.context);
    try {
      await startFromForm(page, "none");
      await waitForState(page, "ValuationServiceTimedOut", "failed", 15000);
      await waitForState(page, "RequestValuation", "caught", 1000);
      await waitForState(page, "PublishValuationServiceTimeoutError", "succeeded", 1000);
      await waitForState(page, "PublishValuationFailedError", "not-started", 1000);
      await waitForState(page, "ValuationFailed", "not-started", 1000);
      const failedBadge = '[data-testid="execution-status"][data-status="FAILED"]';
      await waitForSelector(page, failedBadge, "the execution shows FAILED", 5000);
      assert.equal(await page.textContent('[data-testid="execution-error"]'), "ValuationServiceTimedOut");

      const catchEdge = 'g.edge[data-from="RequestValuation"][data-to="PublishValuationServiceTimeoutError"]';
      assert.equal(await page.getAttribute(catchEdge, "data-kind"), "catch");
      assert.ok((await page.getAttribute(catchEdge, "class")).split(" ").includes("taken"), "the Catch edge is taken");
      assert.match(await page.textContent(`${catchEdge} .edge-label`), /States\.Timeout/);

      await waitForSelector(page, '[data-testid="topic-message"]', "the error-topic message shows", 5000);
      assert.match(await page.textContent('[data-testid="topic-messages"]'), /The valuation service timed out/);

      await page.click('g.node[data-state="RequestValuation"]');
      await waitForPage(page, (selector) => document.querySelector(selector)?.textContent === "RequestValuation",
        '[data-testid="selected-state"]', "RequestValuation's details show", 3000);
      assert.deepEqual(JSON.parse(await page.textContent('[data-testid="state-output"]')),
        { Error: "States.Timeout", Cause: null });
      const input = JSON.parse(await page.textContent('[data-testid="state-input"]'));
      assert.equal(input.property.nameOrNumber, "No callback");
      const types = await page.$$eval("#history tbody tr", (rows) => rows.map((row) => row.dataset.type));
      assert.deepEqual(types.slice(4, 7), ["TaskSubmitted", "TaskTimedOut", "TaskStateExited"]);
      await screenshot(page, "timeout");
      assert.deepEqual(page.problems, [], "the page logged no error or warning (a CSP violation included)");
    } finally {
      await page.close();
    }
  });
