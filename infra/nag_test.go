package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// nagFindings returns every unsuppressed AwsSolutions finding.
func nagFindings(st awscdk.Stack) []string {
	a := assertions.Annotations_FromStack(st)
	match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
	var out []string
	for _, m := range append(*a.FindError(jsii.String("*"), match), *a.FindWarning(jsii.String("*"), match)...) {
		out = append(out, *m.Id+": "+fmt.Sprint(m.Entry.Data))
	}
	return out
}

// TestNagClean checks that cdk-nag's AwsSolutions checks find nothing
// that is not suppressed with a reason (nag.go).
func TestNagClean(t *testing.T) {
	s := defaultSynth(t)
	for _, f := range nagFindings(s.stack) {
		t.Error(f)
	}
}

// TestOptionsNagClean checks that turning every option on brings no
// unsuppressed finding.
func TestOptionsNagClean(t *testing.T) {
	s := optionsSynth(t)
	for _, f := range nagFindings(s.stack) {
		t.Error(f)
	}
}

// TestNagCatchesFindings proves the check above can fail: an unencrypted
// queue without a DLQ added to the stack is reported.
func TestNagCatchesFindings(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st, err := NewAfterSalesStack(app, "AfterSales-bad", &AfterSalesStackProps{Settings: DefaultSettings(), Root: "..", AssetDir: dummyAssets(t, t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	awssqs.NewQueue(st, jsii.String("Careless"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_UNENCRYPTED})
	found := strings.Join(nagFindings(st), "\n")
	for _, rule := range []string{"AwsSolutions-SQS2", "AwsSolutions-SQS3", "AwsSolutions-SQS4"} {
		if !strings.Contains(found, "/AfterSales-bad/Careless/Resource: "+rule) {
			t.Errorf("cdk-nag did not report %s on the careless queue; findings:\n%s", rule, found)
		}
	}
}
