package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

// stackOutputs are the resources whose names and URLs the stack outputs.
type stackOutputs struct {
	endpoint       string // the HTTP API's
	evidence       awss3.Bucket
	table          awsdynamodb.Table
	workflow       awsstepfunctions.StateMachine
	bus            awsevents.EventBus
	refundFailures awslogs.LogGroup
	refundManual   awslogs.LogGroup
}

// outputs writes what the merchant needs after a deploy: the URLs to give
// out, the secrets to fill in, and where to look when something fails.
func (b *builder) outputs(o stackOutputs) {
	out := func(id, value, desc string) {
		awscdk.NewCfnOutput(b.stack, jsii.String(id), &awscdk.CfnOutputProps{Value: jsii.String(value), Description: jsii.String(desc)})
	}
	mode := "live: refunds are paid through WeChat Pay, Alipay and the store balance; a channel without a route " +
		"(bank card, or a provider left unconfigured) waits for finance to pay it by hand"
	if b.s.ProviderMode == config.ProviderSandbox {
		mode = "SANDBOX: no refund moves money; every refund is marked arrived at once and its ledger row says sandbox"
	}
	out("ProviderMode", b.s.ProviderMode, mode)
	out("ApiUrl", o.endpoint+"/v1", "Base URL of the buyer and staff API")
	out("MallWebhookUrl", o.endpoint+"/webhooks/mall/orders", "Paste into the mall's order event settings")
	out("EvidenceBucketName", *o.evidence.BucketName(), "S3 bucket of the buyers' evidence")
	out("TableName", *o.table.TableName(), "DynamoDB table")
	out("CaseStateMachineArn", *o.workflow.StateMachineArn(), "Step Functions state machine of the cases")
	out("AlarmTopicArn", *b.alarms.TopicArn(), "Subscribe here to receive alarms")
	// Names as chosen here: the secrets' SecretName is parsed from the ARN.
	out("JwtSecretName", b.name("jwt"), "Set hs256_secret or public_keys_pem")
	out("MallWebhookSecretName", b.name("mall-webhook"), "Copy its value into the mall")
	for _, p := range providerSecrets {
		out("SecretName"+p.name, b.name("provider/"+p.name), "Fill in before the first live refund, then deploy with a new secretsRevision")
	}
	out("EventBusName", *o.bus.EventBusName(), "EventBridge bus of the domain events (source aftersales): add rules for "+
		"detail-type refund.balance_credited (credit the buyer's store balance), refund.failed and refund.manual_required")
	out("EventBusArn", *o.bus.EventBusArn(), "ARN of the domain event bus")
	out("RefundFailuresLogGroup", *o.refundFailures.LogGroupName(), "Every refund.failed event: what the RefundFailed alarm counted")
	out("RefundManualLogGroup", *o.refundManual.LogGroupName(),
		"Every refund.manual_required event (refunds finance pays by hand): what the RefundManual alarm counted")
	if c := b.console; c != nil {
		out("ConsoleUrl", c.origin+consolePath, "The merchant console: staff sign in here")
		if c.pool != nil {
			out("StaffUserPoolId", *c.pool.UserPoolId(), "Create staff accounts here and add each to a group: reviewer, admin or arbitrator "+
				"(aws cognito-idp admin-create-user, admin-add-user-to-group)")
		}
	}
}
