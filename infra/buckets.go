package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/config"
)

// buckets creates the evidence bucket, which buyers upload to with
// presigned URLs, and the bucket of its access logs.
func (b *builder) buckets() (evidence awss3.Bucket) {
	logs := awss3.NewBucket(b.stack, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		// Server access logging can only deliver to SSE-S3 buckets.
		Encryption:      awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration: awscdk.Duration_Days(jsii.Number(365)),
		}},
	})
	props := &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("evidence/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			// Evidence is read while a case is open, rarely afterwards.
			Transitions: &[]*awss3.Transition{{
				StorageClass:    awss3.StorageClass_INFREQUENT_ACCESS(),
				TransitionAfter: awscdk.Duration_Days(jsii.Number(90)),
			}},
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}, {
			// Buyers upload under pending/; a case that takes a file copies
			// it under evidence/, which this rule never matches. Whatever
			// is still under pending/ after its upload record expired
			// (aftersales.PendingUploadDays) no case took: it is deleted,
			// so upload URLs cannot fill the bucket.
			Id:         jsii.String("ExpireUnattachedUploads"),
			Prefix:     jsii.String(pendingPrefix),
			Expiration: awscdk.Duration_Days(jsii.Number(aftersales.PendingUploadDays)),
		}},
	}
	if len(b.s.CORSOrigins) > 0 {
		props.Cors = &[]*awss3.CorsRule{{
			AllowedOrigins: jsii.Strings(b.s.CORSOrigins...),
			// PUT uploads with a presigned URL; GET and HEAD let staff
			// pages fetch what they show.
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_PUT, awss3.HttpMethods_GET, awss3.HttpMethods_HEAD},
			AllowedHeaders: jsii.Strings("content-type", "x-amz-*"),
			ExposedHeaders: jsii.Strings("etag"),
			MaxAge:         jsii.Number(3000),
		}}
	}
	evidence = awss3.NewBucket(b.stack, jsii.String("Evidence"), props)
	b.accessLogs = logs
	b.env[config.EnvEvidenceBucket] = evidence.BucketName()
	return evidence
}

// Key prefixes of the evidence bucket (aftersales.PendingObjectKey and
// EvidenceObjectKey).
const (
	pendingPrefix  = "pending/"
	evidencePrefix = "evidence/"
	// thumbnailPrefix holds the thumbnails the evidence check makes
	// (aftersales.ThumbnailObjectKey). The bucket's first lifecycle rule,
	// which has no prefix, moves them to infrequent access with their
	// originals; neither is ever expired.
	thumbnailPrefix = "thumbnails/"
	// threadPrefix holds the files of dispute threads
	// (aftersales.ThreadObjectKey): staff's documents uploaded in place,
	// the buyer's copied from pending/ when a message names them.
	threadPrefix = "threads/"
)

// grantEvidence lets the api function presign uploads and downloads of
// evidence. Presigned PUT/GET are signed with the api function's role;
// attaching evidence HEADs the upload under pending/ and copies it under
// evidence/ (GetObject on the source, PutObject on the copy): PutObject and
// GetObject under both prefixes, and under threads/ for the files of
// dispute threads (issue 14). ListBucket makes a missing object answer
// 404 instead of 403, which the api reports as "not uploaded".
func (b *builder) grantEvidence(evidence awss3.Bucket) {
	api := b.fns["api"]
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("s3:PutObject", "s3:GetObject"),
		Resources: &[]*string{evidence.ArnForObjects(jsii.String(pendingPrefix + "*")),
			evidence.ArnForObjects(jsii.String(evidencePrefix + "*")), evidence.ArnForObjects(jsii.String(threadPrefix + "*"))},
	}))
	// The case view signs GETs of thumbnails too (issue 16).
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{evidence.ArnForObjects(jsii.String(thumbnailPrefix + "*"))},
	}))
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{evidence.BucketArn()},
	}))
}

// evidenceNotifications sends the bucket's s3:ObjectCreated:* events of
// keys under evidence/ (a case took the file: cases.keepEvidence copies it
// there) to the evidence queue, and lets the evidence function read those
// files (issue 16). Uploads under pending/ raise nothing: a file no case
// takes is never checked.
func (b *builder) evidenceNotifications(evidence awss3.Bucket, qs []workQueue) {
	for _, q := range qs {
		if q.consumer != "evidence" {
			continue
		}
		evidence.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewSqsDestination(q.queue),
			&awss3.NotificationKeyFilter{Prefix: jsii.String(evidencePrefix)})
	}
	fn := b.fns["evidence"]
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{evidence.ArnForObjects(jsii.String(evidencePrefix + "*"))},
	}))
	// Thumbnails are made once, by the check (issue 16).
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:PutObject"),
		Resources: &[]*string{evidence.ArnForObjects(jsii.String(thumbnailPrefix + "*"))},
	}))
	// DetectLabels, for the categories the rule set turns recognition on.
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("rekognition:DetectLabels"),
		Resources: jsii.Strings("*"),
	}))
	// A file deleted before its check answers 404, not 403.
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{evidence.BucketArn()},
	}))
}
