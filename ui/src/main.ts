// The app: five screens over one catalog (on the device in the app, on the server in a browser).
// Station text comes from the network and is only ever set as text (never as HTML).
import "./style.css";
import { renderAlong } from "./along";
import type { Context, Screen } from "./context";
import { showDetail } from "./detail";
import { $, el } from "./dom";
import { Labels, t } from "./i18n";
import { StationList } from "./list";
import { openLocation } from "./location";
import type { StationMap } from "./map";
import { renderOperator } from "./operator";
import { applyTheme, renderSettings } from "./settings";
import { load, save } from "./state";
import { type Hit, pickTransport } from "./transport";

const CHIP_SERVICES = ["shower", "toilet", "drinking_water", "food_heating", "phone_charging", "truck_parking", "overnight", "ebike_charging"];
const WITHIN = [null, 5, 20, 50, 100];
const SCREENS: Screen[] = ["nearby", "map", "route", "settings", "operator"];
const TAB_WORDS = { nearby: "tabNearby", map: "tabMap", route: "tabRoute", settings: "tabSettings", operator: "tabOperator" } as const;

let screen: Screen = "nearby";
let map: StationMap | null = null;
let mapTiles = "";

const ctx: Context = {
  settings: load(),
  transport: pickTransport(),
  labels: new Labels(null),
  get lang() {
    return this.settings.lang;
  },
  save() {
    save(this.settings);
  },
  setPosition(lat, lon, label) {
    this.settings.position = { lat, lon, label };
    this.save();
    renderWhere();
    void map?.showMe(true);
    if (screen === "nearby") void searchNearby();
  },
  showStation(hit) {
    void showDetail(hit, ctx);
  },
  go(next) {
    void show(next);
  },
};

const nearbyList = new StationList($("list") as HTMLOListElement, ctx);
const routeList = new StationList($("route-list") as HTMLOListElement, ctx);

function renderWhere() {
  const p = ctx.settings.position;
  $("where-label").textContent = p ? p.label : t("noPosition", ctx.lang);
}

function chips(container: HTMLElement, ids: string[], chosen: string[]) {
  container.replaceChildren(
    ...ids.map((id) => {
      const b = el("button", "chip", ctx.labels.of(id, ctx.lang));
      b.type = "button";
      b.dataset.id = id;
      b.setAttribute("aria-pressed", String(chosen.includes(id)));
      b.onclick = () => {
        const i = chosen.indexOf(id);
        if (i >= 0) chosen.splice(i, 1);
        else chosen.push(id);
        b.setAttribute("aria-pressed", String(chosen.includes(id)));
        ctx.save();
        void searchNearby();
      };
      return b;
    }),
  );
}

function renderFilters() {
  const s = ctx.settings;
  chips($("kinds"), (ctx.labels.vocab?.kinds ?? []).map((k) => k.id), s.kinds);
  chips($("services"), CHIP_SERVICES, s.services);
  const open = $("open-now") as HTMLInputElement;
  open.checked = s.openNow;
  const ahead = $("ahead") as HTMLInputElement;
  ahead.checked = s.ahead && s.heading !== null;
  ahead.disabled = s.heading === null;
  $("ahead-hint").hidden = s.heading !== null;
  const within = $("within") as HTMLSelectElement;
  within.replaceChildren(
    ...WITHIN.map((n) => {
      const o = el("option", undefined, n === null ? t("withinAny", ctx.lang) : t("withinKm", ctx.lang, { n }));
      o.value = n === null ? "" : String(n);
      return o;
    }),
  );
  within.value = s.withinKm === null ? "" : String(s.withinKm);
}

let lastHits: Hit[] = [];

async function searchNearby() {
  const s = ctx.settings;
  const error = $("error");
  error.hidden = true;
  if (!s.position) {
    $("status").textContent = t("noPosition", ctx.lang);
    return;
  }
  try {
    lastHits = await ctx.transport.near({
      lat: s.position.lat,
      lon: s.position.lon,
      k: 200,
      kinds: s.kinds,
      services: s.services,
      openNow: s.openNow,
      withinKm: s.withinKm ?? undefined,
      heading: s.ahead && s.heading !== null ? s.heading : undefined,
    });
    $("status").textContent = lastHits.length ? t("found", ctx.lang, { n: lastHits.length }) : t("none", ctx.lang);
    nearbyList.show(lastHits);
    // When the first list appeared, in ms since the page started (read by the launch benchmark).
    document.body.dataset.firstListMs ??= String(Math.round(performance.now()));
    $("synthetic-note").hidden = !lastHits.some((h) => h.source === "synthetic");
  } catch (e) {
    error.hidden = false;
    error.textContent = `${t("offline", ctx.lang)} ${(e as Error).message}`;
  }
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
    nearbyList.show(lastHits);
    void searchNearby();
  }
  if (next === "map") {
    const tiles = JSON.stringify([ctx.settings.tiles, ctx.settings.tilesKey, ctx.settings.tilesUrl, ctx.settings.tilesDatum]);
    if (map && tiles !== mapTiles) {
      map.remove();
      map = null;
    }
    if (!map) {
      mapTiles = tiles;
      const { StationMap } = await import("./map");
      map = new StationMap($("map"), $("map-note"), ctx);
    }
    map.resize();
  }
  if (next === "route") routeList.show([]);
  if (next === "settings") renderSettings($("settings"), ctx, renderAll);
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

function pickOnMap() {
  void show("map").then(() => map?.ready.then(() => map?.startPicking()));
}

$("where-button").addEventListener("click", () => openLocation(ctx, pickOnMap));
$("open-now").addEventListener("change", (e) => {
  ctx.settings.openNow = (e.target as HTMLInputElement).checked;
  ctx.save();
  void searchNearby();
});
$("ahead").addEventListener("change", (e) => {
  ctx.settings.ahead = (e.target as HTMLInputElement).checked;
  ctx.save();
  void searchNearby();
});
$("within").addEventListener("change", (e) => {
  const v = (e.target as HTMLSelectElement).value;
  ctx.settings.withinKm = v === "" ? null : Number(v);
  ctx.save();
  void searchNearby();
});
$("lang").addEventListener("click", () => {
  ctx.settings.lang = ctx.lang === "zh" ? "en" : "zh";
  ctx.save();
  renderAll();
});
for (const s of SCREENS) $(`tab-${s}`).addEventListener("click", () => void show(s));

applyTheme(ctx.settings.theme);
ctx.transport
  .vocab()
  .then((v) => (ctx.labels = new Labels(v)))
  .catch(() => undefined)
  .finally(renderAll);
