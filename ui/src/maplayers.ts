// What the map draws over its style: the clusters and lone stations of the current view (as the
// catalog grouped them: see crates/catalog/src/index/clusters.rs), coloured by kind, their counts
// and the place names to steer by (HTML: the offline style has no glyphs for text) and "me".
import type { Feature, FeatureCollection, Point } from "geojson";
import { type GeoJSONSource, type Map as MapLibre, Marker, type StyleSpecification } from "maplibre-gl";
import { el } from "./dom";
import { shortCount } from "./format";
import type { Lang } from "./i18n";
import type { MapView } from "./transport";

export const KIND_COLOURS: Record<string, string> = {
  driver_home: "#0b5cad",
  warm_bee: "#c77700",
  caring_merchant: "#b3261e",
  worker_station: "#137333",
};

/** The stations' source, and the layers the events listen on. */
export const STATIONS = "stations";
export const CLUSTERS = "clusters";
const ME = "me";

/** A view's clusters (count, expand) and lone stations (id, kind) as GeoJSON points. */
export function viewToGeoJSON(v: MapView): FeatureCollection<Point> {
  const features: Feature<Point>[] = [];
  const c = v.clusters;
  for (let i = 0; i < c.count.length; i++) {
    features.push({
      type: "Feature",
      geometry: { type: "Point", coordinates: [c.lon[i], c.lat[i]] },
      properties: { count: c.count[i], expand: c.expand[i] },
    });
  }
  const s = v.stations;
  for (let i = 0; i < s.ids.length; i++) {
    features.push({
      type: "Feature",
      geometry: { type: "Point", coordinates: [s.lon[i], s.lat[i]] },
      properties: { id: s.ids[i], kind: s.kind_ids[s.kinds[i]] },
    });
  }
  return { type: "FeatureCollection", features };
}

/**
 * `spec` with the stations' circles — `first`'s clusters and lone stations, if known, so that
 * the map's first frame has them — and "me" (empty until `placeMe`) drawn over it.
 */
export function withStations(spec: StyleSpecification, first: MapView | null): StyleSpecification {
  const none: FeatureCollection = { type: "FeatureCollection", features: [] };
  return {
    ...spec,
    sources: {
      ...spec.sources,
      [STATIONS]: { type: "geojson", data: first ? viewToGeoJSON(first) : none },
      [ME]: { type: "geojson", data: none },
    },
    layers: [
      ...spec.layers,
      {
        id: CLUSTERS,
        type: "circle",
        source: STATIONS,
        filter: ["has", "count"],
        paint: {
          "circle-color": "#0b5cad",
          "circle-opacity": 0.85,
          "circle-stroke-color": "#fff",
          "circle-stroke-width": 2,
          // The catalog folds circles that would overlap by these radii (index/clusters.rs, drawn_radius_px).
          "circle-radius": ["step", ["get", "count"], 16, 50, 22, 500, 28, 5000, 34],
        },
      },
      {
        id: STATIONS,
        type: "circle",
        source: STATIONS,
        filter: ["!", ["has", "count"]],
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
      },
      {
        id: ME,
        type: "circle",
        source: ME,
        paint: { "circle-color": "#1a73e8", "circle-radius": 8, "circle-stroke-color": "#fff", "circle-stroke-width": 3 },
      },
    ],
  };
}

/** Moves "me" to lon/lat (in the tiles' datum). */
export function placeMe(map: MapLibre, lon: number, lat: number) {
  (map.getSource(ME) as GeoJSONSource | undefined)?.setData({
    type: "Feature",
    geometry: { type: "Point", coordinates: [lon, lat] },
    properties: {},
  });
}

/** Draws a view's clusters and lone stations. */
export function showView(map: MapLibre, v: MapView) {
  (map.getSource(STATIONS) as GeoJSONSource | undefined)?.setData(viewToGeoJSON(v));
}

/**
 * HTML markers that follow the map: the clusters' counts and the place names. Each answer's
 * markers replace the last one's, keeping those that did not change (no flicker while panning).
 */
export class Overlay {
  private readonly markers = new Map<string, Marker>();

  constructor(private readonly map: MapLibre) {}

  /** The view's counts, and its place names when `names` (the plain offline map only). */
  show(v: MapView, names: boolean, lang: Lang) {
    const wanted = new Map<string, () => HTMLElement>();
    const at = new Map<string, [number, number]>();
    const c = v.clusters;
    for (let i = 0; i < c.count.length; i++) {
      const key = `c${c.count[i]}${lang}@${c.lon[i]},${c.lat[i]}`;
      wanted.set(key, () => el("span", "cluster-count", shortCount(c.count[i], lang)));
      at.set(key, [c.lon[i], c.lat[i]]);
    }
    const p = v.places;
    for (let i = 0; names && i < p.names.length; i++) {
      const key = `p${p.names[i]}@${p.lon[i]},${p.lat[i]}`;
      wanted.set(key, () => el("span", `place-label rank-${p.rank[i]}`, p.names[i]));
      at.set(key, [p.lon[i], p.lat[i]]);
    }
    for (const [key, marker] of this.markers) {
      if (!wanted.has(key)) {
        marker.remove();
        this.markers.delete(key);
      }
    }
    for (const [key, make] of wanted) {
      if (this.markers.has(key)) continue;
      // A name hangs just below its place, as on printed maps; a count sits in its circle.
      const options = key.startsWith("p") ? { anchor: "top" as const, offset: [0, 4] as [number, number] } : {};
      this.markers.set(key, new Marker({ element: make(), ...options }).setLngLat(at.get(key) ?? [0, 0]).addTo(this.map));
    }
  }

  clear() {
    for (const m of this.markers.values()) m.remove();
    this.markers.clear();
  }
}
