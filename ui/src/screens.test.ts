import { describe, expect, it } from "vitest";
import { straightLine } from "./along";
import { basemap } from "./basemap";
import { patchOf } from "./operator";
import { applyTheme, syncSummary } from "./settings";
import { DEFAULTS } from "./state";
import { linkTarget } from "./detail";
import type { NavLink, Station, SyncReport } from "./transport";

describe("syncSummary", () => {
  const report: SyncReport = {
    server: "https://catalog.example.cn", snapshot_taken: false, upserts: 2, deletes: 0, seq: 41, up_to_date: false,
    pushed: 1, reports_sent: 0, conflicts: [], failed_edits: [], login_needed: false, push_problem: null,
    current_as_of: "2026-11-29T12:00:00Z", new_key: null,
  };
  it("says how far the sync got, and nothing more when all went through", () => {
    expect(syncSummary(report, "en")).toBe("Synced to #41: 2 updated, 0 deleted");
  });
  it("names each refused edit with the server's reason, and an expired login", () => {
    const text = syncSummary(
      { ...report, failed_edits: [{ station_id: "syn-ws-000001", reason: "answered 403: not yours" }], login_needed: true },
      "en",
    );
    expect(text).toContain("syn-ws-000001 — answered 403: not yours");
    expect(text).toContain("Your login has expired");
  });
});

describe("patchOf", () => {
  const fields = ["opening_hours", "services", "status", "notice", "phone", "free_truck_spaces"];
  const before = { opening_hours: "24/7", services: ["shower"], status: "open", notice: null, phone: null, free_truck_spaces: 3, name: "A" } as unknown as Station;

  it("sends only what the operator changed", () => {
    expect(patchOf(before, { opening_hours: "24/7", services: ["shower"], status: "open", notice: null, phone: null, free_truck_spaces: 3 }, fields)).toEqual({});
    expect(patchOf(before, { services: ["shower", "toilet"], free_truck_spaces: 0, notice: "热水" }, fields)).toEqual({
      services: ["shower", "toilet"],
      free_truck_spaces: 0,
      notice: "热水",
    });
  });

  it("sends only the fields the catalog opens to operators", () => {
    expect(patchOf(before, { name: "B", notice: "热水" }, ["notice"])).toEqual({ notice: "热水" });
    expect(patchOf(before, { name: "B", notice: "热水" }, [])).toEqual({});
  });
});

describe("straightLine", () => {
  it("is GeoJSON, longitude first", () => {
    expect(JSON.parse(straightLine({ lat: 22.5, lon: 114 }, { lat: 23, lon: 113 }))).toEqual({
      type: "LineString",
      coordinates: [
        [114, 22.5],
        [113, 23],
      ],
    });
  });
});

describe("basemap", () => {
  const base = { ...DEFAULTS };
  it("is none unless a usable source is configured", () => {
    expect(basemap(base)).toBeNull();
    expect(basemap({ ...base, tiles: "tianditu", tilesKey: "" })).toBeNull();
    expect(basemap({ ...base, tiles: "custom", tilesUrl: "http://insecure/{z}/{x}/{y}.png" })).toBeNull();
  });

  it("knows each source's datum, so stations can be shifted onto GCJ-02 tiles", () => {
    expect(basemap({ ...base, tiles: "amap" })?.datum).toBe("gcj02");
    const tdt = basemap({ ...base, tiles: "tianditu", tilesKey: "k&y" });
    expect(tdt?.datum).toBe("wgs84");
    expect(tdt?.tiles[0]).toContain("tk=k%26y");
    expect(basemap({ ...base, tiles: "custom", tilesUrl: "https://t/{z}/{x}/{y}.png", tilesDatum: "gcj02" })).toEqual({
      tiles: ["https://t/{z}/{x}/{y}.png"],
      datum: "gcj02",
      attribution: "",
    });
  });
});

describe("applyTheme", () => {
  it("marks the page with the chosen theme, and leaves 'follow system' to prefers-color-scheme", () => {
    const root = { dataset: {} as DOMStringMap } as HTMLElement;
    applyTheme("light", root);
    expect(root.dataset.theme).toBe("light");
    applyTheme("auto", root);
    expect(root.dataset.theme).toBeUndefined();
  });
});

describe("linkTarget", () => {
  const amap: NavLink = {
    app: "amap",
    url: "amapuri://route/plan/?dlat=1",
    ios: "iosamap://path?dlat=1",
    web: "https://uri.amap.com/navigation?to=1",
  };
  const apple: NavLink = { app: "apple", url: "https://maps.apple.com/?daddr=1", ios: null, web: null };

  it("opens each platform's own way in", () => {
    const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)";
    const android = "Mozilla/5.0 (Linux; Android 14; Pixel 8)";
    const desktop = "Mozilla/5.0 (X11; Linux x86_64)";
    expect(linkTarget(amap, iphone)).toBe(amap.ios);
    expect(linkTarget(amap, android)).toBe(amap.url);
    expect(linkTarget(amap, desktop)).toBe(amap.web);
    expect(linkTarget(apple, iphone)).toBe(apple.url);
    expect(linkTarget(apple, desktop)).toBe(apple.url);
  });
});
