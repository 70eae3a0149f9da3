// Goodwill refunds (F28): money back without a buyer's application, for a
// late delivery or an apology. One Idempotency-Key per filled form, so a
// double click or a retry after a timeout refunds once.
import { h, replace, option, add } from "./dom";
import { t } from "./i18n";
import { call, Case, ApiError } from "./api";
import { parseYuan, money } from "./format";
import { problemBox } from "./app";

export function goodwillScreen(root: HTMLElement): void {
  let key = crypto.randomUUID();
  const order = h("input", { name: "order_id", required: true, size: 16 });
  const amount = h("input", { name: "amount", required: true, inputmode: "decimal", size: 10 });
  const reason = h("select", { name: "reason" }, ["late_delivery", "service_apology", "price_protection", "other_goodwill"].map((r) => option(r, t("gw." + r))));
  const lines = h("input", { name: "lines", size: 20, placeholder: "l1, l2" });
  const note = h("input", { name: "note", size: 40 });
  const to = h("select", { name: "refund_to" }, option("", t("refund_to.original")), option("balance", t("refund_to.balance")));
  const errs: Record<string, HTMLElement> = {};
  const out = h("div");
  const field = (k: string, el: HTMLElement) => { errs[k] = h("span", { class: "field-error", "data-error-for": k }); return h("label", { class: "f field", "data-path": k }, t("field." + k), el, errs[k]); };
  const form = h("form", { class: "filters", onsubmit: async (e: Event) => {
    e.preventDefault();
    replace(out);
    Object.values(errs).forEach((x) => replace(x));
    const fen = parseYuan(amount.value);
    if (fen === null) { errs.amount.textContent = t("err.amount"); return; }
    const body: Record<string, unknown> = { order_id: order.value.trim(), amount: fen, reason: reason.value };
    const ls = lines.value.split(/[\s,]+/).filter(Boolean);
    if (ls.length) body.lines = ls;
    if (note.value.trim()) body.note = note.value.trim();
    if (to.value) body.refund_to = to.value;
    try {
      const c = await call<Case>("POST", "/v1/staff/goodwill-refunds", body, { "Idempotency-Key": key });
      key = crypto.randomUUID();
      out.appendChild(h("p", { class: "notice ok" }, t("gw.done", money(c.approved_amount, c.currency)), " ", h("a", { href: `#/case/${c.id}` }, c.id)));
    } catch (ex) {
      const named = ex instanceof ApiError ? (ex.problem.errors ?? []).filter((f) => errs[f.field]) : [];
      named.forEach((f) => (errs[f.field].textContent = f.message));
      if (!named.length) out.appendChild(problemBox(ex));
    }
  } }, field("order_id", order), field("amount", amount), field("reason", reason), field("lines", lines), field("note", note), field("refund_to", to),
  h("button", { type: "submit", class: "primary" }, t("gw.submit")));
  add(root, h("h1", null, t("nav.goodwill")), h("p", { class: "muted" }, t("gw.intro")), h("section", { class: "card" }, form), out);
}
