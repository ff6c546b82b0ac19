// What the browser tests of the web console share: Debian's chromium driven by
// playwright-core, the console opened in it, waits with deadlines that say
// what the page showed when they expire, screenshots, and the AWS API called
// directly (as a user would, from outside the page).
//
// Environment (set by tests/e2e/test_console_browser.py): CONSOLE_URL (the
// loan-processor whose console is tested), SECOND_LOAN_PROCESSOR_URL (another
// loan-processor on the same Redis, when the file needs one), TIME_SCALE,
// SCREENSHOT_DIR (where screenshots go), CHROMIUM (default /usr/bin/chromium).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export const CONSOLE_URL = process.env.CONSOLE_URL;
export const SECOND_LOAN_PROCESSOR_URL = process.env.SECOND_LOAN_PROCESSOR_URL;
export const TIME_SCALE = Number(process.env.TIME_SCALE || "1");
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || path.join(os.tmpdir(), "console-browser-tests");
export const LOAN_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:LoanProcessorStateMachine";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGUMENTS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const LAUNCH_DEADLINE_MS = 30000;

/**
 * Launches chromium with a fresh temporary profile (--user-data-dir, removed
 * by close()). Returns {context, close}.
 */
export async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "console-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGUMENTS,
    viewport: { width: 1440, height: 1000 },
    timeout: LAUNCH_DEADLINE_MS,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the console in a new page of context and waits until it is live (its
 * event stream open) and lists the state machines. The page records what it
 * requests (page.requests: {url, method, at}) and what it logs (page.problems).
 */
export async function openConsole(context, hash = "") {
  const page = await context.newPage();
  page.requests = [];
  page.problems = [];
  page.on("request", (request) => page.requests.push({ url: request.url(), method: request.method(), at: Date.now() }));
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      page.problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => page.problems.push(`page error: ${error.message}`));
  await page.goto(`${CONSOLE_URL}/${hash}`, { timeout: 10000 });
  await waitForSelector(page, '[data-testid="live-status"][data-state="live"]', "the live indicator says live", 10000);
  await waitForSelector(page, '[data-testid="machine-select"] option', "the state machines are listed", 10000);
  return page;
}

/** Everything a failing case should show: what the page displays, its graph's colours, history and problems. */
export async function describePage(page) {
  try {
    const shown = await page.evaluate(() => {
      const text = (selector) => (document.querySelector(selector)?.innerText || "").trim();
      const nodes = [...document.querySelectorAll("g.node")]
        .map((node) => `${node.dataset.state}=${node.dataset.status}`);
      const events = [...document.querySelectorAll("#history tbody tr")].map((row) => row.dataset.type);
      return [
        `URL: ${location.href}`,
        `live: ${text('[data-testid="live-status"]')}`,
        `page error: ${text('[data-testid="page-error"]')}`,
        `execution: ${text('[data-testid="execution-summary"]').replace(/\s+/g, " ")}`,
        `graph: ${nodes.join(", ") || text('[data-testid="graph"]')}`,
        `history: ${events.join(", ")}`,
        `plumbing: ${text('[data-testid="plumbing"]').replace(/\s+/g, " ")}`,
        `error topic: ${text('[data-testid="topic-messages"]').replace(/\s+/g, " ")}`,
        `start: ${text('[data-testid="start-result"]')}`,
        `executions: ${text('[data-testid="execution-list"]').replace(/\s+/g, " ")}`,
      ].join("\n");
    });
    return `${shown}\n${page.problems.join("\n")}`;
  } catch (error) {
    return `(the page could not be read: ${error.message})`;
  }
}

async function failWithPage(page, what, error) {
  const shot = await screenshot(page, `failed-${what.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => "none");
  throw new Error(`${what}: ${error.message.split("\n")[0]}\nThe page showed:\n${await describePage(page)}\n` +
    `Screenshot: ${shot}`);
}

/** Waits until selector matches in page; after timeoutMs fails, saying what (and what the page showed). */
export async function waitForSelector(page, selector, what, timeoutMs) {
  try {
    return await page.waitForSelector(selector, { timeout: timeoutMs, state: "attached" });
  } catch (error) {
    return failWithPage(page, `timed out after ${timeoutMs} ms waiting until ${what}`, error);
  }
}

/** Waits until fn(argument) is true in the page; after timeoutMs fails, saying what (and what the page showed). */
export async function waitForPage(page, fn, argument, what, timeoutMs) {
  try {
    return await page.waitForFunction(fn, argument, { timeout: timeoutMs, polling: 50 });
  } catch (error) {
    return failWithPage(page, `timed out after ${timeoutMs} ms waiting until ${what}`, error);
  }
}

/** The selector of a graph node in a status. */
export function stateNode(name, status) {
  return `g.node[data-state="${name}"]${status ? `[data-status="${status}"]` : ""}`;
}

/** Waits until the graph shows state name in status. */
export function waitForState(page, name, status, timeoutMs) {
  return waitForSelector(page, stateNode(name, status), `${name} shows ${status}`, timeoutMs);
}

/** Saves a screenshot of the whole page as <SCREENSHOT_DIR>/<name>.png; returns its path. */
export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: 10000 });
  return file;
}

/** Starts an execution from the page's form with a scenario; returns its ARN (the page selects it). */
export async function startFromForm(page, scenario) {
  await page.selectOption('[data-testid="scenario-select"]', scenario, { timeout: 5000 });
  const before = await page.evaluate(() => location.hash);
  await page.click('[data-testid="start-button"]', { timeout: 5000 });
  await waitForPage(page, (previous) => location.hash.startsWith("#execution=") && location.hash !== previous, before,
    "the started execution is selected", 5000);
  return decodeURIComponent(await page.evaluate(() => location.hash.slice("#execution=".length)));
}

/** Calls an AWS Step Functions operation on a loan-processor (baseUrl) from outside the page: [status, body]. */
export async function callAws(baseUrl, operation, request) {
  const response = await fetch(`${baseUrl}/`, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": `AWSStepFunctions.${operation}` },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(5000),
  });
  return [response.status, await response.json()];
}

/** The sample loan application with the valuation service's switch nameOrNumber. */
export function loanApplication(nameOrNumber) {
  return { applicationReference: "app-ref", property: { nameOrNumber, postcode: "PO1 1CE" } };
}
