package messages

import "github.com/aftersales/aftersales/shared/aftersales"

// Announcement is the body of a notifications queue message,
// {"case_id":"<id>","seq":<n>}: the case change to tell. Like Intake it
// names stored data only.
type Announcement struct {
	CaseID string `json:"case_id"`
	Seq    int    `json:"seq"`
}

// AnnouncementOf is the message for a.
func AnnouncementOf(a aftersales.Announcement) Announcement {
	return Announcement{CaseID: a.CaseID, Seq: a.Seq}
}

// Announcement is the announcement m carries.
func (m Announcement) Announcement() aftersales.Announcement {
	return aftersales.Announcement{CaseID: m.CaseID, Seq: m.Seq}
}
