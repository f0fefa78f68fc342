// How numbers and states read to a driver.
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
}

/** Open / closed / unknown, with the station's status first. */
export function openState(s: StationState, lang: Lang): { text: string; tone: "open" | "closed" | "unknown" } {
  if (s.status === "temporarily_closed") return { text: t("temporarily_closed", lang), tone: "closed" };
  if (s.status === "closed") return { text: t("permanently_closed", lang), tone: "closed" };
  if (s.open_now === true) return { text: t("open", lang), tone: "open" };
  if (s.open_now === false) return { text: t("closed", lang), tone: "closed" };
  return { text: t("unknown", lang), tone: "unknown" };
}

/** Parses "lat,lon"; null when it is not a valid position. */
export function parsePosition(text: string): { lat: number; lon: number } | null {
  const parts = text.split(/[,，\s]+/).filter((p) => p.length > 0);
  if (parts.length !== 2) return null;
  const [lat, lon] = parts.map(Number);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon };
}
