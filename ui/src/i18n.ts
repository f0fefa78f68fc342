// Chinese first, English switchable. Station kinds and services use the catalog's stable ids.

export type Lang = "zh" | "en";

const words = {
  title: ["歇脚", "Waystation"],
  position: ["位置（纬度,经度）", "Position (lat,lon)"],
  find: ["查找", "Find"],
  openNow: ["现在营业", "Open now"],
  open: ["营业中", "Open"],
  closed: ["已打烊", "Closed"],
  unknown: ["时间未知", "Hours unknown"],
  temporarily_closed: ["暂停服务", "Temporarily closed"],
  permanently_closed: ["已关闭", "Closed for good"],
  synthetic: ["示例数据", "Synthetic example"],
  syntheticNote: ["标有“示例数据”的站点是生成的示例，并非真实站点。", "Stations marked “Synthetic example” are generated, not real."],
  none: ["没有找到符合条件的站点。", "No station matches."],
  badPosition: ["请输入纬度,经度，例如 22.54,114.06", "Enter latitude,longitude, e.g. 22.54,114.06"],
  offline: ["无法连接目录服务器。", "Cannot reach the catalog server."],
  found: ["找到 {n} 个站点", "{n} stations"],
  navigate: ["导航", "Navigate"],
  close: ["关闭", "Close"],
  hours: ["营业时间", "Hours"],
  phone: ["电话", "Phone"],
  services: ["服务", "Services"],
  truckSpaces: ["货车位", "Truck spaces"],
} as const;

export type Word = keyof typeof words;

export function t(word: Word, lang: Lang, vars: Record<string, string | number> = {}): string {
  const text: string = words[word][lang === "zh" ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ""));
}

export const KINDS: Record<string, [string, string]> = {
  driver_home: ["司机之家", "Truck-driver home"],
  warm_bee: ["暖蜂驿站", "Warm Bee courier station"],
  caring_merchant: ["爱心商户", "Caring merchant"],
  worker_station: ["户外劳动者服务站", "Outdoor-worker station"],
};

export const SERVICES: Record<string, [string, string]> = {
  parking: ["停车", "Parking"],
  truck_parking: ["货车停车位", "Truck parking"],
  rest: ["休息", "Rest"],
  overnight: ["过夜住宿", "Overnight stay"],
  shower: ["淋浴", "Shower"],
  laundry: ["洗衣", "Laundry"],
  meals: ["平价餐", "Meals"],
  food_heating: ["饭菜加热", "Food heating"],
  kitchen: ["共享厨房", "Shared kitchen"],
  drinking_water: ["饮水/热水", "Drinking water"],
  toilet: ["如厕", "Toilet"],
  phone_charging: ["手机充电", "Phone charging"],
  ebike_charging: ["电动车充电/换电", "E-bike charging"],
  cooling_heating: ["纳凉取暖", "Cooling & heating"],
  wifi: ["无线网络", "Wi-Fi"],
  first_aid: ["应急药箱/AED", "First aid / AED"],
  rain_gear: ["雨具", "Rain gear"],
  repair_tools: ["常用工具/打气", "Tools & air pump"],
  vehicle_repair: ["车辆维修", "Vehicle repair"],
  fuel: ["加油", "Fuel"],
  store: ["便利店", "Convenience store"],
  reading: ["读书阅览", "Reading"],
  security: ["车货安保", "Vehicle & cargo security"],
};

export const APPS: Record<string, [string, string]> = {
  amap: ["高德地图", "Amap"],
  baidu: ["百度地图", "Baidu Maps"],
  tencent: ["腾讯地图", "Tencent Maps"],
  apple: ["Apple 地图", "Apple Maps"],
  google: ["Google 地图", "Google Maps"],
  geo: ["系统地图", "System map"],
};

/** A label from one of the tables above; unknown ids are shown as they are. */
export function label(table: Record<string, [string, string]>, id: string, lang: Lang): string {
  const pair = table[id];
  return pair ? pair[lang === "zh" ? 0 : 1] : id;
}
