import { describe, expect, it } from "vitest";
import { HttpTransport, IpcTransport, nearParams, pickTransport } from "./transport";

describe("nearParams", () => {
  it("sends only the filters that are set", () => {
    expect(nearParams({ lat: 22.5, lon: 114, k: 20, kinds: [], services: [], openNow: false })).toBe("lat=22.5&lon=114&k=20");
    expect(
      nearParams({ lat: 1, lon: 2, k: 5, kinds: ["warm_bee"], services: ["shower", "toilet"], openNow: true }),
    ).toBe("lat=1&lon=2&k=5&kind=warm_bee&service=shower%2Ctoilet&open_now=true");
  });
});

describe("HttpTransport", () => {
  // A stand-in for fetch: these unit tests check request building and error handling; the
  // browser test in tests/e2e runs the real thing against `waystation serve`.
  const answer = (status: number, body: unknown) => async (url: RequestInfo | URL) => {
    calls.push(String(url));
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  const calls: string[] = [];

  it("asks the near endpoint and returns its hits", async () => {
    const tr = new HttpTransport("http://x", answer(200, [{ id: "a" }]) as typeof fetch);
    const hits = await tr.near({ lat: 1, lon: 2, k: 3, kinds: [], services: [], openNow: false });
    expect(hits.map((h) => h.id)).toEqual(["a"]);
    expect(calls[calls.length - 1]).toBe("http://x/v1/stations/near?lat=1&lon=2&k=3");
  });

  it("turns the server's JSON error into an Error with its message", async () => {
    const tr = new HttpTransport("", answer(400, { code: "bad_request", message: "latitude 95 is out of range" }) as typeof fetch);
    await expect(tr.near({ lat: 95, lon: 2, k: 3, kinds: [], services: [], openNow: false })).rejects.toThrow("latitude 95");
  });

  it("escapes station ids in paths", async () => {
    const tr = new HttpTransport("", answer(200, []) as typeof fetch);
    await tr.links("a/b?c");
    expect(calls[calls.length - 1]).toBe("/v1/stations/a%2Fb%3Fc/links");
  });
});

describe("pickTransport", () => {
  it("uses Tauri IPC inside the app window and HTTP in a browser", async () => {
    const invoked: [string, unknown][] = [];
    const tauri = {
      invoke: async <T>(cmd: string, args?: Record<string, unknown>) => {
        invoked.push([cmd, args]);
        return [] as T;
      },
    };
    const ipc = pickTransport({ __TAURI_INTERNALS__: tauri });
    expect(ipc).toBeInstanceOf(IpcTransport);
    await ipc.near({ lat: 1, lon: 2, k: 3, kinds: ["warm_bee"], services: [], openNow: true });
    expect(invoked[0]).toEqual(["near", { lat: 1, lon: 2, k: 3, kinds: ["warm_bee"], services: [], openNow: true }]);
    expect(pickTransport({})).toBeInstanceOf(HttpTransport);
  });
});
