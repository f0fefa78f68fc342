// Where am I: the device's position where it can tell, and always a manual way — a place or
// station by name, a tap on the map, or typed coordinates in WGS-84 or GCJ-02.
import type { Context } from "./context";
import { $, button, el, field, searchBox, select } from "./dom";
import { parsePosition } from "./format";
import { t } from "./i18n";
import type { Datum, TauriInternals } from "./transport";

interface Fix {
  lat: number;
  lon: number;
  heading: number | null;
}

/** The geolocation plugin on phones (Tauri), otherwise the webview's own geolocation. */
export async function locate(): Promise<Fix> {
  const tauri = (globalThis as { __TAURI_INTERNALS__?: TauriInternals }).__TAURI_INTERNALS__;
  if (tauri && /Android|iPhone|iPad/i.test(navigator.userAgent)) {
    const p = await tauri.invoke<{ coords: { latitude: number; longitude: number; heading: number | null } }>(
      "plugin:geolocation|get_current_position",
      { options: { enableHighAccuracy: true, timeout: 10_000, maximumAge: 30_000 } },
    );
    return { lat: p.coords.latitude, lon: p.coords.longitude, heading: p.coords.heading };
  }
  if (!("geolocation" in navigator)) throw new Error("no geolocation in this webview");
  return new Promise((resolve, reject) =>
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, heading: p.coords.heading }),
      (e) => reject(new Error(e.message || `error ${e.code}`)),
      { enableHighAccuracy: true, timeout: 10_000, maximumAge: 30_000 },
    ),
  );
}

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
        const fix = await locate();
        ctx.settings.heading = fix.heading !== null && Number.isFinite(fix.heading) ? fix.heading : null;
        ctx.setPosition(fix.lat, fix.lon, `GPS ${fix.lat.toFixed(5)},${fix.lon.toFixed(5)}`);
        dialog.close();
      } catch (e) {
        message.className = "result error";
        message.textContent = t("locateFailed", lang, { why: (e as Error).message });
      }
    },
    "primary wide",
  );

  // By name: places first, then stations.
  const results = el("ul", "choices");
  const searchForm = searchBox("place-query", t("searchPlace", lang), t("search", lang), async (text) => {
    const [places, stations] = await Promise.all([
      ctx.transport.places(text).catch(() => []),
      ctx.transport.search(text, ctx.settings.position).catch(() => []),
    ]);
    const choose = (label: string, lat: number, lon: number) => {
      const li = el("li");
      li.append(
        button(label, () => {
          ctx.setPosition(lat, lon, label);
          dialog.close();
        }, "choice"),
      );
      return li;
    };
    results.replaceChildren(
      ...places.map((p) => choose(`🏙️ ${p.full_name}`, p.lat, p.lon)),
      ...stations.slice(0, 8).map((s) => choose(`⛺ ${s.name}`, s.lat, s.lon)),
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
    const wgs = datum === "wgs84" ? p : await ctx.transport.convert(p.lat, p.lon, datum, "wgs84");
    ctx.setPosition(wgs.lat, wgs.lon, `${p.lat},${p.lon} (${datum === "wgs84" ? "WGS-84" : "GCJ-02"})`);
    dialog.close();
  };

  const pick = button(`🗺️ ${t("pickOnMap", lang)}`, () => {
    dialog.close();
    onPickOnMap();
  });

  body.append(gps, searchForm, results, coordsForm, pick, message, button(t("close", lang), () => dialog.close()));
  dialog.replaceChildren(body);
  dialog.showModal();
}
