import { describe, expect, it } from "vitest";
import { diffRows, metresBetween, sketchLayout } from "./console";
import type { Station } from "./transport";

describe("the console's helpers", () => {
  it("measures the distance to a likely duplicate on the great circle", () => {
    // 0.001° of latitude is about 111 m anywhere.
    expect(metresBetween({ lat: 22.5, lon: 114 }, { lat: 22.501, lon: 114 })).toBeCloseTo(111.2, 0);
    expect(metresBetween({ lat: 22.5, lon: 114 }, { lat: 22.5, lon: 114 })).toBe(0);
  });

  it("shows a change field by field: what is there now and what is proposed", () => {
    const current = { name: "南山司机之家", phone: null, services: ["toilet"] } as unknown as Station;
    expect(diffRows(current, { phone: "0755-1", services: ["toilet", "shower"] })).toEqual([
      ["phone", "—", "0755-1"],
      ["services", "toilet", "toilet, shower"],
    ]);
  });

  it("sketches the two positions centred, north up, with the stations around that fit", () => {
    const proposed = { lat: 22.5, lon: 114 };
    const other = { lat: 22.501, lon: 114 }; // 111 m north
    const layout = sketchLayout(proposed, other, [
      { lat: 22.5005, lon: 114 }, // between them
      { lat: 22.51, lon: 114 }, // 1.1 km north: outside
    ]);
    expect(layout.proposed).toEqual({ x: 120, y: 110 });
    expect(layout.other.x).toBeCloseTo(120);
    expect(layout.other.y).toBeCloseTo(30);
    expect(layout.around).toHaveLength(1);
    expect(layout.around[0].y).toBeCloseTo(70);
    expect(layout.metres).toBeCloseTo(111.2, 0);
  });
});
