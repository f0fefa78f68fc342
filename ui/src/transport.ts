// How the UI reaches the catalog: Tauri IPC inside the app window (the offline catalog on the
// device), HTTP against `waystation serve` in a browser. Same interface either way; what only
// the app can do (sync, the offline outbox) is optional.
//
// The requests and answers are the Rust request layer's own types (generated into
// ./generated/api.ts); only what that layer does not define (sync, operator sessions) is
// written by hand here.
import type {
  AlongRequest,
  ConvertRequest,
  Detail,
  DetailRequest,
  Hit,
  LatLon,
  MapView,
  MapViewRequest,
  MessageId,
  NearRequest,
  PlaceHit,
  PlacesRequest,
  Confirmation,
  FactTally,
  Proposal,
  ProposalStatus,
  Report,
  SearchRequest,
  Station,
  Vocabulary,
} from "./generated/api";

export type * from "./generated/api";

/** The datums the catalog converts between (the `crs`/`from`/`to` of the requests). */
export type Datum = "wgs84" | "gcj02" | "bd09";

export interface CatalogInfo {
  stations: number;
  synthetic: number;
  synthetic_share: number;
  file_bytes?: number;
  last_updated: string | null;
  seq?: number;
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
  pending_proposals: number;
  pending_confirmations: number;
  /** When the server signed the head this catalog is at (RFC 3339). */
  current_as_of: string | null;
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
  /** Offline edits the server refused for good, with its reasons (kept, not sent again). */
  failed_edits: { station_id: string; reason: string }[];
  /** Edits wait because the login expired. */
  login_needed: boolean;
  /** Why sending edits or reports stopped early (they wait for the next sync). */
  push_problem: string | null;
  /** When the server signed the head this catalog is now at. */
  current_as_of: string | null;
  /** The server was re-keyed: the key now pinned, reached through signed handovers. */
  new_key: string | null;
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
  /** Why the server refused it (absent while it waits to be sent). */
  failed?: string;
}

/** Where the device is (WGS-84), as its location service tells. */
export interface Fix {
  lat: number;
  lon: number;
  /** Metres, where known. */
  accuracy?: number;
  /** Degrees clockwise from north while moving; null or absent otherwise. */
  heading?: number | null;
  /** Metres a second while moving; null or absent otherwise. */
  speed?: number | null;
}

/** A refused request: the catalog's message ("中文 — English") and, when the request layer
 * refused it, the stable id of the rule (the same for HTTP and IPC). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly messageId: MessageId | null = null,
    /** The HTTP status; undefined for IPC. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/** A proposal made on this device and how it went: waiting for a sync (app), refused by the
 * server (with its reason), or sent (with its state, or why it could not be asked). */
export interface MyProposal {
  proposal: Proposal;
  id?: number;
  failed?: string;
  status?: ProposalStatus;
  unknown?: string;
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
  near(r: NearRequest): Promise<Hit[]>;
  /** One station with its navigation links; distance and direction from r's lat/lon when given. */
  station(id: string, r?: DetailRequest): Promise<Detail>;
  search(r: SearchRequest): Promise<Hit[]>;
  places(r: PlacesRequest): Promise<PlaceHit[]>;
  along(route: string, r: AlongRequest): Promise<Hit[]>;
  /** What the map shows of a view: clusters, lone stations, place names. */
  mapView(r: MapViewRequest): Promise<MapView>;
  info(): Promise<CatalogInfo>;
  vocab(): Promise<Vocabulary>;
  convert(r: ConvertRequest): Promise<LatLon>;
  /** App: queued for the next sync. Browser: sent now. */
  report(r: Report): Promise<void>;
  /** A driver's word on a fact. App: queued for the next sync. Browser: sent now. */
  confirm(c: Confirmation): Promise<void>;
  /** What drivers said about each fact of a station lately (the app: as its last sync brought). */
  facts(stationId: string): Promise<FactTally[]>;
  /** App: checked and queued for the next sync. Browser: sent now, its secret kept here. */
  propose(p: Proposal): Promise<void>;
  /** This device's proposals, newest first, each sent one with how it went. */
  myProposals(): Promise<MyProposal[]>;
  login(server: string, username: string, password: string): Promise<Operator>;
  me(): Promise<Operator>;
  logout(): Promise<void>;
  edit(station: Station, patch: Record<string, unknown>): Promise<EditOutcome>;
  /** A request of the account screens (an operator's inbox, the admin console) to the catalog
   * server, as the logged-in account. */
  account<T>(method: string, path: string, body?: unknown): Promise<T>;
  openUrl(url: string): Promise<void>;
  /** The device's position (rejects with the reason when it cannot tell). */
  locate(): Promise<Fix>;
  syncing: Syncing | null;
}

/** A request object as query parameters, same names; undefined and null fields are left out. */
export function requestParams(r: object): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined || v === null) continue;
    p.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  return p;
}

/** `path?query` (just `path` when the request sets nothing). */
function withQuery(path: string, r: object): string {
  const q = requestParams(r).toString();
  return q ? `${path}?${q}` : path;
}

/** What locating needs from the page: its user agent and (where there is one) geolocation. */
export interface Device {
  readonly userAgent: string;
  readonly geolocation?: Geolocation;
}

const LOCATE_OPTIONS = { enableHighAccuracy: true, timeout: 10_000, maximumAge: 30_000 };

/** A reading the device may leave out (null, absent or NaN): null then. */
function reading(h: number | null | undefined): number | null {
  return h !== null && h !== undefined && Number.isFinite(h) ? h : null;
}

/** The webview's (or browser's) own geolocation. */
function webLocate(device: Device): Promise<Fix> {
  const geo = device.geolocation;
  if (!geo) return Promise.reject(new Error("no geolocation in this webview"));
  return new Promise((resolve, reject) =>
    geo.getCurrentPosition(
      (p) =>
        resolve({
          lat: p.coords.latitude,
          lon: p.coords.longitude,
          accuracy: p.coords.accuracy,
          heading: reading(p.coords.heading),
          speed: reading(p.coords.speed),
        }),
      (e) => reject(new Error(e.message || `error ${e.code}`)),
      LOCATE_OPTIONS,
    ),
  );
}

const thisDevice = (): Device => globalThis.navigator ?? { userAgent: "" };

const TOKEN_KEY = "waystation.operator.token";
/** The proposals this browser sent, with their secrets: kept across visits (localStorage). */
const PROPOSALS_KEY = "waystation.proposals";
const DEVICE_KEY = "waystation.device";

export class HttpTransport implements Transport {
  readonly where = "server";
  readonly syncing = null;

  constructor(
    private readonly base = "",
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
    private readonly tokens: Pick<Storage, "getItem" | "setItem" | "removeItem"> = globalThis.sessionStorage,
    private readonly device: () => Device = thisDevice,
    private readonly kept: Pick<Storage, "getItem" | "setItem"> = globalThis.localStorage,
  ) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const headers = new Headers(init.headers);
    headers.set("accept", "application/json");
    const token = this.tokens?.getItem(TOKEN_KEY);
    if (token) headers.set("authorization", `Bearer ${token}`);
    const resp = await this.fetcher(`${this.base}${path}`, { ...init, headers });
    const body = (await resp.json().catch(() => ({}))) as T & { message?: unknown; message_id?: unknown };
    if (!resp.ok && resp.status !== 412) {
      const message = typeof body.message === "string" ? body.message : `HTTP ${resp.status}`;
      const id = typeof body.message_id === "string" ? (body.message_id as MessageId) : null;
      throw new RequestError(message, id, resp.status);
    }
    return { status: resp.status, body };
  }

  private async get<T>(path: string): Promise<T> {
    return (await this.call<T>(path)).body;
  }

  near(r: NearRequest): Promise<Hit[]> {
    return this.get(withQuery("/v1/stations/near", r));
  }

  station(id: string, r: DetailRequest = {}): Promise<Detail> {
    return this.get(withQuery(`/v1/stations/${encodeURIComponent(id)}`, r));
  }

  search(r: SearchRequest): Promise<Hit[]> {
    return this.get(withQuery("/v1/stations/search", r));
  }

  places(r: PlacesRequest): Promise<PlaceHit[]> {
    return this.get(withQuery("/v1/places", r));
  }

  async along(route: string, r: AlongRequest): Promise<Hit[]> {
    return (await this.call<Hit[]>(withQuery("/v1/stations/along", r), { method: "POST", body: route })).body;
  }

  mapView(r: MapViewRequest): Promise<MapView> {
    return this.get(withQuery("/v1/map", r));
  }

  info(): Promise<CatalogInfo> {
    return this.get("/v1/catalog/info");
  }

  vocab(): Promise<Vocabulary> {
    return this.get("/v1/vocab");
  }

  convert(r: ConvertRequest): Promise<LatLon> {
    return this.get(withQuery("/v1/convert", r));
  }

  async report(r: Report): Promise<void> {
    await this.call("/v1/reports", { method: "POST", body: JSON.stringify(r), headers: { "content-type": "application/json" } });
  }

  async confirm(c: Confirmation): Promise<void> {
    await this.call(`/v1/stations/${encodeURIComponent(c.station_id)}/confirmations`, {
      method: "POST",
      body: JSON.stringify({ fact: c.fact, holds: c.holds, device: this.deviceId() }),
      headers: { "content-type": "application/json" },
    });
  }

  facts(stationId: string): Promise<FactTally[]> {
    return this.get(`/v1/stations/${encodeURIComponent(stationId)}/facts`);
  }

  /** This browser's random id for the server's per-device limits (not a secret). */
  private deviceId(): string {
    let id = this.kept.getItem(DEVICE_KEY);
    if (!id) {
      id = `b-${Math.random().toString(36).slice(2, 12)}`;
      this.kept.setItem(DEVICE_KEY, id);
    }
    return id;
  }

  async propose(p: Proposal): Promise<void> {
    const { body } = await this.call<{ id: number; secret: string }>("/v1/proposals", {
      method: "POST",
      body: JSON.stringify(p),
      headers: { "content-type": "application/json" },
    });
    const kept = this.keptProposals();
    kept.unshift({ id: body.id, secret: body.secret, proposal: p });
    this.kept.setItem(PROPOSALS_KEY, JSON.stringify(kept));
  }

  async myProposals(): Promise<MyProposal[]> {
    return Promise.all(
      this.keptProposals().map(async (k): Promise<MyProposal> => {
        try {
          const { body } = await this.call<ProposalStatus>(`/v1/proposals/${k.id}`, { headers: { "x-proposal-secret": k.secret } });
          return { proposal: k.proposal, id: k.id, status: body };
        } catch (e) {
          return { proposal: k.proposal, id: k.id, unknown: (e as Error).message };
        }
      }),
    );
  }

  /** The proposals this browser sent, with their secrets (what asks after them). */
  private keptProposals(): { id: number; secret: string; proposal: Proposal }[] {
    try {
      const kept: unknown = JSON.parse(this.kept.getItem(PROPOSALS_KEY) ?? "[]");
      return Array.isArray(kept) ? kept : [];
    } catch {
      return [];
    }
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

  async account<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { "content-type": "application/json" };
    }
    return (await this.call<T>(path, init)).body;
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

  locate(): Promise<Fix> {
    return webLocate(this.device());
  }
}

/** What Tauri injects into its webview. */
export interface TauriInternals {
  invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  transformCallback?(callback: (event: unknown) => void, once?: boolean): number;
}

/** A refused command rejects with {message_id, message}; other failures may be plain strings. */
export function ipcError(e: unknown): RequestError {
  if (e instanceof RequestError) return e;
  if (typeof e === "string") return new RequestError(e);
  if (e && typeof e === "object" && "message" in e) {
    const { message, message_id } = e as { message: unknown; message_id?: unknown };
    return new RequestError(String(message), typeof message_id === "string" ? (message_id as MessageId) : null);
  }
  return new RequestError(String(e));
}

const PHONE = /Android|iPhone|iPad/i;

export class IpcTransport implements Transport {
  readonly where = "app";
  readonly syncing: Syncing;

  constructor(
    private readonly tauri: TauriInternals,
    private readonly device: () => Device = thisDevice,
  ) {
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

  near(request: NearRequest): Promise<Hit[]> {
    return this.call("near", { request });
  }

  station(id: string, request: DetailRequest = {}): Promise<Detail> {
    return this.call("station", { id, request });
  }

  search(request: SearchRequest): Promise<Hit[]> {
    return this.call("search", { request });
  }

  places(request: PlacesRequest): Promise<PlaceHit[]> {
    return this.call("places", { request });
  }

  along(route: string, request: AlongRequest): Promise<Hit[]> {
    return this.call("along", { route, request });
  }

  mapView(request: MapViewRequest): Promise<MapView> {
    return this.call("map_view", { request });
  }

  info(): Promise<CatalogInfo> {
    return this.call("info");
  }

  vocab(): Promise<Vocabulary> {
    return this.call("vocab");
  }

  convert(request: ConvertRequest): Promise<LatLon> {
    return this.call("convert", { request });
  }

  report(r: Report): Promise<void> {
    return this.call("report", { report: r });
  }

  propose(proposal: Proposal): Promise<void> {
    return this.call("propose", { proposal });
  }

  confirm(confirmation: Confirmation): Promise<void> {
    return this.call("confirm", { confirmation });
  }

  facts(stationId: string): Promise<FactTally[]> {
    return this.call("facts", { stationId });
  }

  async myProposals(): Promise<MyProposal[]> {
    const mine = await this.call<{
      waiting: { proposal: Proposal }[];
      refused: { proposal: Proposal; failed?: string }[];
      sent: { id: number; proposal: Proposal; status?: ProposalStatus; unknown?: string }[];
    }>("my_proposals");
    return [
      ...mine.waiting.map((w) => ({ proposal: w.proposal })),
      ...mine.refused.map((r) => ({ proposal: r.proposal, failed: r.failed ?? "" })),
      ...mine.sent,
    ];
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

  account<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.call("account_request", { method, path, body: body ?? null });
  }

  edit(station: Station, patch: Record<string, unknown>): Promise<EditOutcome> {
    return this.call("operator_edit", { id: station.id, patch });
  }

  openUrl(url: string): Promise<void> {
    return this.call("plugin:opener|open_url", { url });
  }

  /** The geolocation plugin on phones; on desktops the webview's own geolocation. */
  async locate(): Promise<Fix> {
    const device = this.device();
    if (!PHONE.test(device.userAgent)) return webLocate(device);
    const p = await this.call<{
      coords: { latitude: number; longitude: number; accuracy?: number; heading?: number | null; speed?: number | null };
    }>(
      "plugin:geolocation|get_current_position",
      { options: LOCATE_OPTIONS },
    );
    return {
      lat: p.coords.latitude,
      lon: p.coords.longitude,
      accuracy: p.coords.accuracy,
      heading: reading(p.coords.heading),
      speed: reading(p.coords.speed),
    };
  }
}

/** IPC inside the Tauri window, HTTP everywhere else. */
export function pickTransport(global: { __TAURI_INTERNALS__?: TauriInternals } = globalThis as never): Transport {
  return global.__TAURI_INTERNALS__ ? new IpcTransport(global.__TAURI_INTERNALS__) : new HttpTransport();
}
