// How fast the driver goes, for arrival times: a vehicle (its typical speed, from the
// catalog's vocabulary) or a typed km/h. One control for the route screen and "ahead of me".
import type { Context } from "./context";
import { el } from "./dom";
import { t } from "./i18n";

/** A vehicle id stays as it is; a typed number becomes whole km/h within what the catalog
 * accepts (1–200); anything else is no speed (null). */
export function typedSpeed(text: string, vehicles: readonly { id: string }[]): string | null {
  const v = text.trim();
  if (vehicles.some((x) => x.id === v)) return v;
  const n = Number(v);
  if (!v || !Number.isFinite(n) || n < 1 || n > 200) return null;
  return String(Math.round(n));
}

/** A vehicle picker and a km/h box side by side, bound to `settings.speed`. */
export function speedControl(ctx: Context, id: string): HTMLElement {
  const lang = ctx.lang;
  const vehicles = ctx.labels.vehicles;
  const wrap = el("span", "speed");
  const pick = el("select");
  pick.id = `${id}-vehicle`;
  pick.setAttribute("aria-label", t("speed", lang));
  for (const v of vehicles) {
    const o = el("option", undefined, t("speedKmh", lang, { v: v[lang], n: v.speed_kmh }));
    o.value = v.id;
    pick.append(o);
  }
  const typed = el("input");
  typed.id = `${id}-kmh`;
  typed.type = "number";
  typed.min = "1";
  typed.max = "200";
  typed.inputMode = "numeric";
  typed.placeholder = "km/h";
  typed.setAttribute("aria-label", "km/h");
  const show = (speed: string) => {
    const vehicle = vehicles.some((v) => v.id === speed);
    pick.value = vehicle ? speed : "";
    typed.value = vehicle ? "" : speed;
  };
  show(ctx.settings.speed);
  pick.onchange = () => ctx.update({ speed: pick.value });
  typed.onchange = () => {
    const speed = typedSpeed(typed.value, vehicles);
    if (speed) ctx.update({ speed });
    show(speed ?? ctx.settings.speed);
  };
  wrap.append(pick, typed);
  return wrap;
}
