// A list of stations that stays smooth however long it is: only the rows near the viewport
// exist in the DOM (fixed row height, absolutely placed).
import type { Context } from "./context";
import { el } from "./dom";
import { rowTally } from "./confirm";
import { arrival, compass, distance, freshness, openState } from "./format";
import { icon } from "./icons";
import { type Lang, t } from "./i18n";
import type { Hit } from "./transport";

// The height of `.station` in style.css; rows with an arrival time have a line more.
const ROW_HEIGHT = 148;
const ARRIVAL_LINE = 26;
const OVERSCAN = 6;

/** How far and which way from the driver: an arrow turned to the bearing, then "1.2 km 东北".
 * Nothing without a distance (no position) or for route hits (they say where along the route). */
export function distanceAndDirection(h: Hit, lang: Lang): HTMLElement[] {
  if (h.distance_m === null || h.along_m !== undefined) return [];
  const arrow = el("span", "arrow", "↑");
  arrow.style.transform = `rotate(${h.bearing_deg ?? 0}deg)`;
  arrow.setAttribute("aria-hidden", "true");
  return [arrow, el("span", "distance", `${distance(h.distance_m)} ${compass(h.bearing_deg ?? 0, lang)}`)];
}

function row(h: Hit, ctx: Context): HTMLLIElement {
  const lang = ctx.lang;
  const li = el("li", "station");
  li.tabIndex = 0;
  li.dataset.id = h.id;
  const top = el("div", "top");
  top.append(el("span", `kind kind-${h.kind}`, ctx.labels.kind(h.kind, lang)));
  if (h.source === "synthetic") top.append(el("span", "synthetic", t("synthetic", lang)));
  top.append(el("span", "fresh", t("updated", lang, { when: freshness(h.updated_at, lang) })));
  li.append(top, el("div", "name", h.name));
  const meta = el("div", "meta");
  meta.append(...distanceAndDirection(h, lang));
  if (h.along_m !== undefined && h.offset_m !== undefined) {
    meta.append(el("span", "distance", t("alongRoute", lang, { along: distance(h.along_m), off: distance(h.offset_m) })));
  }
  // With an arrival time, the state that matters is the one then (the detail has the hours).
  const then = arrival(h, lang);
  const open = then ?? openState(h, lang, (id, l) => ctx.labels.status(id, l));
  meta.append(el("span", `${then ? "arrive" : "open"} ${open.tone}`, open.text));
  if (h.free_truck_spaces !== null) meta.append(el("span", "trucks", `🚛 ${t("truckSpaces", lang)} ${h.free_truck_spaces}`));
  const services = el("div", "services");
  for (const s of h.services) {
    const i = el("span", "svc", icon(s));
    i.title = ctx.labels.service(s, lang);
    i.setAttribute("role", "img");
    i.setAttribute("aria-label", i.title);
    services.append(i);
  }
  const said = rowTally(h, ctx);
  services.append(el("span", `tally ${said.tone}`, said.text));
  li.append(meta, services);
  li.onclick = () => ctx.showStation(h.id, h);
  li.onkeydown = (e) => {
    if (e.key === "Enter") ctx.showStation(h.id, h);
  };
  return li;
}

/** Shows `hits` in `list` (an <ol>), rendering only what is near the viewport. Rows that stay in
 * range keep their element while scrolling; only rows entering or leaving the range change. */
export class StationList {
  private hits: Hit[] = [];
  private rowHeight = ROW_HEIGHT;
  private readonly rows = new Map<number, HTMLLIElement>();

  constructor(
    private readonly list: HTMLOListElement,
    private readonly ctx: Context,
  ) {
    const update = () => this.paint();
    window.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update, { passive: true });
  }

  /** `seq`: the number of the query these hits answer, kept as the list's data-seq (tests and
   * tools wait for it). */
  show(hits: Hit[], seq?: number) {
    this.hits = hits;
    this.rowHeight = hits.some((h) => h.eta) ? ROW_HEIGHT + ARRIVAL_LINE : ROW_HEIGHT;
    if (seq !== undefined) this.list.dataset.seq = String(seq);
    this.rows.clear();
    this.list.replaceChildren();
    this.list.style.height = `${hits.length * this.rowHeight}px`;
    this.paint(true);
  }

  private paint(force = false) {
    if (this.list.offsetParent === null && !force) return;
    const top = this.list.getBoundingClientRect().top;
    const first = Math.max(0, Math.floor(-top / this.rowHeight) - OVERSCAN);
    const last = Math.min(this.hits.length, Math.ceil((window.innerHeight - top) / this.rowHeight) + OVERSCAN);
    for (const [i, li] of this.rows) {
      if (i < first || i >= last) {
        li.remove();
        this.rows.delete(i);
      }
    }
    for (let i = first; i < last; i++) {
      if (this.rows.has(i)) continue;
      const li = row(this.hits[i], this.ctx);
      li.style.top = `${i * this.rowHeight}px`;
      li.style.height = `${this.rowHeight}px`;
      li.setAttribute("aria-posinset", String(i + 1));
      li.setAttribute("aria-setsize", String(this.hits.length));
      this.rows.set(i, li);
      this.list.append(li);
    }
  }
}
