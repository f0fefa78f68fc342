// What the driver chose, remembered between launches (localStorage in the webview).
import type { Lang } from "./i18n";
import type { Datum } from "./transport";

export type Theme = "auto" | "light" | "dark" | "contrast";
export type Tiles = "none" | "tianditu" | "amap" | "custom";

export interface Settings {
  lang: Lang;
  /** WGS-84; null until the driver sets a position. */
  position: { lat: number; lon: number; label: string } | null;
  /** Degrees, from the device when it moves; "ahead of me" needs it. */
  heading: number | null;
  kinds: string[];
  services: string[];
  openNow: boolean;
  withinKm: number | null;
  ahead: boolean;
  theme: Theme;
  tiles: Tiles;
  tilesKey: string;
  tilesUrl: string;
  tilesDatum: Datum;
  routeWithinKm: number;
}

const KEY = "waystation.ui.v2";

export const DEFAULTS: Settings = {
  lang: "zh",
  position: { lat: 22.543, lon: 114.058, label: "深圳市民中心 Shenzhen Civic Centre" },
  heading: null,
  kinds: [],
  services: [],
  openNow: false,
  withinKm: null,
  ahead: false,
  theme: "auto",
  tiles: "none",
  tilesKey: "",
  tilesUrl: "",
  tilesDatum: "wgs84",
  routeWithinKm: 5,
};

export function load(storage: Pick<Storage, "getItem"> = localStorage): Settings {
  try {
    const saved = JSON.parse(storage.getItem(KEY) ?? "{}") as Partial<Settings>;
    return { ...DEFAULTS, ...saved, heading: null };
  } catch {
    return { ...DEFAULTS };
  }
}

export function save(s: Settings, storage: Pick<Storage, "setItem"> = localStorage) {
  storage.setItem(KEY, JSON.stringify(s));
}
