// What every screen shares: the settings, the way to the catalog, the vocabulary's labels.
import type { Labels, Lang } from "./i18n";
import type { Listener, Settings } from "./state";
import type { Hit, Transport } from "./transport";

export interface Context {
  /** Read only: changes go through `update`. */
  readonly settings: Readonly<Settings>;
  transport: Transport;
  labels: Labels;
  readonly lang: Lang;
  /** Changes settings: saves them and tells every subscriber. */
  update(patch: Partial<Settings>): void;
  /** Calls `listener` after every change of the settings; returns how to stop. */
  subscribe(listener: Listener): () => void;
  /** Opens a station's detail (fetched fresh, measured from the driver's position); `known` is
   * what the caller already has (shown if the catalog cannot be reached). */
  showStation(id: string, known?: Hit): void;
  /** Switches to a screen. */
  go(screen: Screen): void;
}

export type Screen = "nearby" | "map" | "route" | "settings" | "operator";

/** Where distances are measured from: the driver's position (WGS-84), when set. */
export function fromHere(settings: Readonly<Settings>): { lat?: number; lon?: number } {
  const p = settings.position;
  return p ? { lat: p.lat, lon: p.lon } : {};
}
