// Along my route: a GPX/GeoJSON file (or a straight line to a destination) and the stations
// within N km of it, in the order the driver reaches them.
import type { Context } from "./context";
import { el, field, searchBox, select } from "./dom";
import { t } from "./i18n";
import type { StationList } from "./list";
import { alongRequest } from "./nearby";
import type { Settings } from "./state";
import { speedControl } from "./travel";

/** The settings a route's answer depends on. */
const ROUTE_INPUTS: (keyof Settings)[] = ["routeWithinKm", "kinds", "services", "openNow", "confirmedOnly", "speed", "depart", "openOnArrival"];
let unsubscribe: (() => void) | null = null;

/** A GeoJSON line from here to there, for "pick a destination" (no road routing offline). */
export function straightLine(from: { lat: number; lon: number }, to: { lat: number; lon: number }): string {
  return JSON.stringify({ type: "LineString", coordinates: [[from.lon, from.lat], [to.lon, to.lat]] });
}

export function renderAlong(root: HTMLElement, list: StationList, ctx: Context) {
  const lang = ctx.lang;
  const status = el("p", "status");
  status.setAttribute("aria-live", "polite");
  let route: string | null = null;
  let routeName = "";

  const run = async () => {
    if (!route) {
      status.textContent = t("routeNone", lang);
      list.show([]);
      return;
    }
    try {
      const hits = await ctx.transport.along(route, alongRequest(ctx.settings));
      status.className = "status";
      status.textContent = `${routeName}: ${hits.length ? t("found", lang, { n: hits.length }) : t("none", lang)}`;
      list.show(hits);
    } catch (e) {
      status.className = "status error";
      status.textContent = (e as Error).message;
    }
  };

  const file = el("input");
  file.type = "file";
  file.id = "route-file";
  file.accept = ".gpx,.geojson,.json,application/gpx+xml,application/geo+json";
  file.onchange = async () => {
    const f = file.files?.[0];
    if (!f) return;
    route = await f.text();
    routeName = f.name;
    status.className = "status";
    await run();
  };

  const choices = el("ul", "choices");
  const destForm = searchBox("destination", t("searchPlace", lang), t("search", lang), async (text) => {
    const from = ctx.settings.position;
    if (!from) return;
    const places = await ctx.transport.places({ q: text }).catch(() => []);
    choices.replaceChildren(
      ...places.slice(0, 6).map((p) => {
        const li = el("li");
        const b = el("button", "choice", `🏁 ${p.full_name}`);
        b.type = "button";
        b.onclick = () => {
          route = straightLine(from, p);
          routeName = `→ ${p.full_name}`;
          choices.replaceChildren();
          void run();
        };
        li.append(b);
        return li;
      }),
    );
  });

  const within = select(
    [1, 2, 5, 10, 20].map((n) => [String(n), t("withinKm", lang, { n })]),
    String(ctx.settings.routeWithinKm),
    (v) => ctx.update({ routeWithinKm: Number(v) }),
  );
  // A new distance (or filter) asks again for the route on screen.
  unsubscribe?.();
  unsubscribe = ctx.subscribe((_, changed) => {
    if (route && ROUTE_INPUTS.some((k) => changed.has(k))) void run();
  });
  within.id = "route-within";

  // When each station is reached: a speed, a departure (China time; empty is now), and
  // whether to keep only stations open then.
  const depart = el("input");
  depart.id = "route-depart";
  depart.type = "datetime-local";
  depart.value = ctx.settings.depart;
  depart.onchange = () => ctx.update({ depart: depart.value });
  const openThen = el("input");
  openThen.id = "route-open-on-arrival";
  openThen.type = "checkbox";
  openThen.checked = ctx.settings.openOnArrival;
  openThen.onchange = () => ctx.update({ openOnArrival: openThen.checked });
  const openToggle = el("label", "toggle");
  openToggle.append(openThen, " ", el("span", "", t("openOnArrival", lang)));

  root.replaceChildren(
    field(t("route", lang), file),
    field(t("orDestination", lang), destForm),
    choices,
    field(t("routeWithin", lang), within),
    field(t("speed", lang), speedControl(ctx, "route-speed")),
    field(t("depart", lang), depart),
    openToggle,
    status,
  );
  list.show([]);
}
