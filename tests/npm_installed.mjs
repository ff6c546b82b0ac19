// Exits 0 when <directory>/node_modules holds exactly what
// <directory>/package-lock.json pins, 1 (saying why) when it is missing or
// stale and `npm ci` is needed there. Compares the lockfile with the one npm
// writes into node_modules on install (node_modules/.package-lock.json),
// package by package: version and integrity.
//
// Usage: node tests/npm_installed.mjs tests/sdk   (or tests/browser)
// Used by scripts/test.sh (to run npm ci only when needed) and by the
// end-to-end suites that run Node.js (tests/e2e/node_tap.py), to refuse to run
// against a stale install.
import fs from "node:fs";
import path from "node:path";

function readPackages(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")).packages || {};
  } catch (error) {
    return null;
  }
}

function problem(directory) {
  const wanted = readPackages(path.join(directory, "package-lock.json"));
  const installed = readPackages(path.join(directory, "node_modules", ".package-lock.json"));
  if (!wanted) return `${directory}/package-lock.json is missing or unreadable`;
  if (!installed) return `${directory}/node_modules is not installed`;
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

const directory = process.argv[2];
if (!directory) {
  console.log("usage: node tests/npm_installed.mjs <directory with package-lock.json>");
  process.exit(2);
}
const reason = problem(directory);
if (reason) {
  console.log(`${reason}: run npm ci in ${directory}`);
  process.exit(1);
}
