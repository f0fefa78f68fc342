import { describe, expect, it } from "vitest";
import { DEFAULTS, load, type Settings, Store } from "./state";

function memory(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe("Store", () => {
  it("starts from what was saved, over the defaults, without a stale heading", () => {
    const storage = memory({ "waystation.ui.v2": JSON.stringify({ lang: "en", heading: 90 }) });
    const store = new Store(storage);
    expect(store.settings.lang).toBe("en");
    expect(store.settings.heading).toBeNull();
    expect(store.settings.routeWithinKm).toBe(DEFAULTS.routeWithinKm);
    expect(new Store(memory({ "waystation.ui.v2": "{not json" })).settings).toEqual(DEFAULTS);
  });

  it("update(patch) saves and tells every subscriber what changed", () => {
    const storage = memory();
    const store = new Store(storage);
    const seen: [Settings, string[]][] = [];
    const stop = store.subscribe((s, changed) => seen.push([s, [...changed]]));
    store.update({ openNow: true, services: ["shower"], lang: "zh" });
    expect(seen.length).toBe(1);
    expect(seen[0][1].sort()).toEqual(["openNow", "services"]);
    expect(seen[0][0].openNow).toBe(true);
    expect(load(storage)).toMatchObject({ openNow: true, services: ["shower"] });
    // The settings object is replaced, not changed in place (subscribers may keep the old one).
    const before = store.settings;
    store.update({ withinKm: 20 });
    expect(before.withinKm).toBeNull();
    expect(store.settings.withinKm).toBe(20);
    expect(seen.length).toBe(2);
    stop();
    store.update({ withinKm: 50 });
    expect(seen.length).toBe(2);
    expect(load(storage).withinKm).toBe(50);
  });

  it("does nothing for a patch that changes nothing, and sets null but skips undefined", () => {
    const storage = memory();
    const store = new Store(storage);
    let calls = 0;
    store.subscribe(() => calls++);
    store.update({ lang: store.settings.lang, kinds: [] });
    expect(calls).toBe(0);
    expect(storage.data.size).toBe(0);
    store.update({ position: null, withinKm: undefined });
    expect(calls).toBe(1);
    expect(store.settings.position).toBeNull();
    expect(store.settings.withinKm).toBeNull();
  });
});
