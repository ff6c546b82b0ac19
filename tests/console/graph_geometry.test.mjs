// The graph's edge geometry from the server's layout.
import assert from "node:assert/strict";
import test from "node:test";

import {
  containerDetail, flattenGraph, polylineMidpoint, polylinePath, shortResource,
} from "../../loan-processor/console/page/graph_geometry.mjs";

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

// A Map (labelled) whose processor holds a Parallel of two branches; coordinates as the server gives them (absolute).
const nestedLayout = {
  width: 400, height: 600,
  nodes: [
    { id: "#start", type: "Start", x: 180, y: 20, width: 36, height: 36 },
    { id: "Each", type: "Map", mapLabel: "Items", x: 20, y: 100, width: 360, height: 400, children: [
      { branch: 0, x: 28, y: 144, width: 344, height: 348, nodes: [
        { id: "#start", type: "Start", x: 180, y: 164, width: 36, height: 36 },
        { id: "Fan", type: "Parallel", x: 36, y: 240, width: 328, height: 200, children: [
          { branch: 0, x: 44, y: 284, width: 150, height: 148,
            nodes: [{ id: "A", type: "Pass", x: 60, y: 320, width: 120, height: 44 }], edges: [] },
          { branch: 1, x: 202, y: 284, width: 150, height: 148,
            nodes: [{ id: "B", type: "Pass", x: 218, y: 320, width: 120, height: 44 }], edges: [] },
        ] },
      ], edges: [{ from: "#start", to: "Fan", kind: "next", points: [[198, 200], [198, 240]] }] },
    ] },
    { id: "#end", type: "End", x: 180, y: 540, width: 36, height: 36 },
  ],
  edges: [{ from: "#start", to: "Each", kind: "next", points: [[198, 56], [198, 100]] }],
};

test("a nested layout flattens into containers, edges and nodes in painting order", () => {
  const { containers, edges, nodes } = flattenGraph(nestedLayout);
  assert.deepEqual(containers.map((node) => [node.id, node.depth, node.scope]), [["Each", 0, null], ["Fan", 1, "Each"]]);
  assert.deepEqual(nodes.map((node) => [node.id, node.depth, node.scope]),
    [["#start", 0, null], ["#start", 1, "Each"], ["A", 2, "Fan"], ["B", 2, "Fan"], ["#end", 0, null]]);
  assert.deepEqual(edges.map((edge) => [edge.from, edge.to, edge.scope]), [["#start", "Each", null], ["#start", "Fan", "Each"]]);
  assert.equal(containers[1].children.length, 2);
  assert.deepEqual(flattenGraph(null), { containers: [], edges: [], nodes: [] });
});

test("a container's title says what it is", () => {
  assert.equal(containerDetail({ type: "Map", mapLabel: "Items", children: [{}] }), "Map · Items");
  assert.equal(containerDetail({ type: "Map", children: [{}] }), "Map");
  assert.equal(containerDetail({ type: "Parallel", children: [{}, {}] }), "Parallel · 2 branches");
  assert.equal(containerDetail({ type: "Parallel", children: [{}] }), "Parallel · 1 branch");
});
