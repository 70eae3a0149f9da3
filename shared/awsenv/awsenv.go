// Package awsenv builds the AWS SDK clients of a function from its
// configuration: the role credentials Lambda puts in the environment in the
// cloud, and explicit static credentials with endpoint overrides for the
// local stand-ins.
package awsenv

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aftersales/aftersales/shared/config"
)

// Load returns the SDK configuration for cfg: Local when any endpoint
// override is set (the local stand-ins accept any SigV4 credentials), else
// the function's role credentials from the environment.
func Load(ctx context.Context, cfg config.Config) (aws.Config, error) {
	if cfg.Endpoints != (config.Endpoints{}) {
		return Local(cfg.Region), nil
	}
	return fromEnvironment(cfg.Region)
}

// fromEnvironment is the configuration of a function in Lambda, which puts
// the execution role's credentials in AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN for the life of the execution
// environment: the first place the SDK's default chain looks there too.
// Reading them here instead of through that chain (the SDK's config
// package) keeps its SSO, STS, IMDS and shared-file providers, unused in
// Lambda, out of every bootstrap (about 0.6 MB each, docs/PERFORMANCE.md).
func fromEnvironment(region string) (aws.Config, error) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("awsenv: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: the functions run in Lambda, which sets them from the function's role, or locally with endpoint overrides")
	}
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")),
		Retryer:     Retryer,
	}, nil
}

// Retry settings of every client (issue 20, docs/PERFORMANCE.md "Cloud
// quotas"): the SDK's standard retryer, which classifies ThrottlingException,
// ProvisionedThroughputExceededException, TooManyRequestsException and the
// like as throttles and backs off exponentially with full jitter, with
// more attempts than its default 3 and without its client-side retry
// quota. That quota (500 tokens, 5 per retry) is meant to stop a client
// hammering a failing service; under a quota's throttling it empties in
// 100 retries and then fails every call at once, which would turn a
// promotion's throttled StartExecution calls into failed intake messages
// and, after 5 receives, dead letters. Throttled calls wait instead: 8
// attempts with back-off capped at 10 s wait about 22 s on average and 45 s
// at most, inside the timeout of the functions whose calls a promotion
// throttles (intake, which starts executions, 60 s; reviews and inbound,
// which complete task tokens, 30 s, at 500/s refill); a call cut short by
// its function's timeout leaves its message on the queue, never lost.
const (
	RetryMaxAttempts = 8
	RetryMaxBackoff  = 10 * time.Second
)

// Retryer builds the retryer of every client (aws.Config.Retryer).
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = RetryMaxAttempts
		o.MaxBackoff = RetryMaxBackoff
		o.RateLimiter = ratelimit.None
	})
}

// Local is the SDK configuration for local stand-ins: static credentials,
// the cloud's Retryer (the stand-ins throttle as AWS does in the local
// stack's --cloud-quotas mode), and the given region.
func Local(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:     Retryer,
	}
}

// DynamoDB returns a DynamoDB client, at endpoint when it is set. Response
// checksum validation is off for local endpoints only: minidyn sends no CRC32.
func DynamoDB(ac aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(ac, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.DisableValidateResponseChecksum = true
		}
	})
}

// S3 returns an S3 client, at endpoint when it is set. Local endpoints use
// path-style addressing and checksums only when required: gofakes3 would
// otherwise store aws-chunked framing as object bytes.
func S3(ac aws.Config, endpoint string) *s3.Client {
	return s3.NewFromConfig(ac, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
}

// SFN returns a Step Functions client, at endpoint when it is set.
func SFN(ac aws.Config, endpoint string) *sfn.Client {
	return sfn.NewFromConfig(ac, func(o *sfn.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// SQS returns an SQS client, at endpoint when it is set.
func SQS(ac aws.Config, endpoint string) *sqs.Client {
	return sqs.NewFromConfig(ac, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// EventBridge returns an EventBridge client, at endpoint when it is set
// (the local stack's PutEvents stand-in, infra/local/fakeevents).
func EventBridge(ac aws.Config, endpoint string) *eventbridge.Client {
	return eventbridge.NewFromConfig(ac, func(o *eventbridge.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// SecretReader returns a function that reads a Secrets Manager secret's
// string by ARN, with the function's credentials in region. Functions use
// it at cold start for the payment providers' keys.
func SecretReader(ctx context.Context, region string) func(arn string) ([]byte, error) {
	return func(arn string) ([]byte, error) {
		ac, err := fromEnvironment(region)
		if err != nil {
			return nil, err
		}
		out, err := secretsmanager.NewFromConfig(ac).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		if err != nil {
			return nil, err
		}
		return []byte(aws.ToString(out.SecretString)), nil
	}
}
