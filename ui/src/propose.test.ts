import { describe, expect, it } from "vitest";
import { proposalFrom } from "./propose";
import type { Station } from "./transport";

const base: Station = {
  id: "dh1",
  kind: "driver_home",
  name: "南山物流园司机之家",
  address: "南山区",
  adcode: "440305",
  lat: 22.53,
  lon: 113.93,
  services: ["toilet", "shower"],
  opening_hours: "24/7",
  phone: null,
  truck_spaces: null,
  free_truck_spaces: null,
  status: "open",
  notice: null,
  source: "official",
  version: 3,
  updated_at: "2026-11-01T00:00:00Z",
};

const form = {
  kind: "driver_home",
  name: "南山物流园司机之家",
  address: "南山区",
  lat: "22.53",
  lon: "113.93",
  services: ["shower", "toilet"],
  opening_hours: "24/7",
  phone: "",
};

describe("proposalFrom", () => {
  it("sends only what changed about a station", () => {
    expect(proposalFrom(form, base, "", "")).toEqual({ station_id: "dh1", fields: {}, crs: "wgs84", note: undefined, contact: undefined });
    const changed = proposalFrom({ ...form, phone: "0755-1234", services: ["toilet"], opening_hours: "" }, base, " 新电话 ", "");
    expect(changed.fields).toEqual({ phone: "0755-1234", services: ["toilet"], opening_hours: null });
    expect(changed.note).toBe("新电话");
  });

  it("sends a new station whole, its position as numbers", () => {
    const p = proposalFrom({ ...form, name: "新站", phone: "" }, null, "", "wx:driver");
    expect(p.station_id).toBeUndefined();
    expect(p.fields).toEqual({ kind: "driver_home", lat: 22.53, lon: 113.93, name: "新站", address: "南山区", opening_hours: "24/7", services: ["shower", "toilet"] });
    expect(p.contact).toBe("wx:driver");
  });
});
