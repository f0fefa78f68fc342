// The map (MapLibre GL, loaded only when the map screen first opens): every station, clustered,
// over the configured basemap — or over a plain background with scale and north when there
// are no tiles (offline, or no approved source configured). Never a broken page.
import "maplibre-gl/dist/maplibre-gl.css";
import type { StyleSpecification } from "@maplibre/maplibre-gl-style-spec";
import type { Feature, FeatureCollection, Point } from "geojson";
import {
  type GeoJSONSource,
  Map as MapLibre,
  type MapGeoJSONFeature,
  type MapLayerMouseEvent,
  type MapMouseEvent,
  Marker,
  NavigationControl,
  ScaleControl,
  setWorkerUrl,
} from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import type { Context } from "./context";
import { el } from "./dom";
import { t } from "./i18n";
import { type Basemap, basemap } from "./basemap";
import type { MapPoints } from "./transport";

const KIND_COLOURS: Record<string, string> = {
  driver_home: "#0b5cad",
  warm_bee: "#c77700",
  caring_merchant: "#b3261e",
  worker_station: "#137333",
};

export function style(base: Basemap | null, dark: boolean): StyleSpecification {
  const spec: StyleSpecification = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": dark ? "#1b1f24" : "#eef0ea" } }],
  };
  if (base) {
    spec.sources.basemap = { type: "raster", tiles: base.tiles, tileSize: 256, maxzoom: 18, attribution: base.attribution };
    spec.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  return spec;
}

export function pointsToGeoJSON(p: MapPoints): FeatureCollection<Point> {
  const features: Feature<Point>[] = new Array(p.ids.length);
  for (let i = 0; i < p.ids.length; i++) {
    features[i] = {
      type: "Feature",
      geometry: { type: "Point", coordinates: [p.lon[i], p.lat[i]] },
      properties: { id: p.ids[i], kind: p.kind_ids[p.kinds[i]] },
    };
  }
  return { type: "FeatureCollection", features };
}

/** MapLibre's worker from a Blob URL: works from tauri:// pages too (WebKitGTK on Linux). */
async function useBlobWorker() {
  const code = await (await fetch(workerUrl)).text();
  setWorkerUrl(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
}

export class StationMap {
  private map: MapLibre | null = null;
  private base: Basemap | null = null;
  private markers = new Map<number, Marker>();
  private picking = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly container: HTMLElement,
    private readonly note: HTMLElement,
    private readonly ctx: Context,
  ) {
    this.ready = this.start().catch((e) => {
      this.note.textContent = t("mapFailed", ctx.lang, { why: (e as Error).message });
      this.note.className = "map-note error";
    });
  }

  private async start() {
    const started = performance.now();
    await useBlobWorker();
    const s = this.ctx.settings;
    this.base = basemap(s);
    const dark = document.documentElement.dataset.theme === "dark" || matchMedia("(prefers-color-scheme: dark)").matches;
    const here = s.position ?? { lat: 35, lon: 105 };
    const map = new MapLibre({
      container: this.container,
      style: style(this.base, dark),
      center: [here.lon, here.lat],
      zoom: s.position ? 10 : 3.5,
      attributionControl: this.base ? { compact: true } : false,
      dragRotate: true,
    });
    this.map = map;
    map.addControl(new NavigationControl({ showCompass: true, visualizePitch: false }), "top-right");
    map.addControl(new ScaleControl({ unit: "metric" }), "bottom-left");
    map.on("error", (e) => {
      // A tile that cannot load (offline) leaves the plain background; say so once.
      if (this.base && /tile|fetch|Failed/i.test(String(e.error?.message ?? ""))) this.note.textContent = t("mapNoTiles", this.ctx.lang);
    });
    await new Promise<void>((resolve) => map.once("load", () => resolve()));
    const points = await this.ctx.transport.points(this.base?.datum ?? "wgs84");
    this.note.textContent = this.base ? "" : t("mapNoTiles", this.ctx.lang);
    map.addSource("stations", { type: "geojson", data: pointsToGeoJSON(points), cluster: true, clusterRadius: 48, clusterMaxZoom: 13 });
    map.addLayer({
      id: "clusters",
      type: "circle",
      source: "stations",
      filter: ["has", "point_count"],
      paint: {
        "circle-color": "#0b5cad",
        "circle-opacity": 0.85,
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 2,
        "circle-radius": ["step", ["get", "point_count"], 16, 50, 22, 500, 28, 5000, 34],
      },
    });
    map.addLayer({
      id: "stations",
      type: "circle",
      source: "stations",
      filter: ["!", ["has", "point_count"]],
      paint: {
        "circle-color": [
          "match",
          ["get", "kind"],
          "driver_home",
          KIND_COLOURS.driver_home,
          "warm_bee",
          KIND_COLOURS.warm_bee,
          "caring_merchant",
          KIND_COLOURS.caring_merchant,
          "worker_station",
          KIND_COLOURS.worker_station,
          "#555",
        ],
        "circle-radius": 9,
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 2,
      },
    });
    map.addSource("me", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({
      id: "me",
      type: "circle",
      source: "me",
      paint: { "circle-color": "#1a73e8", "circle-radius": 8, "circle-stroke-color": "#fff", "circle-stroke-width": 3 },
    });
    map.on("click", "clusters", (e: MapLayerMouseEvent) => void this.zoomInto(e.features?.[0]));
    map.on("click", "stations", (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.id;
      if (typeof id === "string" && !this.picking) void this.ctx.transport.station(id).then((h) => this.ctx.showStation(h));
    });
    map.on("click", (e: MapMouseEvent) => {
      if (this.picking) void this.pick(e.lngLat.lat, e.lngLat.lng);
    });
    for (const layer of ["clusters", "stations"]) {
      map.on("mouseenter", layer, () => (map.getCanvas().style.cursor = "pointer"));
      map.on("mouseleave", layer, () => (map.getCanvas().style.cursor = ""));
    }
    map.on("render", () => this.paintCounts());
    await this.showMe();
    await new Promise<void>((resolve) => map.once("idle", () => resolve()));
    const ms = Math.round(performance.now() - started);
    this.container.dataset.points = String(points.ids.length);
    this.container.dataset.renderMs = String(ms);
  }

  private async zoomInto(f: MapGeoJSONFeature | undefined) {
    if (!this.map || !f) return;
    const source = this.map.getSource("stations") as GeoJSONSource;
    const zoom = await source.getClusterExpansionZoom(f.properties.cluster_id as number);
    const [lon, lat] = (f.geometry as Point).coordinates;
    this.map.easeTo({ center: [lon, lat], zoom });
  }

  /** Cluster counts as HTML (the offline style has no glyphs to draw text with). */
  private paintCounts() {
    const map = this.map;
    if (!map || !map.isSourceLoaded("stations")) return;
    const seen = new Set<number>();
    for (const f of map.querySourceFeatures("stations", { filter: ["has", "point_count"] })) {
      const id = f.properties.cluster_id as number;
      if (seen.has(id)) continue;
      seen.add(id);
      let marker = this.markers.get(id);
      if (!marker) {
        const label = el("span", "cluster-count", String(f.properties.point_count_abbreviated));
        const [lon, lat] = (f.geometry as Point).coordinates;
        marker = new Marker({ element: label }).setLngLat([lon, lat]).addTo(map);
        this.markers.set(id, marker);
      }
    }
    for (const [id, marker] of this.markers) {
      if (!seen.has(id)) {
        marker.remove();
        this.markers.delete(id);
      }
    }
  }

  /** Places "me" (WGS-84 in the settings) on the map, in the tiles' datum. */
  async showMe(recentre = false) {
    const map = this.map;
    const p = this.ctx.settings.position;
    if (!map || !p) return;
    const datum = this.base?.datum ?? "wgs84";
    const shown = datum === "wgs84" ? p : await this.ctx.transport.convert(p.lat, p.lon, "wgs84", datum);
    (map.getSource("me") as GeoJSONSource | undefined)?.setData({
      type: "Feature",
      geometry: { type: "Point", coordinates: [shown.lon, shown.lat] },
      properties: {},
    });
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
    const datum = this.base?.datum ?? "wgs84";
    const wgs = datum === "wgs84" ? { lat, lon } : await this.ctx.transport.convert(lat, lon, datum, "wgs84");
    this.ctx.setPosition(wgs.lat, wgs.lon, `${wgs.lat.toFixed(5)},${wgs.lon.toFixed(5)}`);
  }

  resize() {
    this.map?.resize();
  }

  /** Frees the map (before one with another basemap replaces it). */
  remove() {
    for (const m of this.markers.values()) m.remove();
    this.markers.clear();
    this.map?.remove();
    this.map = null;
  }
}
