// Which part of the world the map asks the catalog for: the view and half of it again on every
// side, so that a drag shows what is already there while the next answer comes.
import type { MapViewRequest } from "./transport";

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
