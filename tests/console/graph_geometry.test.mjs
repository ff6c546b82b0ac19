// The graph's edge geometry from the server's layout.
import assert from "node:assert/strict";
import test from "node:test";

import { polylineMidpoint, polylinePath, shortResource } from "../../loan-processor/console/page/graph_geometry.mjs";

test("a polyline becomes SVG path data", () => {
  assert.equal(polylinePath([[260, 60], [260, 100]]), "M 260 60 L 260 100");
  assert.equal(polylinePath([[0, 0], [10, 0], [10, 10]]), "M 0 0 L 10 0 L 10 10");
  assert.equal(polylinePath([]), "");
});

test("a label goes halfway along the polyline's length", () => {
  assert.deepEqual(polylineMidpoint([[260, 60], [260, 100]]), [260, 80]);
  assert.deepEqual(polylineMidpoint([[0, 0], [30, 0], [30, 10]]), [20, 0]);
  assert.deepEqual(polylineMidpoint([[0, 0], [10, 0], [10, 30]]), [10, 10]);
  assert.deepEqual(polylineMidpoint([[5, 5]]), [5, 5]);
  assert.deepEqual(polylineMidpoint([]), [0, 0]);
});

test("a Task's resource is shortened for its box", () => {
  assert.equal(shortResource("arn:aws:states:::lambda:invoke.waitForTaskToken"), "lambda:invoke.waitForTaskToken");
  assert.equal(shortResource("arn:aws:states:us-east-1:123456789012:activity:Approve"), "activity:Approve");
  assert.equal(shortResource("arn:aws:lambda:us-east-1:123456789012:function:Check"), "function:Check");
  assert.equal(shortResource(undefined), "");
});
