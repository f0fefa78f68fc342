// Which part of the world the map asks the catalog for: the view and half of it again on every
// side, so that a drag shows what is already there while the next answer comes. The first view is
// asked for as the map screen opens, before the map library has loaded (`openingView`).
import { basemap, tilesDatum } from "./basemap";
import type { Context } from "./context";
import type { Datum, MapView, MapViewRequest } from "./transport";

export interface Edges {
  south: number;
  west: number;
  north: number;
  east: number;
}

/** Web Mercator's edge: the map draws nothing beyond it. */
const MAX_LAT = 85.0511;

/** The view with a margin of half its size each side, kept on the world square. */
export function viewAround(b: Edges, zoom: number, crs: string): MapViewRequest {
  const [h, w] = [(b.north - b.south) / 2, (b.east - b.west) / 2];
  return {
    south: Math.max(-MAX_LAT, b.south - h),
    west: Math.max(-180, b.west - w),
    north: Math.min(MAX_LAT, b.north + h),
    east: Math.min(180, b.east + w),
    zoom: Math.min(24, Math.max(0, zoom)),
    crs,
  };
}

/** Where the map looks: its centre as [lon, lat], and its zoom. */
export interface Camera {
  center: [number, number];
  zoom: number;
}

/** Where the map opens: around the driver's position, or over the whole country. */
export function openingCamera(position: { lat: number; lon: number } | null): Camera {
  return position ? { center: [position.lon, position.lat], zoom: 10 } : { center: [105, 35], zoom: 3.5 };
}

/** MapLibre's world is 512 px wide at zoom 0. */
const WORLD_PX = 512;

/**
 * The edges of a north-up, flat Web Mercator view `width` × `height` px around `camera`: what the
 * map made from that camera will show, known before the map library has loaded.
 */
export function edgesOf(camera: Camera, width: number, height: number): Edges {
  const world = WORLD_PX * 2 ** camera.zoom;
  const [lon, lat] = camera.center;
  const x = ((lon + 180) / 360) * world;
  const y = (0.5 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / (2 * Math.PI)) * world;
  const lonAt = (px: number) => (px / world) * 360 - 180;
  const latAt = (py: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * py) / world))) * 180) / Math.PI;
  return { south: latAt(y + height / 2), west: lonAt(x - width / 2), north: latAt(y - height / 2), east: lonAt(x + width / 2) };
}

/** The map screen as it opens: when, from where, and the catalog's answer for its first view. */
export interface Opening {
  /** performance.now() when the screen opened, before the map library loaded. */
  opened: number;
  camera: Camera;
  /** The datum the view was asked in: the tiles' when the screen opened. */
  datum: Datum;
  /** Null when the container has no size yet to say what the view is (the map asks once drawn). */
  view: Promise<MapView> | null;
}

/**
 * Asks for the first view as the map screen opens, so that the catalog answers while the map
 * library loads and the first frame already has the stations. A failure waits, unreported, for
 * the map to ask again.
 */
export function openingView(ctx: Context, container: HTMLElement): Opening {
  const opened = performance.now();
  const camera = openingCamera(ctx.settings.position);
  const datum = tilesDatum(basemap(ctx.settings));
  const [width, height] = [container.clientWidth, container.clientHeight];
  if (!width || !height) return { opened, camera, datum, view: null };
  const view = ctx.transport.mapView(viewAround(edgesOf(camera, width, height), camera.zoom, datum));
  view.catch(() => {});
  return { opened, camera, datum, view };
}
