package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// TestEvidenceBucketPrivateAndTLSOnly checks that both buckets block
// public access, are encrypted and deny requests without TLS, and the
// evidence lifecycle; no CORS without a configured origin.
func TestEvidenceBucketPrivateAndTLSOnly(t *testing.T) {
	s := defaultSynth(t)
	buckets := s.ofType("AWS::S3::Bucket")
	policies := s.ofType("AWS::S3::BucketPolicy")
	for id, b := range buckets {
		p := b.Properties
		pab, _ := p["PublicAccessBlockConfiguration"].(map[string]any)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if pab[k] != true {
				t.Errorf("bucket %s: %s is not true", id, k)
			}
		}
		if p["BucketEncryption"] == nil {
			t.Errorf("bucket %s: no default encryption", id)
		}
		tlsOnly := false
		for _, pol := range policies {
			if getAtt(pol.Properties["Bucket"]) != id {
				continue
			}
			raw, _ := json.Marshal(pol.Properties["PolicyDocument"])
			tlsOnly = tlsOnly || strings.Contains(string(raw), `"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"`)
		}
		if !tlsOnly {
			t.Errorf("bucket %s: no policy denying requests without TLS", id)
		}
	}
	var evidence map[string]any
	for id, b := range buckets {
		if strings.HasPrefix(id, "Evidence") {
			evidence = b.Properties
		}
	}
	if evidence == nil {
		t.Fatal("no evidence bucket")
	}
	raw, _ := json.Marshal(evidence["LifecycleConfiguration"])
	if !strings.Contains(string(raw), `"StorageClass":"STANDARD_IA","TransitionInDays":90`) {
		t.Errorf("evidence lifecycle %s: want STANDARD_IA after 90 days", raw)
	}
	if evidence["CorsConfiguration"] != nil {
		t.Errorf("CORS %v without any configured origin", evidence["CorsConfiguration"])
	}
}

// TestUnattachedUploadsExpire: uploads under pending/ that no case took are
// deleted once their upload record has expired, and no rule deletes
// attached evidence (under evidence/); the api may read and write both.
func TestUnattachedUploadsExpire(t *testing.T) {
	s := defaultSynth(t)
	var rules []struct {
		ID               string `json:"Id"`
		Prefix           string
		Status           string
		ExpirationInDays int
	}
	for id, b := range s.ofType("AWS::S3::Bucket") {
		if !strings.HasPrefix(id, "Evidence") {
			continue
		}
		raw, _ := json.Marshal(b.Properties["LifecycleConfiguration"].(map[string]any)["Rules"])
		if err := json.Unmarshal(raw, &rules); err != nil {
			t.Fatal(err)
		}
	}
	expiring := 0
	for _, r := range rules {
		if r.ExpirationInDays == 0 {
			continue
		}
		expiring++
		if r.Prefix != "pending/" || r.Status != "Enabled" || r.ExpirationInDays != aftersales.PendingUploadDays {
			t.Errorf("rule %+v, want pending/ expiring after %d days", r, aftersales.PendingUploadDays)
		}
		if strings.HasPrefix(aftersales.EvidenceObjectKey("b_1", "ev_1"), r.Prefix) {
			t.Errorf("rule %s deletes attached evidence", r.ID)
		}
		if !strings.HasPrefix(aftersales.PendingObjectKey("b_1", "ev_1"), r.Prefix) {
			t.Errorf("rule %s misses where uploads go", r.ID)
		}
	}
	if expiring != 1 {
		t.Errorf("%d expiring rules in %+v, want the one of pending/", expiring, rules)
	}
	if time.Duration(aftersales.PendingUploadDays)*24*time.Hour <= aftersales.UploadRecordTTL {
		t.Errorf("uploads expire after %d days, before their record (%v)", aftersales.PendingUploadDays, aftersales.UploadRecordTTL)
	}
	granted := ""
	for _, pol := range s.ofType("AWS::IAM::Policy") {
		raw, _ := json.Marshal(pol.Properties["PolicyDocument"])
		if strings.Contains(string(raw), `"s3:PutObject"`) {
			granted += string(raw)
		}
	}
	for _, prefix := range []string{"/pending/*", "/evidence/*"} {
		if !strings.Contains(granted, prefix) {
			t.Errorf("no PutObject/GetObject grant on %s: %s", prefix, granted)
		}
	}
}

// TestOptionsEvidenceCORS checks that the configured origins may upload
// and fetch evidence from a browser.
func TestOptionsEvidenceCORS(t *testing.T) {
	s := optionsSynth(t)
	for id, b := range s.ofType("AWS::S3::Bucket") {
		if !strings.HasPrefix(id, "Evidence") {
			continue
		}
		raw, _ := json.Marshal(b.Properties["CorsConfiguration"])
		if !strings.Contains(string(raw), `"AllowedMethods":["PUT","GET","HEAD"]`) || !strings.Contains(string(raw), `"AllowedOrigins":["https://shop.example","https://m.shop.example"]`) {
			t.Errorf("evidence CORS %s", raw)
		}
	}
}
