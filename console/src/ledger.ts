// The refund ledger: search by order number or phone and dates, totals by
// channel, and the CSV export of the same search.
import { h, replace, add } from "./dom";
import { t } from "./i18n";
import { call, send, query, Page, Refund } from "./api";
import { money, toRFC3339 } from "./format";
import { go, problemBox } from "./app";
import { refundTable } from "./case";

// MAX_PAGES bounds what the totals read (100 rows a page); the CSV export
// has every row and its own totals.
const MAX_PAGES = 50;

export async function ledgerScreen(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const f = (name: string, attrs: Record<string, unknown> = {}) => h("input", { name, value: params.get(name) ?? "", ...attrs });
  const order = f("order_id", { size: 14 }), phone = f("phone", { size: 14, inputmode: "tel" });
  const local = (iso: string | null) => (iso ? new Date(new Date(iso).getTime() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : "");
  const from = h("input", { name: "from", type: "datetime-local", value: local(params.get("from")) });
  const to = h("input", { name: "to", type: "datetime-local", value: local(params.get("to")) });
  const filters = () => ({ order_id: order.value.trim(), phone: phone.value.trim(), from: toRFC3339(from.value), to: toRFC3339(to.value) });
  const err = h("div");
  const exportBtn = h("button", { type: "button", "data-export": "", onclick: async () => {
    replace(err);
    try {
      const res = await send("GET", "/v1/staff/refunds/export" + query(filters()), undefined, { Accept: "text/csv" });
      const url = URL.createObjectURL(await res.blob());
      const a = h("a", { href: url, download: `refunds-${new Date().toISOString().slice(0, 10)}.csv` });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { err.appendChild(problemBox(e)); }
  } }, t("ledger.export"));
  const form = h("form", { class: "filters", onsubmit: (e: Event) => { e.preventDefault(); go("#/ledger" + query(filters())); } },
    [["col.order", order], ["ledger.phone", phone], ["filter.from", from], ["filter.to", to]].map(([k, el]) => h("label", { class: "f" }, t(k as string), el as Node)),
    h("button", { type: "submit", class: "primary" }, t("ledger.search")), exportBtn);
  const totals = h("div"), list = h("div");
  add(root, h("h1", null, t("nav.ledger")), h("section", { class: "card" }, form, err), totals, list);
  const rows: Refund[] = [];
  let cursor: string | undefined;
  let pages = 0;
  try {
    do {
      const page = await call<Page<Refund>>("GET", "/v1/staff/refunds" + query({ ...filters(), cursor, limit: 100 }));
      rows.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && ++pages < MAX_PAGES);
  } catch (e) { list.appendChild(problemBox(e)); return; }
  const by = new Map<string, { n: number; amount: number; paid: number }>();
  for (const r of rows) {
    if (r.sandbox) continue; // no money moved: left out, as in the CSV's totals
    const x = by.get(r.channel) ?? { n: 0, amount: 0, paid: 0 };
    x.n++; x.amount += r.amount;
    if (r.status === "succeeded") x.paid += r.amount;
    by.set(r.channel, x);
  }
  const sum = [...by.values()].reduce((a, x) => a + x.amount, 0);
  replace(totals, h("section", { class: "card" }, h("h2", null, t("ledger.totals")), h("table", { "data-totals": "" },
    h("thead", null, h("tr", null, h("th", null, t("rf.channel")), h("th", { class: "num" }, t("ledger.count")), h("th", { class: "num" }, t("col.amount")), h("th", { class: "num" }, t("ledger.paid")), h("th", { class: "num" }, t("ledger.share")))),
    h("tbody", null, [...by.entries()].map(([ch, x]) => h("tr", { "data-channel": ch }, h("td", null, t("channel." + ch)), h("td", { class: "num" }, String(x.n)),
      h("td", { class: "num" }, money(x.amount)), h("td", { class: "num" }, money(x.paid)), h("td", { class: "num" }, sum ? `${((x.amount * 100) / sum).toFixed(1)}%` : "—"))))),
  cursor ? h("p", { class: "muted" }, t("ledger.capped", rows.length)) : null));
  replace(list, h("section", { class: "card" }, rows.length ? refundTable(rows) : h("p", { class: "notice" }, t("ledger.empty"))));
}
