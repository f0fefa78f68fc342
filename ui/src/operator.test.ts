import { describe, expect, it } from "vitest";
import { straightLine } from "./along";
import { patchOf } from "./operator";
import type { Station } from "./transport";

describe("patchOf", () => {
  it("sends only what the operator changed", () => {
    const before = { opening_hours: "24/7", services: ["shower"], status: "open", notice: null, phone: null, free_truck_spaces: 3 } as unknown as Station;
    expect(patchOf(before, { opening_hours: "24/7", services: ["shower"], status: "open", notice: null, phone: null, free_truck_spaces: 3 })).toEqual({});
    expect(patchOf(before, { services: ["shower", "toilet"], free_truck_spaces: 0, notice: "热水" })).toEqual({
      services: ["shower", "toilet"],
      free_truck_spaces: 0,
      notice: "热水",
    });
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
