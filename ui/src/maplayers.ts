// What the map draws over its style: every station (clustered, coloured by kind), the cluster
// counts (HTML: the offline style has no glyphs for text) and "me".
import type { Feature, FeatureCollection, Point } from "geojson";
import { type GeoJSONSource, type Map as MapLibre, Marker } from "maplibre-gl";
import { el } from "./dom";
import type { MapPoints } from "./transport";

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

/** The stations, clustered: a circle per cluster and per single station. */
export function addStationLayers(map: MapLibre, points: MapPoints) {
  map.addSource(STATIONS, { type: "geojson", data: pointsToGeoJSON(points), cluster: true, clusterRadius: 48, clusterMaxZoom: 13 });
  map.addLayer({
    id: CLUSTERS,
    type: "circle",
    source: STATIONS,
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
    id: STATIONS,
    type: "circle",
    source: STATIONS,
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
}

/** "Me": an empty point layer until `placeMe`. */
export function addMeLayer(map: MapLibre) {
  map.addSource(ME, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({
    id: ME,
    type: "circle",
    source: ME,
    paint: { "circle-color": "#1a73e8", "circle-radius": 8, "circle-stroke-color": "#fff", "circle-stroke-width": 3 },
  });
}

/** Moves "me" to lon/lat (in the tiles' datum). */
export function placeMe(map: MapLibre, lon: number, lat: number) {
  (map.getSource(ME) as GeoJSONSource | undefined)?.setData({
    type: "Feature",
    geometry: { type: "Point", coordinates: [lon, lat] },
    properties: {},
  });
}

/** Cluster counts as HTML markers over the cluster circles, kept in step with what is drawn. */
export class ClusterCounts {
  private readonly markers = new Map<number, Marker>();

  constructor(private readonly map: MapLibre) {}

  paint() {
    const map = this.map;
    if (!map.isSourceLoaded(STATIONS)) return;
    const seen = new Set<number>();
    for (const f of map.querySourceFeatures(STATIONS, { filter: ["has", "point_count"] })) {
      const id = f.properties.cluster_id as number;
      if (seen.has(id)) continue;
      seen.add(id);
      if (!this.markers.has(id)) {
        const label = el("span", "cluster-count", String(f.properties.point_count_abbreviated));
        const [lon, lat] = (f.geometry as Point).coordinates;
        this.markers.set(id, new Marker({ element: label }).setLngLat([lon, lat]).addTo(map));
      }
    }
    for (const [id, marker] of this.markers) {
      if (!seen.has(id)) {
        marker.remove();
        this.markers.delete(id);
      }
    }
  }

  clear() {
    for (const m of this.markers.values()) m.remove();
    this.markers.clear();
  }
}
