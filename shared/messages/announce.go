package messages

import "github.com/aftersales/aftersales/shared/aftersales"

// Announcement is the body of a notifications queue message,
// {"case_id":"<id>","seq":<n>}: the case change to tell. Like Intake it
// names stored data only.
type Announcement struct {
	CaseID string `json:"case_id,omitempty"`
	Seq    int    `json:"seq,omitempty"`
	// OrderID, alone, is {"order_id":"<id>"}: remind the order's buyer of
	// the produce claim window (F16).
	OrderID string `json:"order_id,omitempty"`
}

// AnnouncementOf is the message for a.
func AnnouncementOf(a aftersales.Announcement) Announcement {
	return Announcement{CaseID: a.CaseID, Seq: a.Seq, OrderID: a.OrderID}
}

// Announcement is the announcement m carries.
func (m Announcement) Announcement() aftersales.Announcement {
	return aftersales.Announcement{CaseID: m.CaseID, Seq: m.Seq, OrderID: m.OrderID}
}

// Valid reports whether m names a case change or, alone, an order.
func (m Announcement) Valid() bool {
	return m.CaseID != "" && m.Seq >= 1 && m.OrderID == "" || m.OrderID != "" && m.CaseID == "" && m.Seq == 0
}
