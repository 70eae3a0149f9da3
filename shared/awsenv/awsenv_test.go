package awsenv

import (
	"context"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/config"
)

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		cfg     config.Config
		wantKey string // access key id of the credentials; "" when Load fails
		wantErr string
	}{
		{name: "role credentials from Lambda's environment",
			env: map[string]string{"AWS_ACCESS_KEY_ID": "ASIAROLE", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "tok"},
			cfg: config.Config{Region: "ap-east-1"}, wantKey: "ASIAROLE"},
		{name: "no credentials in the environment",
			env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
			cfg: config.Config{Region: "ap-east-1"}, wantErr: "AWS_ACCESS_KEY_ID"},
		{name: "local endpoints take static credentials whatever the environment",
			env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
			cfg: config.Config{Region: "us-east-1", Endpoints: config.Endpoints{DynamoDB: "http://127.0.0.1:8000"}}, wantKey: "local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ac, err := Load(context.Background(), tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			creds, err := ac.Credentials.Retrieve(context.Background())
			if err != nil || creds.AccessKeyID != tc.wantKey || ac.Region != tc.cfg.Region {
				t.Errorf("credentials %q (%v), region %q; want %q, %q", creds.AccessKeyID, err, ac.Region, tc.wantKey, tc.cfg.Region)
			}
			if tc.wantKey == "ASIAROLE" && creds.SessionToken != "tok" {
				t.Errorf("session token %q, want the environment's", creds.SessionToken)
			}
		})
	}
}
