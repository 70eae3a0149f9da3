// A tiny render helper: h() builds DOM nodes directly. The console never
// builds HTML from strings, so text from the API (a buyer's description, a
// rule's reason) can never become markup, and the CSP can require Trusted
// Types for every HTML sink without the console ever needing one.

export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") {
        el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
      } else if (k === "value" && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement)) {
        el.value = String(v);
      } else if (k === "checked" && el instanceof HTMLInputElement) {
        el.checked = Boolean(v);
      } else {
        el.setAttribute(k, v === true ? "" : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

// replace empties el and fills it with children.
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

// option builds a <select>'s option, selected when value is current.
export function option(value: string, label: string, current?: string): HTMLOptionElement {
  return h("option", { value, selected: value === (current ?? "") }, label);
}

export function toast(text: string): void {
  const t = h("div", { class: "toast", role: "status" }, text);
  document.body.appendChild(t);
  setTimeout(() => t.remove(), 2500);
}

// add appends children to el, skipping null, undefined and false (the
// DOM's own append would write them as text).
export function add(el: Element, ...children: Child[]): void {
  append(el, children);
}
