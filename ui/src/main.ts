// The app: five screens over one catalog (on the device in the app, on the server in a browser).
// Station text comes from the network and is only ever set as text (never as HTML).
// The settings live in one Store: every change goes through ctx.update, and what depends on a
// setting follows it by subscription (below), not by each screen saving and redrawing by hand.
import "./style.css";
import { renderAlong } from "./along";
import type { Context, Screen } from "./context";
import { showDetail } from "./detail";
import { $, el } from "./dom";
import { Labels, t } from "./i18n";
import { StationList } from "./list";
import { openLocation } from "./location";
import type { StationMap } from "./map";
import { openingView } from "./mapview";
import { Nearby } from "./nearby";
import { renderOperator } from "./operator";
import { openProposal } from "./propose";
import { applyTheme, renderSettings } from "./settings";
import { type Settings, Store } from "./state";
import { pickTransport } from "./transport";
import { speedControl } from "./travel";

const CHIP_SERVICES = ["shower", "toilet", "drinking_water", "food_heating", "phone_charging", "truck_parking", "overnight", "ebike_charging"];
const WITHIN = [null, 5, 20, 50, 100];
const SCREENS: Screen[] = ["nearby", "map", "route", "settings", "operator"];
const TAB_WORDS = { nearby: "tabNearby", map: "tabMap", route: "tabRoute", settings: "tabSettings", operator: "tabOperator" } as const;
/** The settings the nearby list's query is made of. */
const NEARBY_INPUTS: (keyof Settings)[] = ["position", "heading", "kinds", "services", "openNow", "confirmedOnly", "withinKm", "ahead", "speed", "measuredKmh"];

let screen: Screen = "nearby";
let map: StationMap | null = null;
let mapTiles = "";

const store = new Store();

const ctx: Context = {
  get settings() {
    return store.settings;
  },
  transport: pickTransport(),
  labels: new Labels(null),
  get lang() {
    return store.settings.lang;
  },
  update: (patch) => store.update(patch),
  subscribe: (listener) => store.subscribe(listener),
  showStation(id, known) {
    void showDetail(id, ctx, known);
  },
  go(next) {
    void show(next);
  },
};

const nearbyList = new StationList($("list") as HTMLOListElement, ctx);
const routeList = new StationList($("route-list") as HTMLOListElement, ctx);
const nearby = new Nearby(ctx, { list: nearbyList, status: $("status"), error: $("error"), syntheticNote: $("synthetic-note") });

function renderWhere() {
  const p = ctx.settings.position;
  $("where-label").textContent = p ? p.label : t("noPosition", ctx.lang);
}

/** Toggle chips for `ids`; `key` is the setting (a list of ids) they choose. */
function chips(container: HTMLElement, ids: string[], key: "kinds" | "services", label: (id: string) => string) {
  container.replaceChildren(
    ...ids.map((id) => {
      const b = el("button", "chip", label(id));
      b.type = "button";
      b.dataset.id = id;
      b.setAttribute("aria-pressed", String(ctx.settings[key].includes(id)));
      b.onclick = () => {
        const chosen = ctx.settings[key];
        const next = chosen.includes(id) ? chosen.filter((c) => c !== id) : [...chosen, id];
        b.setAttribute("aria-pressed", String(next.includes(id)));
        ctx.update(key === "kinds" ? { kinds: next } : { services: next });
      };
      return b;
    }),
  );
}

function renderFilters() {
  const s = ctx.settings;
  const lang = ctx.lang;
  chips($("kinds"), (ctx.labels.vocab?.kinds ?? []).map((k) => k.id), "kinds", (id) => ctx.labels.kind(id, lang));
  chips($("services"), CHIP_SERVICES, "services", (id) => ctx.labels.service(id, lang));
  const open = $("open-now") as HTMLInputElement;
  open.checked = s.openNow;
  ($("confirmed-only") as HTMLInputElement).checked = s.confirmedOnly;
  const ahead = $("ahead") as HTMLInputElement;
  ahead.checked = s.ahead && s.heading !== null;
  ahead.disabled = s.heading === null;
  $("ahead-hint").hidden = s.heading !== null;
  // Ahead of me, arrival times need a speed: the measured one, or else the one chosen here.
  const speed = $("ahead-speed");
  speed.hidden = !ahead.checked || s.measuredKmh !== null;
  speed.replaceChildren(speedControl(ctx, "ahead-speed"));
  const within = $("within") as HTMLSelectElement;
  within.replaceChildren(
    ...WITHIN.map((n) => {
      const o = el("option", undefined, n === null ? t("withinAny", lang) : t("withinKm", lang, { n }));
      o.value = n === null ? "" : String(n);
      return o;
    }),
  );
  within.value = s.withinKm === null ? "" : String(s.withinKm);
}

async function show(next: Screen) {
  // Another screen starts at its top (the last one's scroll position means nothing there).
  if (next !== screen) window.scrollTo(0, 0);
  screen = next;
  for (const s of SCREENS) {
    $(`screen-${s}`).hidden = s !== next;
    $(`tab-${s}`).setAttribute("aria-current", String(s === next));
  }
  document.body.dataset.screen = next;
  if (next === "nearby") {
    nearbyList.show(nearby.hits);
    void nearby.search();
  }
  if (next === "map") {
    const tiles = JSON.stringify([ctx.settings.tiles, ctx.settings.tilesKey, ctx.settings.tilesUrl, ctx.settings.tilesDatum]);
    if (map && tiles !== mapTiles) {
      map.remove();
      map = null;
    }
    if (!map) {
      mapTiles = tiles;
      // Timed from here (loading the map library is part of it), and the first view asked for
      // now: the catalog answers while the library loads.
      const opening = openingView(ctx, $("map"));
      const { StationMap } = await import("./map");
      map = new StationMap($("map"), $("map-note"), ctx, opening);
    }
    map.resize();
  }
  if (next === "route") routeList.show([]);
  if (next === "settings") renderSettings($("settings"), ctx);
  if (next === "operator") await renderOperator($("operator"), ctx);
}

function translateStatic() {
  document.documentElement.lang = ctx.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll<HTMLElement>("[data-i18n]").forEach((node) => {
    node.textContent = t(node.dataset.i18n as Parameters<typeof t>[0], ctx.lang);
  });
  $("lang").textContent = ctx.lang === "zh" ? "EN" : "中文";
  for (const s of SCREENS) $(`tab-${s}`).textContent = t(TAB_WORDS[s], ctx.lang);
}

function renderAll() {
  translateStatic();
  renderWhere();
  renderFilters();
  renderAlong($("route"), routeList, ctx);
  void show(screen);
}

// What follows which setting.
ctx.subscribe((s, changed) => {
  if (changed.has("theme")) {
    applyTheme(s.theme);
    map?.applyTheme();
  }
  if (changed.has("position")) {
    renderWhere();
    void map?.showMe(true);
  }
  // A new language redraws every screen (and asks the nearby list again).
  if (changed.has("lang")) renderAll();
  else {
    if (["heading", "ahead", "measuredKmh"].some((k) => changed.has(k as keyof Settings))) renderFilters();
    if (screen === "nearby" && NEARBY_INPUTS.some((k) => changed.has(k))) void nearby.search();
  }
});
// "Follow system" follows the system while the app runs, too.
globalThis.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", () => map?.applyTheme());

function pickOnMap() {
  void show("map").then(() => map?.ready.then(() => map?.startPicking()));
}

$("where-button").addEventListener("click", () => openLocation(ctx, pickOnMap));
$("open-now").addEventListener("change", (e) => ctx.update({ openNow: (e.target as HTMLInputElement).checked }));
$("confirmed-only").addEventListener("change", (e) => ctx.update({ confirmedOnly: (e.target as HTMLInputElement).checked }));
$("propose-missing").addEventListener("click", () => openProposal(ctx, null));
$("ahead").addEventListener("change", (e) => ctx.update({ ahead: (e.target as HTMLInputElement).checked }));
$("within").addEventListener("change", (e) => {
  const v = (e.target as HTMLSelectElement).value;
  ctx.update({ withinKm: v === "" ? null : Number(v) });
});
$("lang").addEventListener("click", () => ctx.update({ lang: ctx.lang === "zh" ? "en" : "zh" }));
for (const s of SCREENS) $(`tab-${s}`).addEventListener("click", () => void show(s));

applyTheme(ctx.settings.theme);
ctx.transport
  .vocab()
  .then((v) => (ctx.labels = new Labels(v)))
  .catch(() => undefined)
  .finally(renderAll);
