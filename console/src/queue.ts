// The review queue: the staff list with every filter of GET
// /v1/staff/cases, each case's deadline counting down, members' promised
// review times highlighted, and keyboard shortcuts for speed.
import { h, replace, option, toast, add } from "./dom";
import { t, lang } from "./i18n";
import { call, query, Case, Page } from "./api";
import { money, countdown, parseYuan, toRFC3339, fenToYuanInput } from "./format";
import { onKeys, every, go, problemBox, refreshClock } from "./app";
import { shared, loadReasons, reasonLabel, adminAbove, STATUSES, TYPES, KINDS } from "./state";
import { isStaff } from "./auth";

// FILTERS are the queue's query parameters, in the order of the form.
const FILTERS = ["status", "type", "kind", "reason", "from", "to", "min_amount", "max_amount"];

// filterForm is the queue's filter form, also used by batch review;
// read() answers the API's parameters (amounts in fen, times in UTC) or
// null with the bad field marked.
export async function filterForm(params: URLSearchParams, onSubmit: (() => void) | null): Promise<{ form: HTMLFormElement; read: () => Record<string, string> | null }> {
  const reasons = await loadReasons();
  const sel = (name: string, values: string[], label: (v: string) => string) =>
    h("select", { name }, option("", t("any"), params.get(name) ?? ""), values.map((v) => option(v, label(v), params.get(name) ?? "")));
  const local = (iso: string | null) => (iso ? new Date(new Date(iso).getTime() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : "");
  const yuan = (fen: string | null) => (fen ? fenToYuanInput(Number(fen)) : "");
  const fields: Record<string, HTMLInputElement | HTMLSelectElement> = {
    status: sel("status", STATUSES, (v) => t("status." + v)),
    type: sel("type", TYPES, (v) => t("type." + v)),
    kind: sel("kind", KINDS, (v) => t("kind." + v)),
    reason: sel("reason", reasons.map((r) => r.code), (v) => reasonLabel(reasons, v)),
    from: h("input", { name: "from", type: "datetime-local", value: local(params.get("from")) }),
    to: h("input", { name: "to", type: "datetime-local", value: local(params.get("to")) }),
    min_amount: h("input", { name: "min_amount", inputmode: "decimal", size: 8, placeholder: "¥", value: yuan(params.get("min_amount")) }),
    max_amount: h("input", { name: "max_amount", inputmode: "decimal", size: 8, placeholder: "¥", value: yuan(params.get("max_amount")) }),
  };
  const errs: Record<string, HTMLElement> = {};
  const form = h("form", { class: "filters", "data-filters": "", onsubmit: (e: Event) => { e.preventDefault(); onSubmit?.(); } },
    FILTERS.map((k) => {
      errs[k] = h("span", { class: "field-error", "data-error-for": k });
      return h("label", { class: "f field", "data-path": k }, t("filter." + k), fields[k], errs[k]);
    }),
    onSubmit ? h("button", { type: "submit", class: "primary" }, t("filter.apply")) : null);
  const read = () => {
    const out: Record<string, string> = {};
    let ok = true;
    for (const k of FILTERS) {
      const v = fields[k].value.trim();
      replace(errs[k]);
      if (!v) continue;
      if (k === "from" || k === "to") out[k] = toRFC3339(v);
      else if (k === "min_amount" || k === "max_amount") {
        const fen = parseYuan(v);
        if (fen === null) { errs[k].textContent = t("err.amount"); ok = false; } else out[k] = String(fen);
      } else out[k] = v;
    }
    return ok ? out : null;
  };
  return { form, read };
}

// askText shows a one-line prompt in box (for a reject reason or what
// evidence to add) and calls done with the text.
export function askText(box: HTMLElement, label: string, button: string, done: (text: string) => Promise<void>): void {
  const input = h("input", { size: 50, required: true, "data-ask": "" });
  const err = h("div");
  replace(box, h("form", { class: "actions", onsubmit: async (e: Event) => {
    e.preventDefault();
    replace(err);
    try { await done(input.value.trim()); replace(box); } catch (ex) { err.appendChild(problemBox(ex)); }
  } }, h("label", { class: "f" }, label, input), h("button", { type: "submit", class: "primary" }, button),
  h("button", { type: "button", onclick: () => replace(box) }, t("cancel")), err));
  input.focus();
}

export function deadlineCell(c: Case): HTMLElement {
  const cell = h("span", { "data-deadline": c.next?.deadline ?? "" });
  const tick = () => {
    const cd = countdown(c.next?.deadline);
    cell.className = cd.cls;
    cell.textContent = cd.text;
  };
  tick();
  every(1000, tick);
  return cell;
}

export async function queueScreen(root: HTMLElement, params: URLSearchParams): Promise<void> {
  await refreshClock();
  // By default what the signed-in role acts on: reviews for staff,
  // escalated disputes for the platform's arbitrator.
  if (!params.toString()) params.set("status", isStaff() ? "pending_review" : "escalated");
  const { form, read } = await filterForm(params, () => {
    const f = read();
    if (f) go("#/queue" + query(f));
  });
  const [reasons, threshold] = await Promise.all([loadReasons(), isStaff() ? adminAbove() : Promise.resolve(null)]);
  const box = h("div");
  const list = h("div");
  add(root, h("h1", null, t("nav.queue")), h("section", { class: "card" }, form),
    h("p", { class: "muted" }, t("queue.keys")), box, list);
  const filters: Record<string, string> = {};
  for (const k of FILTERS) if (params.get(k)) filters[k] = params.get(k)!;
  let cases: Case[] = [];
  let cursor: string | undefined;
  let sel = 0;
  const picked = new Set<string>();
  const rows: HTMLTableRowElement[] = [];
  const tbody = h("tbody");
  const more = h("button", { type: "button", onclick: () => void load() }, t("queue.more"));
  const batchBtn = h("button", { type: "button", disabled: true, "data-batch-picked": "", onclick: () => go("#/batch" + query({ ids: [...picked].join(",") })) }, t("queue.batch", 0));
  const select = (i: number) => {
    if (!rows.length) return;
    sel = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, j) => r.classList.toggle("sel", j === sel));
    rows[sel].scrollIntoView({ block: "nearest" });
  };
  const row = (c: Case, i: number) => {
    const box2 = h("input", { type: "checkbox", "aria-label": c.id, onclick: (e: Event) => {
      e.stopPropagation();
      if ((e.target as HTMLInputElement).checked) picked.add(c.id); else picked.delete(c.id);
      batchBtn.disabled = picked.size === 0;
      batchBtn.textContent = t("queue.batch", picked.size);
    } });
    const promised = Boolean(c.next?.default_at);
    const tr = h("tr", { class: "row" + (promised ? " sla" : ""), "data-case": c.id, onclick: () => select(i), ondblclick: () => go(`#/case/${c.id}`) },
      h("td", null, isStaff() ? box2 : null),
      h("td", null, h("a", { href: `#/case/${c.id}` }, c.id)),
      h("td", null, c.order_id),
      h("td", null, t("type." + c.type)),
      h("td", null, reasonLabel(reasons, c.reason)),
      h("td", { class: "num" }, money(c.requested_amount, c.currency), threshold !== null && c.requested_amount > threshold
        ? [" ", h("span", { class: "badge warn", title: t("queue.admin_title"), "data-admin-level": "" }, t("queue.admin"))] : null),
      h("td", null, t("status." + c.status)),
      h("td", null, deadlineCell(c), promised ? [" ", h("span", { class: "badge sla", title: t("sla.title") }, t("sla.badge"))] : null),
      h("td", null, dateTimeShort(c.created_at)));
    rows.push(tr);
    return tr;
  };
  const load = async () => {
    try {
      const page = await call<Page<Case>>("GET", "/v1/staff/cases" + query({ ...filters, cursor, limit: 50 }));
      page.items.forEach((c) => { tbody.appendChild(row(c, cases.length)); cases.push(c); });
      cursor = page.next_cursor;
      more.hidden = !cursor;
      shared.queue = cases.map((c) => c.id);
      shared.queueHash = location.hash;
      if (cases.length && !rows.some((r) => r.classList.contains("sel"))) select(0);
      if (!cases.length) replace(list, h("p", { class: "notice", "data-empty": "" }, t("queue.empty")));
    } catch (e) {
      box.appendChild(problemBox(e));
    }
  };
  replace(list, h("table", { "data-queue": "" }, h("thead", null, h("tr", null, h("th"), ["col.case", "col.order", "col.type", "col.reason"].map((k) => h("th", null, t(k))),
    h("th", { class: "num" }, t("col.amount")), h("th", null, t("col.status")), h("th", null, t("col.deadline")), h("th", null, t("col.created")))), tbody),
  h("p", { class: "actions" }, more, batchBtn));
  await load();
  const current = () => cases[sel];
  const decide = async (path: string, body: unknown, done: string) => {
    const c = current();
    await call("POST", `/v1/staff/cases/${c.id}/${path}`, body);
    toast(`${c.id}: ${done}`);
    rows[sel].classList.add("muted");
    select(sel + 1);
  };
  onKeys((e) => {
    if (!cases.length) return;
    switch (e.key) {
      case "j": select(sel + 1); break;
      case "k": select(sel - 1); break;
      case "Enter": case "o": go(`#/case/${current().id}`); break;
      case "x": (rows[sel].querySelector("input[type=checkbox]") as HTMLInputElement | null)?.click(); break;
      case "a": if (isStaff()) void decide("approve", {}, t("done.approved")).catch((ex) => { replace(box, problemBox(ex)); }); break;
      case "r": if (isStaff()) { e.preventDefault(); askText(box, t("ask.reject", current().id), t("act.reject"), (text) => decide("reject", { reason: text }, t("done.rejected"))); } break;
      case "e": if (isStaff()) { e.preventDefault(); askText(box, t("ask.evidence", current().id), t("act.request_evidence"), (text) => decide("request-evidence", { note: text }, t("done.evidence"))); } break;
      default: return;
    }
    e.preventDefault();
  });

}

function dateTimeShort(iso: string): string {
  const d = new Date(iso);
  return d.toLocaleString(lang() === "zh-CN" ? "zh-CN" : "en-GB", { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
}
