// Small helpers to build DOM and SVG elements without innerHTML (every text
// from the server goes in as text, never as markup).

const SVG_NAMESPACE = "http://www.w3.org/2000/svg";

function applyAttributes(node, attributes) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
}

function appendChildren(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: element("button", {class: "x", onclick: f, "data-testid": "y"}, "text", childNode, ...). */
export function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  applyAttributes(node, attributes);
  appendChildren(node, children);
  return node;
}

/** An SVG element, with the same arguments as element(). */
export function svgElement(tag, attributes, ...children) {
  const node = document.createElementNS(SVG_NAMESPACE, tag);
  applyAttributes(node, attributes);
  appendChildren(node, children);
  return node;
}

/** Replaces everything inside node with children. */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  appendChildren(node, children);
}

/** The element with this id (throws when the page lacks it: a broken page should say so at once). */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}
