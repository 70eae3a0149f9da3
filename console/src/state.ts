// What screens share: the queue last shown (j/k on a case page walk it),
// the preset reasons and the rule set's admin threshold (fetched once).
import { call, Page, Reason } from "./api";
import { lang } from "./i18n";

export const shared = { queue: [] as string[], queueHash: "#/queue" };

let reasons: Promise<Reason[]> | null = null;
export function loadReasons(): Promise<Reason[]> {
  reasons ??= call<Page<Reason>>("GET", "/v1/reasons").then((p) => p.items).catch(() => { reasons = null; return []; });
  return reasons;
}

export function reasonLabel(all: Reason[], code: string): string {
  const r = all.find((x) => x.code === code);
  if (!r) return code;
  return lang() === "zh-CN" ? r.label_zh : r.label_en;
}

// adminAbove is the rule set's admin_approval_above: approving more needs
// an admin, so a reviewer is not offered the button.
export async function adminAbove(): Promise<number | null> {
  try {
    const rs = await call<{ admin_approval_above: number }>("GET", "/v1/staff/ruleset");
    return rs.admin_approval_above;
  } catch {
    return null;
  }
}

export const STATUSES = ["submitted", "pending_review", "awaiting_evidence", "awaiting_return", "return_in_transit", "awaiting_receipt",
  "refunding", "reshipping", "rejected", "disputed", "escalated", "completed", "closed", "cancelled", "intercepting"];
export const TYPES = ["refund_only", "return_refund", "exchange", "claim", "goodwill"];
export const KINDS = ["physical", "virtual", "produce", "appliance", "cross_border", "presale"];
