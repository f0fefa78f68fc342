// The map's style: the chosen basemap's raster tiles over a plain background, or the plain
// background alone (offline, or no approved source configured), in the display's theme.
import type { StyleSpecification } from "maplibre-gl";
import type { Basemap } from "./basemap";
import type { Theme } from "./state";

/** How the map is drawn: the display setting resolved against the system's preference. */
export type Look = "light" | "dark" | "contrast";

/** The chosen display setting wins; only "auto" (follow the system) asks prefers-color-scheme. */
export function mapLook(theme: Theme, prefersDark: boolean): Look {
  if (theme === "auto") return prefersDark ? "dark" : "light";
  return theme;
}

/** Whether the system prefers dark (false where it cannot tell). */
export function systemPrefersDark(): boolean {
  return globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

/** The plain background, matching the page's own colours (style.css --bg, roughly). */
export const BACKGROUND: Record<Look, string> = {
  light: "#eef0ea",
  dark: "#1b1f24",
  contrast: "#000000",
};

export function style(base: Basemap | null, look: Look): StyleSpecification {
  const spec: StyleSpecification = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": BACKGROUND[look] } }],
  };
  if (base) {
    spec.sources.basemap = { type: "raster", tiles: base.tiles, tileSize: 256, maxzoom: 18, attribution: base.attribution };
    spec.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  return spec;
}
