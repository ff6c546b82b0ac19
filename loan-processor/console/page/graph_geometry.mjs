// Geometry of the graph's edges, from the layout the server computes
// (/console/api/graph: polylines whose last point is where the arrow head
// goes). Pure: no DOM, no I/O.

/** The SVG path data of a polyline [[x, y], ...]: "M x y L x y ...". */
export function polylinePath(points) {
  return (points || []).map(([x, y], index) => `${index ? "L" : "M"} ${x} ${y}`).join(" ");
}

function segmentLength([x1, y1], [x2, y2]) {
  return Math.hypot(x2 - x1, y2 - y1);
}

/** The point halfway along a polyline (where its label goes); [0, 0] for an empty one. */
export function polylineMidpoint(points) {
  if (!points || points.length === 0) return [0, 0];
  const total = points.slice(1).reduce((sum, point, index) => sum + segmentLength(points[index], point), 0);
  let remaining = total / 2;
  for (let index = 1; index < points.length; index += 1) {
    const length = segmentLength(points[index - 1], points[index]);
    if (length >= remaining && length > 0) {
      const [x1, y1] = points[index - 1];
      const [x2, y2] = points[index];
      const share = remaining / length;
      return [x1 + (x2 - x1) * share, y1 + (y2 - y1) * share];
    }
    remaining -= length;
  }
  return points[points.length - 1];
}

/** The short form of a Task's Resource for its box: "lambda:invoke.waitForTaskToken", an activity's name, ... */
export function shortResource(resource) {
  const text = String(resource || "");
  const service = text.match(/^arn:aws:states:::(.+)$/);
  if (service) return service[1];
  const parts = text.split(":");
  return parts.length > 1 ? `${parts[parts.length - 2]}:${parts[parts.length - 1]}` : text;
}

/**
 * The layout's parts in painting order, nested scopes included (the server
 * gives every coordinate in the one drawing's space): containers - Parallel
 * and Map boxes, each before the ones inside it - then every scope's edges,
 * then its plain nodes. Each part is the server's object plus depth (0 at the
 * top level) and scope (the id of the container it is in, null at the top).
 */
export function flattenGraph(layout) {
  const parts = { containers: [], edges: [], nodes: [] };
  const visit = (scope, depth, container) => {
    for (const edge of scope.edges || []) parts.edges.push({ ...edge, depth, scope: container });
    for (const node of scope.nodes || []) {
      if (!Array.isArray(node.children)) {
        parts.nodes.push({ ...node, depth, scope: container });
        continue;
      }
      parts.containers.push({ ...node, depth, scope: container });
      for (const branch of node.children) visit(branch, depth + 1, node.id);
    }
  };
  if (layout) visit(layout, 0, null);
  return parts;
}

/** The second line of a container's title: "Parallel · 2 branches", "Map", "Map · <its Label>". */
export function containerDetail(node) {
  if (node.type === "Map") return node.mapLabel ? `Map · ${node.mapLabel}` : "Map";
  const count = Array.isArray(node.children) ? node.children.length : 0;
  return `${node.type} · ${count} ${count === 1 ? "branch" : "branches"}`;
}
