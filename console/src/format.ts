// Money is integer minor units (fen) end to end: it is formatted and parsed
// with integer arithmetic only, never through a float.
import { t, lang } from "./i18n";

export function money(fen: number | undefined, currency = "CNY"): string {
  if (fen === undefined || fen === null) return "";
  const neg = fen < 0;
  const abs = Math.abs(fen);
  const s = `${Math.floor(abs / 100).toLocaleString("en")}.${String(abs % 100).padStart(2, "0")}`;
  return `${neg ? "-" : ""}${currency === "CNY" ? "¥" : currency + " "}${s}`;
}

// parseYuan reads "12", "12.3" or "12.34" as fen; null for anything else.
export function parseYuan(s: string): number | null {
  const m = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

export function fenToYuanInput(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
}

export function dateTime(iso?: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString(lang() === "zh-CN" ? "zh-CN" : "en-GB", { hour12: false });
}

// clockOffset is the server's clock minus this browser's: the local stack
// runs a virtual clock that /dev/clock moves by days, and a countdown must
// count against the clock that will fire the deadline.
let clockOffset = 0;
export function setServerNow(iso?: string): void {
  if (iso) clockOffset = new Date(iso).getTime() - Date.now();
}
export function serverNow(): number {
  return Date.now() + clockOffset;
}

// countdown says how long until iso: "2h 05m", or "overdue 3m".
export function countdown(iso?: string): { text: string; cls: string } {
  if (!iso) return { text: "", cls: "" };
  let ms = new Date(iso).getTime() - serverNow();
  const over = ms < 0;
  ms = Math.abs(ms);
  const d = Math.floor(ms / 86400000), hr = Math.floor(ms / 3600000) % 24, mi = Math.floor(ms / 60000) % 60, se = Math.floor(ms / 1000) % 60;
  const parts = d > 0 ? `${d}${t("unit.d")} ${hr}${t("unit.h")}` : hr > 0 ? `${hr}${t("unit.h")} ${String(mi).padStart(2, "0")}${t("unit.m")}` : `${mi}${t("unit.m")} ${String(se).padStart(2, "0")}${t("unit.s")}`;
  if (over) return { text: t("overdue", parts), cls: "overdue" };
  return { text: parts, cls: ms < 3600000 ? "soon" : "" };
}

// toRFC3339 turns a datetime-local value (the browser's time zone) into UTC.
export function toRFC3339(local: string): string {
  if (!local) return "";
  return new Date(local).toISOString().replace(/\.\d{3}Z$/, "Z");
}
