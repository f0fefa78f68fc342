// How the UI reaches the catalog: Tauri IPC inside the app window (the offline catalog on the
// device), HTTP against `waystation serve` in a browser. Same interface either way; what only
// the app can do (sync, the offline outbox) is optional.

export interface Station {
  id: string;
  kind: string;
  name: string;
  address: string;
  lat: number;
  lon: number;
  services: string[];
  opening_hours: string | null;
  phone: string | null;
  truck_spaces: number | null;
  free_truck_spaces: number | null;
  status: string;
  notice: string | null;
  source: string;
  version: number;
  updated_at: string;
}

export interface Hit extends Station {
  distance_m: number | null;
  bearing_deg: number | null;
  open_now: boolean | null;
  /** China local time ("2026-11-28T20:00:00") when open_now next flips. */
  changes_at: string | null;
  along_m?: number;
  offset_m?: number;
}

export interface NavLink {
  app: string;
  url: string;
  web: string | null;
}

export interface Term {
  id: string;
  zh: string;
  en: string;
}

export interface Vocabulary {
  kinds: Term[];
  services: Term[];
  statuses: Term[];
  problems: Term[];
  apps: Term[];
}

export interface Place {
  adcode: string;
  name: string;
  full_name: string;
  lat: number;
  lon: number;
}

export interface MapPoints {
  kind_ids: string[];
  ids: string[];
  kinds: number[];
  lat: number[];
  lon: number[];
}

export interface CatalogInfo {
  stations: number;
  synthetic: number;
  synthetic_share: number;
  file_bytes?: number;
  last_updated: string | null;
  seq?: number;
}

export type Datum = "wgs84" | "gcj02" | "bd09";

/** The filter chips. */
export interface Chips {
  kinds: string[];
  services: string[];
  openNow: boolean;
  withinKm?: number;
  heading?: number;
}

export interface NearQuery extends Chips {
  lat: number;
  lon: number;
  k: number;
}

export type Problem = "closed" | "wrong_place" | "service_missing";

export interface Report {
  station_id: string;
  problem: Problem;
  service?: string;
  note?: string;
}

export interface Operator {
  username: string;
  role: string;
  stations: Station[];
}

export type EditOutcome =
  | { outcome: "saved"; station: Station }
  | { outcome: "queued" }
  | { outcome: "conflict"; station_id: string; mine: Record<string, unknown>; theirs: Station };

export interface SyncState {
  server: string | null;
  key: string | null;
  seq: number | null;
  operator: string | null;
  pending_edits: number;
  pending_reports: number;
}

export interface SyncReport {
  server: string;
  snapshot_taken: boolean;
  upserts: number;
  deletes: number;
  seq: number;
  up_to_date: boolean;
  pushed: number;
  reports_sent: number;
  conflicts: { station_id: string; mine: Record<string, unknown>; theirs: Station }[];
}

export interface SyncProgress {
  phase: string;
  done: number;
  total: number;
}

export interface PendingEdit {
  station_id: string;
  patch: Record<string, unknown>;
  created_at: string;
}

/** What only the app (with its own offline catalog) does. */
export interface Syncing {
  state(): Promise<SyncState>;
  pendingEdits(): Promise<PendingEdit[]>;
  sync(server: string | null, key: string | null, progress: (p: SyncProgress) => void): Promise<SyncReport>;
}

export interface Transport {
  /** "app": the device's offline catalog; "server": the catalog server this page came from. */
  readonly where: "app" | "server";
  near(q: NearQuery): Promise<Hit[]>;
  station(id: string): Promise<Hit>;
  search(text: string, at: { lat: number; lon: number } | null): Promise<Hit[]>;
  places(text: string): Promise<Place[]>;
  along(route: string, withinKm: number, chips: Chips): Promise<Hit[]>;
  points(crs: Datum): Promise<MapPoints>;
  links(id: string): Promise<NavLink[]>;
  info(): Promise<CatalogInfo>;
  vocab(): Promise<Vocabulary>;
  convert(lat: number, lon: number, from: Datum, to: Datum): Promise<{ lat: number; lon: number }>;
  /** App: queued for the next sync. Browser: sent now. */
  report(r: Report): Promise<void>;
  login(server: string, username: string, password: string): Promise<Operator>;
  me(): Promise<Operator>;
  logout(): Promise<void>;
  edit(station: Station, patch: Record<string, unknown>): Promise<EditOutcome>;
  openUrl(url: string): Promise<void>;
  syncing: Syncing | null;
}

function chipParams(p: URLSearchParams, c: Chips) {
  if (c.kinds.length) p.set("kind", c.kinds.join(","));
  if (c.services.length) p.set("service", c.services.join(","));
  if (c.openNow) p.set("open_now", "true");
  if (c.withinKm !== undefined) p.set("within_km", String(c.withinKm));
  if (c.heading !== undefined) p.set("heading", String(c.heading));
}

/** The query string of a `near` request. */
export function nearParams(q: NearQuery): string {
  const p = new URLSearchParams({ lat: String(q.lat), lon: String(q.lon), k: String(q.k) });
  chipParams(p, q);
  return p.toString();
}

const TOKEN_KEY = "waystation.operator.token";

export class HttpTransport implements Transport {
  readonly where = "server";
  readonly syncing = null;

  constructor(
    private readonly base = "",
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
    private readonly tokens: Pick<Storage, "getItem" | "setItem" | "removeItem"> = globalThis.sessionStorage,
  ) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const headers = new Headers(init.headers);
    headers.set("accept", "application/json");
    const token = this.tokens?.getItem(TOKEN_KEY);
    if (token) headers.set("authorization", `Bearer ${token}`);
    const resp = await this.fetcher(`${this.base}${path}`, { ...init, headers });
    const body = (await resp.json().catch(() => ({}))) as T & { message?: string };
    if (!resp.ok && resp.status !== 412) throw new Error(body.message ?? `HTTP ${resp.status}`);
    return { status: resp.status, body };
  }

  private async get<T>(path: string): Promise<T> {
    return (await this.call<T>(path)).body;
  }

  near(q: NearQuery): Promise<Hit[]> {
    return this.get(`/v1/stations/near?${nearParams(q)}`);
  }

  station(id: string): Promise<Hit> {
    return this.get(`/v1/stations/${encodeURIComponent(id)}`);
  }

  search(text: string, at: { lat: number; lon: number } | null): Promise<Hit[]> {
    const p = new URLSearchParams({ q: text, k: "20" });
    if (at) {
      p.set("lat", String(at.lat));
      p.set("lon", String(at.lon));
    }
    return this.get(`/v1/stations/search?${p}`);
  }

  places(text: string): Promise<Place[]> {
    return this.get(`/v1/places?${new URLSearchParams({ q: text })}`);
  }

  async along(route: string, withinKm: number, chips: Chips): Promise<Hit[]> {
    const p = new URLSearchParams({ within_km: String(withinKm) });
    chipParams(p, { ...chips, withinKm: undefined, heading: undefined });
    return (await this.call<Hit[]>(`/v1/stations/along?${p}`, { method: "POST", body: route })).body;
  }

  points(crs: Datum): Promise<MapPoints> {
    return this.get(`/v1/stations/points?crs=${crs}`);
  }

  links(id: string): Promise<NavLink[]> {
    return this.get(`/v1/stations/${encodeURIComponent(id)}/links`);
  }

  info(): Promise<CatalogInfo> {
    return this.get("/v1/catalog/info");
  }

  vocab(): Promise<Vocabulary> {
    return this.get("/v1/vocab");
  }

  convert(lat: number, lon: number, from: Datum, to: Datum): Promise<{ lat: number; lon: number }> {
    return this.get(`/v1/convert?${new URLSearchParams({ lat: String(lat), lon: String(lon), from, to })}`);
  }

  async report(r: Report): Promise<void> {
    await this.call("/v1/reports", { method: "POST", body: JSON.stringify(r), headers: { "content-type": "application/json" } });
  }

  async login(_server: string, username: string, password: string): Promise<Operator> {
    const { body } = await this.call<{ token: string }>("/v1/login", {
      method: "POST",
      body: JSON.stringify({ username, password }),
      headers: { "content-type": "application/json" },
    });
    this.tokens.setItem(TOKEN_KEY, body.token);
    return this.me();
  }

  async me(): Promise<Operator> {
    const me = await this.get<{ username: string; role: string; stations: string[] }>("/v1/me");
    const stations = await Promise.all(me.stations.map((id) => this.station(id)));
    return { username: me.username, role: me.role, stations };
  }

  async logout(): Promise<void> {
    await this.call("/v1/logout", { method: "POST" }).catch(() => undefined);
    this.tokens.removeItem(TOKEN_KEY);
  }

  async edit(station: Station, patch: Record<string, unknown>): Promise<EditOutcome> {
    const { status, body } = await this.call<Station>(`/v1/stations/${encodeURIComponent(station.id)}`, {
      method: "PATCH",
      body: JSON.stringify(patch),
      headers: { "content-type": "application/json", "if-match": `"${station.version}"` },
    });
    if (status === 412) return { outcome: "conflict", station_id: station.id, mine: patch, theirs: body };
    return { outcome: "saved", station: body };
  }

  async openUrl(url: string): Promise<void> {
    globalThis.open?.(url, "_blank", "noopener");
  }
}

/** What Tauri injects into its webview. */
export interface TauriInternals {
  invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  transformCallback?(callback: (event: unknown) => void, once?: boolean): number;
}

/** Tauri IPC errors are the command's message string. */
function ipcError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export class IpcTransport implements Transport {
  readonly where = "app";
  readonly syncing: Syncing;

  constructor(private readonly tauri: TauriInternals) {
    this.syncing = {
      state: () => this.call<SyncState>("sync_state"),
      pendingEdits: () => this.call<PendingEdit[]>("pending_edits"),
      sync: async (server, key, progress) => {
        const unlisten = await this.listen<SyncProgress>("sync-progress", progress);
        try {
          return await this.call<SyncReport>("sync_now", { server, key });
        } finally {
          await unlisten();
        }
      },
    };
  }

  private async call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    try {
      return await this.tauri.invoke<T>(cmd, args);
    } catch (e) {
      throw ipcError(e);
    }
  }

  /** Tauri's event API without its npm package: the same two core commands it wraps. */
  private async listen<T>(event: string, handler: (payload: T) => void): Promise<() => Promise<void>> {
    if (!this.tauri.transformCallback) return async () => undefined;
    const handlerId = this.tauri.transformCallback((e) => handler((e as { payload: T }).payload));
    const eventId = await this.call<number>("plugin:event|listen", { event, target: { kind: "Any" }, handler: handlerId });
    return async () => {
      await this.call("plugin:event|unlisten", { event, eventId }).catch(() => undefined);
    };
  }

  near(q: NearQuery): Promise<Hit[]> {
    const { lat, lon, k, kinds, services, openNow, withinKm, heading } = q;
    return this.call("near", { lat, lon, k, chips: { kinds, services, openNow, withinKm, heading } });
  }

  station(id: string): Promise<Hit> {
    return this.call("station", { id });
  }

  search(text: string, at: { lat: number; lon: number } | null): Promise<Hit[]> {
    return this.call("search", { text, lat: at?.lat ?? null, lon: at?.lon ?? null });
  }

  places(text: string): Promise<Place[]> {
    return this.call("places", { text });
  }

  along(route: string, withinKm: number, chips: Chips): Promise<Hit[]> {
    return this.call("along", { route, withinKm, chips: { kinds: chips.kinds, services: chips.services, openNow: chips.openNow } });
  }

  points(crs: Datum): Promise<MapPoints> {
    return this.call("points", { crs });
  }

  links(id: string): Promise<NavLink[]> {
    return this.call("links", { id });
  }

  info(): Promise<CatalogInfo> {
    return this.call("info");
  }

  vocab(): Promise<Vocabulary> {
    return this.call("vocab");
  }

  convert(lat: number, lon: number, from: Datum, to: Datum): Promise<{ lat: number; lon: number }> {
    return this.call("convert", { lat, lon, from, to });
  }

  report(r: Report): Promise<void> {
    return this.call("report", { report: r });
  }

  login(server: string, username: string, password: string): Promise<Operator> {
    return this.call("operator_login", { server, username, password });
  }

  me(): Promise<Operator> {
    return this.call("operator_me");
  }

  logout(): Promise<void> {
    return this.call("operator_logout");
  }

  edit(station: Station, patch: Record<string, unknown>): Promise<EditOutcome> {
    return this.call("operator_edit", { id: station.id, patch });
  }

  openUrl(url: string): Promise<void> {
    return this.call("plugin:opener|open_url", { url });
  }
}

/** IPC inside the Tauri window, HTTP everywhere else. */
export function pickTransport(global: { __TAURI_INTERNALS__?: TauriInternals } = globalThis as never): Transport {
  return global.__TAURI_INTERNALS__ ? new IpcTransport(global.__TAURI_INTERNALS__) : new HttpTransport();
}
