// What the driver chose, remembered between launches (localStorage in the webview). Every
// change goes through `update(patch)`: it saves and tells the subscribers what changed.
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
  /** Only stations whose wanted facts drivers confirmed lately (and do not dispute). */
  confirmedOnly: boolean;
  withinKm: number | null;
  ahead: boolean;
  theme: Theme;
  tiles: Tiles;
  tilesKey: string;
  tilesUrl: string;
  tilesDatum: Datum;
  routeWithinKm: number;
  /** Arrival times: a vehicle id (truck, car, ebike) or km/h as text. */
  speed: string;
  /** From the device while moving, km/h; used for "ahead of me" instead of `speed`. */
  measuredKmh: number | null;
  /** Departure for route arrival times, China time "2026-11-29T20:00"; empty: now. */
  depart: string;
  /** Only stations known to be open when reached. */
  openOnArrival: boolean;
}

const KEY = "waystation.ui.v2";

export const DEFAULTS: Settings = {
  lang: "zh",
  position: { lat: 22.543, lon: 114.058, label: "深圳市民中心 Shenzhen Civic Centre" },
  heading: null,
  kinds: [],
  services: [],
  openNow: false,
  confirmedOnly: false,
  withinKm: null,
  ahead: false,
  theme: "auto",
  tiles: "none",
  tilesKey: "",
  tilesUrl: "",
  tilesDatum: "wgs84",
  routeWithinKm: 5,
  speed: "truck",
  measuredKmh: null,
  depart: "",
  openOnArrival: false,
};

type Storage_ = Pick<Storage, "getItem" | "setItem">;

export function load(storage: Pick<Storage, "getItem"> = localStorage): Settings {
  try {
    const saved = JSON.parse(storage.getItem(KEY) ?? "{}") as Partial<Settings>;
    return { ...DEFAULTS, ...saved, heading: null, measuredKmh: null };
  } catch {
    return { ...DEFAULTS };
  }
}

export function save(s: Settings, storage: Pick<Storage, "setItem"> = localStorage) {
  storage.setItem(KEY, JSON.stringify(s));
}

/** Told after each change: the new settings and which of them changed. */
export type Listener = (settings: Readonly<Settings>, changed: ReadonlySet<keyof Settings>) => void;

export class Store {
  private current: Settings;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly storage: Storage_ = localStorage) {
    this.current = load(storage);
  }

  get settings(): Readonly<Settings> {
    return this.current;
  }

  /** Changes some settings, saves them all and tells every subscriber (unless nothing changed). */
  update(patch: Partial<Settings>) {
    const changed = new Set<keyof Settings>();
    for (const k of Object.keys(patch) as (keyof Settings)[]) {
      if (patch[k] === undefined) continue;
      if (JSON.stringify(patch[k]) !== JSON.stringify(this.current[k])) changed.add(k);
    }
    if (!changed.size) return;
    const next = { ...this.current };
    for (const k of changed) (next as Record<keyof Settings, unknown>)[k] = patch[k];
    this.current = next;
    try {
      save(this.current, this.storage);
    } catch {
      // Storage full or forbidden (private mode): the change still applies for this session.
    }
    for (const listener of [...this.listeners]) listener(this.current, changed);
  }

  /** Calls `listener` after every change; returns how to stop. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
