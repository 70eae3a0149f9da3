package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/dynamo"
)

// TestTableMirrorsSchema checks that the table has the keys, attributes
// and indexes of dynamo.TableSchema, and is protected: point-in-time
// recovery, deletion protection, TTL and encryption.
func TestTableMirrorsSchema(t *testing.T) {
	s := defaultSynth(t)
	tables := s.ofType("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d tables, want 1", len(tables))
	}
	want := dynamo.TableSchema("x")
	keys := func(v any) string {
		var parts []string
		for _, k := range v.([]any) {
			m := k.(map[string]any)
			parts = append(parts, fmt.Sprint(m["AttributeName"], ":", m["KeyType"]))
		}
		return strings.Join(parts, ",")
	}
	for id, tb := range tables {
		p := tb.Properties
		var wantKeys []string
		for _, k := range want.KeySchema {
			wantKeys = append(wantKeys, *k.AttributeName+":"+string(k.KeyType))
		}
		if got := keys(p["KeySchema"]); got != strings.Join(wantKeys, ",") {
			t.Errorf("%s: keys %s, want %s", id, got, strings.Join(wantKeys, ","))
		}
		var gotDefs, wantDefs []string
		for _, d := range p["AttributeDefinitions"].([]any) {
			m := d.(map[string]any)
			gotDefs = append(gotDefs, fmt.Sprint(m["AttributeName"], ":", m["AttributeType"]))
		}
		for _, d := range want.AttributeDefinitions {
			wantDefs = append(wantDefs, *d.AttributeName+":"+string(d.AttributeType))
		}
		slices.Sort(gotDefs)
		slices.Sort(wantDefs)
		if !slices.Equal(gotDefs, wantDefs) {
			t.Errorf("%s: attributes %v, want %v", id, gotDefs, wantDefs)
		}
		gotGSI := map[string]string{}
		for _, g := range p["GlobalSecondaryIndexes"].([]any) {
			m := g.(map[string]any)
			gotGSI[m["IndexName"].(string)] = keys(m["KeySchema"]) + " " + fmt.Sprint(m["Projection"].(map[string]any)["ProjectionType"])
		}
		wantGSI := map[string]string{}
		for _, g := range want.GlobalSecondaryIndexes {
			var ks []string
			for _, k := range g.KeySchema {
				ks = append(ks, *k.AttributeName+":"+string(k.KeyType))
			}
			wantGSI[*g.IndexName] = strings.Join(ks, ",") + " " + string(g.Projection.ProjectionType)
		}
		if fmt.Sprint(gotGSI) != fmt.Sprint(wantGSI) {
			t.Errorf("%s: indexes %v, want %v", id, gotGSI, wantGSI)
		}
		if p["BillingMode"] != string(want.BillingMode) {
			t.Errorf("%s: billing %v, want %s", id, p["BillingMode"], want.BillingMode)
		}
		if pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any); pitr["PointInTimeRecoveryEnabled"] != true {
			t.Errorf("%s: point-in-time recovery off", id)
		}
		if p["DeletionProtectionEnabled"] != true {
			t.Errorf("%s: deletion protection off", id)
		}
		if ttl, _ := p["TimeToLiveSpecification"].(map[string]any); ttl["AttributeName"] != dynamo.AttrTTL || ttl["Enabled"] != true {
			t.Errorf("%s: TTL %v, want on %s", id, ttl, dynamo.AttrTTL)
		}
		if sse, _ := p["SSESpecification"].(map[string]any); sse["SSEEnabled"] != true {
			t.Errorf("%s: SSE %v", id, sse)
		}
	}
}
