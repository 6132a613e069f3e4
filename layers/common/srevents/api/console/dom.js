// Element helpers: every string becomes a text node (textContent), never HTML, so nothing the API
// returns can inject markup.

export const $ = (selector, root = document) => root.querySelector(selector);
export const view = () => $("#view");

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// Replace the page's content; null/false entries (optional parts) are left out.
export function render(...nodes) {
  view().replaceChildren(...nodes.flat(Infinity).filter((node) => node !== null && node !== undefined && node !== false));
}

export function table(caption, headers, rows, { captionHidden = false } = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table" },
      h("caption", { class: captionHidden ? "visually-hidden" : null }, caption),
      h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, rows),
    ),
  );
}

// A table row whose cells carry their column name, shown as a label when the table is stacked (narrow).
export function row(headers, cells, attrs) {
  return h(
    "tr",
    attrs || {},
    cells.map((cell, i) => h(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null, "data-label": headers[i] }, cell)),
  );
}
