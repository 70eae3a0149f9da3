package verify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/verify"
)

// blobs is object storage in memory: what the check reads and writes.
type blobs struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (b *blobs) PresignPut(context.Context, string, string, int64, time.Duration) (aftersales.PresignedUpload, error) {
	return aftersales.PresignedUpload{}, errors.New("not used")
}
func (b *blobs) Stat(context.Context, string) (aftersales.BlobInfo, error) {
	return aftersales.BlobInfo{}, errors.New("not used")
}
func (b *blobs) Copy(context.Context, string, string) error { return errors.New("not used") }
func (b *blobs) PresignGet(context.Context, string, time.Duration) (string, error) {
	return "", errors.New("not used")
}
func (b *blobs) Get(_ context.Context, key string, limit int64) ([]byte, aftersales.BlobInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	body, ok := b.objects[key]
	if !ok {
		return nil, aftersales.BlobInfo{}, aftersales.ErrNotFound
	}
	return body[:min(int64(len(body)), limit)], aftersales.BlobInfo{ContentType: "image/jpeg", Size: int64(len(body))}, nil
}
func (b *blobs) Put(_ context.Context, key, _ string, body []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = body
	return nil
}

// resumer records the tokens of resumed waits.
type resumer struct{ tokens []string }

func (r *resumer) Resume(_ context.Context, token string, _ *aftersales.Case) error {
	r.tokens = append(r.tokens, token)
	return nil
}

// recognizer answers one recognition and counts its calls.
type recognizer struct{ calls int }

func (r *recognizer) Recognize(context.Context, []byte) (aftersales.Recognition, error) {
	r.calls++
	return aftersales.Recognition{Labels: []string{"Strawberry"}, Damage: true, Items: 3}, nil
}

type fixture struct {
	svc    *verify.Service
	store  *memstore.Store
	blobs  *blobs
	wf     *resumer
	rec    *recognizer
	pauses []time.Duration
}

const key = "evidence/b1/ev_1"

// newFixture stores order o1 and, unless attachLate, case as_1 holding
// ev_1 (whose upload names the case) in status st with a review token.
func newFixture(t *testing.T, st aftersales.Status, body []byte, categories ...string) *fixture {
	t.Helper()
	clock := storetest.NewFakeClock(storetest.Epoch)
	f := &fixture{store: memstore.New(clock), blobs: &blobs{objects: map[string][]byte{key: body}}, wf: &resumer{}, rec: &recognizer{}}
	ctx := t.Context()
	o := &aftersales.Order{ID: "o1", Version: 1, BuyerID: "b1", Status: aftersales.OrderDelivered, Currency: aftersales.CNY,
		DeliveredAt: storetest.Epoch.Add(-24 * time.Hour),
		Lines:       []aftersales.OrderLine{{LineID: "l1", SKU: "S", Kind: aftersales.KindProduce, Category: "fruit", Quantity: 1, UnitPrice: 1000, PaidAmount: 1000}}}
	if err := f.store.PutOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	c := &aftersales.Case{ID: "as_1", OrderID: "o1", BuyerID: "b1", Type: aftersales.Claim, Reason: "produce_spoiled", Currency: aftersales.CNY,
		Lines: []aftersales.CaseLine{{LineID: "l1", Category: "fruit", Quantity: 1, Amount: 1000}}, Requested: 1000}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: "buyer:b1", At: storetest.Epoch}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateCase(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutUploads(ctx, []aftersales.Upload{{ID: "ev_1", BuyerID: "b1", CaseID: "as_1", ObjectKey: "pending/b1/ev_1",
		ContentType: "image/jpeg", Size: int64(len(body)), CreatedAt: storetest.Epoch, ExpiresAt: storetest.Epoch.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	rules := memstore.NewRuleSets()
	if len(categories) > 0 {
		rs := aftersales.DefaultRuleSet()
		rs.Evidence.RecognitionCategories = categories
		if err := rules.PutRuleSet(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	f.svc = &verify.Service{Cases: f.store, Orders: f.store, Rules: rules, Evidence: f.blobs, Hashes: memstore.NewPhotoHashes(),
		Recognizer: f.rec, Workflow: f.wf, Clock: clock,
		Pause: func(context.Context, time.Duration) error { return nil }}
	if st == aftersales.StatusNone {
		return f // the case does not hold the file yet
	}
	f.attach(t, st)
	return f
}

// attach puts ev_1 on the case and moves it to st (with a review token).
func (f *fixture) attach(t *testing.T, st aftersales.Status) {
	t.Helper()
	c, err := f.store.GetCase(t.Context(), "as_1")
	if err != nil {
		t.Fatal(err)
	}
	prev := c.Version
	if err := c.AttachEvidence([]aftersales.Evidence{{ID: "ev_1", ContentType: "image/jpeg"}}, "buyer:b1", storetest.Epoch); err != nil {
		t.Fatal(err)
	}
	if st == aftersales.StatusPendingReview {
		if err := c.Apply(aftersales.Change{Action: aftersales.ActSendToReview, Actor: "rules", At: storetest.Epoch}); err != nil {
			t.Fatal(err)
		}
		c.WaitingFor, c.TaskToken = aftersales.WaitReview, "tok-review"
	}
	if err := f.store.UpdateCase(t.Context(), c, prev); err != nil {
		t.Fatal(err)
	}
}

func TestObjectCreated(t *testing.T) {
	photo := inspecttest.JPEG(inspecttest.Photo(200, 150, 21), 85)
	tests := []struct {
		name       string
		status     aftersales.Status
		body       []byte
		categories []string
		want       string
		requested  bool
		recognized bool
	}{
		{"a photo on a case under review is verified", aftersales.StatusPendingReview, photo, nil, aftersales.EvidenceVerified, false, false},
		{"bad bytes under review ask the buyer for evidence", aftersales.StatusPendingReview, []byte("not really a jpeg"), nil, aftersales.EvidenceInvalid, true, false},
		{"bad bytes before the rules ran are recorded only", aftersales.StatusSubmitted, []byte("not really a jpeg"), nil, aftersales.EvidenceInvalid, false, false},
		{"recognition runs for a category the rule set names", aftersales.StatusPendingReview, photo, []string{"fruit"}, aftersales.EvidenceVerified, false, true},
		{"and not for others", aftersales.StatusPendingReview, photo, []string{"shoes"}, aftersales.EvidenceVerified, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.status, tt.body, tt.categories...)
			out, err := f.svc.ObjectCreated(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := f.store.GetCase(t.Context(), "as_1")
			e := c.Evidence[0]
			if out.Result.Status != tt.want || e.Status != tt.want || out.Requested != tt.requested || (len(f.wf.tokens) == 1) != tt.requested {
				t.Fatalf("outcome %+v, evidence %+v, resumed %v", out, e, f.wf.tokens)
			}
			if tt.requested && (c.Status != aftersales.StatusAwaitingEvidence || c.Decision == nil || c.Decision.By != verify.Actor) {
				t.Fatalf("case %s decision %+v", c.Status, c.Decision)
			}
			recognized := slices.ContainsFunc(e.Checks, func(s string) bool { return s == "recognition: Strawberry; damage visible; 3 item(s)" })
			if recognized != tt.recognized || (f.rec.calls == 1) != tt.recognized {
				t.Fatalf("recognition in checks %v, calls %d, want %v: %q", recognized, f.rec.calls, tt.recognized, e.Checks)
			}
			// The same event again writes nothing.
			again, err := f.svc.ObjectCreated(t.Context(), key)
			if c2, _ := f.store.GetCase(t.Context(), "as_1"); err != nil || !again.Skipped || c2.Version != c.Version {
				t.Fatalf("redelivery: %+v %v, version %d then %d", again, err, c.Version, c2.Version)
			}
		})
	}
}

func TestObjectCreatedBeforeTheCaseHoldsTheFile(t *testing.T) {
	photo := inspecttest.JPEG(inspecttest.Photo(200, 150, 22), 85)
	t.Run("the case is written during the pauses: checked", func(t *testing.T) {
		f := newFixture(t, aftersales.StatusNone, photo)
		f.svc.Pause = func(_ context.Context, d time.Duration) error {
			f.pauses = append(f.pauses, d)
			if len(f.pauses) == 2 {
				f.attach(t, aftersales.StatusSubmitted)
			}
			return nil
		}
		out, err := f.svc.ObjectCreated(t.Context(), key)
		if err != nil || out.Result.Status != aftersales.EvidenceVerified || len(f.pauses) != 2 {
			t.Fatalf("%+v %v after %d pauses", out, err, len(f.pauses))
		}
	})
	t.Run("never written: a transient error, for SQS to redeliver", func(t *testing.T) {
		f := newFixture(t, aftersales.StatusNone, photo)
		f.svc.Pause = func(_ context.Context, d time.Duration) error { f.pauses = append(f.pauses, d); return nil }
		_, err := f.svc.ObjectCreated(t.Context(), key)
		if aftersales.KindOf(err) != aftersales.KindTransient || len(f.pauses) != 3 {
			t.Fatalf("%v after %d pauses", err, len(f.pauses))
		}
	})
}

func TestObjectCreatedIgnores(t *testing.T) {
	f := newFixture(t, aftersales.StatusSubmitted, []byte("x"))
	for _, k := range []string{"pending/b1/ev_1", "evidence/b1", "evidence/b2/ev_1", "evidence/b1/ev_unknown", "thumbnails/b1/ev_1.jpg"} {
		t.Run(k, func(t *testing.T) {
			if _, err := f.svc.ObjectCreated(t.Context(), k); !errors.Is(err, verify.ErrNotEvidence) {
				t.Fatalf("%v, want ErrNotEvidence", err)
			}
		})
	}
	if c, _ := f.store.GetCase(t.Context(), "as_1"); !strings.EqualFold(c.Evidence[0].Status, aftersales.EvidenceUploaded) {
		t.Fatalf("evidence %+v", c.Evidence[0])
	}
}
