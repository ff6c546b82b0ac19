// Exits 0 when tests/sdk/node_modules holds exactly what package-lock.json
// pins, 1 (saying why) when it is missing or stale and `npm ci` is needed.
// Compares the lockfile with the one npm writes into node_modules on install
// (node_modules/.package-lock.json), package by package: version and integrity.
// Used by scripts/test.sh (to run npm ci only when needed) and by
// tests/e2e/test_aws_sdk.py (to refuse to run against a stale install).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const directory = path.dirname(fileURLToPath(import.meta.url));

function readPackages(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")).packages || {};
  } catch (error) {
    return null;
  }
}

function problem() {
  const wanted = readPackages(path.join(directory, "package-lock.json"));
  const installed = readPackages(path.join(directory, "node_modules", ".package-lock.json"));
  if (!wanted) return "tests/sdk/package-lock.json is missing or unreadable";
  if (!installed) return "tests/sdk/node_modules is not installed";
  for (const [location, entry] of Object.entries(wanted)) {
    if (location === "") continue;
    const present = installed[location];
    if (!present) return `${location} is not installed`;
    if (present.version !== entry.version || present.integrity !== entry.integrity)
      return `${location} is ${present.version}, the lockfile pins ${entry.version}`;
  }
  for (const location of Object.keys(installed)) {
    if (!(location in wanted)) return `${location} is installed but not in the lockfile`;
  }
  return null;
}

const reason = problem();
if (reason) {
  console.log(`${reason}: run npm ci in tests/sdk`);
  process.exit(1);
}
