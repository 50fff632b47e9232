// Display formats shared by every screen: times and durations. The exact value the domain sent
// goes into the element's tooltip (`title`) next to these.

/**
 * An RFC 3339 time as "2026-11-30 09:20:42 UTC" (to the second, in UTC). Any fraction (also
 * nanoseconds, which some engines refuse to parse) is dropped; an unparsable value is returned
 * as sent.
 */
export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  // At most milliseconds: "…09.604453436Z" → "…09.604Z".
  const normalised = iso.replace(/(\.\d{3})\d+/, "$1");
  const d = new Date(normalised);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * Whole seconds as days: 7776000 → "90 days", 86400 → "1 day", 7776001 → "90 d 1 s",
 * 90061 → "1 d 1 h 1 min 1 s", 3600 → "1 h".
 */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (rest === 0 && m === 0 && h === 0 && d > 0) return `${d} day${d === 1 ? "" : "s"}`;
  const parts = [d && `${d} d`, h && `${h} h`, m && `${m} min`, rest && `${rest} s`].filter(Boolean);
  return parts.length ? parts.join(" ") : "0 s";
}

/** The exact seconds, for a tooltip: "7776001 seconds". */
export function exactSeconds(seconds: number): string {
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}
