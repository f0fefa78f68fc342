// What the map does when touched: a tap on a cluster zooms to where it parts, on a station opens
// it, on the map (while picking) sets the position; pointers over stations; and the view is
// asked for again while it moves and once it stops.
import type { Point } from "geojson";
import type { Map as MapLibre, MapGeoJSONFeature, MapLayerMouseEvent, MapMouseEvent } from "maplibre-gl";
import { CLUSTERS, STATIONS } from "./maplayers";

export interface MapHandlers {
  /** A single station was tapped. */
  station(id: string): void;
  /** The map was tapped anywhere (lat/lon in the tiles' datum). */
  tap(lat: number, lon: number): void;
  /** The view moved or zoomed (every frame of it). */
  moving(): void;
  /** A move or zoom ended. */
  moved(): void;
}

/** Zooms to where a cluster parts (the catalog says at which zoom). */
function zoomInto(map: MapLibre, f: MapGeoJSONFeature | undefined) {
  if (!f) return;
  const [lon, lat] = (f.geometry as Point).coordinates;
  map.easeTo({ center: [lon, lat], zoom: Math.max(Number(f.properties.expand), map.getZoom() + 1) });
}

export function bindEvents(map: MapLibre, on: MapHandlers) {
  map.on("click", CLUSTERS, (e: MapLayerMouseEvent) => zoomInto(map, e.features?.[0]));
  map.on("click", STATIONS, (e: MapLayerMouseEvent) => {
    const id = e.features?.[0]?.properties?.id;
    if (typeof id === "string") on.station(id);
  });
  map.on("click", (e: MapMouseEvent) => on.tap(e.lngLat.lat, e.lngLat.lng));
  for (const layer of [CLUSTERS, STATIONS]) {
    map.on("mouseenter", layer, () => (map.getCanvas().style.cursor = "pointer"));
    map.on("mouseleave", layer, () => (map.getCanvas().style.cursor = ""));
  }
  map.on("move", () => on.moving());
  map.on("moveend", () => on.moved());
}
