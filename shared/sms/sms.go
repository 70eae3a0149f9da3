// Package sms sends text messages through AWS End User Messaging SMS
// (aftersales.Sender for aftersales.ChannelSMS): SendTextMessage of
// pinpointsmsvoicev2, transactional, from the merchant's registered
// origination identity, tagged with the event id in its context so that
// delivery records in AWS can be matched to ours.
package sms

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/smithy-go"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// API is the part of the client the sender uses.
type API interface {
	SendTextMessage(ctx context.Context, in *pinpointsmsvoicev2.SendTextMessageInput, opts ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error)
}

// NewClient returns a client on ac, sent to endpoint when it is set (the
// local stand-in).
func NewClient(ac aws.Config, endpoint string) *pinpointsmsvoicev2.Client {
	return pinpointsmsvoicev2.NewFromConfig(ac, func(o *pinpointsmsvoicev2.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// Sender sends SMS from one origination identity.
type Sender struct {
	Client      API
	Origination string
}

var _ aftersales.Sender = (*Sender)(nil)

// Channel is ChannelSMS.
func (*Sender) Channel() aftersales.Channel { return aftersales.ChannelSMS }

// E164 returns phone in E.164, as SendTextMessage wants it: the mall's
// phones are Chinese mobile numbers without a country code, so a number
// without '+' is taken as +86.
func E164(phone string) string {
	phone = strings.NewReplacer(" ", "", "-", "").Replace(phone)
	if strings.HasPrefix(phone, "+") {
		return phone
	}
	return "+86" + strings.TrimPrefix(phone, "0086")
}

// Send sends m.Text to m.To and returns the message id.
func (s *Sender) Send(ctx context.Context, m aftersales.Outbound) (string, error) {
	const op = "sms.send"
	out, err := s.Client.SendTextMessage(ctx, &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(E164(m.To)),
		OriginationIdentity:    aws.String(s.Origination),
		MessageBody:            aws.String(m.Text),
		MessageType:            types.MessageTypeTransactional,
		Context:                map[string]string{"event_id": m.EventID, "kind": m.Kind},
	})
	if err == nil {
		return aws.ToString(out.MessageId), nil
	}
	var conflict *types.ConflictException
	var invalid *types.ValidationException
	var throttled *types.ThrottlingException
	var internal *types.InternalServerException
	var ae smithy.APIError
	switch {
	case errors.As(err, &conflict) && conflict.Reason == types.ConflictExceptionReasonDestinationPhoneNumberOptedOut:
		return "", fmt.Errorf("the phone opted out: %w", aftersales.ErrNotReachable)
	case errors.As(err, &invalid) && (invalid.Reason == types.ValidationExceptionReasonDestinationCountryBlocked ||
		invalid.Reason == types.ValidationExceptionReasonInvalidIdentityForDestinationCountry):
		return "", fmt.Errorf("%s: %w", invalid.Reason, aftersales.ErrNotReachable)
	case errors.As(err, &invalid):
		return "", aftersales.Wrap(aftersales.KindInvalid, op, err)
	case errors.As(err, &throttled), errors.As(err, &internal), !errors.As(err, &ae):
		// Throttled, a service failure, or no answer at all.
		return "", aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	return "", aftersales.Wrap(aftersales.KindInternal, op, err)
}
