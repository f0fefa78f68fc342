import { describe, expect, it } from "vitest";
import { HttpTransport, IpcTransport, nearParams, pickTransport } from "./transport";

const chips = { kinds: [], services: [], openNow: false };

describe("nearParams", () => {
  it("sends only the filters that are set", () => {
    expect(nearParams({ lat: 22.5, lon: 114, k: 20, ...chips })).toBe("lat=22.5&lon=114&k=20");
    expect(
      nearParams({ lat: 1, lon: 2, k: 5, kinds: ["warm_bee"], services: ["shower", "toilet"], openNow: true, withinKm: 20, heading: 90 }),
    ).toBe("lat=1&lon=2&k=5&kind=warm_bee&service=shower%2Ctoilet&open_now=true&within_km=20&heading=90");
  });
});

/** A stand-in for fetch: these unit tests check request building and error handling; the
 * browser test in tests/e2e runs the real thing against `waystation serve`. */
function fakeServer(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetcher = async (url: RequestInfo | URL, init: RequestInit = {}) => {
    calls.push({ url: String(url), init });
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  const store = new Map<string, string>();
  const tokens = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
  return { calls, fetcher: fetcher as typeof fetch, tokens, store };
}

describe("HttpTransport", () => {
  it("asks the near endpoint and returns its hits", async () => {
    const f = fakeServer(200, [{ id: "a" }]);
    const tr = new HttpTransport("http://x", f.fetcher, f.tokens);
    const hits = await tr.near({ lat: 1, lon: 2, k: 3, ...chips });
    expect(hits.map((h) => h.id)).toEqual(["a"]);
    expect(f.calls[0].url).toBe("http://x/v1/stations/near?lat=1&lon=2&k=3");
  });

  it("turns the server's JSON error into an Error with its message", async () => {
    const f = fakeServer(400, { code: "bad_request", message: "latitude 95 is out of range" });
    const tr = new HttpTransport("", f.fetcher, f.tokens);
    await expect(tr.near({ lat: 95, lon: 2, k: 3, ...chips })).rejects.toThrow("latitude 95");
  });

  it("escapes station ids in paths", async () => {
    const f = fakeServer(200, []);
    await new HttpTransport("", f.fetcher, f.tokens).links("a/b?c");
    expect(f.calls[0].url).toBe("/v1/stations/a%2Fb%3Fc/links");
  });

  it("posts routes as text with the filters in the query, leaving out the nearby-only ones", async () => {
    const f = fakeServer(200, []);
    await new HttpTransport("", f.fetcher, f.tokens).along("<gpx/>", 5, { ...chips, services: ["shower"], withinKm: 20, heading: 3 });
    expect(f.calls[0].url).toBe("/v1/stations/along?within_km=5&service=shower");
    expect(f.calls[0].init.method).toBe("POST");
    expect(f.calls[0].init.body).toBe("<gpx/>");
  });

  it("keeps the operator token for the session and sends edits with If-Match", async () => {
    const f = fakeServer(200, { token: "tok", username: "ann", role: "operator", stations: [] });
    const tr = new HttpTransport("", f.fetcher, f.tokens);
    await tr.login("", "ann", "pw");
    expect(f.store.get("waystation.operator.token")).toBe("tok");
    expect(new Headers(f.calls[1].init.headers).get("authorization")).toBe("Bearer tok");
    await tr.edit({ id: "s1", version: 7 } as never, { notice: "x" });
    const edit = f.calls[f.calls.length - 1];
    expect(edit.init.method).toBe("PATCH");
    expect(new Headers(edit.init.headers).get("if-match")).toBe('"7"');
    await tr.logout();
    expect(f.store.has("waystation.operator.token")).toBe(false);
  });

  it("reports a 412 as a conflict with the server's version", async () => {
    const f = fakeServer(412, { id: "s1", version: 8, notice: "theirs" });
    const out = await new HttpTransport("", f.fetcher, f.tokens).edit({ id: "s1", version: 7 } as never, { notice: "mine" });
    expect(out).toEqual({ outcome: "conflict", station_id: "s1", mine: { notice: "mine" }, theirs: { id: "s1", version: 8, notice: "theirs" } });
  });
});

describe("IpcTransport", () => {
  const fakeTauri = (answer: (cmd: string) => unknown = () => []) => {
    const invoked: [string, unknown][] = [];
    const tauri = {
      invoke: async <T>(cmd: string, args?: Record<string, unknown>) => {
        invoked.push([cmd, args]);
        const a = answer(cmd);
        if (a instanceof Error) throw a.message;
        return a as T;
      },
    };
    return { invoked, tauri };
  };

  it("uses Tauri IPC inside the app window and HTTP in a browser", async () => {
    const { invoked, tauri } = fakeTauri();
    const ipc = pickTransport({ __TAURI_INTERNALS__: tauri });
    expect(ipc).toBeInstanceOf(IpcTransport);
    expect(ipc.where).toBe("app");
    await ipc.near({ lat: 1, lon: 2, k: 3, kinds: ["warm_bee"], services: [], openNow: true });
    expect(invoked[0]).toEqual(["near", { lat: 1, lon: 2, k: 3, chips: { kinds: ["warm_bee"], services: [], openNow: true } }]);
    expect(pickTransport({})).toBeInstanceOf(HttpTransport);
    expect(pickTransport({}).syncing).toBeNull();
  });

  it("turns a command's error string into an Error", async () => {
    const { tauri } = fakeTauri(() => new Error("latitude 95 is out of range"));
    await expect(new IpcTransport(tauri).near({ lat: 95, lon: 0, k: 1, ...chips })).rejects.toThrow("latitude 95");
  });

  it("hands links to the opener plugin and reports to the outbox", async () => {
    const { invoked, tauri } = fakeTauri(() => null);
    const ipc = new IpcTransport(tauri);
    await ipc.openUrl("amapuri://route/plan/?dlat=1");
    await ipc.report({ station_id: "s", problem: "closed" });
    expect(invoked).toEqual([
      ["plugin:opener|open_url", { url: "amapuri://route/plan/?dlat=1" }],
      ["report", { report: { station_id: "s", problem: "closed" } }],
    ]);
  });
});
