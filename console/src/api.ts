// The API client: every call carries the signed-in staff member's token;
// errors come back as RFC 9457 problems, whose errors[] name the fields.
import { session, signOut } from "./auth";

export interface FieldError { field: string; message: string }
export interface Problem { type?: string; title: string; status: number; detail?: string; errors?: FieldError[]; errors_omitted?: number }

export class ApiError extends Error {
  constructor(public problem: Problem) { super(problem.detail || problem.title); }
}

// apiBase is where the API answers: "" (the console's own origin) locally,
// or the HTTP API's URL from config.json in the cloud.
let apiBase = "";
export function setApiBase(base: string | undefined): void { apiBase = (base ?? "").replace(/\/$/, ""); }

export async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await send(method, path, body, headers);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

// send answers the response of a request that succeeded (2xx); anything
// else is thrown as an ApiError with its problem.
export async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const s = session();
  const h: Record<string, string> = { Accept: "application/json, application/problem+json", ...headers };
  if (s) h.Authorization = `Bearer ${s.token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(apiBase + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  } catch (e) {
    throw new ApiError({ title: "Network error", status: 0, detail: String(e) });
  }
  if (res.ok) return res;
  let p: Problem;
  try {
    p = (await res.json()) as Problem;
  } catch {
    p = { title: res.statusText || "Error", status: res.status };
  }
  if (res.status === 401) signOut();
  throw new ApiError(p);
}

// query builds ?a=b&c=d from the non-empty values.
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? "?" + s : "";
}

export interface Page<T> { items: T[]; next_cursor?: string }

export interface CaseLine { line_id: string; sku: string; name?: string; kind: string; category?: string; quantity: number; amount: number }
export interface Evidence { id: string; content_type: string; size: number; status: string; checks?: string[]; reused_from?: string; view_url?: string; thumbnail_url?: string; view_expires_at?: string }
export interface Proposal { id: string; by: string; amount: number; note?: string; at: string; status: string }
export interface Dispute { kind: string; reason: string; description: string; evidence_ids: string[]; opened_at: string; answered_at?: string; proposals: Proposal[]; outcome?: string }
export interface Case {
  id: string; order_id: string; buyer_id: string; type: string; reason: string; description: string; lines: CaseLine[];
  requested_amount: number; approved_amount: number; refunded_amount: number; currency: string; refund_to: string;
  status: string; version: number; evidence: Evidence[];
  decision: { outcome: string; by: string; rule_id?: string; ruleset_version?: number; reason?: string } | null;
  next: { actor: string; action: string; deadline?: string; default_at?: string } | null;
  timeline?: { seq: number; at: string; actor: string; action: string; from: string; to: string; note: string }[];
  return?: { courier: string; tracking_number: string; at: string }; return_condition?: string;
  replacement?: { courier: string; tracking_number: string; at: string }; dispute?: Dispute;
  charges?: Charges;
  created_at: string; updated_at: string;
}
/** What a return costs whom (F29, F24), fixed when the case was opened; the postage once the buyer states it. */
export interface Charges {
  return_shipping_paid_by: string; return_postage_cap?: number; free_return_shipping: boolean;
  restocking_fee: number; restocking_note?: string; restocking_deducted: number;
  postage_paid?: number; postage_reimbursed?: number;
}
export interface Refund {
  id: string; out_refund_no: string; case_id: string; order_id: string; buyer_id: string; buyer_phone?: string; amount: number; currency: string;
  channel: string; destination: string; status: string; provider_refund_id?: string; approved_by?: string; paid_by?: string;
  created_at: string; arrived_at?: string; sandbox: boolean;
}
export interface Job { id: string; status: string; decision: string; total: number; succeeded: number; failed: number; failures: { case_id: string; error: string }[] }
export interface Reason { code: string; type: string; label_zh: string; label_en: string; evidence_required: boolean }
export interface Message { id: string; seq: number; author: string; party: string; text: string; evidence_ids: string[]; at: string; files?: { id: string; view_url: string }[] }
export interface Notification { id: string; case_id?: string; kind: string; title: string; body: string; created_at: string; read_at?: string }
