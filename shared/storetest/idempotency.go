package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// claimRecord is the claim of the request that will create caseID, made at
// at.
func claimRecord(scope, key, caseID string, at time.Time) aftersales.IdempotencyRecord {
	return aftersales.IdempotencyRecord{Scope: scope, Key: key, RequestHash: "sha256:" + key, CaseID: caseID,
		CreatedAt: at, ExpiresAt: at.Add(aftersales.IdempotencyClaimTTL)}
}

// getRecord reads the live record of buyer-1's key, or nil when none.
func getRecord(t *testing.T, s Stores, key string) *aftersales.IdempotencyRecord {
	t.Helper()
	rec, err := s.Idempotency.GetIdempotency(t.Context(), "buyer-1", key)
	if errors.Is(err, aftersales.ErrNotFound) {
		return nil
	}
	must(t, "get idempotency "+key, err)
	return &rec
}

// testIdempotencyClaim: a key is claimed when no live record holds it: a
// free key, a crashed request's expired claim, an answer past its day. A
// live claim or answer keeps it. A claim reads back in progress.
func testIdempotencyClaim(t *testing.T, s Stores) {
	o := storedOrder(t, s, 100, 100)
	answered := func(key, caseID, line string, at time.Time) func(t *testing.T) *aftersales.IdempotencyRecord {
		return func(t *testing.T) *aftersales.IdempotencyRecord {
			c := submitted(t, caseID, o, aftersales.RefundOnly, "wrong_item", at, line)
			rec := idemRecord("buyer-1", key, caseID, at)
			create(t, s, c, rec)
			return rec
		}
	}
	claimed := func(key, caseID string, at time.Time) func(t *testing.T) *aftersales.IdempotencyRecord {
		return func(t *testing.T) *aftersales.IdempotencyRecord {
			claim := claimRecord("buyer-1", key, caseID, at)
			must(t, "claim "+key, s.Idempotency.ClaimIdempotency(t.Context(), claim))
			return &claim
		}
	}
	tests := []struct {
		name  string
		key   string
		held  func(t *testing.T) *aftersales.IdempotencyRecord // what holds the key before the claim
		taken bool
	}{
		{"a free key", "k-free", func(*testing.T) *aftersales.IdempotencyRecord { return nil }, false},
		{"a live claim", "k-claim", claimed("k-claim", "as_other", Epoch), true},
		{"a claim a nanosecond before expiry", "k-claim-late",
			claimed("k-claim-late", "as_other", Epoch.Add(-aftersales.IdempotencyClaimTTL+1)), true},
		{"a crashed request's claim at expiry", "k-crashed",
			claimed("k-crashed", "as_crashed", Epoch.Add(-aftersales.IdempotencyClaimTTL)), false},
		{"a live answer", "k-answer", answered("k-answer", "as_answer", "l1", Epoch), true},
		{"an answer past its day", "k-old", answered("k-old", "as_old", "l2", Epoch.Add(-aftersales.IdempotencyTTL)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.held(t)
			claim := claimRecord("buyer-1", tc.key, "as_new", Epoch)
			err := s.Idempotency.ClaimIdempotency(t.Context(), claim)
			if tc.taken {
				wantErr(t, "claim", err, aftersales.ErrIdempotencyKeyTaken)
				same(t, "the record that holds the key", getRecord(t, s, tc.key), before)
				return
			}
			must(t, "claim", err)
			got := getRecord(t, s, tc.key)
			same(t, "the claim", got, &claim)
			if !got.InProgress() {
				t.Errorf("a claim reads back as an answer (status %d)", got.StatusCode)
			}
		})
	}
}

// testIdempotencyRelease: a request releases its own claim and nothing
// else: not another request's claim, not an answer.
func testIdempotencyRelease(t *testing.T, s Stores) {
	o := storedOrder(t, s, 100)
	claim := claimRecord("buyer-1", "k-mine", "as_mine", Epoch)
	must(t, "claim", s.Idempotency.ClaimIdempotency(t.Context(), claim))
	other := claimRecord("buyer-1", "k-other", "as_other", Epoch)
	must(t, "claim", s.Idempotency.ClaimIdempotency(t.Context(), other))
	answer := idemRecord("buyer-1", "k-answer", "as_answer", Epoch)
	create(t, s, submitted(t, "as_answer", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1"), answer)

	tests := []struct {
		name   string
		key    string
		caseID string // whose claim is released
		want   *aftersales.IdempotencyRecord
	}{
		{"its own claim", "k-mine", "as_mine", nil},
		{"another request's claim", "k-other", "as_mine", &other},
		{"an answer, by its own case", "k-answer", "as_answer", answer},
		{"a free key", "k-free", "as_mine", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			must(t, "release", s.Idempotency.ReleaseIdempotency(t.Context(), "buyer-1", tc.key, tc.caseID))
			same(t, "the record after release", getRecord(t, s, tc.key), tc.want)
		})
	}
	t.Run("a released key is claimed again", func(t *testing.T) {
		again := claimRecord("buyer-1", "k-mine", "as_again", Epoch)
		must(t, "claim", s.Idempotency.ClaimIdempotency(t.Context(), again))
		same(t, "the new claim", getRecord(t, s, "k-mine"), &again)
	})
}

// testClaimBecomesAnswer: CreateCase replaces the request's own claim with
// the answer, even a claim that expired while no other request took the key
// over; a claim another request holds fails the create, which writes
// nothing.
func testClaimBecomesAnswer(t *testing.T, s Stores) {
	o := storedOrder(t, s, 100, 100, 100)
	tests := []struct {
		name  string
		key   string
		claim aftersales.IdempotencyRecord // made before the create
		id    string                       // of the case created
		line  string
		taken bool
	}{
		{"its own claim", "k-1", claimRecord("buyer-1", "k-1", "as_1", Epoch), "as_1", "l1", false},
		{"its own claim, expired", "k-2", claimRecord("buyer-1", "k-2", "as_2", Epoch.Add(-time.Hour)), "as_2", "l2", false},
		{"another request's claim", "k-3", claimRecord("buyer-1", "k-3", "as_took_over", Epoch), "as_3", "l3", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			must(t, "claim", s.Idempotency.ClaimIdempotency(t.Context(), tc.claim))
			c := submitted(t, tc.id, o, aftersales.RefundOnly, "wrong_item", Epoch, tc.line)
			want := clone(c)
			rec := idemRecord("buyer-1", tc.key, tc.id, Epoch)
			err := s.Cases.CreateCase(t.Context(), c, rec)
			if tc.taken {
				wantErr(t, "create", err, aftersales.ErrIdempotencyKeyTaken)
				_, err := s.Cases.GetCase(t.Context(), tc.id)
				wantNotFound(t, "the refused case", err)
				if got := holder(t, s, "o-1", tc.line); got != "" {
					t.Errorf("line %s held by %q after a refused create", tc.line, got)
				}
				same(t, "the claim that holds the key", getRecord(t, s, tc.key), &tc.claim)
				return
			}
			must(t, "create", err)
			same(t, "case", getCase(t, s, tc.id), want)
			same(t, "the answer", getRecord(t, s, tc.key), rec)
		})
	}
}

// testConcurrentClaims: of many requests claiming one key at once exactly
// one gets it; the others are told it is taken and read the winner's claim.
func testConcurrentClaims(t *testing.T, s Stores) {
	const n = 20
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Idempotency.ClaimIdempotency(t.Context(), claimRecord("buyer-1", "k", fmt.Sprintf("as_%02d", i), Epoch))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("both as_%02d and as_%02d claimed the key", winner, i)
		case err == nil:
			winner = i
		default:
			wantErr(t, fmt.Sprintf("claim of as_%02d", i), err, aftersales.ErrIdempotencyKeyTaken)
		}
	}
	if winner < 0 {
		t.Fatal("no request claimed the key")
	}
	want := claimRecord("buyer-1", "k", fmt.Sprintf("as_%02d", winner), Epoch)
	same(t, "the claim", getRecord(t, s, "k"), &want)
}
