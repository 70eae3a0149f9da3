package disputes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// maxAppendAttempts bounds the retries of a message that lost its place in
// the thread to a concurrent one.
const maxAppendAttempts = 5

// Post appends the caller's message to the case's dispute thread, for the
// buyer (POST /v1/cases/{id}/messages) or for the merchant or platform
// (POST /v1/staff/cases/{id}/messages): party is the route's side. The
// message is stored in the thread first, then put on the timeline (see
// recordMessage); the merchant's first message answers the dispute.
func (s *Service) Post(ctx context.Context, p aftersales.Principal, party aftersales.Party, caseID string, r aftersales.MessageRequest) (aftersales.Message, error) {
	const op = "case.message"
	if err := speaksFor(p, party, op); err != nil {
		return aftersales.Message{}, err
	}
	if err := r.Validate(op); err != nil {
		return aftersales.Message{}, err
	}
	c, err := s.threadCase(ctx, p, party, caseID, op)
	if err != nil {
		return aftersales.Message{}, err
	}
	if party != aftersales.PartyBuyer {
		if err := casework.RequireNotOwnCase(p, c, op); err != nil {
			return aftersales.Message{}, err
		}
	}
	if c.Status != aftersales.StatusDisputed && c.Status != aftersales.StatusEscalated {
		return aftersales.Message{}, aftersales.E(aftersales.KindConflict, op,
			fmt.Sprintf("the dispute is over (the case is %s); its thread is closed", c.Status))
	}
	ups, err := s.checkUploads(ctx, p, party, "evidence_ids", r.EvidenceIDs, caseID, op)
	if err != nil {
		return aftersales.Message{}, err
	}
	for _, up := range ups {
		// A buyer's file is under pending/, which is emptied after a few
		// days: the thread keeps its own copy. Staff upload in place.
		if up.ObjectKey != aftersales.ThreadObjectKey(caseID, up.ID) {
			if err := s.Files.Copy(ctx, up.ObjectKey, aftersales.ThreadObjectKey(caseID, up.ID)); err != nil {
				return aftersales.Message{}, err
			}
		}
	}
	m := aftersales.Message{CaseID: caseID, ID: s.IDs.NewID("msg"), Author: actorOf(p, party), Party: party,
		Text: r.Text, EvidenceIDs: r.EvidenceIDs, At: s.Clock.Now()}
	for attempt := 1; ; attempt++ {
		thread, err := s.Threads.ListMessages(ctx, caseID)
		if err != nil {
			return aftersales.Message{}, err
		}
		if len(thread) >= aftersales.MaxThreadMessages {
			return aftersales.Message{}, aftersales.E(aftersales.KindConflict, op,
				fmt.Sprintf("the thread holds its %d messages; the arbitrator decides from here", aftersales.MaxThreadMessages))
		}
		var prev *aftersales.Message
		if len(thread) > 0 {
			prev = &thread[len(thread)-1]
		}
		m.Seal(prev)
		err = s.Threads.AppendMessage(ctx, m)
		if errors.Is(err, aftersales.ErrVersionConflict) && attempt < maxAppendAttempts {
			continue
		}
		if err != nil {
			return aftersales.Message{}, err
		}
		return m, s.recordMessage(ctx, p, party, m, op)
	}
}

// recordMessage puts the stored message m on the case's timeline (which
// tells the other side) and, for the merchant's first word, records the
// answer that stops the answer deadline. The words stay in the thread;
// the timeline says who wrote which message when. The message stands
// whatever happens here: a case that moved on meanwhile (the dispute
// ended) is left as it is.
func (s *Service) recordMessage(ctx context.Context, p aftersales.Principal, party aftersales.Party, m aftersales.Message, op string) error {
	var err error
	for range maxAppendAttempts {
		_, err = s.change(ctx, p, party, m.CaseID, op, func(c *aftersales.Case) error {
			if c.Status != aftersales.StatusDisputed && c.Status != aftersales.StatusEscalated {
				return casework.ErrNoChange
			}
			if party == aftersales.PartyMerchant {
				if _, err := c.Answer(m.Author, m.At); err != nil {
					return err
				}
			}
			return c.Apply(aftersales.Change{Action: aftersales.ActMessage, Actor: m.Author, At: m.At,
				Note: fmt.Sprintf("message %d (%s)", m.Seq, m.ID)})
		})
		if !errors.Is(err, aftersales.ErrVersionConflict) {
			return err
		}
	}
	return err
}

// Thread is a case's dispute thread as its readers get it.
type Thread struct {
	Messages []aftersales.Message
	// Verified says the chain of hashes holds: nothing was changed since
	// the messages were written.
	Verified bool
	// Links are short-lived URLs to read each attached file, by id.
	Links map[string]string
}

// LinkLifetime is how long a thread's file links last.
const LinkLifetime = 5 * time.Minute

// Thread returns the case's dispute thread, oldest first, verified (GET
// /v1/cases/{id}/messages for the buyer, and its staff twin). A thread
// that fails to verify is an error: showing altered words as the parties'
// own would be worse than showing none.
func (s *Service) Thread(ctx context.Context, p aftersales.Principal, party aftersales.Party, caseID string) (Thread, error) {
	const op = "case.messages"
	if party != aftersales.PartyBuyer && !p.ReadsAllCases() {
		return Thread{}, aftersales.E(aftersales.KindForbidden, op, "only staff and arbitrators read any thread")
	}
	if party == aftersales.PartyBuyer {
		if err := speaksFor(p, party, op); err != nil {
			return Thread{}, err
		}
	}
	if _, err := s.threadCase(ctx, p, party, caseID, op); err != nil {
		return Thread{}, err
	}
	ms, err := s.Threads.ListMessages(ctx, caseID)
	if err != nil {
		return Thread{}, err
	}
	if err := aftersales.VerifyThread(ms); err != nil {
		return Thread{}, err
	}
	links := map[string]string{}
	for _, m := range ms {
		for _, id := range m.EvidenceIDs {
			url, err := s.Files.PresignGet(ctx, aftersales.ThreadObjectKey(caseID, id), LinkLifetime)
			if err != nil {
				return Thread{}, err
			}
			links[id] = url
		}
	}
	return Thread{Messages: ms, Verified: true, Links: links}, nil
}

// threadCase loads the case whose thread p reads or writes for party: the
// buyer's own (another buyer's is not found), or any case for staff and
// arbitrators.
func (s *Service) threadCase(ctx context.Context, p aftersales.Principal, party aftersales.Party, caseID, op string) (*aftersales.Case, error) {
	c, err := casework.Visible(ctx, s.Cases, p, caseID)
	if err != nil {
		return nil, err
	}
	if party == aftersales.PartyBuyer && !c.OwnedBy(p.ID) {
		// Staff holding the buyer role reach any case through Visible;
		// on the buyer's side they are a buyer like any other.
		return nil, &aftersales.Error{Kind: aftersales.KindNotFound, Op: op, Msg: "no such case", Err: aftersales.ErrNotFound}
	}
	if !p.ReadsAllCases() && !c.OwnedBy(p.ID) {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only the case's buyer reads and writes its thread")
	}
	return c, nil
}
