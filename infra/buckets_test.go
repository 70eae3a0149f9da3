package main

import (
	"encoding/json"
	"strings"
	"testing"
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
