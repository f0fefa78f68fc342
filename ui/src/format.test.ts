import { describe, expect, it } from "vitest";
import { compass, distance, openState, parsePosition } from "./format";
import { KINDS, SERVICES, label, t } from "./i18n";

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

describe("openState", () => {
  it("puts the station's status before its hours, and never calls unknown open", () => {
    expect(openState({ status: "open", open_now: true }, "zh").text).toBe("营业中");
    expect(openState({ status: "open", open_now: false }, "en").tone).toBe("closed");
    expect(openState({ status: "open", open_now: null }, "en").text).toBe("Hours unknown");
    expect(openState({ status: "temporarily_closed", open_now: true }, "zh").text).toBe("暂停服务");
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
    expect(label(KINDS, "warm_bee", "zh")).toBe("暖蜂驿站");
    expect(label(SERVICES, "shower", "en")).toBe("Shower");
    expect(label(SERVICES, "teleport", "en")).toBe("teleport");
    expect(Object.keys(SERVICES)).toHaveLength(23);
  });
});
