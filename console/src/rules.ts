// The rule set: every field in a form, edited by admins only; before
// saving, the difference from the version in force; after a refused save,
// each error of the problem shown next to the field it names (errors[].field
// is the JSON path, e.g. rules[2].then.reason).
import { h, replace, option, toast, add } from "./dom";
import { t } from "./i18n";
import { call, ApiError } from "./api";
import { go, problemBox } from "./app";
import { isAdmin } from "./auth";
import { diffLines, DiffLine } from "./diff";
import { dateTime, money } from "./format";

interface Rule { id: string; description?: string; when: Record<string, unknown>; then: { decision: string; level?: string; reason?: string } }
interface RuleSet { version: number; updated_at?: string; updated_by?: string; admin_approval_above: number; rules: Rule[]; deadlines: Record<string, unknown>; evidence?: { reuse_max_distance?: number; recognition_categories?: string[] } }

const DEADLINES = ["review_unshipped", "review_shipped", "evidence", "return", "receipt", "reship", "refund", "dispute", "dispute_answer", "dispute_agreement", "arbitration"];

// pretty prints JSON with sorted keys, so a diff shows changes, not order.
function pretty(v: unknown): string {
  const sort = (x: unknown): unknown => Array.isArray(x) ? x.map(sort) : x && typeof x === "object"
    ? Object.fromEntries(Object.keys(x as object).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])])) : x;
  return JSON.stringify(sort(v), null, 2);
}

// context keeps three lines around each change; null stands for the
// unchanged lines left out.
function context(lines: DiffLine[]): (DiffLine | null)[] {
  const near = lines.map(() => false);
  lines.forEach((l, i) => { if (l.op !== " ") for (let j = Math.max(0, i - 3); j <= Math.min(lines.length - 1, i + 3); j++) near[j] = true; });
  const out: (DiffLine | null)[] = [];
  lines.forEach((l, i) => { if (near[i]) out.push(l); else if (out[out.length - 1] !== null) out.push(null); });
  return out;
}

export async function rulesScreen(root: HTMLElement): Promise<void> {
  const current = await call<RuleSet>("GET", "/v1/staff/ruleset");
  const admin = isAdmin();
  const edit: RuleSet = JSON.parse(JSON.stringify(current));
  const form = h("form", { "data-ruleset": "", onsubmit: (e: Event) => e.preventDefault() });
  const out = h("div");
  add(root, h("h1", null, t("nav.rules")),
    h("p", { class: "muted" }, current.updated_by ? t("rules.version", current.version, current.updated_by, dateTime(current.updated_at)) : t("rules.version_default", current.version)),
    admin ? null : h("p", { class: "notice", "data-admin-only": "" }, t("rules.admin_only")), form, out);
  // fields maps a JSON path to its input's wrapper, where errors go.
  let fields = new Map<string, HTMLElement>();
  // readers turn the form back into the document; null when a field is
  // malformed (its error is shown already).
  let readers: ((rs: RuleSet) => boolean)[] = [];
  const field = (path: string, label: string, input: HTMLElement, hint?: Node) => {
    const w = h("div", { class: "field", "data-path": path }, h("label", { class: "f" }, label, input), hint ?? null, h("div", { class: "field-error", "data-error-for": path }));
    fields.set(path, w);
    return w;
  };
  const setError = (path: string, msg: string) => {
    // The field itself, or the closest enclosing one that has an input
    // (rules[3].when.amount_abov lands on rules[3].when).
    let p = path;
    while (p && !fields.has(p)) {
      const up = p.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
      p = up === p ? "" : up;
    }
    const w = fields.get(p);
    if (!w) return false;
    w.classList.add("invalid");
    const e = w.querySelector(".field-error")!;
    e.textContent = (e.textContent ? e.textContent + "; " : "") + (p === path ? msg : `${path}: ${msg}`);
    return true;
  };
  const clearErrors = () => fields.forEach((w) => { w.classList.remove("invalid"); w.querySelector(".field-error")!.textContent = ""; });
  const dis = admin ? null : true;

  const draw = () => {
    fields = new Map();
    readers = [];
    const above = h("input", { type: "number", min: "0", step: "1", value: String(edit.admin_approval_above), disabled: dis });
    const aboveHint = h("span", { class: "muted" }, " = " + money(edit.admin_approval_above));
    above.addEventListener("input", () => (aboveHint.textContent = " = " + money(Number(above.value) || 0)));
    readers.push((rs) => { rs.admin_approval_above = above.value === "" ? NaN : Number(above.value); return true; });
    const dl = DEADLINES.map((k) => {
      const i = h("input", { size: 8, value: String(edit.deadlines[k] ?? ""), disabled: dis });
      readers.push((rs) => { if (i.value.trim()) rs.deadlines[k] = i.value.trim(); else delete rs.deadlines[k]; return true; });
      return field(`deadlines.${k}`, t("dl." + k), i);
    });
    const sla = h("textarea", { disabled: dis }, JSON.stringify(edit.deadlines.review_sla ?? {}));
    readers.push((rs) => json(sla.value, "deadlines.review_sla", (v) => (rs.deadlines.review_sla = v)));
    const reuse = h("input", { type: "number", min: "0", max: "11", value: String(edit.evidence?.reuse_max_distance ?? ""), disabled: dis });
    const cats = h("input", { size: 30, value: (edit.evidence?.recognition_categories ?? []).join(", "), disabled: dis });
    readers.push((rs) => {
      rs.evidence = { ...(rs.evidence ?? {}) };
      if (reuse.value !== "") rs.evidence.reuse_max_distance = Number(reuse.value); else delete rs.evidence.reuse_max_distance;
      const c = cats.value.split(",").map((s) => s.trim()).filter(Boolean);
      if (c.length) rs.evidence.recognition_categories = c; else delete rs.evidence.recognition_categories;
      return true;
    });
    const rules = edit.rules.map((r, i) => ruleFields(r, i));
    replace(form,
      h("section", { class: "card" }, h("h2", null, t("rules.general")), field("admin_approval_above", t("rules.admin_above"), above, aboveHint)),
      h("section", { class: "card" }, h("h2", null, t("rules.rules")), h("p", { class: "muted" }, t("rules.first_wins")), rules,
        admin ? h("button", { type: "button", "data-add-rule": "", onclick: () => { if (!sync()) return; edit.rules.splice(Math.max(edit.rules.length - 1, 0), 0, { id: "", when: {}, then: { decision: "manual", level: "reviewer" } }); draw(); } }, t("rules.add")) : null),
      h("section", { class: "card" }, h("h2", null, t("rules.deadlines")), h("div", { class: "row-inline" }, dl), field("deadlines.review_sla", t("dl.review_sla"), sla)),
      h("section", { class: "card" }, h("h2", null, t("rules.evidence")), h("div", { class: "row-inline" },
        field("evidence.reuse_max_distance", t("rules.reuse"), reuse), field("evidence.recognition_categories", t("rules.recognition"), cats))),
      admin ? h("p", { class: "actions" }, h("button", { type: "button", class: "primary", "data-review-rules": "", onclick: review }, t("rules.review")),
        h("button", { type: "button", onclick: () => go(location.hash) }, t("rules.discard"))) : null);
  };

  const json = (text: string, path: string, set: (v: Record<string, unknown>) => void) => {
    try {
      const v = JSON.parse(text || "{}");
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(t("err.object"));
      set(v);
      return true;
    } catch (e) {
      setError(path, e instanceof SyntaxError ? t("err.json", e.message) : String((e as Error).message ?? e));
      return false;
    }
  };

  const ruleFields = (r: Rule, i: number) => {
    const p = `rules[${i}]`;
    const id = h("input", { value: r.id, size: 24, disabled: dis });
    const desc = h("input", { value: r.description ?? "", size: 50, disabled: dis });
    const when = h("textarea", { disabled: dis }, JSON.stringify(r.when ?? {}));
    const decision = h("select", { disabled: dis }, ["approve", "reject", "manual", "request_evidence"].map((d) => option(d, t("outcome." + d), r.then.decision)));
    const level = h("select", { disabled: dis }, option("", "—", r.then.level ?? ""), option("reviewer", t("role.reviewer"), r.then.level ?? ""), option("admin", t("role.admin"), r.then.level ?? ""));
    const reason = h("input", { value: r.then.reason ?? "", size: 50, disabled: dis });
    readers.push((rs) => {
      const nr: Rule = { id: id.value, when: {}, then: { decision: decision.value } };
      if (desc.value) nr.description = desc.value;
      if (level.value) nr.then.level = level.value;
      if (reason.value) nr.then.reason = reason.value;
      const ok = json(when.value, `${p}.when`, (v) => (nr.when = v));
      rs.rules.push(nr);
      return ok;
    });
    const move = (d: number) => () => { if (!sync()) return; const [x] = edit.rules.splice(i, 1); edit.rules.splice(i + d, 0, x); draw(); };
    return h("fieldset", { class: "rule", "data-rule": String(i) }, h("legend", null, `${i + 1}. ${r.id}`),
      h("div", { class: "row-inline" }, field(`${p}.id`, t("rule.id"), id), field(`${p}.description`, t("rule.description"), desc)),
      field(`${p}.when`, t("rule.when"), when),
      h("div", { class: "row-inline" }, field(`${p}.then.decision`, t("rule.decision"), decision), field(`${p}.then.level`, t("rule.level"), level), field(`${p}.then.reason`, t("rule.reason"), reason)),
      admin ? h("p", { class: "actions" }, i > 0 ? h("button", { type: "button", onclick: move(-1) }, "↑") : null, i < edit.rules.length - 1 ? h("button", { type: "button", onclick: move(1) }, "↓") : null,
        h("button", { type: "button", class: "danger", onclick: () => { if (!sync()) return; edit.rules.splice(i, 1); draw(); } }, t("rules.remove"))) : null);
  };

  // read turns the form into a document; sync keeps the edits across redraws.
  const read = (): RuleSet | null => {
    clearErrors();
    const rs: RuleSet = { ...edit, deadlines: { ...edit.deadlines }, rules: [] };
    delete rs.updated_at; delete rs.updated_by;
    let ok = true;
    for (const f of readers) ok = f(rs) && ok;
    return ok ? rs : null;
  };
  // sync is false (and the errors are shown) when a field does not parse:
  // the form is then kept as typed rather than redrawn from the last edit.
  const sync = () => { const rs = read(); if (rs) Object.assign(edit, rs); return rs !== null; };

  const review = () => {
    replace(out);
    const rs = read();
    if (!rs) { out.appendChild(h("div", { class: "problem", role: "alert" }, t("rules.fix"))); return; }
    const before = { ...current }; delete before.updated_at; delete before.updated_by;
    const lines = diffLines(pretty(before), pretty(rs));
    const changed = lines.some((l) => l.op !== " ");
    const err = h("div");
    add(out, h("section", { class: "card", "data-diff": "" }, h("h2", null, t("rules.diff", current.version)),
      changed ? h("pre", { class: "diff" }, context(lines).map((l) => l === null ? h("span", { class: "muted" }, "  …\n")
        : h("span", { class: l.op === "+" ? "add" : l.op === "-" ? "del" : "" }, `${l.op} ${l.text}\n`))) : h("p", { class: "muted" }, t("rules.nochange")),
      h("p", { class: "actions" }, h("button", { type: "button", class: "primary", "data-save-rules": "", disabled: changed ? null : true, onclick: async () => {
        replace(err);
        try {
          const saved = await call<RuleSet>("PUT", "/v1/staff/ruleset", rs);
          toast(t("rules.saved", saved.version));
          go(location.hash);
        } catch (e) {
          if (e instanceof ApiError && e.problem.errors?.length) {
            const missed = e.problem.errors.filter((f) => !setError(f.field, f.message));
            err.appendChild(h("div", { class: "problem", role: "alert", "data-problem": String(e.problem.status) }, t("rules.errors", e.problem.errors.length),
              missed.length ? h("ul", null, missed.map((f) => h("li", null, h("code", null, f.field), ": ", f.message))) : null));
            form.querySelector(".field.invalid")?.scrollIntoView({ block: "center" });
          } else err.appendChild(problemBox(e));
        }
      } }, t("rules.save"))), err));
  };
  draw();
}
