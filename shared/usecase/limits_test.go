package usecase_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// Regression tests of issue 13, defects 5 and 6: limits are checked before
// any lookup, error lists are capped, free text that would deceive its
// reader is refused, and upload URLs have quotas.

// lookups counts the reads the use cases make of stores and object storage.
type lookups struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *lookups) add(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = map[string]int{}
	}
	l.n[what]++
}

func (l *lookups) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n = nil
}

func (l *lookups) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.n)
}

func (l *lookups) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.n {
		n += v
	}
	return n
}

// countingStore is the memory store, counting every read a request could
// be made to repeat.
type countingStore struct {
	*memstore.Store
	seen *lookups
}

func (s countingStore) GetCase(ctx context.Context, id string) (*aftersales.Case, error) {
	s.seen.add("GetCase")
	return s.Store.GetCase(ctx, id)
}

func (s countingStore) ListCases(ctx context.Context, q aftersales.CaseQuery) (aftersales.CasePage, error) {
	s.seen.add("ListCases")
	return s.Store.ListCases(ctx, q)
}

func (s countingStore) GetUpload(ctx context.Context, id string) (aftersales.Upload, error) {
	s.seen.add("GetUpload")
	return s.Store.GetUpload(ctx, id)
}

func (s countingStore) GetOrder(ctx context.Context, id string) (*aftersales.Order, error) {
	s.seen.add("GetOrder")
	return s.Store.GetOrder(ctx, id)
}

func (s countingStore) GetIdempotency(ctx context.Context, scope, key string) (aftersales.IdempotencyRecord, error) {
	s.seen.add("GetIdempotency")
	return s.Store.GetIdempotency(ctx, scope, key)
}

// memBlobs is object storage in memory: presigned uploads are "made" with
// put, and every call is counted.
type memBlobs struct {
	seen    *lookups
	mu      sync.Mutex
	objects map[string]aftersales.BlobInfo
	signed  []string // the keys of presigned URLs, in order
	copies  [][2]string
}

func newMemBlobs(seen *lookups) *memBlobs {
	return &memBlobs{seen: seen, objects: map[string]aftersales.BlobInfo{}}
}

func (b *memBlobs) PresignPut(_ context.Context, key, contentType string, size int64, expires time.Duration) (aftersales.PresignedUpload, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.signed = append(b.signed, key)
	return aftersales.PresignedUpload{URL: "https://blobs.example/" + key, Method: "PUT"}, nil
}

func (b *memBlobs) Stat(_ context.Context, key string) (aftersales.BlobInfo, error) {
	b.seen.add("Stat")
	b.mu.Lock()
	defer b.mu.Unlock()
	info, ok := b.objects[key]
	if !ok {
		return aftersales.BlobInfo{}, aftersales.ErrNotFound
	}
	return info, nil
}

func (b *memBlobs) Copy(_ context.Context, from, to string) error {
	b.seen.add("Copy")
	b.mu.Lock()
	defer b.mu.Unlock()
	info, ok := b.objects[from]
	if !ok {
		return aftersales.ErrNotFound
	}
	b.objects[to] = info
	b.copies = append(b.copies, [2]string{from, to})
	return nil
}

func (b *memBlobs) PresignGet(_ context.Context, key string, _ time.Duration) (string, error) {
	return "https://blobs.example/" + key + "?signed", nil
}

func (b *memBlobs) Get(_ context.Context, key string, _ int64) ([]byte, aftersales.BlobInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info, ok := b.objects[key]
	if !ok {
		return nil, aftersales.BlobInfo{}, aftersales.ErrNotFound
	}
	return nil, info, nil
}

func (b *memBlobs) Put(_ context.Context, key, contentType string, body []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = aftersales.BlobInfo{ContentType: contentType, Size: int64(len(body))}
	return nil
}

// put is the buyer's upload with a presigned URL.
func (b *memBlobs) put(key string, info aftersales.BlobInfo) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = info
}

type limitsFixture struct {
	svc   *usecase.Services
	seen  *lookups
	blobs *memBlobs
	clock *storetest.FakeClock
}

func newLimitsFixture(t *testing.T) *limitsFixture {
	t.Helper()
	f := &limitsFixture{seen: &lookups{}, clock: storetest.NewFakeClock(storetest.Epoch)}
	f.blobs = newMemBlobs(f.seen)
	store := countingStore{Store: memstore.New(f.clock), seen: f.seen}
	f.svc, _ = newServiceWith(t, usecase.Ports{Cases: store, Orders: store, Idempotency: store, Refunds: store}, f.blobs, f.clock)
	return f
}

// ids returns n evidence ids, all different unless same.
func ids(n int, same bool) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("ev_%05d", i)
		if same {
			out[i] = "ev_00000"
		}
	}
	return out
}

// wantFieldError fails the test unless err is KindInvalid naming field
// (first) with a message holding msg, listing at most MaxFieldErrors and
// counting the rest as omitted.
func wantFieldError(t *testing.T, err error, field, msg string, omitted int) {
	t.Helper()
	fields := aftersales.FieldsOf(err)
	if aftersales.KindOf(err) != aftersales.KindInvalid || len(fields) == 0 || fields[0].Field != field || !strings.Contains(fields[0].Message, msg) {
		t.Fatalf("err %v, want Invalid naming %s (%q)", err, field, msg)
	}
	if len(fields) > aftersales.MaxFieldErrors || aftersales.OmittedOf(err) != omitted {
		t.Errorf("%d field errors listed and %d omitted, want at most %d and %d omitted", len(fields),
			aftersales.OmittedOf(err), aftersales.MaxFieldErrors, omitted)
	}
}

// TestLimitsBeforeLookups: a request over a limit is refused naming the
// limit before anything is looked up for it, and its errors are capped.
func TestLimitsBeforeLookups(t *testing.T) {
	idem := &aftersales.IdempotentRequest{Key: "k-1", RequestHash: "h",
		Render: func(*aftersales.Case) (int, []byte, error) { return 201, []byte(`{}`), nil }}
	withEvidence := func(evidence []string) aftersales.Application {
		a := app("l1")
		a.EvidenceIDs = evidence
		return a
	}
	manyLines := app()
	for i := range aftersales.MaxCaseLines + 1 {
		manyLines.Lines = append(manyLines.Lines, aftersales.LineRequest{LineID: fmt.Sprintf("l%d", i), Quantity: 1})
	}
	tests := []struct {
		name    string
		call    func(ctx context.Context, f *limitsFixture) error
		field   string
		msg     string
		omitted int
	}{
		{"an application of 5,000 evidence ids", func(ctx context.Context, f *limitsFixture) error {
			_, err := f.svc.Cases.CreateCase(ctx, buyer, withEvidence(ids(5000, false)), idem)
			return err
		}, "evidence", "at most 9", 0},
		{"an application of 51 lines", func(ctx context.Context, f *limitsFixture) error {
			_, err := f.svc.Cases.CreateCase(ctx, buyer, manyLines, idem)
			return err
		}, "lines", "at most 50", 0},
		{"an evidence id longer than any id", func(ctx context.Context, f *limitsFixture) error {
			_, err := f.svc.Cases.CreateCase(ctx, buyer, withEvidence([]string{strings.Repeat("e", 5000)}), idem)
			return err
		}, "evidence[0]", "1 to 128 bytes", 0},
		{"a description of 501 characters", func(ctx context.Context, f *limitsFixture) error {
			a := app("l1")
			a.Description = strings.Repeat("长", aftersales.MaxDescriptionRunes+1)
			_, err := f.svc.Cases.CreateCase(ctx, buyer, a, idem)
			return err
		}, "description", "at most 500 characters", 0},
		{"attaching 5,000 evidence ids", func(ctx context.Context, f *limitsFixture) error {
			_, err := f.svc.Cases.AttachEvidence(ctx, buyer, "as_1", ids(5000, false))
			return err
		}, "evidence_ids", "at most 9", 0},
		{"attaching one id twice", func(ctx context.Context, f *limitsFixture) error {
			_, err := f.svc.Cases.AttachEvidence(ctx, buyer, "as_1", []string{"ev_1", "ev_2", "ev_1"})
			return err
		}, "evidence_ids[2]", "twice", 0},
		{"a batch of 10,001 ids", func(ctx context.Context, f *limitsFixture) error {
			_, err := f.svc.Review.StartBatchReview(ctx, reviewer, aftersales.BatchReview{CaseIDs: ids(aftersales.MaxBatchReview+1, false), Decision: "approve"})
			return err
		}, "case_ids", "at most 10000", 0},
		{"a batch of one id 5,000 times", func(ctx context.Context, f *limitsFixture) error {
			_, err := f.svc.Review.StartBatchReview(ctx, reviewer, aftersales.BatchReview{CaseIDs: ids(5000, true), Decision: "approve"})
			return err
		}, "case_ids[1]", "twice", 4999 - aftersales.MaxFieldErrors},
		{"ten upload URLs for a case", func(ctx context.Context, f *limitsFixture) error {
			files := slices.Repeat([]aftersales.UploadFile{{ContentType: "image/jpeg", Size: 1}}, aftersales.MaxEvidencePerCase+1)
			_, err := f.svc.Cases.RequestUploads(ctx, buyer, "as_1", files)
			return err
		}, "files", "at most 9", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLimitsFixture(t)
			f.seen.reset()
			start := time.Now()
			err := tt.call(t.Context(), f)
			wantFieldError(t, err, tt.field, tt.msg, tt.omitted)
			if n := f.seen.total(); n != 0 {
				t.Errorf("%d lookups before the refusal (%s), want none", n, f.seen)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("the refusal took %v", d)
			}
		})
	}
}

// TestFreeTextRefused: every free-text field a use case stores refuses
// text that is not UTF-8, control characters, bidirectional controls and
// invisible formatting, naming the field.
func TestFreeTextRefused(t *testing.T) {
	bad := []struct {
		name, text, msg string
	}{
		{"invalid UTF-8", "ok \xff\xfe", "UTF-8"},
		{"a right-to-left override", "photo_\u202egnp.exe", "U+202E"},
		{"a first-strong isolate", "a\u2068b", "U+2068"},
		{"a NUL", "a\x00b", "U+0000"},
		{"an escape sequence", "\x1b[2Jhidden", "U+001B"},
		{"a carriage return", "line\rover", "U+000D"},
		{"a zero-width space", "re\u200bfund", "U+200B"},
		{"a tag character", "ok\U000E0041", "U+E0041"},
	}
	admin := aftersales.Principal{ID: "boss", Roles: []aftersales.Role{aftersales.RoleAdmin}}
	type target struct {
		name  string
		field string
		call  func(ctx context.Context, svc *usecase.Services, c *aftersales.Case, text string) error
	}
	targets := []target{
		{"application description", "description", func(ctx context.Context, svc *usecase.Services, _ *aftersales.Case, text string) error {
			a := app("l2")
			a.Description = text
			_, err := svc.Cases.CreateCase(ctx, buyer, a, nil)
			return err
		}},
		{"approval note", "note", func(ctx context.Context, svc *usecase.Services, c *aftersales.Case, text string) error {
			_, err := svc.Review.Approve(ctx, reviewer, c.ID, aftersales.Approval{Note: text})
			return err
		}},
		{"rejection reason", "reason", func(ctx context.Context, svc *usecase.Services, c *aftersales.Case, text string) error {
			_, err := svc.Review.Reject(ctx, reviewer, c.ID, text)
			return err
		}},
		{"evidence request note", "note", func(ctx context.Context, svc *usecase.Services, c *aftersales.Case, text string) error {
			_, err := svc.Review.RequestEvidence(ctx, reviewer, c.ID, text)
			return err
		}},
		{"batch reason", "reason", func(ctx context.Context, svc *usecase.Services, c *aftersales.Case, text string) error {
			_, err := svc.Review.StartBatchReview(ctx, reviewer, aftersales.BatchReview{CaseIDs: []string{c.ID}, Decision: "reject", Reason: text})
			return err
		}},
		{"receipt note", "note", func(ctx context.Context, svc *usecase.Services, c *aftersales.Case, text string) error {
			_, err := svc.Returns.ConfirmReceipt(ctx, reviewer, c.ID, aftersales.ConditionSellable, text)
			return err
		}},
		{"courier", "courier", func(ctx context.Context, svc *usecase.Services, c *aftersales.Case, text string) error {
			_, err := svc.Returns.ShipReturn(ctx, buyer, c.ID, aftersales.Shipment{Courier: text, TrackingNumber: "SF1234567"}, 0)
			return err
		}},
		{"rule description", "rules[0].description", func(ctx context.Context, svc *usecase.Services, _ *aftersales.Case, text string) error {
			rs := aftersales.DefaultRuleSet()
			rs.Rules[0].Description = text
			_, err := svc.RuleSets.PutRuleSet(ctx, admin, rs)
			return err
		}},
		{"rule reason shown to buyers", "rules[0].then.reason", func(ctx context.Context, svc *usecase.Services, _ *aftersales.Case, text string) error {
			rs := aftersales.DefaultRuleSet()
			rs.Rules[0].Then.Reason = text
			_, err := svc.RuleSets.PutRuleSet(ctx, admin, rs)
			return err
		}},
	}
	for _, tg := range targets {
		for _, b := range bad {
			t.Run(tg.name+"/"+b.name, func(t *testing.T) {
				svc, _ := newService(t)
				c := inReview(t, svc, "tok", "l1")
				before := c.Version
				err := tg.call(t.Context(), svc, c, b.text)
				wantFieldError(t, err, tg.field, b.msg, 0)
				after, err := svc.Cases.GetCase(t.Context(), reviewer, c.ID)
				if err != nil || after.Version != before {
					t.Errorf("the case changed: version %d, want %d (%v)", after.Version, before, err)
				}
				if rs, err := svc.RuleSets.CurrentRuleSet(t.Context()); err != nil || rs.UpdatedBy != "" {
					t.Errorf("a rule set was stored (by %q, %v)", rs.UpdatedBy, err)
				}
			})
		}
	}
}

// TestFreeTextAccepted: line breaks and tabs in long text, other scripts
// and emoji joined by U+200D are text, not tricks.
func TestFreeTextAccepted(t *testing.T) {
	for _, text := range []string{
		"第一行\n第二行\t缩进",
		"family: 👨\u200d👩\u200d👧, flag 🇨🇳",
		"مرحبا بالعالم",
		"می\u200cخواهم", // Persian needs the zero-width non-joiner
	} {
		t.Run(text, func(t *testing.T) {
			svc, _ := newService(t)
			a := app("l1")
			a.Description = text
			res, err := svc.Cases.CreateCase(t.Context(), buyer, a, nil)
			if err != nil || res.Case.Description != text {
				t.Fatalf("CreateCase: %+v %v", res.Case, err)
			}
		})
	}
}

// TestUploadQuotas: upload URLs are counted before any is signed: a case
// gets MaxUploadsPerCase in its life (then 422 on files), a buyer
// MaxUploadsPerBuyerHour in a clock hour (then RateLimited until the hour
// ends).
func TestUploadQuotas(t *testing.T) {
	nine := slices.Repeat([]aftersales.UploadFile{{ContentType: "image/jpeg", Size: 1000}}, aftersales.MaxEvidencePerCase)
	one := nine[:1]

	t.Run("per case", func(t *testing.T) {
		f := newLimitsFixture(t)
		res, err := f.svc.Cases.CreateCase(t.Context(), buyer, app("l1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range aftersales.MaxUploadsPerCase / len(nine) {
			if _, err := f.svc.Cases.RequestUploads(t.Context(), buyer, res.Case.ID, nine); err != nil {
				t.Fatalf("request %d of nine URLs: %v", i+1, err)
			}
		}
		signed := len(f.blobs.signed)
		_, err = f.svc.Cases.RequestUploads(t.Context(), buyer, res.Case.ID, one)
		wantFieldError(t, err, "files", fmt.Sprintf("at most %d upload URLs", aftersales.MaxUploadsPerCase), 0)
		if len(f.blobs.signed) != signed {
			t.Errorf("%d URLs signed for a refused request", len(f.blobs.signed)-signed)
		}
		f.clock.Advance(24 * time.Hour) // a case's quota does not renew
		_, err = f.svc.Cases.RequestUploads(t.Context(), buyer, res.Case.ID, one)
		wantFieldError(t, err, "files", "upload URLs", 0)
	})

	t.Run("per buyer and hour", func(t *testing.T) {
		f := newLimitsFixture(t)
		f.clock.Set(storetest.Epoch.Add(10*time.Hour + 20*time.Minute))
		for i := range aftersales.MaxUploadsPerBuyerHour / len(nine) {
			if _, err := f.svc.Cases.RequestUploads(t.Context(), buyer, "", nine); err != nil {
				t.Fatalf("request %d of nine URLs: %v", i+1, err)
			}
		}
		signed := len(f.blobs.signed)
		_, err := f.svc.Cases.RequestUploads(t.Context(), buyer, "", one)
		if aftersales.KindOf(err) != aftersales.KindRateLimited || aftersales.RetryAfterOf(err) != 40*time.Minute {
			t.Fatalf("over the hour's quota: %v (retry after %v), want RateLimited, retry after 40m", err, aftersales.RetryAfterOf(err))
		}
		if len(f.blobs.signed) != signed {
			t.Errorf("%d URLs signed for a refused request", len(f.blobs.signed)-signed)
		}
		other := aftersales.Principal{ID: "b2", Roles: []aftersales.Role{aftersales.RoleBuyer}}
		if _, err := f.svc.Cases.RequestUploads(t.Context(), other, "", one); err != nil {
			t.Errorf("another buyer in the same hour: %v", err)
		}
		f.clock.Set(storetest.Epoch.Add(11 * time.Hour))
		if _, err := f.svc.Cases.RequestUploads(t.Context(), buyer, "", nine); err != nil {
			t.Errorf("the next hour: %v", err)
		}
	})
}

// TestEvidenceKeptWhenAttached: uploads go under pending/, which the
// bucket's lifecycle rule empties; a file a case takes is copied under
// evidence/ before the case is written, and one refused is not.
func TestEvidenceKeptWhenAttached(t *testing.T) {
	f := newLimitsFixture(t)
	res, err := f.svc.Cases.CreateCase(t.Context(), buyer, app("l1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	photo := aftersales.BlobInfo{ContentType: "image/jpeg", Size: 1000}
	ups, err := f.svc.Cases.RequestUploads(t.Context(), buyer, res.Case.ID, []aftersales.UploadFile{{ContentType: photo.ContentType, Size: photo.Size},
		{ContentType: "image/png", Size: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pending/b1/" + ups[0].EvidenceID, "pending/b1/" + ups[1].EvidenceID}; !slices.Equal(f.blobs.signed, want) {
		t.Fatalf("URLs signed for %v, want %v", f.blobs.signed, want)
	}
	f.blobs.put(f.blobs.signed[0], photo)
	f.blobs.put(f.blobs.signed[1], aftersales.BlobInfo{ContentType: "image/png", Size: 6}) // not as declared

	if _, err := f.svc.Cases.AttachEvidence(t.Context(), buyer, res.Case.ID, []string{ups[1].EvidenceID}); aftersales.KindOf(err) != aftersales.KindInvalid {
		t.Fatalf("attach a file not as declared: %v", err)
	}
	if len(f.blobs.copies) != 0 {
		t.Fatalf("a refused file was kept: %v", f.blobs.copies)
	}
	c, err := f.svc.Cases.AttachEvidence(t.Context(), buyer, res.Case.ID, []string{ups[0].EvidenceID})
	if err != nil || len(c.Evidence) != 1 {
		t.Fatalf("attach: %+v %v", c, err)
	}
	kept := "evidence/b1/" + ups[0].EvidenceID
	if want := [][2]string{{f.blobs.signed[0], kept}}; !slices.Equal(f.blobs.copies, want) {
		t.Errorf("copies %v, want %v", f.blobs.copies, want)
	}
	if info, err := f.blobs.Stat(t.Context(), kept); err != nil || info != photo {
		t.Errorf("kept file %+v %v", info, err)
	}

	// An application's files are kept when the case is created.
	ups, err = f.svc.Cases.RequestUploads(t.Context(), buyer, "", []aftersales.UploadFile{{ContentType: photo.ContentType, Size: photo.Size}})
	if err != nil {
		t.Fatal(err)
	}
	f.blobs.put(f.blobs.signed[2], photo)
	a := app("l2")
	a.EvidenceIDs = []string{ups[0].EvidenceID}
	if _, err := f.svc.Cases.CreateCase(t.Context(), buyer, a, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.blobs.objects["evidence/b1/"+ups[0].EvidenceID]; !ok || len(f.blobs.copies) != 2 {
		t.Errorf("the application's file was not kept: %v", slices.Collect(maps.Keys(f.blobs.objects)))
	}
}

// TestApplicationNamesEveryMistake: an application within its limits has
// all its mistakes named at once, those found on its own and those found
// against the order and the uploads.
func TestApplicationNamesEveryMistake(t *testing.T) {
	f := newLimitsFixture(t)
	a := app("l1", "l9")
	a.Reason = "no_such_reason"
	a.Lines[0].Quantity = 3
	a.EvidenceIDs = []string{"ev_unknown", "ev_unknown"}
	_, err := f.svc.Cases.CreateCase(t.Context(), buyer, a, nil)
	var got []string
	for _, fe := range aftersales.FieldsOf(err) {
		got = append(got, fe.Field)
	}
	want := []string{"reason", "evidence[1]", "lines[0].quantity", "lines[1].line_id", "evidence[0]"}
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	if n := f.seen.n["GetUpload"]; n != 1 {
		t.Errorf("%d upload lookups, want 1: a repeated id is not looked up twice", n)
	}
}
