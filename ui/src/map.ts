// The map (MapLibre GL, loaded only when the map screen first opens): the stations of the view,
// clustered by the catalog, over the configured basemap — or over a plain background with scale,
// north and place names when there are no tiles (offline, or no approved source configured).
// Never a broken page. The style is mapstyle.ts, what is drawn over it maplayers.ts, what taps do
// mapevents.ts, which part of the world is asked for mapview.ts; this puts them together, asks
// for the view as it moves and keeps "me" and the theme up to date.
import "maplibre-gl/dist/maplibre-gl.css";
import { Map as MapLibre, NavigationControl, ScaleControl, setWorkerUrl } from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import { type Basemap, basemap, tilesDatum } from "./basemap";
import type { Context } from "./context";
import { t } from "./i18n";
import { bindEvents } from "./mapevents";
import { Overlay, placeMe, showView, withStations } from "./maplayers";
import { BACKGROUND, type Look, mapLook, style, systemPrefersDark } from "./mapstyle";
import { type Camera, type Opening, viewAround } from "./mapview";
import type { Datum, MapView } from "./transport";

/** MapLibre's worker from a Blob URL: works from tauri:// pages too (WebKitGTK on Linux). */
async function useBlobWorker() {
  const code = await (await fetch(workerUrl)).text();
  setWorkerUrl(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
}

/** How often the view is asked for while it moves, in ms (the margin shows meanwhile). */
const ASK_EVERY_MS = 250;
/** How soon a view whose answer failed (a server away) is asked for again, in ms. */
const RETRY_MS = 3000;
/** How long the map waits for the first view's answer before it starts without (it is drawn when it comes). */
const FIRST_VIEW_WAIT_MS = 300;

/** What `answer` gives within `ms`; null if none was asked for, it failed, or it is later. */
function within<T>(answer: Promise<T> | null, ms: number): Promise<T | null> {
  if (!answer) return Promise.resolve(null);
  return Promise.race([answer.catch(() => null), new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}

function waitFor(map: MapLibre, event: "load" | "idle"): Promise<void> {
  return new Promise((resolve) => map.once(event, () => resolve()));
}

export class StationMap {
  private map: MapLibre | null = null;
  private overlay: Overlay | null = null;
  /** The last view asked for and the last drawn (answers may come back out of order). */
  private asked = 0;
  private drawn = 0;
  private askedAt = 0;
  private readonly base: Basemap | null;
  private picking = false;
  /** Set by `remove`: a start still under way makes no map. */
  private removed = false;
  /** Resolved once the map has loaded: it can be tapped (the first view may still be on its way). */
  readonly ready: Promise<void>;

  constructor(
    private readonly container: HTMLElement,
    private readonly note: HTMLElement,
    private readonly ctx: Context,
    private readonly opening: Opening,
  ) {
    this.base = basemap(ctx.settings);
    this.ready = this.start().catch((e) => this.failed(e));
  }

  /** Says the map failed, and why: never a broken page. */
  private failed(e: unknown) {
    this.note.textContent = t("mapFailed", this.ctx.lang, { why: (e as Error).message });
    this.note.className = "map-note error";
  }

  /** The datum of the tiles (stations and "me" are shown in it). */
  private get datum(): Datum {
    return tilesDatum(this.base);
  }

  private look(): Look {
    return mapLook(this.ctx.settings.theme, systemPrefersDark());
  }

  /**
   * Loads the map and, once it is loaded (`ready`), draws the first view and notes how long that
   * took from the opening (data-render-ms), with a performance mark at each step (what tools read
   * to see where the time goes). The first view's answer, asked for as the screen opened, goes
   * into the style when it is in soon after the library: the first frame has it. Otherwise the
   * map starts without, and draws it when it comes (asking again if it failed).
   */
  private async start() {
    const { opened, camera } = this.opening;
    performance.mark("map:library", { startTime: opened });
    performance.mark("map:imported");
    // An answer in another datum (the tiles changed while the library loaded) is not drawn.
    const pending = this.opening.datum === this.datum ? this.opening.view : null;
    await useBlobWorker();
    if (this.removed) return;
    const first = await within(pending, FIRST_VIEW_WAIT_MS);
    if (this.removed) return;
    performance.mark("map:answered"); // the worker's code, and the first view if in time
    const map = this.create(camera, first);
    // Listened for from the start: the first idle can come in the frame that fires "load".
    const settled = waitFor(map, "idle");
    await waitFor(map, "load");
    if (this.map !== map) return;
    performance.mark("map:loaded"); // the first frame, with the first view's stations if in time
    // Numbered before any move can ask for a later view.
    const firstAsked = ++this.asked;
    this.askedAt = performance.now();
    if (first) this.drawn = firstAsked;
    this.note.textContent = this.base ? "" : t("mapNoTiles", this.ctx.lang);
    this.overlay = new Overlay(map);
    bindEvents(map, {
      station: (id) => {
        if (!this.picking) this.ctx.showStation(id);
      },
      tap: (lat, lon) => {
        if (this.picking) void this.pick(lat, lon);
      },
      moving: () => {
        if (performance.now() - this.askedAt >= ASK_EVERY_MS) void this.ask();
      },
      moved: () => void this.ask(),
    });
    // "Me" once its datum is known; a conversion that fails leaves it off, not the map.
    this.showMe().catch(() => {});
    const drawn = first
      ? this.settle(first, firstAsked, settled)
      : this.draw(map, pending ? pending.catch(() => this.viewOf(map)) : this.viewOf(map), firstAsked);
    void drawn
      .then(() => {
        if (this.removed) return;
        performance.mark("map:drawn");
        this.container.dataset.renderMs = String(Math.round(performance.now() - opened));
      })
      .catch((e) => this.failed(e));
  }

  /** Asks the catalog what the view shows now, and draws the answer. */
  private async ask() {
    const map = this.map;
    if (!map) return;
    const asked = ++this.asked;
    this.askedAt = performance.now();
    await this.draw(map, this.viewOf(map), asked);
  }

  /**
   * Draws the `asked`th view's answer unless a later one is drawn already; once the latest is
   * drawn and the map idle, notes the view (data-zoom, data-center, data-points: what tests and
   * tools read). A failure is said, and the view asked for again a little later.
   */
  private async draw(map: MapLibre, answer: Promise<MapView>, asked: number) {
    let view;
    try {
      view = await answer;
    } catch (e) {
      // Only the latest ask speaks: an older one failing says nothing of the view now drawn.
      if (asked !== this.asked || this.map !== map) return;
      this.failed(e);
      setTimeout(() => {
        if (asked === this.asked) void this.ask();
      }, RETRY_MS);
      return;
    }
    if (asked < this.drawn || this.map !== map) return;
    this.drawn = asked;
    if (this.note.classList.contains("error")) {
      this.note.className = "map-note";
      this.note.textContent = this.base ? "" : t("mapNoTiles", this.ctx.lang);
    }
    showView(map, view);
    await this.settle(view, asked, waitFor(map, "idle"));
  }

  /**
   * Shows `view`'s counts and names (drawn on the map already), and once the map is `idle` and
   * no later view asked for, notes the view (data-zoom, data-center, data-points).
   */
  private async settle(view: MapView, asked: number, idle: Promise<void>) {
    if (asked < this.drawn || this.removed) return;
    this.overlay?.show(view, !this.base, this.ctx.lang);
    await idle;
    if (asked !== this.asked || this.removed) return;
    this.container.dataset.points = String(view.in_view);
    this.noteView();
  }

  /** The catalog's answer for what `map` shows now, with its margin. */
  private viewOf(map: MapLibre): Promise<MapView> {
    const b = map.getBounds();
    const edges = { south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast() };
    return this.ctx.transport.mapView(viewAround(edges, map.getZoom(), this.datum));
  }

  /** The map at `camera`, its style with `first` drawn, controls and the "no tiles" note. */
  private create(camera: Camera, first: MapView | null): MapLibre {
    const look = this.look();
    const map = new MapLibre({
      container: this.container,
      style: withStations(style(this.base, look), first),
      center: camera.center,
      zoom: camera.zoom,
      attributionControl: this.base ? { compact: true } : false,
      dragRotate: true,
      // Flat: a tilted view would reach to the horizon, and ask for all of it. One world: the
      // catalog answers for longitudes -180 to 180, not for the copies beyond.
      maxPitch: 0,
      renderWorldCopies: false,
    });
    this.map = map;
    this.container.dataset.look = look;
    map.addControl(new NavigationControl({ showCompass: true, visualizePitch: false }), "top-right");
    map.addControl(new ScaleControl({ unit: "metric" }), "bottom-left");
    map.on("error", (e) => {
      // A tile that cannot load (offline) leaves the plain background; say so once.
      if (this.base && /tile|fetch|Failed/i.test(String(e.error?.message ?? ""))) this.note.textContent = t("mapNoTiles", this.ctx.lang);
    });
    return map;
  }

  /** The settled view on the container (data-zoom, data-center: read by tests and tools). */
  private noteView() {
    const map = this.map;
    if (!map) return;
    const c = map.getCenter();
    this.container.dataset.zoom = map.getZoom().toFixed(2);
    this.container.dataset.center = `${c.lat.toFixed(6)},${c.lng.toFixed(6)}`;
  }

  /** Redraws the background for the display setting (after it, or the system's preference, changed). */
  applyTheme() {
    const look = this.look();
    this.container.dataset.look = look;
    if (this.map?.getLayer("background")) this.map.setPaintProperty("background", "background-color", BACKGROUND[look]);
  }

  /** Places "me" (WGS-84 in the settings) on the map, in the tiles' datum. */
  async showMe(recentre = false) {
    const map = this.map;
    const p = this.ctx.settings.position;
    if (!map || !p) return;
    const shown = this.datum === "wgs84" ? p : await this.ctx.transport.convert({ lat: p.lat, lon: p.lon, from: "wgs84", to: this.datum });
    placeMe(map, shown.lon, shown.lat);
    if (recentre) map.easeTo({ center: [shown.lon, shown.lat], zoom: Math.max(map.getZoom(), 10) });
  }

  /** The next tap sets the driver's position. */
  startPicking() {
    this.picking = true;
    this.note.textContent = t("pickHint", this.ctx.lang);
    this.note.className = "map-note picking";
  }

  private async pick(lat: number, lon: number) {
    this.picking = false;
    this.note.className = "map-note";
    this.note.textContent = this.base ? "" : t("mapNoTiles", this.ctx.lang);
    const wgs = this.datum === "wgs84" ? { lat, lon } : await this.ctx.transport.convert({ lat, lon, from: this.datum, to: "wgs84" });
    this.ctx.update({ position: { lat: wgs.lat, lon: wgs.lon, label: `${wgs.lat.toFixed(5)},${wgs.lon.toFixed(5)}` } });
  }

  resize() {
    this.map?.resize();
  }

  /** Frees the map (before one with another basemap replaces it). */
  remove() {
    this.removed = true;
    // What the next map notes, not this one's: tests and tools wait for these.
    for (const key of ["renderMs", "points", "zoom", "center"]) delete this.container.dataset[key];
    this.overlay?.clear();
    this.overlay = null;
    this.map?.remove();
    this.map = null;
  }
}
