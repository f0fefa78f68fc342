// A picture per service, so a row can be read at a glance; the label is always there for
// screen readers and on hover.
const ICONS: Record<string, string> = {
  parking: "🅿️",
  truck_parking: "🚛",
  rest: "🪑",
  overnight: "🛏️",
  shower: "🚿",
  laundry: "🧺",
  meals: "🍚",
  food_heating: "♨️",
  kitchen: "🍳",
  drinking_water: "🚰",
  toilet: "🚻",
  phone_charging: "🔌",
  ebike_charging: "🛵",
  cooling_heating: "🌡️",
  wifi: "📶",
  first_aid: "⛑️",
  rain_gear: "☂️",
  repair_tools: "🔧",
  vehicle_repair: "🛠️",
  fuel: "⛽",
  store: "🏪",
  reading: "📚",
  security: "🛡️",
};

export function icon(service: string): string {
  return ICONS[service] ?? "•";
}
