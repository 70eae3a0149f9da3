package sqsbus

import (
	"context"
	"encoding/json"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

var _ aftersales.Announcer = (*Announcer)(nil)

// Announcer sends case changes to the notifications queue, ten per
// SendMessageBatch call.
type Announcer struct{ Queue *Queue }

// Announce queues one message per announcement.
func (a Announcer) Announce(ctx context.Context, as []aftersales.Announcement) error {
	bodies := make([][]byte, len(as))
	for i, an := range as {
		b, err := json.Marshal(messages.AnnouncementOf(an))
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	return a.Queue.SendBatch(ctx, bodies)
}
