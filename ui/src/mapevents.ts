// What the map does when touched: a tap on a cluster zooms into it, on a station opens it, on
// the map (while picking) sets the position; pointers over stations; counts follow each frame,
// and the view is noted once a move settles.
import type { Point } from "geojson";
import type { GeoJSONSource, Map as MapLibre, MapGeoJSONFeature, MapLayerMouseEvent, MapMouseEvent } from "maplibre-gl";
import { CLUSTERS, STATIONS } from "./maplayers";

export interface MapHandlers {
  /** A single station was tapped. */
  station(id: string): void;
  /** The map was tapped anywhere (lat/lon in the tiles' datum). */
  tap(lat: number, lon: number): void;
  /** Each frame drawn (moves, zooms). */
  render(): void;
  /** After a move or zoom, once everything is drawn. */
  settled(): void;
}

/** Zooms to where a cluster breaks apart. */
async function zoomInto(map: MapLibre, f: MapGeoJSONFeature | undefined) {
  if (!f) return;
  const source = map.getSource(STATIONS) as GeoJSONSource;
  const zoom = await source.getClusterExpansionZoom(f.properties.cluster_id as number);
  const [lon, lat] = (f.geometry as Point).coordinates;
  map.easeTo({ center: [lon, lat], zoom });
}

export function bindEvents(map: MapLibre, on: MapHandlers) {
  map.on("click", CLUSTERS, (e: MapLayerMouseEvent) => void zoomInto(map, e.features?.[0]));
  map.on("click", STATIONS, (e: MapLayerMouseEvent) => {
    const id = e.features?.[0]?.properties?.id;
    if (typeof id === "string") on.station(id);
  });
  map.on("click", (e: MapMouseEvent) => on.tap(e.lngLat.lat, e.lngLat.lng));
  for (const layer of [CLUSTERS, STATIONS]) {
    map.on("mouseenter", layer, () => (map.getCanvas().style.cursor = "pointer"));
    map.on("mouseleave", layer, () => (map.getCanvas().style.cursor = ""));
  }
  map.on("render", () => on.render());
  map.on("idle", () => on.settled());
}
