// DOM helpers. Every string is added as a text node, never parsed as
// HTML: names and messages come from the target and from user code.

type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: { class?: string; title?: string; [attr: string]: string | undefined } | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined) continue;
      if (k === "class") e.className = v;
      else e.setAttribute(k, v);
    }
  }
  append(e, ...children);
  return e;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing element #${id}`);
  return e;
}

export function setText(id: string, text: string): void {
  const e = document.getElementById(id);
  if (e && e.textContent !== text) e.textContent = text;
}
