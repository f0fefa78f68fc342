// Generated from the Rust types by crates/catalog/tests/typescript.rs; do not edit.
// UPDATE_TYPES=1 cargo test -p waystation-catalog --test typescript rewrites it.

export type Kind = "driver_home" | "warm_bee" | "caring_merchant" | "worker_station";

export type Service = "parking" | "truck_parking" | "rest" | "overnight" | "shower" | "laundry" | "meals" | "food_heating" | "kitchen" | "drinking_water" | "toilet" | "phone_charging" | "ebike_charging" | "cooling_heating" | "wifi" | "first_aid" | "rain_gear" | "repair_tools" | "vehicle_repair" | "fuel" | "store" | "reading" | "security";

export type Status = "open" | "temporarily_closed" | "closed";

export type Source = "official" | "operator" | "synthetic" | "proposal";

export type Problem = "closed" | "wrong_place" | "service_missing";

export type App = "amap" | "baidu" | "tencent" | "apple" | "google" | "geo";

export type LatLon = { lat: number, lon: number, };

export type Station = { id: string, kind: Kind, name: string, address: string, 
/**
 * The 6-digit county-level administrative code.
 */
adcode: string, services: Array<Service>, 
/**
 * OpenStreetMap opening_hours syntax, evaluated in China time. None means unknown.
 */
opening_hours: string | null, phone: string | null, 
/**
 * Truck parking capacity, where known.
 */
truck_spaces: number | null, 
/**
 * Free truck spaces now, as the operator last reported.
 */
free_truck_spaces: number | null, status: Status, notice: string | null, source: Source, version: number, 
/**
 * RFC 3339, UTC.
 */
updated_at: string, lat: number, lon: number, };

export type Hit = { 
/**
 * Great-circle metres from the query point, to a tenth (null without one, e.g. a plain
 * text search).
 */
distance_m: number | null, 
/**
 * Initial bearing from the query point, degrees clockwise from north (0 to 359.9), to a
 * tenth.
 */
bearing_deg: number | null, 
/**
 * At the query's time: true, false, or null when the hours are unknown.
 */
open_now: boolean | null, 
/**
 * China local time ("2026-11-28T20:00:00") when `open_now` next flips, when the hours
 * tell within a week.
 */
changes_at: string | null, 
/**
 * Route queries: metres along the route to the closest approach, to a tenth.
 */
along_m?: number, 
/**
 * Route queries: metres from the route, to a tenth.
 */
offset_m?: number, 
/**
 * With a speed (route queries always; nearby ones when a speed is given): when the
 * station is reached, China time (RFC 3339, +08:00). Along a route: driving to the
 * route's closest point, then across; nearby: as the crow flies.
 */
eta?: string, 
/**
 * With `eta`: whether the station will be open then — true, false, or null when its
 * hours are unknown.
 */
open_at_arrival?: boolean | null, 
/**
 * What drivers said about each fact anyone spoke to: when last confirmed, confirmations
 * and denials in the last 30 days (left out when nobody did).
 */
facts?: Array<FactTally>, id: string, kind: Kind, name: string, address: string, 
/**
 * The 6-digit county-level administrative code.
 */
adcode: string, services: Array<Service>, 
/**
 * OpenStreetMap opening_hours syntax, evaluated in China time. None means unknown.
 */
opening_hours: string | null, phone: string | null, 
/**
 * Truck parking capacity, where known.
 */
truck_spaces: number | null, 
/**
 * Free truck spaces now, as the operator last reported.
 */
free_truck_spaces: number | null, status: Status, notice: string | null, source: Source, version: number, 
/**
 * RFC 3339, UTC.
 */
updated_at: string, lat: number, lon: number, };

export type NavLink = { app: App, url: string, ios: string | null, web: string | null, };

export type Detail = { links: Array<NavLink>, 
/**
 * Great-circle metres from the query point, to a tenth (null without one, e.g. a plain
 * text search).
 */
distance_m: number | null, 
/**
 * Initial bearing from the query point, degrees clockwise from north (0 to 359.9), to a
 * tenth.
 */
bearing_deg: number | null, 
/**
 * At the query's time: true, false, or null when the hours are unknown.
 */
open_now: boolean | null, 
/**
 * China local time ("2026-11-28T20:00:00") when `open_now` next flips, when the hours
 * tell within a week.
 */
changes_at: string | null, 
/**
 * Route queries: metres along the route to the closest approach, to a tenth.
 */
along_m?: number, 
/**
 * Route queries: metres from the route, to a tenth.
 */
offset_m?: number, 
/**
 * With a speed (route queries always; nearby ones when a speed is given): when the
 * station is reached, China time (RFC 3339, +08:00). Along a route: driving to the
 * route's closest point, then across; nearby: as the crow flies.
 */
eta?: string, 
/**
 * With `eta`: whether the station will be open then — true, false, or null when its
 * hours are unknown.
 */
open_at_arrival?: boolean | null, 
/**
 * What drivers said about each fact anyone spoke to: when last confirmed, confirmations
 * and denials in the last 30 days (left out when nobody did).
 */
facts?: Array<FactTally>, id: string, kind: Kind, name: string, address: string, 
/**
 * The 6-digit county-level administrative code.
 */
adcode: string, services: Array<Service>, 
/**
 * OpenStreetMap opening_hours syntax, evaluated in China time. None means unknown.
 */
opening_hours: string | null, phone: string | null, 
/**
 * Truck parking capacity, where known.
 */
truck_spaces: number | null, 
/**
 * Free truck spaces now, as the operator last reported.
 */
free_truck_spaces: number | null, status: Status, notice: string | null, source: Source, version: number, 
/**
 * RFC 3339, UTC.
 */
updated_at: string, lat: number, lon: number, };

export type MapView = { 
/**
 * The level of the map's grid the clusters are of (the zoom, rounded; at most 13); 14 when
 * the view is zoomed past the clusters and every station stands alone (when it holds no more
 * than `MAX_VIEW_STATIONS`).
 */
level: number, 
/**
 * How many stations the view's cells hold, in clusters or alone.
 */
in_view: number, clusters: MapClusters, 
/**
 * The stations drawn alone.
 */
stations: MapPoints, places: MapPlaces, };

export type MapClusters = { lat: Array<number>, lon: Array<number>, count: Array<number>, expand: Array<number>, };

export type MapPlaces = { names: Array<string>, lat: Array<number>, lon: Array<number>, rank: Array<number>, };

export type MapPoints = { kind_ids: Array<string>, ids: Array<string>, kinds: Array<number>, lat: Array<number>, lon: Array<number>, };

export type PlaceHit = { adcode: string, name: string, 
/**
 * "广东省深圳市南山区".
 */
full_name: string, lat: number, lon: number, };

export type Term = { id: string, zh: string, en: string, };

export type VehicleTerm = { id: string, zh: string, en: string, speed_kmh: number, };

export type ProposalState = "pending" | "approved" | "rejected";

export type Proposal = { 
/**
 * The station to change; absent for a new station.
 */
station_id?: string, 
/**
 * The station's fields as in an import row (kind, name, address, lat, lon, services,
 * opening_hours, phone, …); for a change, only the changed ones. A new station needs
 * kind, name, lat and lon; its adcode is the nearest county's unless given.
 */
fields: Record<string, unknown>, 
/**
 * The datum of `lat`/`lon`: wgs84 (GPS, default), gcj02 (Amap, Tencent) or bd09 (Baidu).
 */
crs?: string, 
/**
 * Anything the reviewer should know (at most 500 characters).
 */
note?: string, 
/**
 * How the reviewer may reach the proposer (a phone or WeChat id; at most 100 characters);
 * only admins see it.
 */
contact?: string, 
/**
 * A random id of the proposing device, for the per-device limit.
 */
device?: string, };

export type KeptProposal = { id: number, state: ProposalState, 
/**
 * The station it changes; for a new station, the one created once approved.
 */
station_id: string | null, 
/**
 * Whether it proposes a new station (false: a change to `station_id`).
 */
new_station: boolean, 
/**
 * The proposed fields, WGS-84.
 */
fields: Record<string, unknown>, note: string | null, contact: string | null, 
/**
 * The account that proposed it, when logged in.
 */
proposer: string | null, 
/**
 * A station this may duplicate: the same kind within 150 m, or a similar name within 1 km.
 */
duplicate_of: string | null, 
/**
 * Why it was rejected.
 */
reason: string | null, created_at: string, decided_at: string | null, decided_by: string | null, };

export type ProposalStatus = { id: number, state: ProposalState, station_id: string | null, reason: string | null, created_at: string, decided_at: string | null, };

export type Confirmation = { station_id: string, 
/**
 * `open`, or a service id (shower, toilet, …).
 */
fact: string, 
/**
 * True: it holds (it is open, the service is there); false: it does not.
 */
holds: boolean, 
/**
 * A random id of the confirming device: one confirmation a device, a fact and a day.
 */
device?: string, };

export type FactTally = { 
/**
 * Left out in the change feed, whose entry names the station once for all its facts.
 */
station_id?: string | undefined, fact: string, 
/**
 * When someone last said it holds (RFC 3339), ever.
 */
last_confirmed: string | null, 
/**
 * Confirmations and denials in the last 30 days.
 */
confirmed: number, denied: number, };

export type Vehicle = "truck" | "car" | "ebike";

export type Vocabulary = { kinds: Array<Term>, services: Array<Term>, statuses: Array<Term>, problems: Array<Term>, apps: Array<Term>, 
/**
 * How drivers travel, with the speed arrival times assume for each.
 */
vehicles: Array<VehicleTerm>, 
/**
 * The fields an operator may change (the server enforces exactly these).
 */
operator_fields: Array<string>, };

export type Report = { station_id: string, problem: Problem, service?: Service, note?: string, };

export type NearRequest = { 
/**
 * Latitude in decimal degrees.
 */
lat?: number, 
/**
 * Longitude in decimal degrees.
 */
lon?: number, 
/**
 * The datum of lat/lon: wgs84 (GPS, default), gcj02 (Amap, Tencent), bd09 (Baidu).
 */
crs?: string, 
/**
 * How many results (default 10, at most 1000).
 */
k?: number, 
/**
 * Only stations within this distance: km, or with a unit (500m, 2km).
 */
within?: string | number, 
/**
 * Direction of travel in degrees, 0–360 (north 0, east 90): only stations ahead.
 */
heading?: number, 
/**
 * Half-width of the "ahead" cone in degrees, 0–180 (default 45).
 */
cone?: number, 
/**
 * Speed for arrival times (none unless given): km/h (1–200) or a vehicle — truck (60), car (80), ebike (20).
 */
speed?: string | number, 
/**
 * Departure time for arrival times, RFC 3339 (China time without an offset); default now.
 */
depart?: string, 
/**
 * Only stations known to be open on arrival (unknown hours do not count).
 */
open_on_arrival?: boolean, 
/**
 * Kinds, any of, comma-separated (driver_home, warm_bee, caring_merchant, worker_station).
 */
kind?: string, 
/**
 * Services, all of, comma-separated (e.g. shower,toilet).
 */
service?: string, 
/**
 * Statuses, any of, comma-separated (open, temporarily_closed, closed).
 */
status?: string, 
/**
 * Only stations known to be open now (unknown hours do not count).
 */
open_now?: boolean, 
/**
 * Only stations open at this RFC 3339 time; open states are given for this time.
 */
open_at?: string, 
/**
 * Only stations whose asked-for facts drivers confirmed in the last 90 days and do
 * not dispute: each required service, and being open with open_now; with neither,
 * any fact.
 */
confirmed?: boolean, };

export type WithinRequest = { 
/**
 * Latitude in decimal degrees.
 */
lat?: number, 
/**
 * Longitude in decimal degrees.
 */
lon?: number, 
/**
 * The datum of lat/lon: wgs84 (default), gcj02, bd09.
 */
crs?: string, 
/**
 * The radius: km, or with a unit (500m, 2km); at most 500 km.
 */
radius?: string | number, 
/**
 * Kinds, any of, comma-separated (driver_home, warm_bee, caring_merchant, worker_station).
 */
kind?: string, 
/**
 * Services, all of, comma-separated (e.g. shower,toilet).
 */
service?: string, 
/**
 * Statuses, any of, comma-separated (open, temporarily_closed, closed).
 */
status?: string, 
/**
 * Only stations known to be open now (unknown hours do not count).
 */
open_now?: boolean, 
/**
 * Only stations open at this RFC 3339 time; open states are given for this time.
 */
open_at?: string, 
/**
 * Only stations whose asked-for facts drivers confirmed in the last 90 days and do
 * not dispute: each required service, and being open with open_now; with neither,
 * any fact.
 */
confirmed?: boolean, };

export type BoxRequest = { south?: number, west?: number, north?: number, east?: number, 
/**
 * At most this many, nearest the box's centre first (default 500, at most 5000).
 */
limit?: number, 
/**
 * Kinds, any of, comma-separated (driver_home, warm_bee, caring_merchant, worker_station).
 */
kind?: string, 
/**
 * Services, all of, comma-separated (e.g. shower,toilet).
 */
service?: string, 
/**
 * Statuses, any of, comma-separated (open, temporarily_closed, closed).
 */
status?: string, 
/**
 * Only stations known to be open now (unknown hours do not count).
 */
open_now?: boolean, 
/**
 * Only stations open at this RFC 3339 time; open states are given for this time.
 */
open_at?: string, 
/**
 * Only stations whose asked-for facts drivers confirmed in the last 90 days and do
 * not dispute: each required service, and being open with open_now; with neither,
 * any fact.
 */
confirmed?: boolean, };

export type SearchRequest = { 
/**
 * The words to find (all must match), e.g. 南山 司机之家.
 */
q?: string, 
/**
 * Latitude: order by distance from here.
 */
lat?: number, 
/**
 * Longitude: order by distance from here.
 */
lon?: number, 
/**
 * The datum of lat/lon: wgs84 (default), gcj02, bd09.
 */
crs?: string, 
/**
 * How many results (default 10, at most 1000).
 */
k?: number, 
/**
 * Kinds, any of, comma-separated (driver_home, warm_bee, caring_merchant, worker_station).
 */
kind?: string, 
/**
 * Services, all of, comma-separated (e.g. shower,toilet).
 */
service?: string, 
/**
 * Statuses, any of, comma-separated (open, temporarily_closed, closed).
 */
status?: string, 
/**
 * Only stations known to be open now (unknown hours do not count).
 */
open_now?: boolean, 
/**
 * Only stations open at this RFC 3339 time; open states are given for this time.
 */
open_at?: string, 
/**
 * Only stations whose asked-for facts drivers confirmed in the last 90 days and do
 * not dispute: each required service, and being open with open_now; with neither,
 * any fact.
 */
confirmed?: boolean, };

export type AlongRequest = { 
/**
 * How far from the route: km, or with a unit (500m, 2km); default 2 km, at most 50 km.
 */
within?: string | number, 
/**
 * Speed for arrival times: km/h (1–200) or a vehicle — truck (60, the default), car (80), ebike (20).
 */
speed?: string | number, 
/**
 * Departure time for arrival times, RFC 3339 (China time without an offset); default now.
 */
depart?: string, 
/**
 * Only stations known to be open on arrival (unknown hours do not count).
 */
open_on_arrival?: boolean, 
/**
 * Kinds, any of, comma-separated (driver_home, warm_bee, caring_merchant, worker_station).
 */
kind?: string, 
/**
 * Services, all of, comma-separated (e.g. shower,toilet).
 */
service?: string, 
/**
 * Statuses, any of, comma-separated (open, temporarily_closed, closed).
 */
status?: string, 
/**
 * Only stations known to be open now (unknown hours do not count).
 */
open_now?: boolean, 
/**
 * Only stations open at this RFC 3339 time; open states are given for this time.
 */
open_at?: string, 
/**
 * Only stations whose asked-for facts drivers confirmed in the last 90 days and do
 * not dispute: each required service, and being open with open_now; with neither,
 * any fact.
 */
confirmed?: boolean, };

export type DetailRequest = { 
/**
 * Latitude of where the distance is measured from.
 */
lat?: number, 
/**
 * Longitude of where the distance is measured from.
 */
lon?: number, 
/**
 * The datum of lat/lon: wgs84 (default), gcj02, bd09.
 */
crs?: string, };

export type MapViewRequest = { 
/**
 * The view's southern edge (degrees, in `crs`).
 */
south?: number, 
/**
 * The view's western edge.
 */
west?: number, 
/**
 * The view's northern edge.
 */
north?: number, 
/**
 * The view's eastern edge (not west of `west`: the map does not cross the date line).
 */
east?: number, 
/**
 * The map's zoom, as MapLibre counts it (512-pixel tiles), 0 to 24.
 */
zoom?: number, 
/**
 * The datum of the map's tiles: wgs84 (default) or gcj02 (Amap/Tencent tiles).
 */
crs?: string, };

export type PlacesRequest = { 
/**
 * A name or part of one, e.g. 深圳 or 南山区.
 */
q?: string, 
/**
 * At most this many (default 10, at most 50).
 */
limit?: number, };

export type ConvertRequest = { lat?: number, lon?: number, 
/**
 * wgs84, gcj02 or bd09.
 */
from?: string, 
/**
 * wgs84, gcj02 or bd09.
 */
to?: string, };

export type ChangesRequest = { 
/**
 * The last sequence the client has applied (0 for none).
 */
since?: number, 
/**
 * Page size (default 1000, at most 10000).
 */
limit?: number, 
/**
 * Also the stations' confirmation tallies (`facts` entries); clients that cannot read them
 * leave this out.
 */
facts?: boolean, };

export type ListRequest = { 
/**
 * Only entries about this station.
 */
station?: string, 
/**
 * At most this many (default 100, at most 1000).
 */
limit?: number, 
/**
 * The next page: only entries older than this id (the last id of the previous page).
 */
before?: number, };

/** The stable ids of refused requests' messages. */
export type MessageId = "required" | "not_finite" | "out_of_range" | "unknown_id" | "bad_distance" | "bad_time" | "bad_speed" | "bad_position" | "empty_text" | "bad_box" | "bad_view" | "view_too_large" | "bad_route" | "too_long" | "too_many_words" | "too_many_points" | "route_too_long" | "too_much_work" | "bad_field" | "unknown_field" | "already_decided" | "control_characters" | "reason_needed" | "no_proposal" | "nothing_proposed" | "not_proposable" | "not_editable" | "service_needed" | "bad_input" | "not_found";
