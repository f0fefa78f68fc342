// How numbers, times and states read to a driver.
import { type Lang, t } from "./i18n";

/** "850 m", "1.2 km", "35 km". */
export function distance(m: number): string {
  if (m < 1000) return `${Math.round(m)} m`;
  if (m < 10_000) return `${(m / 1000).toFixed(1)} km`;
  return `${Math.round(m / 1000)} km`;
}

const COMPASS: Record<Lang, string[]> = {
  zh: ["北", "东北", "东", "东南", "南", "西南", "西", "西北"],
  en: ["N", "NE", "E", "SE", "S", "SW", "W", "NW"],
};

/** The 8-point compass direction of a bearing in degrees. */
export function compass(bearing: number, lang: Lang): string {
  const sector = Math.floor((((bearing % 360) + 360) % 360 + 22.5) / 45) % 8;
  return COMPASS[lang][sector];
}

export interface StationState {
  status: string;
  open_now: boolean | null;
  changes_at?: string | null;
}

/** China local wall-clock time now, as "YYYY-MM-DDTHH:MM:SS" (the catalog's hours are in China time). */
export function chinaNow(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 19);
}

/** "20:00", "明天 08:00", "周一 08:00" for a China-local time relative to China-local `now`. */
export function when(changesAt: string, now: string, lang: Lang): string {
  const hm = changesAt.slice(11, 16);
  const day = (s: string) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 86_400_000;
  const days = day(changesAt) - day(now);
  if (days <= 0) return hm;
  if (days === 1) return `${t("tomorrow", lang)} ${hm}`;
  const weekday = new Date(day(changesAt) * 86_400_000).getUTCDay();
  const names = lang === "zh" ? ["周日", "周一", "周二", "周三", "周四", "周五", "周六"] : ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  return `${names[weekday]} ${hm}`;
}

/** Open / closed / unknown with when that changes; the station's status (labelled by the
 * catalog's vocabulary) comes first. */
export function openState(
  s: StationState,
  lang: Lang,
  statusLabel: (id: string, lang: Lang) => string,
  now: string = chinaNow(),
): { text: string; tone: "open" | "closed" | "unknown" } {
  if (s.status !== "open") return { text: statusLabel(s.status, lang), tone: "closed" };
  const next = s.changes_at ? when(s.changes_at, now, lang) : null;
  if (s.open_now === true) return { text: next ? `${t("open", lang)} · ${t("closesAt", lang, { t: next })}` : t("open", lang), tone: "open" };
  if (s.open_now === false)
    return { text: next ? `${t("closed", lang)} · ${t("opensAt", lang, { t: next })}` : t("closed", lang), tone: "closed" };
  return { text: t("unknown", lang), tone: "unknown" };
}

/** "到达 21:55 · 营业" for a hit with an arrival time: when (China time, relative to `now`) and
 * whether the station will be open then; null for a hit without one. */
export function arrival(
  h: { eta?: string; open_at_arrival?: boolean | null },
  lang: Lang,
  now: string = chinaNow(),
): { text: string; tone: "open" | "closed" | "unknown" } | null {
  if (!h.eta) return null;
  // The eta is China time with its offset; its first 19 characters are the wall clock there.
  const at = t("arrives", lang, { t: when(h.eta.slice(0, 19), now, lang) });
  if (h.open_at_arrival === true) return { text: `${at} · ${t("openThen", lang)}`, tone: "open" };
  if (h.open_at_arrival === false) return { text: `${at} · ${t("closedThen", lang)}`, tone: "closed" };
  return { text: `${at} · ${t("unknown", lang)}`, tone: "unknown" };
}

/** "3 天前" from an RFC 3339 time. */
export function freshness(updatedAt: string, lang: Lang, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(updatedAt)) / 60_000));
  if (!Number.isFinite(minutes)) return updatedAt;
  if (minutes < 2) return t("justNow", lang);
  if (minutes < 60) return t("minutesAgo", lang, { n: minutes });
  if (minutes < 48 * 60) return t("hoursAgo", lang, { n: Math.floor(minutes / 60) });
  return t("daysAgo", lang, { n: Math.floor(minutes / 1440) });
}

/** "14 MB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Parses "lat,lon"; null when it is not a valid position. */
export function parsePosition(text: string): { lat: number; lon: number } | null {
  const parts = text.split(/[,，\s]+/).filter((p) => p.length > 0);
  if (parts.length !== 2) return null;
  const [lat, lon] = parts.map(Number);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon };
}

/** A count short enough for a map circle: up to 9999 in full, then 1.2万 (Chinese) or 12k (English). */
export function shortCount(n: number, lang: Lang): string {
  if (n < 10_000) return String(n);
  if (lang === "zh") return `${(n / 10_000).toFixed(n < 100_000 ? 1 : 0)}万`;
  return `${Math.round(n / 1000)}k`;
}
