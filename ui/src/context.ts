// What every screen shares: the settings, the way to the catalog, the vocabulary's labels.
import type { Labels, Lang } from "./i18n";
import type { Settings } from "./state";
import type { Hit, Transport } from "./transport";

export interface Context {
  settings: Settings;
  transport: Transport;
  labels: Labels;
  readonly lang: Lang;
  /** Remembers the settings. */
  save(): void;
  /** Moves "me" (WGS-84) and refreshes what depends on it. */
  setPosition(lat: number, lon: number, label: string): void;
  /** Opens a station's detail. */
  showStation(hit: Hit): void;
  /** Switches to a screen. */
  go(screen: Screen): void;
}

export type Screen = "nearby" | "map" | "route" | "settings" | "operator";
