// Small DOM helpers. Station text comes from the network and is only ever set as text.

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(text: string, onClick: () => void, cls = "secondary"): HTMLButtonElement {
  const b = el("button", cls, text);
  b.type = "button";
  b.onclick = onClick;
  return b;
}

/** A labelled form control. */
export function field(labelText: string, control: HTMLElement): HTMLLabelElement {
  const l = el("label", "field");
  l.append(el("span", "field-label", labelText), control);
  return l;
}

export function select(options: [string, string][], value: string, onChange: (v: string) => void): HTMLSelectElement {
  const s = el("select");
  for (const [v, text] of options) {
    const o = el("option", undefined, text);
    o.value = v;
    s.append(o);
  }
  s.value = value;
  s.onchange = () => onChange(s.value);
  return s;
}

/** A one-line search: a search box and its button; `onSearch` gets the trimmed, non-empty text. */
export function searchBox(id: string, placeholder: string, buttonText: string, onSearch: (text: string) => void): HTMLFormElement {
  const input = el("input");
  input.type = "search";
  input.id = id;
  input.placeholder = placeholder;
  const go = el("button", "secondary", buttonText);
  go.type = "submit";
  const form = el("form", "row");
  form.append(input, go);
  form.onsubmit = (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text) onSearch(text);
  };
  return form;
}
