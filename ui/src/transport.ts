// How the UI reaches the catalog: Tauri IPC inside the app window (the offline catalog on the
// device), HTTP against `waystation serve` in a browser. Same interface either way.

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
}

export interface NavLink {
  app: string;
  url: string;
  web: string | null;
}

export interface NearQuery {
  lat: number;
  lon: number;
  k: number;
  kinds: string[];
  services: string[];
  openNow: boolean;
}

export interface Transport {
  near(q: NearQuery): Promise<Hit[]>;
  links(id: string): Promise<NavLink[]>;
}

/** The query string of a `near` request. */
export function nearParams(q: NearQuery): string {
  const p = new URLSearchParams({ lat: String(q.lat), lon: String(q.lon), k: String(q.k) });
  if (q.kinds.length) p.set("kind", q.kinds.join(","));
  if (q.services.length) p.set("service", q.services.join(","));
  if (q.openNow) p.set("open_now", "true");
  return p.toString();
}

export class HttpTransport implements Transport {
  constructor(
    private readonly base = "",
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

  private async get<T>(path: string): Promise<T> {
    const resp = await this.fetcher(`${this.base}${path}`, { headers: { accept: "application/json" } });
    if (!resp.ok) {
      const body = (await resp.json().catch(() => ({}))) as { message?: string };
      throw new Error(body.message ?? `HTTP ${resp.status}`);
    }
    return (await resp.json()) as T;
  }

  near(q: NearQuery): Promise<Hit[]> {
    return this.get<Hit[]>(`/v1/stations/near?${nearParams(q)}`);
  }

  links(id: string): Promise<NavLink[]> {
    return this.get<NavLink[]>(`/v1/stations/${encodeURIComponent(id)}/links`);
  }
}

/** What Tauri injects into its webview. */
interface TauriInternals {
  invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
}

export class IpcTransport implements Transport {
  constructor(private readonly tauri: TauriInternals) {}

  near(q: NearQuery): Promise<Hit[]> {
    return this.tauri.invoke<Hit[]>("near", { ...q });
  }

  links(id: string): Promise<NavLink[]> {
    return this.tauri.invoke<NavLink[]>("links", { id });
  }
}

/** IPC inside the Tauri window, HTTP everywhere else. */
export function pickTransport(global: { __TAURI_INTERNALS__?: TauriInternals } = globalThis as never): Transport {
  return global.__TAURI_INTERNALS__ ? new IpcTransport(global.__TAURI_INTERNALS__) : new HttpTransport();
}
