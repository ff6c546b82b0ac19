// The state machine's graph (centre): an SVG drawn from the layout the server
// computes (/console/api/graph), its states coloured by their status in the
// selected execution. Nodes carry data-state="<name>" and
// data-status="not-started|in-progress|waiting|succeeded|failed|caught".
// A Parallel or Map state is a container (g.node.node-container): a rounded
// frame titled with its name and "Parallel · N branches" / "Map · <Label>",
// holding its branches (dashed frames) side by side, their states and edges
// drawn like the top level's. Nested states are g.node[data-state] too (names
// are unique machine-wide); a node or edge inside a container also carries
// data-scope="<the container's name>", and a branch's #start and #end take
// their container's status.

import { svgElement, replaceChildren, element } from "./dom.mjs";
import { containerDetail, flattenGraph, polylinePath, polylineMidpoint, shortResource } from "./graph_geometry.mjs";
import { nodeStatus, transitionKey, STATUS } from "./status.mjs";

const PSEUDO_TYPES = new Set(["Start", "End"]);

function arrowMarker(id) {
  return svgElement("marker", {
    id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse",
    orient: "auto-start-reverse",
  }, svgElement("path", { d: "M 0 0 L 10 5 L 0 10 z" }));
}

function edgeElement(edge) {
  const group = svgElement("g", {
    class: `edge edge-${edge.kind}${edge.back ? " edge-back" : ""}`,
    "data-from": edge.from, "data-to": edge.to, "data-kind": edge.kind, "data-scope": edge.scope || undefined,
  }, svgElement("path", { d: polylinePath(edge.points), "marker-end": "url(#arrow)" }));
  if (edge.label) {
    const [x, y] = polylineMidpoint(edge.points);
    group.append(svgElement("text", { x, y: y + 4, class: "edge-label", "text-anchor": "middle" }, edge.label));
  }
  return group;
}

function nodeShape(node) {
  if (PSEUDO_TYPES.has(node.type)) {
    const radius = Math.min(node.width, node.height) / 2;
    return svgElement("circle", { cx: node.width / 2, cy: node.height / 2, r: radius });
  }
  return svgElement("rect", { width: node.width, height: node.height, rx: 8, ry: 8 });
}

function nodeLabels(node) {
  const middle = node.width / 2;
  if (PSEUDO_TYPES.has(node.type)) {
    const attributes = { x: middle, y: node.height / 2 + 4, class: "node-label pseudo", "text-anchor": "middle" };
    return [svgElement("text", attributes, node.label)];
  }
  const detail = node.resource ? shortResource(node.resource) : node.type;
  return [
    svgElement("text", { x: middle, y: node.height / 2 - 2, class: "node-label", "text-anchor": "middle" }, node.label),
    svgElement("text", { x: middle, y: node.height / 2 + 12, class: "node-detail", "text-anchor": "middle" }, detail),
  ];
}

/** A container's title (its name, then what it is) and its branches' frames, relative to its box. */
function containerParts(node) {
  const middle = node.width / 2;
  return [
    svgElement("rect", { class: "container-frame", width: node.width, height: node.height, rx: 10, ry: 10 }),
    svgElement("text", { x: middle, y: 20, class: "node-label", "text-anchor": "middle" }, node.label),
    svgElement("text", { x: middle, y: 34, class: "node-detail", "text-anchor": "middle" }, containerDetail(node)),
    ...node.children.map((branch) => svgElement("rect", {
      class: "branch-frame", x: branch.x - node.x, y: branch.y - node.y, width: branch.width, height: branch.height,
      rx: 6, ry: 6, "data-branch": branch.branch,
    })),
  ];
}

function nodeElement(node, onSelect) {
  const selectable = !PSEUDO_TYPES.has(node.type);
  const container = Array.isArray(node.children);
  const title = node.resource ? `${node.id} (${node.type}: ${node.resource})` : `${node.id} (${node.type})`;
  const group = svgElement("g", {
    class: `node node-${node.type.toLowerCase()}${container ? " node-container" : ""}`,
    transform: `translate(${node.x} ${node.y})`,
    "data-state": node.id,
    "data-type": node.type,
    "data-scope": node.scope || undefined,
    "data-status": STATUS.NOT_STARTED,
    tabindex: selectable ? 0 : undefined,
    role: selectable ? "button" : undefined,
    "aria-label": selectable ? title : undefined,
  }, svgElement("title", {}, title), container ? containerParts(node) : [nodeShape(node), ...nodeLabels(node)],
  svgElement("text", { x: node.width / 2, y: node.height + 15, class: "node-clock", "text-anchor": "middle" }));
  if (selectable) {
    group.addEventListener("click", () => onSelect(node.id));
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onSelect(node.id);
      }
    });
  }
  return group;
}

/** The layout's size: as the server gives it, or the nodes' bounds when it gives none. */
function layoutSize(layout) {
  const right = Math.max(...layout.nodes.map((node) => node.x + node.width)) + 20;
  const bottom = Math.max(...layout.nodes.map((node) => node.y + node.height)) + 20;
  return { width: Number(layout.width) || right, height: Number(layout.height) || bottom };
}

/**
 * Draws layout ({width, height, nodes, edges}, a container node holding its
 * branches' graphs in "children") into container, replacing what was there;
 * onSelectState(name) is called when a state is clicked. Every node starts
 * not started (see paintGraph).
 */
export function drawGraph(container, layout, onSelectState) {
  if (!layout || !Array.isArray(layout.nodes) || layout.nodes.length === 0) {
    showGraphMessage(container, "The server sent no graph to draw.");
    return;
  }
  const { width, height } = layoutSize(layout);
  const parts = flattenGraph(layout);
  const svg = svgElement("svg", {
    class: "graph-svg",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "group",
    "aria-label": "State machine graph",
  },
  svgElement("defs", {}, arrowMarker("arrow")),
  svgElement("g", { class: "containers" }, parts.containers.map((node) => nodeElement(node, onSelectState))),
  svgElement("g", { class: "edges" }, parts.edges.map(edgeElement)),
  svgElement("g", { class: "nodes" }, parts.nodes.map((node) => nodeElement(node, onSelectState))));
  replaceChildren(container, svg);
  fitLabels(svg);
}

/** Squeezes a state's name or resource that is wider than its box (the layout sizes boxes from an estimate). */
function fitLabels(svg) {
  for (const node of svg.querySelectorAll("g.node")) {
    const shape = node.querySelector("rect");
    if (!shape) continue;
    const room = Number(shape.getAttribute("width")) - 12;
    for (const text of node.querySelectorAll("text.node-label, text.node-detail")) {
      if (typeof text.getComputedTextLength === "function" && text.getComputedTextLength() > room) {
        text.setAttribute("textLength", room);
        text.setAttribute("lengthAdjust", "spacingAndGlyphs");
      }
    }
  }
}

/** Shows a message instead of the graph (while it loads, or why it cannot be drawn). */
export function showGraphMessage(container, text) {
  replaceChildren(container, element("p", { class: "subtle graph-message" }, text));
}

/**
 * Colours the drawn graph by a derived status view (status.mjs), marks the
 * transitions taken and the selected state.
 */
export function paintGraph(container, view, selectedState) {
  for (const node of container.querySelectorAll("g.node")) {
    const branchEnd = node.dataset.scope && PSEUDO_TYPES.has(node.dataset.type);
    node.dataset.status = nodeStatus(view, branchEnd ? node.dataset.scope : node.dataset.state);
    node.classList.toggle("selected", node.dataset.state === selectedState);
  }
  for (const edge of container.querySelectorAll("g.edge")) {
    edge.classList.toggle("taken", view.transitions.has(transitionKey(edge.dataset.from, edge.dataset.to)));
  }
}

/** Writes text under one state's box (the waiting clock), and clears it under every other state. */
export function setNodeClock(container, stateName, text) {
  for (const node of container.querySelectorAll("g.node")) {
    const clock = node.querySelector("text.node-clock");
    if (clock) clock.textContent = node.dataset.state === stateName ? text : "";
  }
}
