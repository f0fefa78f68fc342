import { describe, expect, it } from "vitest";
import { measuredKmh } from "./location";
import { typedSpeed } from "./travel";

const vehicles = [{ id: "truck" }, { id: "car" }, { id: "ebike" }];

describe("speeds", () => {
  it("keeps a vehicle, rounds a typed km/h and refuses what the catalog would", () => {
    expect(typedSpeed("car", vehicles)).toBe("car");
    expect(typedSpeed(" 57.6 ", vehicles)).toBe("58");
    for (const bad of ["", "0", "201", "fast", "NaN", "-30"]) expect(typedSpeed(bad, vehicles)).toBeNull();
  });

  it("takes the device's speed only while moving", () => {
    expect(measuredKmh(20)).toBe(72);
    expect(measuredKmh(1)).toBeNull();
    expect(measuredKmh(null)).toBeNull();
    expect(measuredKmh(undefined)).toBeNull();
    expect(measuredKmh(100)).toBe(200);
  });
});
