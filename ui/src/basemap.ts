// Which basemap tiles the map draws, from the settings. Approved sources (审图号) for China by
// default; none means the honest offline view (stations over a plain background).
import type { Settings } from "./state";
import type { Datum } from "./transport";

export interface Basemap {
  tiles: string[];
  datum: Datum;
  attribution: string;
}

/** The raster tiles for the chosen basemap; null for none. Approved sources only by default. */
export function basemap(s: Settings): Basemap | null {
  switch (s.tiles) {
    case "tianditu":
      if (!s.tilesKey) return null;
      return {
        tiles: [0, 1, 2, 3].map(
          (n) =>
            `https://t${n}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(s.tilesKey)}`,
        ),
        datum: "wgs84",
        attribution: "© 天地图 Tianditu (GS(2024)0568号)",
      };
    case "amap":
      return {
        tiles: [1, 2, 3, 4].map((n) => `https://webrd0${n}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}`),
        datum: "gcj02",
        attribution: "© 高德地图 AutoNavi (GS(2024)1158号)",
      };
    case "custom":
      return s.tilesUrl.startsWith("https://") ? { tiles: [s.tilesUrl], datum: s.tilesDatum, attribution: "" } : null;
    default:
      return null;
  }
}

/** The datum the map shows stations and "me" in: its tiles', WGS-84 with none. */
export function tilesDatum(base: Basemap | null): Datum {
  return base?.datum ?? "wgs84";
}
