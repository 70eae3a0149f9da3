// Batch review: cases picked by hand (from the queue) or by the queue's
// filter, approved or rejected in one job; the progress bar follows the
// job's counts and its per-case failures are listed.
import { h, replace, option, add } from "./dom";
import { t } from "./i18n";
import { call, Job } from "./api";
import { every, problemBox } from "./app";
import { filterForm } from "./queue";

export async function batchScreen(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const ids = (params.get("ids") ?? "").split(",").filter(Boolean);
  const by = h("select", { name: "by", "data-batch-by": "" }, option("filter", t("batch.by_filter"), ids.length ? "ids" : "filter"), option("ids", t("batch.by_ids"), ids.length ? "ids" : "filter"));
  const fp = new URLSearchParams({ status: "pending_review" });
  const { form: filters, read } = await filterForm(fp, null);
  const idsBox = h("textarea", { name: "case_ids", placeholder: "as_...", "data-batch-ids": "" });
  idsBox.value = ids.join("\n");
  const decision = h("select", { name: "decision", "data-batch-decision": "" }, option("approve", t("act.approve")), option("reject", t("act.reject")));
  const reason = h("input", { name: "reason", size: 40 });
  const err = h("div");
  const progress = h("div", { "data-job": "" });
  const showBy = () => { filters.hidden = by.value !== "filter"; idsBox.hidden = by.value !== "ids"; };
  by.addEventListener("change", showBy);
  const start = h("button", { type: "submit", class: "primary", "data-batch-start": "" }, t("batch.start"));
  const form = h("form", { onsubmit: async (e: Event) => {
    e.preventDefault();
    replace(err);
    const body: Record<string, unknown> = { decision: decision.value };
    if (reason.value.trim()) body.reason = reason.value.trim();
    if (by.value === "ids") body.case_ids = idsBox.value.split(/[\s,]+/).filter(Boolean);
    else {
      const f = read();
      if (!f) return;
      const filter: Record<string, unknown> = { ...f };
      for (const k of ["min_amount", "max_amount"]) if (filter[k]) filter[k] = Number(filter[k]);
      body.filter = filter;
    }
    try {
      start.disabled = true;
      const job = await call<Job>("POST", "/v1/staff/reviews", body);
      follow(progress, job);
    } catch (ex) {
      err.appendChild(problemBox(ex));
    } finally {
      start.disabled = false;
    }
  } },
  h("div", { class: "field" }, h("label", { class: "f" }, t("batch.by"), by)), filters, idsBox,
  h("div", { class: "row-inline" }, h("label", { class: "f" }, t("batch.decision"), decision), h("label", { class: "f" }, t("batch.reason"), reason), start), err);
  showBy();
  add(root, h("h1", null, t("nav.batch")), h("section", { class: "card" }, form), progress);
}

// follow polls the job twice a second until it is done.
function follow(box: HTMLElement, first: Job): void {
  const bar = h("progress", { max: String(Math.max(first.total, 1)), value: "0", "data-progress": "" });
  const text = h("p", { "data-progress-text": "" });
  const fails = h("div");
  replace(box, h("section", { class: "card" }, h("h2", null, t("batch.job", first.id)), bar, text, fails));
  let stopped = false;
  const show = (j: Job) => {
    const n = j.succeeded + j.failed;
    bar.max = Math.max(j.total, 1);
    bar.value = n;
    text.textContent = t("batch.progress", n, j.total, j.succeeded, j.failed) + (j.status === "done" ? " · " + t("batch.done") : "");
    text.dataset.status = j.status;
    replace(fails, j.failures.length ? h("table", { "data-failures": "" }, h("thead", null, h("tr", null, h("th", null, t("col.case")), h("th", null, t("batch.error")))),
      h("tbody", null, j.failures.map((f) => h("tr", null, h("td", null, h("a", { href: `#/case/${f.case_id}` }, f.case_id)), h("td", null, f.error))))) : null,
    j.failed > j.failures.length ? h("p", { class: "muted" }, t("batch.more_failures", j.failed - j.failures.length)) : null);
  };
  show(first);
  if (first.status === "done") return;
  every(500, async () => {
    if (stopped) return;
    try {
      const j = await call<Job>("GET", `/v1/staff/reviews/${first.id}`);
      show(j);
      if (j.status === "done") stopped = true;
    } catch (e) {
      stopped = true;
      box.appendChild(problemBox(e));
    }
  });
}
