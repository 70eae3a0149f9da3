// The case page: order and lines, the rule decision, what happens next and
// by when, the evidence inline, the refunds with their provider status, the
// timeline, the dispute thread, and the actions the signed-in role may take.
import { h, replace, option, toast, add } from "./dom";
import { t, has } from "./i18n";
import { call, query, Case, Refund, Page, Message, ApiError } from "./api";
import { money, dateTime, parseYuan, fenToYuanInput, countdown } from "./format";
import { onKeys, every, go, problemBox, refreshClock } from "./app";
import { shared, loadReasons, reasonLabel, adminAbove } from "./state";
import { isStaff, isAdmin, canArbitrate, session } from "./auth";

export async function caseScreen(root: HTMLElement, _p: URLSearchParams, id: string): Promise<void> {
  await refreshClock();
  const [c, reasons, threshold] = await Promise.all([call<Case>("GET", `/v1/staff/cases/${encodeURIComponent(id)}`), loadReasons(), isStaff() ? adminAbove() : Promise.resolve(null)]);
  const idx = shared.queue.indexOf(c.id);
  const nav = (d: number) => { const n = shared.queue[idx + d]; if (idx >= 0 && n) go(`#/case/${n}`); };
  const status = h("span", { class: "badge", "data-status": c.status }, t("status." + c.status));
  add(root, 
    h("p", null, h("a", { href: shared.queueHash }, "← ", t("nav.queue")), idx >= 0 ? h("span", { class: "muted" }, `  ${idx + 1} / ${shared.queue.length}  (j/k)`) : null),
    h("h1", null, `${t("nav.case")} ${c.id} `, status),
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", null, t("case.summary")), h("dl", { class: "kv" },
        kv(t("col.order"), c.order_id), kv(t("case.buyer"), c.buyer_id), kv(t("col.type"), t("type." + c.type)),
        kv(t("col.reason"), reasonLabel(reasons, c.reason)), kv(t("case.description"), c.description || "—"),
        kv(t("case.requested"), money(c.requested_amount, c.currency)), kv(t("case.approved"), h("span", { "data-approved": String(c.approved_amount) }, money(c.approved_amount, c.currency))),
        kv(t("case.refunded"), money(c.refunded_amount, c.currency)), kv(t("case.refund_to"), t("refund_to." + c.refund_to)),
        ...charges(c),
        kv(t("col.created"), dateTime(c.created_at)), kv(t("case.version"), String(c.version)))),
      h("section", { class: "card" }, h("h2", null, t("case.decision")), c.decision ? h("dl", { class: "kv", "data-decision": "" },
        kv(t("case.outcome"), t("outcome." + c.decision.outcome)), kv(t("case.by"), c.decision.by),
        c.decision.rule_id ? kv(t("case.rule"), h("code", null, c.decision.rule_id)) : null,
        c.decision.ruleset_version ? kv(t("case.ruleset_version"), String(c.decision.ruleset_version)) : null,
        c.decision.reason ? kv(t("case.reason"), c.decision.reason) : null) : h("p", { class: "muted" }, t("case.no_decision")),
      h("h2", null, t("case.next")), c.next ? nextStep(c) : h("p", { class: "muted" }, t("case.ended")))),
    h("section", { class: "card" }, h("h2", null, t("case.lines")), h("table", null,
      h("thead", null, h("tr", null, ["line.id", "line.sku", "line.name", "line.kind", "line.category", "line.qty"].map((k) => h("th", null, t(k))), h("th", { class: "num" }, t("col.amount")))),
      h("tbody", null, c.lines.map((l) => h("tr", null, h("td", null, l.line_id), h("td", null, l.sku), h("td", null, l.name ?? ""), h("td", null, t("kind." + l.kind)),
        h("td", null, l.category ?? ""), h("td", null, String(l.quantity)), h("td", { class: "num" }, money(l.amount, c.currency))))))),
  );
  const actions = h("section", { class: "card", "data-actions": "" });
  add(root, actions);
  renderActions(actions, c, threshold);
  add(root, h("section", { class: "card" }, h("h2", null, t("case.evidence")), evidence(c)));
  const refunds = h("section", { class: "card" }, h("h2", null, t("case.refunds")));
  add(root, refunds);
  void loadRefunds(refunds, c);
  if (c.dispute) {
    const d = h("section", { class: "card", "data-dispute": "" });
    add(root, d);
    void disputeSection(d, c);
  }
  add(root, h("section", { class: "card" }, h("h2", null, t("case.timeline")), h("table", { "data-timeline": "" },
    h("thead", null, h("tr", null, ["tl.at", "tl.actor", "tl.action", "tl.from", "tl.to", "tl.note"].map((k) => h("th", null, t(k))))),
    h("tbody", null, (c.timeline ?? []).map((e) => h("tr", null, h("td", null, dateTime(e.at)), h("td", null, e.actor), h("td", { title: e.action }, t("tla." + e.action)),
      h("td", null, e.from ? t("status." + e.from) : ""), h("td", null, e.to ? t("status." + e.to) : ""), h("td", null, e.note)))))));
  const box = actions;
  onKeys((e) => {
    const click = (sel: string) => (box.querySelector(sel) as HTMLElement | null)?.focus();
    switch (e.key) {
      case "j": nav(1); break;
      case "k": nav(-1); break;
      case "a": click("[data-act=approve] input[name=amount]"); break;
      case "r": click("[data-act=reject] input"); break;
      case "e": click("[data-act=request-evidence] input"); break;
      case "u": go(shared.queueHash); break;
      default: return;
    }
    e.preventDefault();
  });

}

function kv(k: string, v: string | Node): Node[] { return [h("dt", null, k), h("dd", null, v)]; }

// charges are the rows of a return's fees (F29, F24): who bears the return
// postage and how much of it the merchant pays back, and the restocking
// fee, so that staff see them before deciding the amount.
function charges(c: Case): Node[] {
  const ch = c.charges;
  if (!ch) return [];
  const m = (n: number) => money(n, c.currency);
  let postage = t("payer." + ch.return_shipping_paid_by);
  if (ch.return_shipping_paid_by === "merchant") postage += ch.free_return_shipping ? t("case.postage_free") : ch.return_postage_cap ? t("case.postage_cap", m(ch.return_postage_cap)) : "";
  const rows = kv(t("case.postage"), h("span", { "data-charges": ch.return_shipping_paid_by }, postage));
  if (ch.postage_paid) rows.push(...kv(t("case.postage_claim"), `${m(ch.postage_paid)} / ${m(ch.postage_reimbursed ?? 0)}`));
  if (ch.restocking_fee > 0) {
    const note = ch.restocking_note ? ` (${ch.restocking_note})` : "";
    rows.push(...kv(t("case.restocking"), h("span", { "data-restocking": String(ch.restocking_fee) }, m(ch.restocking_fee) + note + (ch.restocking_deducted ? t("case.deducted") : ""))));
  }
  return rows;
}

function nextStep(c: Case): HTMLElement {
  const n = c.next!;
  const cd = h("span", { "data-countdown": "" });
  const tick = () => { const x = countdown(n.deadline); cd.className = x.cls; cd.textContent = x.text; };
  tick();
  every(1000, tick);
  return h("dl", { class: "kv", "data-next": "" }, kv(t("next.actor"), t("actor." + n.actor)), kv(t("next.action"), t("action." + n.action)),
    n.deadline ? kv(t("next.deadline"), h("span", null, dateTime(n.deadline), " · ", cd)) : null,
    n.default_at ? kv(t("next.default_at"), h("span", null, h("span", { class: "badge sla" }, t("sla.badge")), " ", t("sla.default", dateTime(n.default_at)))) : null);
}

function evidence(c: Case): HTMLElement {
  if (!c.evidence.length) return h("p", { class: "muted" }, t("case.no_evidence"));
  return h("div", { class: "evidence" }, c.evidence.map((e) => {
    let view: Node = h("span", { class: "muted" }, t("ev.no_link"));
    if (e.view_url) {
      if (e.content_type.startsWith("image/")) view = h("a", { href: e.view_url, target: "_blank", rel: "noopener noreferrer" }, h("img", { src: e.thumbnail_url || e.view_url, alt: e.id, "data-evidence": e.id }));
      else if (e.content_type.startsWith("video/")) view = h("video", { src: e.view_url, controls: true, preload: "metadata", "data-evidence": e.id });
      // Not sandboxed: Chrome refuses its PDF viewer in a sandboxed frame.
      // The frame is the bucket's origin, which holds no credential and
      // cannot reach this page's; S3 serves the type declared at upload.
      else if (e.content_type === "application/pdf") view = h("iframe", { src: e.view_url, title: e.id, "data-evidence": e.id });
    }
    return h("figure", null, view, h("figcaption", null,
      h("span", { class: "badge" + (e.status === "invalid" || e.status === "reused" ? " warn" : "") }, t("ev." + e.status)), ` ${e.content_type} · ${Math.ceil(e.size / 1024)} KB`,
      e.reused_from ? h("div", null, t("ev.reused_from", e.reused_from)) : null,
      e.checks?.length ? h("ul", null, e.checks.map((x) => h("li", null, x))) : null,
      e.view_url ? h("div", null, h("a", { href: e.view_url, target: "_blank", rel: "noopener noreferrer" }, t("ev.open"))) : null));
  }));
}

async function loadRefunds(box: HTMLElement, c: Case): Promise<void> {
  if (!isStaff()) { box.appendChild(h("p", { class: "muted" }, t("case.refunds_staff"))); return; }
  try {
    const page = await call<Page<Refund>>("GET", "/v1/staff/refunds" + query({ order_id: c.order_id, limit: 100 }));
    const mine = page.items.filter((r) => r.case_id === c.id);
    if (!mine.length) { box.appendChild(h("p", { class: "muted" }, t("case.no_refunds"))); return; }
    box.appendChild(refundTable(mine));
  } catch (e) { box.appendChild(problemBox(e)); }
}

export function refundTable(rows: Refund[]): HTMLElement {
  return h("div", { class: "scroll" }, h("table", { "data-refunds": "" }, h("thead", null, h("tr", null, ["rf.no", "col.case", "col.order", "rf.channel", "rf.status", "rf.provider_id", "rf.approved_by", "col.created", "rf.arrived"].map((k) => h("th", null, t(k))), h("th", { class: "num" }, t("col.amount")))),
    h("tbody", null, rows.map((r) => h("tr", null, h("td", null, r.out_refund_no, r.sandbox ? [" ", h("span", { class: "badge" }, t("rf.sandbox"))] : null),
      h("td", null, h("a", { href: `#/case/${r.case_id}` }, r.case_id)), h("td", null, r.order_id), h("td", null, t("channel." + r.channel)),
      h("td", null, h("span", { class: "badge" + (r.status === "abnormal" ? " warn" : "") }, t("rf." + r.status))), h("td", null, r.provider_refund_id ?? ""),
      h("td", null, r.approved_by ?? "", r.paid_by ? ` / ${r.paid_by}` : ""), h("td", null, dateTime(r.created_at)), h("td", null, dateTime(r.arrived_at)),
      h("td", { class: "num" }, money(r.amount, r.currency)))))));
}

// actionForm builds one action: its fields, a submit button, and errors
// shown next to the field the problem names (or above, when it names none).
function actionForm(c: Case, act: string, label: string, fields: Record<string, HTMLInputElement | HTMLSelectElement>, body: () => unknown | null, cls = "primary", endpoint?: string): HTMLFormElement {
  const err = h("div");
  const errs: Record<string, HTMLElement> = {};
  const form = h("form", { "data-act": act, onsubmit: async (e: Event) => {
    e.preventDefault();
    replace(err);
    Object.values(errs).forEach((x) => replace(x));
    const b = body();
    if (b === null) return;
    try {
      await call("POST", endpoint ?? `/v1/staff/cases/${c.id}/${act}`, b);
      toast(t("done." + act));
      go(location.hash);
    } catch (ex) {
      const named = ex instanceof ApiError ? (ex.problem.errors ?? []).filter((f) => errs[f.field]) : [];
      named.forEach((f) => (errs[f.field].textContent = f.message));
      if (!named.length) err.appendChild(problemBox(ex));
    }
  } },
  Object.entries(fields).map(([k, el]) => { errs[k] = h("span", { class: "field-error", "data-error-for": k }); return h("label", { class: "f field", "data-path": k }, t(has(`field.${act}.${k}`) ? `field.${act}.${k}` : "field." + k), el, errs[k]); }),
  h("button", { type: "submit", class: cls }, label), err);
  (form as HTMLFormElement & { errs: typeof errs }).errs = errs;
  return form;
}

function amountBody(input: HTMLInputElement, errEl: () => HTMLElement | undefined, extra: Record<string, unknown>): Record<string, unknown> | null {
  if (!input.value.trim()) return extra;
  const fen = parseYuan(input.value);
  if (fen === null) { const e = errEl(); if (e) e.textContent = t("err.amount"); return null; }
  return { ...extra, amount: fen };
}

function renderActions(box: HTMLElement, c: Case, threshold: number | null): void {
  const forms: HTMLElement[] = [];
  const staff = isStaff();
  const own = session()?.sub === c.buyer_id;
  if (staff && !own && c.status === "pending_review") {
    const needsAdmin = threshold !== null && c.requested_amount > threshold && !isAdmin();
    if (needsAdmin) forms.push(h("p", { class: "notice", "data-needs-admin": "" }, t("act.needs_admin", money(threshold!, c.currency))));
    else {
      const amount = h("input", { name: "amount", inputmode: "decimal", size: 10, placeholder: fenToYuanInput(c.requested_amount) });
      const note = h("input", { name: "note", size: 30 });
      let f: HTMLFormElement;
      f = actionForm(c, "approve", t("act.approve"), { amount, note }, () => amountBody(amount, () => (f as unknown as { errs: Record<string, HTMLElement> }).errs.amount, note.value ? { note: note.value } : {}));
      forms.push(f);
    }
    const reason = h("input", { name: "reason", size: 30, required: true });
    forms.push(actionForm(c, "reject", t("act.reject"), { reason }, () => ({ reason: reason.value }), "danger"));
    const note = h("input", { name: "note", size: 30, required: true });
    forms.push(actionForm(c, "request-evidence", t("act.request_evidence"), { note }, () => ({ note: note.value }), ""));
  }
  // Receipt also while in transit: the parcel may reach the warehouse
  // before the courier's last scan does.
  if (staff && !own && (c.status === "awaiting_receipt" || c.status === "return_in_transit")) {
    const condition = h("select", { name: "condition" }, option("sellable", t("cond.sellable")), option("defective", t("cond.defective")));
    const note = h("input", { name: "note", size: 30 });
    forms.push(actionForm(c, "receipt", t("act.receipt"), { condition, note }, () => ({ condition: condition.value, ...(note.value ? { note: note.value } : {}) })));
  }
  if (staff && !own && c.status === "reshipping") {
    const courier = h("input", { name: "courier", required: true, size: 12 });
    const tracking = h("input", { name: "tracking_number", required: true, size: 20 });
    forms.push(actionForm(c, "reship", t("act.reship"), { courier, tracking_number: tracking }, () => ({ courier: courier.value, tracking_number: tracking.value })));
  }
  if (staff && !own && c.next?.action === "retry_refund") {
    const to = h("select", { name: "refund_to" }, option("", t("refund_to.same")), option("balance", t("refund_to.balance")));
    forms.push(actionForm(c, "retry-refund", t("act.retry_refund"), { refund_to: to }, () => (to.value ? { refund_to: to.value } : {})));
  }
  if (staff && !own && c.next?.action === "mark_refund_paid") {
    const ref = h("input", { name: "reference", required: true, size: 24 });
    forms.push(actionForm(c, "mark-refund-paid", t("act.mark_paid"), { reference: ref }, () => ({ reference: ref.value })));
  }
  if (canArbitrate() && !own && c.status === "escalated") {
    const outcome = h("select", { name: "outcome" }, option("refund", t("arb.refund")), option("dismiss", t("arb.dismiss")));
    const amount = h("input", { name: "amount", inputmode: "decimal", size: 10 });
    const note = h("input", { name: "note", required: true, size: 30 });
    let f: HTMLFormElement;
    f = actionForm(c, "arbitrate", t("act.arbitrate"), { outcome, amount, note }, () => outcome.value === "dismiss" ? { outcome: "dismiss", note: note.value }
      : amountBody(amount, () => (f as unknown as { errs: Record<string, HTMLElement> }).errs.amount, { outcome: "refund", note: note.value }));
    forms.push(f);
  }
  if (own && staff) forms.push(h("p", { class: "notice" }, t("act.own_case")));
  replace(box, h("h2", null, t("case.actions")), forms.length ? h("div", { class: "actions" }, forms) : h("p", { class: "muted", "data-no-actions": "" }, t("act.none")));
}

async function disputeSection(box: HTMLElement, c: Case): Promise<void> {
  const d = c.dispute!;
  add(box, h("h2", null, t("dsp.title")), h("dl", { class: "kv" }, kv(t("dsp.kind"), t("dsp.kind." + d.kind)), kv(t("col.reason"), d.reason),
    kv(t("case.description"), d.description), kv(t("dsp.opened"), dateTime(d.opened_at)), kv(t("dsp.answered"), d.answered_at ? dateTime(d.answered_at) : "—"),
    d.outcome ? kv(t("dsp.outcome"), t("dsp.outcome." + d.outcome)) : null));
  const open = ["disputed", "escalated"].includes(c.status);
  const staff = isStaff() && session()?.sub !== c.buyer_id;
  if (d.proposals.length) add(box, h("h2", null, t("dsp.proposals")), h("table", null, h("tbody", null, d.proposals.map((p) =>
    h("tr", null, h("td", null, t("party." + p.by)), h("td", { class: "num" }, money(p.amount, c.currency)), h("td", null, p.note ?? ""), h("td", null, t("prop." + p.status)), h("td", null, dateTime(p.at)),
      h("td", null, open && staff && p.by === "buyer" && p.status === "open" ? h("button", { type: "button", class: "primary", onclick: async () => {
        try { await call("POST", `/v1/staff/cases/${c.id}/proposals/${p.id}/accept`, {}); toast(t("done.accept")); go(location.hash); } catch (e) { box.appendChild(problemBox(e)); }
      } }, t("act.accept")) : null))))));
  const thread = h("div", { class: "thread", "data-thread": "" });
  add(box, h("h2", null, t("dsp.thread")), thread);
  try {
    const res = await call<{ items: Message[]; verified: boolean }>("GET", `/v1/staff/cases/${c.id}/messages`);
    add(thread, h("p", { class: res.verified ? "ok" : "overdue" }, res.verified ? t("dsp.verified") : t("dsp.unverified")),
      res.items.map((m) => h("div", { class: "msg " + m.party }, h("div", { class: "muted" }, `#${m.seq} · ${t("party." + m.party)} · ${m.author} · ${dateTime(m.at)}`),
        h("div", null, m.text), (m.files ?? []).map((f) => h("a", { href: f.view_url, target: "_blank", rel: "noopener noreferrer" }, f.id, " ")))));
  } catch (e) { thread.appendChild(problemBox(e)); }
  if (!open) return;
  const text = h("input", { name: "text", size: 60, required: true });
  add(box, h("div", { class: "actions" }, actionForm(c, "messages", t("act.send"), { text }, () => ({ text: text.value }), "primary")));
  if (staff) {
    const amount = h("input", { name: "amount", inputmode: "decimal", size: 10, required: true });
    const note = h("input", { name: "note", size: 30 });
    let f: HTMLFormElement;
    f = actionForm(c, "proposals", t("act.propose"), { amount, note }, () => amountBody(amount, () => (f as unknown as { errs: Record<string, HTMLElement> }).errs.amount, note.value ? { note: note.value } : {}), "");
    add(box, h("div", { class: "actions" }, f));
  }
}
