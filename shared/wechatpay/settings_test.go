package wechatpay_test

import (
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/wechatpay"
)

// TestSettingsParse: both constructors parse every key set, so a garbled
// key stops a function at start whichever of the two it builds.
func TestSettingsParse(t *testing.T) {
	k, _ := testKeys(t)
	tests := []struct {
		name    string
		change  func(s *wechatpay.Settings)
		wantErr string
	}{
		{name: "as issued"},
		{name: "ids and URLs padded", change: func(s *wechatpay.Settings) {
			s.MchID, s.MchSerialNo, s.PublicKeyID = " "+s.MchID+"\n", " "+s.MchSerialNo, s.PublicKeyID+" "
			s.NotifyURL, s.Endpoint = " https://api.example.com/webhooks/wechatpay ", " http://127.0.0.1:8081\n"
		}},
		{name: "private key garbled", change: func(s *wechatpay.Settings) {
			s.MchPrivateKeyPEM = "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----"
		}, wantErr: "merchant private key"},
		{name: "public key is a private key", change: func(s *wechatpay.Settings) { s.PublicKeyPEM = s.MchPrivateKeyPEM },
			wantErr: "platform public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := merchantSettings(k, "")
			if tt.change != nil {
				tt.change(&s)
			}
			_, errProvider := wechatpay.NewProvider(s, nil)
			_, errNotify := wechatpay.NewNotifications(s, nil)
			for _, err := range []error{errProvider, errNotify} {
				if tt.wantErr == "" && err != nil {
					t.Fatal(err)
				}
				if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Fatalf("err = %v, want one about %q", err, tt.wantErr)
				}
			}
		})
	}
}
