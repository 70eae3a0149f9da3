package apigw

import (
	"context"
	"net/http"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Inbox serves the in-app notifications (F6): a buyer's own inbox, or the
// staff inbox for staff.
type Inbox interface {
	List(ctx context.Context, p aftersales.Principal, cursor string, limit int) (aftersales.InboxPage, error)
	MarkRead(ctx context.Context, p aftersales.Principal, id string) (*aftersales.InboxItem, error)
}

// notificationRoutes are the inbox routes; any caller with a known role
// reads their own inbox (buyers theirs, staff the staff inbox).
func (s *Server) notificationRoutes() []Route {
	return []Route{
		{"GET", "/v1/notifications", AnyCaller, s.listNotifications},
		{"POST", "/v1/notifications/{id}/read", AnyCaller, s.markNotificationRead},
	}
}

// notificationJSON is one inbox item.
type notificationJSON struct {
	ID        string     `json:"id"`
	CaseID    string     `json:"case_id,omitempty"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Language  string     `json:"language"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

func toNotificationJSON(n *aftersales.InboxItem) notificationJSON {
	out := notificationJSON{ID: n.ID, CaseID: n.CaseID, Kind: n.Kind, Title: n.Title, Body: n.Body, Language: n.Language,
		CreatedAt: n.CreatedAt.UTC()}
	if n.Read() {
		t := n.ReadAt.UTC()
		out.ReadAt = &t
	}
	return out
}

// inboxPageJSON is a page of the inbox with the unread count of the whole
// inbox.
type inboxPageJSON struct {
	Items      []notificationJSON `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
	Unread     int                `json:"unread"`
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	var v aftersales.Validation
	limit := parseInt(&v, qs, "limit")
	if err := v.Err("notifications.list"); err != nil {
		return err
	}
	page, err := s.svc.Inbox.List(r.Context(), principal(r.Context()), qs.Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := inboxPageJSON{Items: make([]notificationJSON, 0, len(page.Items)), NextCursor: page.NextCursor, Unread: page.Unread}
	for i := range page.Items {
		out.Items = append(out.Items, toNotificationJSON(&page.Items[i]))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) markNotificationRead(w http.ResponseWriter, r *http.Request) error {
	n, err := s.svc.Inbox.MarkRead(r.Context(), principal(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toNotificationJSON(n))
	return nil
}
