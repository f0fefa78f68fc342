import { describe, expect, it } from "vitest";
import { viewAround } from "./mapview";

describe("the view the map asks for", () => {
  it("adds half the view on every side", () => {
    const v = viewAround({ south: 22, west: 113, north: 23, east: 115 }, 9.4, "gcj02");
    expect(v).toEqual({ south: 21.5, west: 112, north: 23.5, east: 116, zoom: 9.4, crs: "gcj02" });
  });

  it("stays on the world square however far the map is zoomed out or panned round", () => {
    const v = viewAround({ south: -80, west: -300, north: 84, east: 400 }, -1, "wgs84");
    expect(v).toEqual({ south: -85.0511, west: -180, north: 85.0511, east: 180, zoom: 0, crs: "wgs84" });
  });
});
