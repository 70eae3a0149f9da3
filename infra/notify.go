package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// smsResources are what SendTextMessage is authorized on: the origination
// identity (a phone number, a sender id or a pool, the merchant's choice
// in the notify secret, so unknown at synth) and the opt-out list it
// checks. Region and account are the stack's.
var smsResources = []string{"phone-number/*", "sender-id/*", "pool/*", "opt-out-list/*"}

// reasonSMS is the cdk-nag suppression of those wildcards.
const reasonSMS = "End User Messaging SMS: the merchant names its origination identity (phone number, sender id " +
	"or pool) in the notify secret after deploy, so the notifier may send from any of the account's identities " +
	"in the stack's region, and SendTextMessage checks the opt-out lists; the only action is sms-voice:SendTextMessage."

// grantSMS lets the notifier send text messages, and nothing else of the
// service.
func (b *builder) grantSMS() {
	var arns []*string
	for _, r := range smsResources {
		arns = append(arns, awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:"+r), nil))
	}
	b.fns["notifier"].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sms-voice:SendTextMessage"),
		Resources: &arns,
	}))
}
