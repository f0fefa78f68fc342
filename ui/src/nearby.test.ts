import { describe, expect, it } from "vitest";
import type { Context } from "./context";
import { Labels } from "./i18n";
import { alongRequest, Latest, Nearby, nearRequest } from "./nearby";
import { DEFAULTS, type Settings } from "./state";
import { type Hit, type NearRequest, RequestError, type Transport } from "./transport";

const here = { lat: 22.5, lon: 114, label: "here" };

describe("nearRequest", () => {
  it("asks only for what the driver chose", () => {
    expect(nearRequest({ ...DEFAULTS, position: here })).toEqual({
      lat: 22.5,
      lon: 114,
      k: 200,
      kind: undefined,
      service: undefined,
      open_now: undefined,
      within: undefined,
      heading: undefined,
      speed: undefined,
    });
    expect(nearRequest({ ...DEFAULTS, position: null })).toBeNull();
  });

  it("joins kinds and services with commas, gives within in km as text, heading only when ahead", () => {
    const s: Settings = { ...DEFAULTS, position: here, kinds: ["warm_bee", "driver_home"], services: ["shower", "toilet"], openNow: true, confirmedOnly: true, withinKm: 5, ahead: true, heading: 90 };
    expect(nearRequest(s)).toMatchObject({ kind: "warm_bee,driver_home", service: "shower,toilet", open_now: true, confirmed: true, within: "5", heading: 90 });
    expect(nearRequest({ ...s, ahead: false })?.heading).toBeUndefined();
    expect(nearRequest({ ...s, heading: null })?.heading).toBeUndefined();
  });

  it("ahead of me, asks for arrival times at the measured speed, or else the chosen one", () => {
    const s: Settings = { ...DEFAULTS, position: here, ahead: true, heading: 90, speed: "car" };
    expect(nearRequest(s)?.speed).toBe("car");
    expect(nearRequest({ ...s, measuredKmh: 72 })?.speed).toBe("72");
    expect(nearRequest({ ...s, ahead: false, measuredKmh: 72 })?.speed).toBeUndefined();
  });

  it("gives the route query the same filters and the route's distance", () => {
    expect(alongRequest({ ...DEFAULTS, services: ["shower"], routeWithinKm: 2 })).toEqual({
      within: "2",
      kind: undefined,
      service: "shower",
      open_now: undefined,
      speed: "truck",
      depart: undefined,
      open_on_arrival: undefined,
    });
    expect(alongRequest({ ...DEFAULTS, speed: "45", depart: "2026-11-29T20:00", openOnArrival: true })).toMatchObject({
      speed: "45",
      depart: "2026-11-29T20:00",
      open_on_arrival: true,
    });
  });
});

/** A promise resolved (or rejected) from outside. */
function later<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe("Latest", () => {
  it("drops an answer that arrives after a newer query was issued", async () => {
    const latest = new Latest();
    const first = later<string>();
    const second = later<string>();
    const a = latest.run(() => first.promise);
    const b = latest.run(() => second.promise);
    expect(latest.newest).toBe(2);
    second.resolve("new");
    first.resolve("old");
    expect(await b).toEqual({ seq: 2, answer: "new" });
    expect(await a).toBeNull();
  });

  it("drops a stale failure but passes on the newest one's", async () => {
    const latest = new Latest();
    const first = later<string>();
    const a = latest.run(() => first.promise);
    const b = latest.run(() => Promise.reject(new Error("offline")));
    first.reject(new Error("old failure"));
    expect(await a).toBeNull();
    await expect(b).rejects.toThrow("offline");
  });
});

describe("Nearby", () => {
  it("shows only the newest answer, marked with its query's number", async () => {
    const asked: NearRequest[] = [];
    const answers: ReturnType<typeof later<Hit[]>>[] = [];
    const transport = {
      near(r: NearRequest) {
        asked.push(r);
        const a = later<Hit[]>();
        answers.push(a);
        return a.promise;
      },
    } as unknown as Transport;
    let settings: Settings = { ...DEFAULTS, position: here };
    const ctx = { get settings() { return settings; }, transport, labels: new Labels(null), lang: "en" } as unknown as Context;
    const shown: [string[], number | undefined][] = [];
    const view = {
      list: { show: (hits: Hit[], seq?: number) => void shown.push([hits.map((h) => h.id), seq]) },
      status: { textContent: "" as string | null },
      error: { textContent: "" as string | null, hidden: true },
      syntheticNote: { hidden: true },
    };
    const nearby = new Nearby(ctx, view);
    const one = nearby.search();
    settings = { ...settings, services: ["shower"] };
    const two = nearby.search();
    expect(asked.map((r) => r.service)).toEqual([undefined, "shower"]);
    answers[1].resolve([{ id: "with-shower", source: "official" } as Hit]);
    await two;
    answers[0].resolve([{ id: "any", source: "synthetic" } as Hit]);
    await one;
    expect(shown).toEqual([[["with-shower"], 2]]);
    expect(nearby.hits.map((h) => h.id)).toEqual(["with-shower"]);
    expect(view.status.textContent).toBe("1 stations");
    expect(view.syntheticNote.hidden).toBe(true);
    expect(view.error.hidden).toBe(true);
  });
});

describe("Nearby errors", () => {
  const run = async (error: Error) => {
    const transport = { near: () => Promise.reject(error) } as unknown as Transport;
    const ctx = { settings: { ...DEFAULTS, position: here }, transport, labels: new Labels(null), lang: "en" } as unknown as Context;
    const view = {
      list: { show: () => undefined },
      status: { textContent: "" as string | null },
      error: { textContent: "" as string | null, hidden: true },
      syntheticNote: { hidden: true },
    };
    await new Nearby(ctx, view).search();
    return view.error;
  };

  it("says the catalog cannot be reached, unless the request was refused", async () => {
    expect(await run(new RequestError("HTTP 502"))).toEqual({ hidden: false, textContent: "Cannot reach the catalog. HTTP 502" });
    expect((await run(new RequestError("距离无效 — bad distance", "bad_distance", 400))).textContent).toBe("距离无效 — bad distance");
  });
});
