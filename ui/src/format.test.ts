import { describe, expect, it } from "vitest";
import { arrival, bytes, chinaNow, compass, distance, freshness, openState, parsePosition, shortCount, when } from "./format";
import { Labels, type Lang, t } from "./i18n";
import type { Vocabulary } from "./transport";

describe("distance", () => {
  it("reads in metres, then kilometres", () => {
    expect(distance(0)).toBe("0 m");
    expect(distance(849.6)).toBe("850 m");
    expect(distance(1234)).toBe("1.2 km");
    expect(distance(35_400)).toBe("35 km");
  });
});

describe("compass", () => {
  it("names the eight directions in both languages", () => {
    expect(compass(0, "en")).toBe("N");
    expect(compass(350, "en")).toBe("N");
    expect(compass(44, "en")).toBe("NE");
    expect(compass(135, "zh")).toBe("东南");
    expect(compass(-90, "en")).toBe("W");
    expect(compass(720 + 180, "zh")).toBe("南");
  });
});

const VOCAB: Vocabulary = {
  kinds: [{ id: "warm_bee", zh: "暖蜂驿站", en: "Warm Bee courier station" }],
  services: [{ id: "shower", zh: "淋浴", en: "Shower" }],
  statuses: [
    { id: "open", zh: "营业", en: "Open" },
    { id: "temporarily_closed", zh: "暂停服务", en: "Temporarily closed" },
    { id: "closed", zh: "已关闭", en: "Closed" },
  ],
  problems: [{ id: "closed", zh: "已关门/不营业", en: "It is closed" }],
  apps: [{ id: "amap", zh: "高德地图", en: "Amap" }],
  vehicles: [{ id: "truck", zh: "货车", en: "Truck", speed_kmh: 60 }],
  operator_fields: ["notice", "free_truck_spaces"],
};
const labels = new Labels(VOCAB);
const status = (id: string, lang: Lang) => labels.status(id, lang);

describe("openState", () => {
  it("puts the station's status (the catalog's label) before its hours, and never calls unknown open", () => {
    expect(openState({ status: "open", open_now: true }, "zh", status).text).toBe("营业中");
    expect(openState({ status: "open", open_now: false }, "en", status).tone).toBe("closed");
    expect(openState({ status: "open", open_now: null }, "en", status).text).toBe("Hours unknown");
    expect(openState({ status: "temporarily_closed", open_now: true }, "zh", status)).toEqual({ text: "暂停服务", tone: "closed" });
    // Before the vocabulary loads the id shows as it is.
    expect(openState({ status: "temporarily_closed", open_now: true }, "en", (id) => id).text).toBe("temporarily_closed");
  });

  it("says when an open station closes and when a closed one opens", () => {
    const now = "2026-11-27T12:00:00";
    expect(openState({ status: "open", open_now: true, changes_at: "2026-11-27T20:00:00" }, "zh", status, now).text).toBe("营业中 · 20:00 打烊");
    expect(openState({ status: "open", open_now: false, changes_at: "2026-11-28T08:00:00" }, "en", status, now).text).toBe(
      "Closed · opens tomorrow 08:00",
    );
    // Friday noon to Monday morning: the weekday.
    expect(when("2026-11-30T08:00:00", now, "zh")).toBe("周一 08:00");
    expect(openState({ status: "closed", open_now: false, changes_at: "2026-11-28T08:00:00" }, "en", status, now).text).toBe("Closed");
  });
});

describe("time", () => {
  it("reads China time whatever the device's zone", () => {
    expect(chinaNow(new Date("2026-11-27T20:30:00Z"))).toBe("2026-11-28T04:30:00");
  });

  it("says how fresh a listing is", () => {
    const now = new Date("2026-11-28T12:00:00Z");
    expect(freshness("2026-11-28T11:59:30Z", "en", now)).toBe("just now");
    expect(freshness("2026-11-28T11:15:00Z", "zh", now)).toBe("45 分钟前");
    expect(freshness("2026-11-28T02:00:00Z", "en", now)).toBe("10 h ago");
    expect(freshness("2026-11-20T12:00:00Z", "zh", now)).toBe("8 天前");
    expect(freshness("not a time", "en", now)).toBe("not a time");
  });

  it("sizes files", () => {
    expect(bytes(900)).toBe("900 B");
    expect(bytes(14 * 1024 * 1024)).toBe("14.0 MB");
  });
});

describe("parsePosition", () => {
  it("accepts lat,lon with Chinese or ASCII commas and rejects out of range", () => {
    expect(parsePosition("22.54,114.06")).toEqual({ lat: 22.54, lon: 114.06 });
    expect(parsePosition(" 22.54，114.06 ")).toEqual({ lat: 22.54, lon: 114.06 });
    expect(parsePosition("91,100")).toBeNull();
    expect(parsePosition("here")).toBeNull();
  });
});

describe("i18n", () => {
  it("has every word in both languages and fills in numbers", () => {
    expect(t("found", "zh", { n: 3 })).toBe("找到 3 个站点");
    expect(t("found", "en", { n: 3 })).toBe("3 stations");
  });

  it("labels kinds, services, statuses, problems and apps from the catalog's vocabulary", () => {
    // Problem ids share words with statuses; each table keeps its own label.
    expect(labels.status("closed", "zh")).toBe("已关闭");
    expect(labels.problem("closed", "zh")).toBe("已关门/不营业");
    expect(labels.kind("warm_bee", "zh")).toBe("暖蜂驿站");
    expect(labels.service("shower", "en")).toBe("Shower");
    expect(labels.app("amap", "zh")).toBe("高德地图");
    expect(labels.service("teleport", "en")).toBe("teleport");
    expect(labels.kind("shower", "en")).toBe("shower");
    expect(new Labels(null).service("shower", "zh")).toBe("shower");
    expect(labels.operatorFields).toEqual(["notice", "free_truck_spaces"]);
    expect(new Labels(null).operatorFields).toEqual([]);
  });

  it("has no words of its own for the catalog's statuses", () => {
    const words = ["temporarily_closed", "permanently_closed"];
    for (const w of words) expect(() => t(w as never, "zh")).toThrow();
  });
});

describe("arrival", () => {
  it("says when a station is reached (China time) and whether it is open then", () => {
    const now = "2026-11-29T20:00:00";
    expect(arrival({ eta: "2026-11-29T21:55:36+08:00", open_at_arrival: true }, "zh", now)).toEqual({ text: "21:55 到达 · 届时营业", tone: "open" });
    expect(arrival({ eta: "2026-11-30T00:42:00+08:00", open_at_arrival: false }, "en", now)).toEqual({
      text: "Arrive tomorrow 00:42 · closed then",
      tone: "closed",
    });
    expect(arrival({ eta: "2026-11-29T22:51:00+08:00", open_at_arrival: null }, "en", now)?.tone).toBe("unknown");
    expect(arrival({}, "zh", now)).toBeNull();
  });
});

describe("counts on the map's circles", () => {
  it("are whole up to 9999, then in 万 or thousands", () => {
    expect(shortCount(9999, "zh")).toBe("9999");
    expect(shortCount(16_384, "zh")).toBe("1.6万");
    expect(shortCount(200_000, "zh")).toBe("20万");
    expect(shortCount(16_384, "en")).toBe("16k");
  });
});
