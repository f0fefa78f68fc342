import { describe, expect, it } from "vitest";
import { type Device, HttpTransport, IpcTransport, ipcError, pickTransport, RequestError, requestParams } from "./transport";

describe("requestParams", () => {
  it("turns a request object into query parameters of the same names, leaving out unset fields", () => {
    expect(requestParams({ lat: 22.5, lon: 114, k: 20 }).toString()).toBe("lat=22.5&lon=114&k=20");
    expect(
      requestParams({
        lat: 1,
        lon: 2,
        k: 5,
        within: "20",
        heading: 90,
        kind: "warm_bee",
        service: "shower,toilet",
        open_now: true,
        status: undefined,
        open_at: null,
      }).toString(),
    ).toBe("lat=1&lon=2&k=5&within=20&heading=90&kind=warm_bee&service=shower%2Ctoilet&open_now=true");
    expect(requestParams({}).toString()).toBe("");
    // false and 0 are values, not "unset".
    expect(requestParams({ open_now: false, heading: 0 }).toString()).toBe("open_now=false&heading=0");
    expect(requestParams({ service: ["shower", "toilet"] }).get("service")).toBe("shower,toilet");
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

/** A geolocation that answers with `coords` (or fails with `error`). */
function fakeDevice(userAgent: string, coords: Partial<GeolocationCoordinates> | null, error = "denied"): Device {
  const geolocation = {
    getCurrentPosition(ok: PositionCallback, fail?: PositionErrorCallback | null) {
      if (coords) ok({ coords, timestamp: 0 } as GeolocationPosition);
      else fail?.({ code: 1, message: error } as GeolocationPositionError);
    },
  } as unknown as Geolocation;
  return { userAgent, geolocation };
}

describe("HttpTransport", () => {
  it("asks the near endpoint with the request's fields as parameters", async () => {
    const f = fakeServer(200, [{ id: "a" }]);
    const tr = new HttpTransport("http://x", f.fetcher, f.tokens);
    const hits = await tr.near({ lat: 1, lon: 2, k: 3, within: "5", kind: "warm_bee,driver_home", open_now: true });
    expect(hits.map((h) => h.id)).toEqual(["a"]);
    expect(f.calls[0].url).toBe("http://x/v1/stations/near?lat=1&lon=2&k=3&within=5&kind=warm_bee%2Cdriver_home&open_now=true");
  });

  it("searches with k as the request says", async () => {
    const f = fakeServer(200, []);
    await new HttpTransport("", f.fetcher, f.tokens).search({ q: "南山 司机之家", k: 20, lat: 22.5, lon: 114 });
    expect(f.calls[0].url).toBe(`/v1/stations/search?q=${encodeURIComponent("南山 司机之家").replace(/%20/g, "+")}&k=20&lat=22.5&lon=114`);
  });

  it("turns the server's JSON error into a RequestError with its message and message id", async () => {
    const f = fakeServer(400, { code: "bad_request", message: "纬度超出范围 — latitude 95 is out of range", message_id: "out_of_range" });
    const tr = new HttpTransport("", f.fetcher, f.tokens);
    const err = await tr.near({ lat: 95, lon: 2, k: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain("latitude 95");
    expect(err.messageId).toBe("out_of_range");
    expect(err.status).toBe(400);
  });

  it("has no message id when the error body has none (or is not JSON)", async () => {
    const f = fakeServer(500, { code: "internal", message: "boom" });
    const err = await new HttpTransport("", f.fetcher, f.tokens).info().catch((e) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err.messageId).toBeNull();
    const broken = async () => new Response("<html>", { status: 502 });
    const err2 = await new HttpTransport("", broken as typeof fetch, f.tokens).vocab().catch((e) => e);
    expect(err2.message).toBe("HTTP 502");
    expect(err2.messageId).toBeNull();
  });

  it("asks a station's detail from a position, escaping its id", async () => {
    const f = fakeServer(200, { id: "a/b?c", links: [] });
    const tr = new HttpTransport("", f.fetcher, f.tokens);
    await tr.station("a/b?c", { lat: 22.5, lon: 114 });
    await tr.station("x1");
    expect(f.calls.map((c) => c.url)).toEqual(["/v1/stations/a%2Fb%3Fc?lat=22.5&lon=114", "/v1/stations/x1"]);
  });

  it("posts routes as text with the request in the query", async () => {
    const f = fakeServer(200, []);
    await new HttpTransport("", f.fetcher, f.tokens).along("<gpx/>", { within: "5", service: "shower" });
    expect(f.calls[0].url).toBe("/v1/stations/along?within=5&service=shower");
    expect(f.calls[0].init.method).toBe("POST");
    expect(f.calls[0].init.body).toBe("<gpx/>");
  });

  it("sends places, map views and convert requests as parameters", async () => {
    const f = fakeServer(200, {});
    const tr = new HttpTransport("", f.fetcher, f.tokens);
    await tr.places({ q: "深圳" });
    await tr.mapView({ south: 22, west: 113, north: 23, east: 114, zoom: 9.5, crs: "gcj02" });
    await tr.convert({ lat: 22.5, lon: 114, from: "gcj02", to: "wgs84" });
    expect(f.calls.map((c) => c.url)).toEqual([
      `/v1/places?q=${encodeURIComponent("深圳")}`,
      "/v1/map?south=22&west=113&north=23&east=114&zoom=9.5&crs=gcj02",
      "/v1/convert?lat=22.5&lon=114&from=gcj02&to=wgs84",
    ]);
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

  it("locates with the browser's geolocation", async () => {
    const f = fakeServer(200, {});
    const ok = new HttpTransport("", f.fetcher, f.tokens, () => fakeDevice("Firefox", { latitude: 22.5, longitude: 114, accuracy: 12, heading: NaN, speed: 16.5 }));
    expect(await ok.locate()).toEqual({ lat: 22.5, lon: 114, accuracy: 12, heading: null, speed: 16.5 });
    const denied = new HttpTransport("", f.fetcher, f.tokens, () => fakeDevice("Firefox", null, "User denied"));
    await expect(denied.locate()).rejects.toThrow("User denied");
    const none = new HttpTransport("", f.fetcher, f.tokens, () => ({ userAgent: "curl" }));
    await expect(none.locate()).rejects.toThrow("no geolocation");
  });
});

describe("IpcTransport", () => {
  const fakeTauri = (answer: (cmd: string) => unknown = () => []) => {
    const invoked: [string, unknown][] = [];
    const tauri = {
      invoke: async <T>(cmd: string, args?: Record<string, unknown>) => {
        invoked.push([cmd, args]);
        const a = answer(cmd);
        if (a instanceof Rejection) throw a.value;
        return a as T;
      },
    };
    return { invoked, tauri };
  };
  class Rejection {
    constructor(readonly value: unknown) {}
  }

  it("uses Tauri IPC inside the app window and HTTP in a browser", async () => {
    const { invoked, tauri } = fakeTauri();
    const ipc = pickTransport({ __TAURI_INTERNALS__: tauri });
    expect(ipc).toBeInstanceOf(IpcTransport);
    expect(ipc.where).toBe("app");
    await ipc.near({ lat: 1, lon: 2, k: 3, kind: "warm_bee", open_now: true, within: "5" });
    expect(invoked[0]).toEqual(["near", { request: { lat: 1, lon: 2, k: 3, kind: "warm_bee", open_now: true, within: "5" } }]);
    expect(pickTransport({})).toBeInstanceOf(HttpTransport);
    expect(pickTransport({}).syncing).toBeNull();
  });

  it("sends every query as its request object", async () => {
    const { invoked, tauri } = fakeTauri(() => ({}));
    const ipc = new IpcTransport(tauri);
    await ipc.station("x1", { lat: 22.5, lon: 114 });
    await ipc.search({ q: "南山", k: 20 });
    await ipc.places({ q: "深圳" });
    await ipc.along("<gpx/>", { within: "5", service: "shower" });
    await ipc.mapView({ south: 22, west: 113, north: 23, east: 114, zoom: 3 });
    await ipc.convert({ lat: 1, lon: 2, from: "gcj02", to: "wgs84" });
    expect(invoked).toEqual([
      ["station", { id: "x1", request: { lat: 22.5, lon: 114 } }],
      ["search", { request: { q: "南山", k: 20 } }],
      ["places", { request: { q: "深圳" } }],
      ["along", { route: "<gpx/>", request: { within: "5", service: "shower" } }],
      ["map_view", { request: { south: 22, west: 113, north: 23, east: 114, zoom: 3 } }],
      ["convert", { request: { lat: 1, lon: 2, from: "gcj02", to: "wgs84" } }],
    ]);
  });

  it("turns a refused command into a RequestError with its message id", async () => {
    const refusal = { message_id: "out_of_range", message: "纬度超出范围 — latitude 95 is out of range" };
    const { tauri } = fakeTauri(() => new Rejection(refusal));
    const err = await new IpcTransport(tauri).near({ lat: 95, lon: 0, k: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err.message).toContain("latitude 95");
    expect(err.messageId).toBe("out_of_range");
    expect(err.status).toBeUndefined();
  });

  it("tolerates a refusal without an id, and a plain string", async () => {
    const { tauri } = fakeTauri(() => new Rejection({ message_id: null, message: "sync failed" }));
    const err = await new IpcTransport(tauri).syncing.state().catch((e) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect([err.message, err.messageId]).toEqual(["sync failed", null]);
    const plain = fakeTauri(() => new Rejection("command near not found"));
    const err2 = await new IpcTransport(plain.tauri).near({ lat: 1, lon: 1 }).catch((e) => e);
    expect(err2).toBeInstanceOf(RequestError);
    expect([err2.message, err2.messageId]).toEqual(["command near not found", null]);
    expect(ipcError(new Error("x")).message).toBe("x");
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

  it("locates with the geolocation plugin on phones and the webview's geolocation elsewhere", async () => {
    const phone = fakeTauri(() => ({ coords: { latitude: 30.5, longitude: 104, accuracy: 8, heading: 90 } }));
    const onPhone = new IpcTransport(phone.tauri, () => fakeDevice("Mozilla/5.0 (Linux; Android 14)", null));
    expect(await onPhone.locate()).toEqual({ lat: 30.5, lon: 104, accuracy: 8, heading: 90, speed: null });
    expect(phone.invoked[0][0]).toBe("plugin:geolocation|get_current_position");
    const desk = fakeTauri();
    const onDesk = new IpcTransport(desk.tauri, () => fakeDevice("Mozilla/5.0 (X11; Linux x86_64)", { latitude: 1, longitude: 2, accuracy: 30, heading: null }));
    expect(await onDesk.locate()).toEqual({ lat: 1, lon: 2, accuracy: 30, heading: null, speed: null });
    expect(desk.invoked).toEqual([]);
  });
});
