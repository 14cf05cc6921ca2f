// Element building without HTML strings: text always goes in as text nodes, so data from the
// API can never become markup.

/**
 * h("button", {class: "btn", onclick: fn, attrs: {"aria-label": "x"}}, "text", child, [more])
 * Props: class, id, text, dataset, attrs, and on* handlers; anything else is set as a property.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (name === "text") el.textContent = String(value);
    else if (name === "attrs") for (const [k, v] of Object.entries(value)) { if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? "" : String(v)); }
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else el[name] = value;
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, numbers, arrays; null and false are skipped). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces all children of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let counter = 0;
/** A unique id for label/input pairs. */
export function uid(prefix = "f") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Base64 of a UTF-8 string (for data: URLs). */
export function base64Utf8(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
