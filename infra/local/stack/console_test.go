package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

// screensDir is where the browser test writes a screenshot of each step,
// for people to look at (never compared): build/ is not committed.
var screensDir = filepath.Join("..", "..", "..", "build", "console-screens")

// chromium finds Debian's chromium. A machine without it fails the test:
// the console is part of the product, and a skipped browser test would
// pass a console nobody opened.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on this machine: the console's browser tests need it (apt-get install -y chromium; .ci/run installs it)")
	return ""
}

// page is one browser tab on the console, with what the page reported:
// uncaught exceptions, console errors and browser log errors (a CSP
// violation is one), each a test failure at the end.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	mu   sync.Mutex
	errs []string
	// expected are parts of reports a step causes on purpose (a refused
	// save is logged by the browser as a failed request).
	expected []string
	step     int
}

func (p *page) expect(report string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expected = append(p.expected, report)
}

func openBrowser(t *testing.T, base, downloads string) *page {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000), chromedp.Flag("lang", "en-US"), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	p := &page{t: t, ctx: ctx, base: base}
	if err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				b, _ := json.Marshal(ev.Args)
				msg = "console.error: " + string(b)
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError && !strings.Contains(ev.Entry.Text, "favicon") {
				msg = fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
		if msg != "" {
			p.mu.Lock()
			for _, ok := range p.expected {
				if strings.Contains(msg, ok) {
					msg = ""
				}
			}
			if msg != "" {
				p.errs = append(p.errs, msg)
			}
			p.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.errs {
			t.Errorf("the page reported %s", e)
		}
	})
	return p
}

// do runs browser actions; a failure ends the test with a screenshot.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		p.t.Fatalf("%s: %v", what, err)
	}
}

// eval answers a JavaScript expression's value.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// until polls expr in the page until it is true, for at most within: the
// page's own work (fetches, the job's progress) is asynchronous. seen,
// when set, is called with each value of watch while polling.
func (p *page) until(what, expr string, within time.Duration, watch string, seen func(string)) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if watch != "" {
			seen(eval[string](p, watch))
		}
		if eval[bool](p, "Boolean("+expr+")") {
			return
		}
		if time.Now().After(deadline) {
			p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
			p.t.Fatalf("%s: %s still false after %s", what, expr, within)
		}
		<-tick.C
	}
}

// shot writes a full-page screenshot named after the step.
func (p *page) shot(name string) {
	p.t.Helper()
	p.step++
	b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(screensDir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screensDir, fmt.Sprintf("%02d-%s.png", p.step, name)), b, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *page) goHash(hash string) {
	p.t.Helper()
	// The same hash again changes nothing in the page: reload it then, so
	// the screen shows what changed meanwhile.
	p.do("open "+hash, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("location.hash === %q ? location.reload() : (location.hash = %q)", hash, hash)))
}

func (p *page) signIn(sub, role string) {
	p.t.Helper()
	p.do("sign in as "+role,
		chromedp.Navigate(p.base+"/console/"),
		chromedp.Evaluate[chromedp.Void]("sessionStorage.clear(); location.reload()"),
		chromedp.WaitVisible("[data-signin]"),
		chromedp.SetValue("input[name=sub]", sub),
		chromedp.SetValue("select[name=role]", role),
		chromedp.Click("[data-signin]"),
		chromedp.WaitVisible("[data-who]"))
}

// TestConsoleInBrowser drives the merchant console in headless chromium
// against the local stack, as a reviewer and as an admin would use it.
func TestConsoleInBrowser(t *testing.T) {
	// Only this run's screenshots: a stale one would pass for a step that
	// no longer happens.
	if err := os.RemoveAll(screensDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(screensDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Cases in memory: the emulated DynamoDB copies its whole table in
	// every transaction, and 200 decisions on it take minutes on a busy
	// machine; the store ports and their conformance suite are the same.
	st, err := Start(context.Background(), Options{AnyPorts: true, Seed: true, Clock: vclock.New(start), MemoryStore: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	b1, b2 := st.as(t, "buyer-1", "buyer"), st.as(t, "buyer-2", "buyer")
	// A return with a photo (a reviewer's), a refrigerator above the
	// admin threshold (an admin's), and an auto-approved refund for the
	// ledger.
	shoes := openForReview(t, st, b1, "o-1002", "l1", "size_not_fit")
	addEvidence(t, st, b1, shoes, "image/jpeg", inspecttest.JPEG(inspecttest.Photo(640, 480, 7), 85))
	if got := st.evidenceCase(t, b1, shoes); len(got.Evidence) != 1 || got.Evidence[0].Status != "verified" {
		t.Fatalf("evidence %+v", got.Evidence)
	}
	fridge := openForReview(t, st, b2, "o-1005", "l1", "size_not_fit")
	serum := openForReview(t, st, b2, "o-1006", "l1", "size_not_fit") // a diamond member: review promised within 1 h
	tshirt := st.apply(t, b1, refundApp("o-1001", "l1", 1))
	st.settle(t)
	wantStatus(t, st.get(t, b1, tshirt.ID), "completed")

	downloads := t.TempDir()
	p := openBrowser(t, st.URL, downloads)

	// Sign in as a reviewer: the queue of cases waiting for review.
	p.signIn("staff-1", "reviewer")
	p.do("queue", chromedp.WaitVisible(fmt.Sprintf(`tr[data-case=%q]`, shoes)), chromedp.WaitVisible(fmt.Sprintf(`tr[data-case=%q]`, fridge)))
	if got := eval[string](p, `document.querySelector("[data-nav=queue]").textContent`); got != "Review queue" {
		t.Errorf("nav in %q, want English for an en-US browser", got)
	}
	if !eval[bool](p, fmt.Sprintf(`document.querySelector('tr[data-case=%q]').classList.contains("sla") && !document.querySelector('tr[data-case=%q]').classList.contains("sla")`, serum, shoes)) {
		t.Error("the diamond member's promised review is not highlighted (or another case is)")
	}
	if !eval[bool](p, fmt.Sprintf(`document.querySelector('tr[data-case=%q] [data-admin-level]') !== null`, fridge)) {
		t.Error("the refrigerator is not marked as an admin's case")
	}
	p.until("a countdown", `document.querySelector("[data-deadline]").textContent.length > 0`, 5*time.Second, "", nil)
	p.shot("queue")

	// The keyboard: j moves down to the shoes, Enter opens it.
	rows := eval[[]string](p, `[...document.querySelectorAll("tr[data-case]")].map(r => r.dataset.case)`)
	for i, id := range rows {
		if id == shoes {
			for range i {
				p.do("j", chromedp.KeyEvent("j"))
			}
			break
		}
	}
	p.until("j selects the shoes", fmt.Sprintf(`document.querySelector("tr.sel")?.dataset.case === %q`, shoes), 2*time.Second, "", nil)
	p.do("Enter opens the case", chromedp.KeyEvent("\r"), chromedp.WaitVisible("[data-decision]"))
	if !strings.Contains(eval[string](p, "location.hash"), shoes) {
		t.Fatalf("Enter opened %s, want %s", eval[string](p, "location.hash"), shoes)
	}

	// The photo loads inline from its presigned URL (the local S3).
	p.until("the evidence image loads", `(() => { const i = document.querySelector("img[data-evidence]"); return i && i.complete && i.naturalWidth > 0 })()`, 10*time.Second, "", nil)
	if got := eval[string](p, `document.querySelector("[data-decision]").textContent`); !strings.Contains(got, "default") {
		t.Errorf("decision block %q does not name the rule", got)
	}
	// A size that does not fit is the buyer's choice: the buyer bears the
	// return postage (F29), which staff see before deciding.
	if got := eval[string](p, `document.querySelector("[data-charges]")?.dataset.charges ?? "none"`); got != "buyer" {
		t.Errorf("the case page says the return postage is borne by %q, want buyer", got)
	}
	p.shot("case-with-evidence")

	// Approve 300.00 of 499.00 with a note: a partial refund.
	p.do("approve partially",
		chromedp.SetValue("[data-act=approve] input[name=amount]", "300.00"),
		chromedp.SetValue("[data-act=approve] input[name=note]", "partial: worn soles"),
		chromedp.Click("[data-act=approve] button[type=submit]"),
		chromedp.WaitVisible(`[data-status=awaiting_return]`))
	if c := st.get(t, b1, shoes); c.ApprovedAmount != 30000 || c.Status != "awaiting_return" {
		t.Fatalf("after the partial approval: %s approved %d, want awaiting_return 30000", c.Status, c.ApprovedAmount)
	}
	p.shot("approved-partially")

	// The buyer ships the shoes back; the reviewer confirms receipt of a
	// defective pair, and the 300.00 goes back through Alipay.
	act(t, b1, "/v1/cases/"+shoes+"/return-shipment", map[string]any{"courier": "shunfeng", "tracking_number": "SF1234567890"}, http.StatusOK)
	st.settle(t)
	p.do("reload the case", chromedp.Evaluate[chromedp.Void]("location.reload()"), chromedp.WaitVisible("[data-act=receipt]"),
		chromedp.SetValue("[data-act=receipt] select[name=condition]", "defective"),
		chromedp.SetValue("[data-act=receipt] input[name=note]", "sole detached"),
		chromedp.Click("[data-act=receipt] button[type=submit]"))
	p.until("receipt confirmed", `["refunding", "completed"].includes(document.querySelector("[data-status]")?.dataset.status)`, 10*time.Second, "", nil)
	st.settle(t)
	var received struct {
		Status    string `json:"status"`
		Condition string `json:"return_condition"`
		Refunded  int64  `json:"refunded_amount"`
	}
	b1.do("GET", "/v1/cases/"+shoes, nil).decode(t, &received)
	if received.Condition != "defective" || received.Status != "completed" || received.Refunded != 30000 {
		t.Errorf("after the receipt: %+v, want defective, completed, 30000 refunded", received)
	}
	p.do("the refund on the case page", chromedp.Evaluate[chromedp.Void]("location.reload()"), chromedp.WaitVisible("[data-refunds]"))
	if got := eval[string](p, `document.querySelector("[data-refunds]").textContent`); !strings.Contains(got, "succeeded") || !strings.Contains(got, "Alipay") {
		t.Errorf("refunds on the case page: %q", got)
	}
	p.shot("received-and-refunded")

	// A reviewer is offered no admin-only action: not the refrigerator's
	// approval, not the rule set's save.
	p.goHash("#/case/" + fridge)
	p.do("the admin's case", chromedp.WaitVisible("[data-needs-admin]"))
	if n := eval[int](p, `document.querySelectorAll("[data-act=approve]").length`); n != 0 {
		t.Errorf("a reviewer sees %d approve forms on a case above the admin threshold", n)
	}
	p.shot("reviewer-no-admin-approve")
	p.goHash("#/rules")
	p.do("rule set as reviewer", chromedp.WaitVisible("[data-admin-only]"))
	if n := eval[int](p, `document.querySelectorAll("[data-review-rules], [data-save-rules], [data-add-rule]").length`); n != 0 {
		t.Errorf("a reviewer sees %d rule set editing buttons", n)
	}
	if !eval[bool](p, `[...document.querySelectorAll("[data-ruleset] input")].every(i => i.disabled)`) {
		t.Error("a reviewer can type in the rule set")
	}
	p.shot("reviewer-rules-read-only")

	// From the queue by keyboard: r on the serum asks for the reason the
	// buyer will see, and rejects it.
	p.goHash("#/queue")
	p.do("queue for r", chromedp.WaitVisible(fmt.Sprintf(`tr[data-case=%q]`, serum)))
	for range 5 {
		if eval[bool](p, fmt.Sprintf(`document.querySelector("tr.sel")?.dataset.case === %q`, serum)) {
			break
		}
		p.do("j", chromedp.KeyEvent("j"))
	}
	p.do("r asks why", chromedp.KeyEvent("r"), chromedp.WaitVisible("[data-ask]"),
		chromedp.SendKeys("[data-ask]", "opened, not returnable\r"))
	p.until("the serum is rejected", fmt.Sprintf(`document.querySelector('tr[data-case=%q]').classList.contains("muted")`, serum), 10*time.Second, "", nil)
	p.shot("rejected-by-keyboard")
	wantStatus(t, st.get(t, b2, serum), "rejected")

	// Batch-approve 200 cases by filter; the progress bar follows the job
	// to the end, and the refrigerator (admin level) is listed as failed.
	st.createReviewBacklog(t, 200, 0)
	p.goHash("#/batch")
	p.do("batch form", chromedp.WaitVisible("[data-batch-start]"))
	p.do("start the batch", chromedp.Click("[data-batch-start]"), chromedp.WaitVisible("[data-progress]"))
	var seen []string
	p.until("the batch finishes", `document.querySelector("[data-progress-text]").dataset.status === "done"`, 90*time.Second,
		`document.querySelector("[data-progress]").value + "/" + document.querySelector("[data-progress]").max`,
		func(v string) {
			if len(seen) == 0 || seen[len(seen)-1] != v {
				seen = append(seen, v)
			}
		})
	last := eval[string](p, `document.querySelector("[data-progress]").value + "/" + document.querySelector("[data-progress]").max`)
	t.Logf("progress seen: %v", seen)
	if last != "201/201" {
		t.Errorf("progress ended at %s, want 201/201 (200 and the refrigerator)", last)
	}
	if got := eval[string](p, `document.querySelector("[data-failures]")?.textContent ?? ""`); !strings.Contains(got, fridge) || !strings.Contains(got, "Forbidden") {
		t.Errorf("failures %q, want the refrigerator as Forbidden", got)
	}
	p.shot("batch-200-done")

	// The ledger: the T-shirt's refund, totals by channel, the CSV export.
	p.goHash("#/ledger")
	p.do("ledger", chromedp.WaitVisible(`[data-totals] tr[data-channel=wechatpay]`), chromedp.WaitVisible("[data-refunds]"))
	p.shot("ledger")
	p.do("export", chromedp.Click("[data-export]"))
	csv := waitDownload(t, downloads, 20*time.Second)
	if !bytes.HasPrefix(csv, []byte("\xef\xbb\xbf")) || !bytes.Contains(csv, []byte(tshirt.ID)) {
		t.Errorf("the exported CSV (%d bytes) lacks the BOM or the T-shirt's case: %.300s", len(csv), csv)
	}

	// An admin saves an invalid rule set: the error is next to its field,
	// after the difference from the version in force was shown.
	p.signIn("boss", "admin")
	p.goHash("#/rules")
	p.do("rule set as admin", chromedp.WaitVisible(`[data-path="rules[0].id"] input`),
		chromedp.SetValue(`[data-path="rules[0].id"] input`, "bad id!"),
		chromedp.Click("[data-review-rules]"),
		chromedp.WaitVisible("[data-diff] pre.diff"))
	added := eval[[]string](p, `[...document.querySelectorAll("[data-diff] pre.diff .add")].map(e => e.textContent.trim().replace(/\s+/g, " "))`)
	removed := eval[[]string](p, `[...document.querySelectorAll("[data-diff] pre.diff .del")].map(e => e.textContent.trim().replace(/\s+/g, " "))`)
	if len(added) != 1 || added[0] != `+ "id": "bad id!",` || len(removed) != 1 || removed[0] != `- "id": "virtual-redeemed",` {
		t.Errorf("the diff shows %q added and %q removed, want only rules[0].id changed", added, removed)
	}
	p.shot("rules-diff")
	p.expect("422 (Unprocessable Entity)") // the refused save, below
	p.do("save", chromedp.Click("[data-save-rules]"))
	p.until("the error is next to rules[0].id", `document.querySelector('[data-error-for="rules[0].id"]').textContent.length > 0`, 10*time.Second, "", nil)
	if !eval[bool](p, `document.querySelector('[data-path="rules[0].id"]').classList.contains("invalid")`) {
		t.Error("the field rules[0].id is not marked invalid")
	}
	p.shot("rules-error-next-to-field")
	if rs := st.as(t, "boss", "admin").do("GET", "/v1/staff/ruleset", nil); !bytes.Contains(rs.body, []byte(`"version":1`)) {
		t.Errorf("the invalid rule set was stored: %.200s", rs.body)
	}

	// Corrected and saved: version 2, with the admin's change.
	p.do("correct and save", chromedp.SetValue(`[data-path="rules[0].id"] input`, "virtual-redeemed"),
		chromedp.SetValue(`[data-path="admin_approval_above"] input`, "60000"),
		chromedp.Click("[data-review-rules]"),
		chromedp.WaitVisible("[data-diff] [data-save-rules]"),
		chromedp.Click("[data-diff] [data-save-rules]"))
	p.until("version 2 is shown", `document.querySelector("main p.muted")?.textContent.startsWith("Version 2, saved by staff:boss")`, 10*time.Second, "", nil)
	var rs struct {
		Version int   `json:"version"`
		Above   int64 `json:"admin_approval_above"`
	}
	st.as(t, "boss", "admin").do("GET", "/v1/staff/ruleset", nil).decode(t, &rs)
	if rs.Version != 2 || rs.Above != 60000 {
		t.Errorf("rule set after the save: %+v, want version 2 with 60000", rs)
	}

	// Chinese, by the switch in the header.
	p.goHash("#/queue")
	p.do("queue again", chromedp.WaitVisible("[data-queue]"), chromedp.Click("header [data-lang]"), chromedp.WaitVisible("[data-queue]"))
	if got := eval[string](p, `document.querySelector("[data-nav=queue]").textContent`); got != "审核队列" {
		t.Errorf("nav in %q after switching to Chinese", got)
	}
	p.shot("queue-zh")
}

// waitDownload waits for the one finished file in dir.
func waitDownload(t *testing.T, dir string, within time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
		if len(files) == 1 {
			if b, err := os.ReadFile(files[0]); err == nil && len(b) > 0 {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CSV downloaded to %s after %s", dir, within)
		}
		<-time.After(50 * time.Millisecond)
	}
}

// TestConsoleServed checks the console's page, its strict headers, its
// config and the redirect, without a browser.
func TestConsoleServed(t *testing.T) {
	st := startStack(t)
	res, err := http.Get(st.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != http.StatusOK || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, st.S3URL()) {
		t.Fatalf("GET /console/: %d, CSP %q", res.StatusCode, csp)
	}
	var cfg struct {
		Signin string    `json:"signin"`
		Now    time.Time `json:"now"`
	}
	r2, err := http.Get(st.URL + "/console/config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	if err := json.NewDecoder(r2.Body).Decode(&cfg); err != nil || cfg.Signin != "dev" || !cfg.Now.Equal(st.Clock.Now()) {
		t.Fatalf("config %+v %v, want dev sign-in and the stack's clock %s", cfg, err, st.Clock.Now())
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r3, err := noRedirect.Get(st.URL + "/console")
	if err != nil {
		t.Fatal(err)
	}
	r3.Body.Close()
	if r3.StatusCode != http.StatusMovedPermanently || r3.Header.Get("Location") != "/console/" {
		t.Errorf("GET /console: %d %s", r3.StatusCode, r3.Header.Get("Location"))
	}
	// The demo cases of `go run ./infra/local`: three waiting for review,
	// one above the admin threshold, one with a member's promised review.
	if err := st.DemoCases(t.Context()); err != nil {
		t.Fatal(err)
	}
	st.settle(t)
	var queue struct {
		Items []caseBody `json:"items"`
	}
	st.as(t, "staff-1", "reviewer").do("GET", "/v1/staff/cases?status=pending_review", nil).decode(t, &queue)
	promised, admin := 0, 0
	for _, c := range queue.Items {
		if c.Next != nil && c.Next.DefaultAt != nil {
			promised++
		}
		if c.RequestedAmount > 50000 {
			admin++
		}
	}
	if len(queue.Items) != 3 || promised != 1 || admin != 1 {
		t.Errorf("demo queue: %d cases, %d with a promised review, %d above the admin threshold; want 3, 1, 1", len(queue.Items), promised, admin)
	}
	if !strings.Contains(st.QuickStart(), st.URL+"/console/") {
		t.Error("the quick start does not print the console's URL")
	}
}

// TestConsoleDisputesInBrowser works a dispute through the console: the
// staff inbox announces it, the disputes list shows it, an admin writes in
// the thread and proposes; escalated, an arbitrator (who sees none of the
// merchant's money screens) decides it; then an admin sends a goodwill
// refund.
func TestConsoleDisputesInBrowser(t *testing.T) {
	st := startStack(t)
	c, buyer, admin := rejectedPhone(t, st)
	openDispute(t, buyer, c.ID)
	st.settle(t)
	if res := buyer.do("POST", "/v1/cases/"+c.ID+"/messages", map[string]any{"text": "the screen flickers after ten minutes"}); res.status != http.StatusCreated {
		t.Fatalf("buyer message: %d %s", res.status, res.body)
	}
	st.settle(t)
	p := openBrowser(t, st.URL, t.TempDir())
	p.step = 20 // after TestConsoleInBrowser's screenshots

	p.signIn("boss", "admin")

	// Batch review of cases picked by hand in the queue.
	b1 := st.as(t, "buyer-1", "buyer")
	shoes := openForReview(t, st, b1, "o-1002", "l1", "size_not_fit")
	socks := openForReview(t, st, b1, "o-1002", "l2", "size_not_fit")
	p.goHash("#/queue")
	p.do("pick two", chromedp.WaitVisible(fmt.Sprintf(`tr[data-case=%q]`, socks)),
		chromedp.Click(fmt.Sprintf(`tr[data-case=%q] input[type=checkbox]`, shoes)),
		chromedp.Click(fmt.Sprintf(`tr[data-case=%q] input[type=checkbox]`, socks)),
		chromedp.Click("[data-batch-picked]"),
		chromedp.WaitVisible("[data-batch-ids]"))
	if got := eval[string](p, `document.querySelector("[data-batch-ids]").value`); !strings.Contains(got, shoes) || !strings.Contains(got, socks) || strings.Contains(got, c.ID) {
		t.Errorf("batch ids %q, want the two picked", got)
	}
	p.do("approve the two", chromedp.Click("[data-batch-start]"), chromedp.WaitVisible("[data-progress]"))
	p.until("the batch of two finishes", `document.querySelector("[data-progress-text]").dataset.status === "done"`, 30*time.Second, "", nil)
	if got := eval[string](p, `document.querySelector("[data-progress-text]").textContent`); !strings.HasPrefix(got, "2 of 2 decided: 2 done, 0 failed") {
		t.Errorf("progress %q", got)
	}
	p.shot("batch-picked-by-hand")
	st.settle(t)
	wantStatus(t, st.get(t, b1, shoes), "awaiting_return")
	wantStatus(t, st.get(t, b1, socks), "awaiting_return")

	p.goHash("#/inbox")
	p.do("inbox", chromedp.WaitVisible("[data-inbox]"))
	if got := eval[string](p, `document.querySelector("[data-inbox]").textContent`); !strings.Contains(got, c.ID) {
		t.Errorf("the staff inbox does not announce the dispute of %s: %.300s", c.ID, got)
	}
	p.shot("inbox")
	p.goHash("#/disputes")
	p.do("disputes", chromedp.WaitVisible(fmt.Sprintf(`[data-disputes=disputed] a[href="#/case/%s"]`, c.ID)),
		chromedp.Click(fmt.Sprintf(`[data-disputes=disputed] a[href="#/case/%s"]`, c.ID)),
		chromedp.WaitVisible("[data-thread] .msg"))
	if got := eval[string](p, `document.querySelector("[data-thread]").textContent`); !strings.Contains(got, "the screen flickers") || !strings.Contains(got, "intact") {
		t.Errorf("thread %q lacks the buyer's message or its verification", got)
	}
	p.do("answer in the thread",
		chromedp.SetValue("[data-act=messages] input[name=text]", "Please send a video; we will check."),
		chromedp.Click("[data-act=messages] button[type=submit]"))
	p.until("the answer is in the thread", `document.querySelectorAll("[data-thread] .msg").length === 2`, 10*time.Second, "", nil)
	st.settle(t) // the workflow begins the agreement wait after the merchant's first word
	p.do("propose",
		chromedp.SetValue("[data-act=proposals] input[name=amount]", "2000.00"),
		chromedp.SetValue("[data-act=proposals] input[name=note]", "half back"),
		chromedp.Click("[data-act=proposals] button[type=submit]"))
	p.until("the proposal is listed", `document.querySelector("[data-dispute]")?.textContent.includes("¥2,000.00")`, 10*time.Second, "", nil)
	p.shot("dispute-thread-and-proposal")
	d := st.dispute(t, admin, c.ID)
	if d.Dispute == nil || len(d.Dispute.Proposals) != 1 || d.Dispute.Proposals[0].Amount != 200000 || d.Dispute.Proposals[0].By != "merchant" {
		t.Fatalf("dispute after the console's proposal: %+v", d.Dispute)
	}

	// No agreement within 5 days: escalated to the platform.
	st.advance(t, 121*time.Hour)
	wantStatus(t, st.get(t, buyer, c.ID), "escalated")
	p.signIn("arb-1", "arbitrator")
	if n := eval[int](p, `document.querySelectorAll("[data-nav=ledger], [data-nav=batch], [data-nav=rules], [data-nav=goodwill]").length`); n != 0 {
		t.Errorf("an arbitrator is shown %d of the merchant's screens", n)
	}
	p.goHash("#/case/" + c.ID)
	p.do("arbitrate",
		chromedp.WaitVisible("[data-act=arbitrate]"),
		chromedp.SetValue("[data-act=arbitrate] input[name=amount]", "1500.00"),
		chromedp.SetValue("[data-act=arbitrate] input[name=note]", "the video shows the fault"),
		chromedp.Click("[data-act=arbitrate] button[type=submit]"))
	p.until("the verdict is recorded", `document.querySelector("[data-status]")?.dataset.status !== "escalated"`, 10*time.Second, "", nil)
	p.shot("arbitrated")
	st.settle(t)
	if got := st.get(t, buyer, c.ID); got.ApprovedAmount != 150000 {
		t.Errorf("after the verdict: %s approved %d, want 150000", got.Status, got.ApprovedAmount)
	}

	// A goodwill refund for the strawberries' late delivery.
	p.signIn("boss", "admin")
	p.goHash("#/goodwill")
	p.do("goodwill",
		chromedp.WaitVisible("input[name=order_id]"),
		chromedp.SetValue("input[name=order_id]", "o-1003"),
		chromedp.SetValue("input[name=amount]", "10.00"),
		chromedp.SetValue("select[name=reason]", "late_delivery"),
		chromedp.SetValue("input[name=note]", "sorry for the delay"),
		chromedp.Click("main form button[type=submit]"),
		chromedp.WaitVisible(".notice.ok a"))
	id := eval[string](p, `document.querySelector(".notice.ok a").textContent`)
	p.shot("goodwill")
	var gw caseBody
	if res := admin.do("GET", "/v1/staff/cases/"+id, nil); res.status != http.StatusOK {
		t.Fatalf("goodwill case %q: %d %s", id, res.status, res.body)
	} else {
		res.decode(t, &gw)
	}
	if gw.Type != "goodwill" || gw.ApprovedAmount != 1000 || gw.OrderID != "o-1003" {
		t.Errorf("goodwill case %+v", gw)
	}
}
