import type { FeatureCollection } from "geojson";
import { describe, expect, it } from "vitest";
import { CLUSTERS, STATIONS, withStations } from "./maplayers";
import { style } from "./mapstyle";
import type { MapView } from "./transport";

const VIEW: MapView = {
  level: 3,
  in_view: 12,
  clusters: { lat: [30.5], lon: [114.3], count: [11], expand: [6] },
  stations: { kind_ids: ["warm_bee"], ids: ["cn-1"], kinds: [0], lat: [22.5], lon: [114.1] },
  places: { names: [], lat: [], lon: [], rank: [] },
};

describe("the stations drawn over the style", () => {
  it("are in the style the map starts from, over its background, with the first view's points", () => {
    const spec = withStations(style(null, "light"), VIEW);
    expect(spec.layers.map((l) => l.id)).toEqual(["background", CLUSTERS, STATIONS, "me"]);
    const data = (spec.sources[STATIONS] as { data: FeatureCollection }).data;
    expect(data.features.map((f) => f.properties)).toEqual([{ count: 11, expand: 6 }, { id: "cn-1", kind: "warm_bee" }]);
    expect(data.features[1].geometry).toEqual({ type: "Point", coordinates: [114.1, 22.5] });
  });

  it("start empty when the first view is not known yet", () => {
    const spec = withStations(style(null, "dark"), null);
    expect((spec.sources[STATIONS] as { data: FeatureCollection }).data.features).toEqual([]);
    expect((spec.sources.me as { data: FeatureCollection }).data.features).toEqual([]);
  });
});
