// Where am I: the device's position where it can tell, and always a manual way — a place or
// station by name, a tap on the map, or typed coordinates in WGS-84 or GCJ-02.
import type { Context } from "./context";
import { $, button, el, field, searchBox, select } from "./dom";
import { parsePosition } from "./format";
import { t } from "./i18n";
import type { Datum } from "./transport";

/** Slower than this (km/h) the device's speed is GPS noise or a stop, not travel. */
const MOVING_KMH = 5;

/** The device's speed in km/h while it is moving; null when it is not or cannot tell. */
export function measuredKmh(metresPerSecond: number | null | undefined): number | null {
  if (metresPerSecond === null || metresPerSecond === undefined) return null;
  const kmh = metresPerSecond * 3.6;
  return kmh >= MOVING_KMH ? Math.min(Math.round(kmh), 200) : null;
}

/** How many stations a search by name asks for. */
export const SEARCH_K = 20;

export function openLocation(ctx: Context, onPickOnMap: () => void) {
  const lang = ctx.lang;
  const dialog = $("location") as HTMLDialogElement;
  const body = el("div", "location");
  body.append(el("h2", "", t("where", lang)));
  const message = el("p", "result");
  message.setAttribute("role", "status");

  const gps = button(
    `📍 ${t("useMyLocation", lang)}`,
    async () => {
      message.className = "result";
      message.textContent = t("locating", lang);
      try {
        const fix = await ctx.transport.locate();
        ctx.update({
          position: { lat: fix.lat, lon: fix.lon, label: `GPS ${fix.lat.toFixed(5)},${fix.lon.toFixed(5)}` },
          heading: fix.heading ?? null,
          measuredKmh: measuredKmh(fix.speed),
        });
        dialog.close();
      } catch (e) {
        message.className = "result error";
        message.textContent = t("locateFailed", lang, { why: (e as Error).message });
      }
    },
    "primary wide",
  );

  // By name: places first, then stations (each also opens its detail).
  const results = el("ul", "choices");
  const searchForm = searchBox("place-query", t("searchPlace", lang), t("search", lang), async (text) => {
    const here = ctx.settings.position;
    const [places, stations] = await Promise.all([
      ctx.transport.places({ q: text }).catch(() => []),
      ctx.transport.search({ q: text, k: SEARCH_K, lat: here?.lat, lon: here?.lon }).catch(() => []),
    ]);
    const choose = (label: string, lat: number, lon: number) => {
      const li = el("li");
      li.append(
        button(label, () => {
          ctx.update({ position: { lat, lon, label } });
          dialog.close();
        }, "choice"),
      );
      return li;
    };
    results.replaceChildren(
      ...places.map((p) => choose(`🏙️ ${p.full_name}`, p.lat, p.lon)),
      ...stations.slice(0, 8).map((s) => {
        const li = choose(`⛺ ${s.name}`, s.lat, s.lon);
        li.classList.add("station-choice");
        li.dataset.id = s.id;
        const more = button(`ℹ️ ${t("details", lang)}`, () => {
          dialog.close();
          ctx.showStation(s.id, s);
        }, "secondary details");
        more.setAttribute("aria-label", `${t("details", lang)}: ${s.name}`);
        li.append(more);
        return li;
      }),
    );
    if (!results.children.length) results.append(el("li", "muted", t("none", lang)));
  });

  // Typed coordinates, in the datum the driver copied them from.
  let datum: Datum = "wgs84";
  const coords = el("input");
  coords.id = "coords";
  coords.inputMode = "decimal";
  coords.placeholder = "22.543,114.058";
  const coordsForm = el("form", "coords");
  const set = el("button", "secondary", t("setPosition", lang));
  set.type = "submit";
  coordsForm.append(
    field(t("coordinates", lang), coords),
    field(t("datum", lang), select([["wgs84", t("wgs84", lang)], ["gcj02", t("gcj02", lang)]], datum, (v) => (datum = v as Datum))),
    set,
  );
  coordsForm.onsubmit = async (e) => {
    e.preventDefault();
    const p = parsePosition(coords.value);
    if (!p) {
      message.className = "result error";
      message.textContent = t("badPosition", lang);
      return;
    }
    try {
      const wgs = datum === "wgs84" ? p : await ctx.transport.convert({ lat: p.lat, lon: p.lon, from: datum, to: "wgs84" });
      ctx.update({ position: { lat: wgs.lat, lon: wgs.lon, label: `${p.lat},${p.lon} (${datum === "wgs84" ? "WGS-84" : "GCJ-02"})` } });
      dialog.close();
    } catch (err) {
      message.className = "result error";
      message.textContent = (err as Error).message;
    }
  };

  const pick = button(`🗺️ ${t("pickOnMap", lang)}`, () => {
    dialog.close();
    onPickOnMap();
  });

  body.append(gps, searchForm, results, coordsForm, pick, message, button(t("close", lang), () => dialog.close()));
  dialog.replaceChildren(body);
  dialog.showModal();
}
