import { MercatorCoordinate } from "maplibre-gl";
import { describe, expect, it } from "vitest";
import { edgesOf, openingCamera, viewAround } from "./mapview";

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

describe("the first view, known before the map exists", () => {
  it("opens over the country, or around the driver", () => {
    expect(openingCamera(null)).toEqual({ center: [105, 35], zoom: 3.5 });
    expect(openingCamera({ lat: 22.5, lon: 114 })).toEqual({ center: [114, 22.5], zoom: 10 });
  });

  it("has the edges MapLibre's own projection gives a view of that size", () => {
    // The oracle: MapLibre's MercatorCoordinate, on a world 512 px wide at zoom 0.
    for (const [camera, width, height] of [
      [openingCamera(null), 1280, 800],
      [openingCamera({ lat: 22.543, lon: 114.058 }), 390, 700],
      [{ center: [-70.5, -33.4] as [number, number], zoom: 6.25 }, 1024, 1024],
    ] as const) {
      const world = 512 * 2 ** camera.zoom;
      const c = MercatorCoordinate.fromLngLat({ lng: camera.center[0], lat: camera.center[1] });
      const at = (dx: number, dy: number) => new MercatorCoordinate(c.x + dx / world, c.y + dy / world, 0).toLngLat();
      const [nw, se] = [at(-width / 2, -height / 2), at(width / 2, height / 2)];
      const e = edgesOf(camera, width, height);
      expect(e.west).toBeCloseTo(nw.lng, 9);
      expect(e.north).toBeCloseTo(nw.lat, 9);
      expect(e.east).toBeCloseTo(se.lng, 9);
      expect(e.south).toBeCloseTo(se.lat, 9);
    }
  });

  it("is the whole world at zoom 0 on a 512 px square", () => {
    const e = edgesOf({ center: [0, 0], zoom: 0 }, 512, 512);
    expect(e.west).toBeCloseTo(-180, 9);
    expect(e.east).toBeCloseTo(180, 9);
    expect(e.north).toBeCloseTo(85.05113, 4);
    expect(e.south).toBeCloseTo(-85.05113, 4);
  });
});
