// The nearby screen: where am I, what do I need, what is nearest. Station text comes from
// the network and is only ever set as text (never as HTML).
import "./style.css";
import { compass, distance, openState, parsePosition } from "./format";
import { APPS, KINDS, type Lang, SERVICES, label, t } from "./i18n";
import { type Hit, type Transport, pickTransport } from "./transport";

const CHIP_SERVICES = ["shower", "toilet", "drinking_water", "food_heating", "phone_charging", "truck_parking", "overnight", "ebike_charging"];
const STORE_KEY = "waystation.ui.v1";

interface Saved {
  lang: Lang;
  position: string;
  kinds: string[];
  services: string[];
  openNow: boolean;
}

function load(): Saved {
  const fallback: Saved = { lang: "zh", position: "22.543,114.058", kinds: [], services: [], openNow: false };
  try {
    return { ...fallback, ...(JSON.parse(localStorage.getItem(STORE_KEY) ?? "{}") as Partial<Saved>) };
  } catch {
    return fallback;
  }
}

const state = load();
const transport: Transport = pickTransport();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function save() {
  localStorage.setItem(STORE_KEY, JSON.stringify(state));
}

function chips(container: HTMLElement, table: Record<string, [string, string]>, ids: string[], chosen: string[]) {
  container.replaceChildren(
    ...ids.map((id) => {
      const b = el("button", "chip", label(table, id, state.lang));
      b.type = "button";
      b.dataset.id = id;
      b.setAttribute("aria-pressed", String(chosen.includes(id)));
      b.onclick = () => {
        const i = chosen.indexOf(id);
        if (i >= 0) chosen.splice(i, 1);
        else chosen.push(id);
        save();
        render();
        void search();
      };
      return b;
    }),
  );
}

function translateStatic() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll<HTMLElement>("[data-i18n]").forEach((node) => {
    node.textContent = t(node.dataset.i18n as Parameters<typeof t>[0], state.lang);
  });
  $("lang").textContent = state.lang === "zh" ? "EN" : "中文";
}

function render() {
  translateStatic();
  chips($("kinds"), KINDS, Object.keys(KINDS), state.kinds);
  chips($("services"), SERVICES, CHIP_SERVICES, state.services);
  ($("open-now") as HTMLInputElement).checked = state.openNow;
  renderList(lastHits);
}

let lastHits: Hit[] = [];

function renderList(hits: Hit[]) {
  const lang = state.lang;
  $("status").textContent = hits.length ? t("found", lang, { n: hits.length }) : t("none", lang);
  $("list").replaceChildren(
    ...hits.map((h) => {
      const li = el("li", "station");
      li.tabIndex = 0;
      li.dataset.id = h.id;
      const top = el("div", "top");
      top.append(el("span", `kind kind-${h.kind}`, label(KINDS, h.kind, lang)));
      if (h.source === "synthetic") top.append(el("span", "synthetic", t("synthetic", lang)));
      li.append(top, el("div", "name", h.name));
      const meta = el("div", "meta");
      const arrow = el("span", "arrow", "↑");
      arrow.style.transform = `rotate(${h.bearing_deg ?? 0}deg)`;
      meta.append(arrow, el("span", "distance", `${distance(h.distance_m ?? 0)} ${compass(h.bearing_deg ?? 0, lang)}`));
      const open = openState(h, lang);
      meta.append(el("span", `open ${open.tone}`, open.text));
      if (h.free_truck_spaces !== null) meta.append(el("span", "trucks", `${t("truckSpaces", lang)} ${h.free_truck_spaces}`));
      li.append(meta, el("div", "services", h.services.map((s) => label(SERVICES, s, lang)).join(" · ")));
      li.onclick = () => void showDetail(h);
      li.onkeydown = (e) => {
        if (e.key === "Enter") void showDetail(h);
      };
      return li;
    }),
  );
  const note = document.querySelector(".synthetic-note");
  if (hits.some((h) => h.source === "synthetic")) {
    const p = note ?? el("p", "synthetic-note");
    p.textContent = t("syntheticNote", lang);
    if (!note) $("list").after(p);
  } else note?.remove();
}

async function showDetail(h: Hit) {
  const lang = state.lang;
  const dialog = $("detail") as HTMLDialogElement;
  const body = el("div", "detail");
  body.append(el("h2", "", h.name));
  if (h.source === "synthetic") body.append(el("p", "synthetic", t("synthetic", lang)));
  body.append(el("p", "address", h.address));
  body.append(el("p", "", `${t("hours", lang)}: ${h.opening_hours ?? t("unknown", lang)} — ${openState(h, lang).text}`));
  body.append(el("p", "", `${t("services", lang)}: ${h.services.map((s) => label(SERVICES, s, lang)).join("、")}`));
  if (h.phone) {
    const a = el("a", "", `${t("phone", lang)}: ${h.phone}`);
    a.href = `tel:${h.phone.replace(/[^0-9+]/g, "")}`;
    body.append(a);
  }
  if (h.notice) body.append(el("p", "notice", h.notice));
  const nav = el("div", "nav");
  nav.append(el("h3", "", t("navigate", lang)));
  body.append(nav);
  const close = el("button", "primary", t("close", lang));
  close.type = "button";
  close.onclick = () => dialog.close();
  body.append(close);
  dialog.replaceChildren(body);
  dialog.showModal();
  try {
    for (const link of await transport.links(h.id)) {
      const a = el("a", "navlink", label(APPS, link.app, state.lang));
      a.href = link.web ?? link.url;
      a.dataset.app = link.app;
      a.rel = "noopener";
      nav.append(a);
    }
  } catch {
    nav.append(el("p", "error", t("offline", state.lang)));
  }
}

async function search() {
  const pos = parsePosition(state.position);
  const error = $("error");
  error.hidden = pos !== null;
  if (!pos) {
    error.textContent = t("badPosition", state.lang);
    return;
  }
  try {
    lastHits = await transport.near({ ...pos, k: 20, kinds: state.kinds, services: state.services, openNow: state.openNow });
    renderList(lastHits);
  } catch (e) {
    error.hidden = false;
    error.textContent = `${t("offline", state.lang)} ${(e as Error).message}`;
  }
}

$("where").addEventListener("submit", (e) => {
  e.preventDefault();
  state.position = ($("pos") as HTMLInputElement).value;
  save();
  void search();
});
$("open-now").addEventListener("change", (e) => {
  state.openNow = (e.target as HTMLInputElement).checked;
  save();
  void search();
});
$("lang").addEventListener("click", () => {
  state.lang = state.lang === "zh" ? "en" : "zh";
  save();
  render();
});
($("pos") as HTMLInputElement).value = state.position;
render();
void search();
