// Package config reads a function's configuration from its environment. The
// variable names are constants here and nowhere else: the CDK stack sets them
// from the same constants, so a rename cannot split the two.
//
// A payment provider's settings are the adapter's own type
// (wechatpay.Settings, alipay.Settings), filled here: the adapters say what
// a merchant account is and check it, this package says where each value
// comes from (a variable, a Secrets Manager field) and how it travels.
package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/alipay"
	"github.com/aftersales/aftersales/shared/kuaidi100"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// Environment variable names shared by the functions, the local stack and the
// CDK stack.
const (
	EnvStage          = "STAGE"
	EnvRegion         = "AWS_REGION"
	EnvTableName      = "TABLE_NAME"
	EnvEvidenceBucket = "EVIDENCE_BUCKET"
	EnvJWTIssuer      = "JWT_ISSUER"
	EnvJWTAudience    = "JWT_AUDIENCE"
	EnvJWTHS256Secret = "JWT_HS256_SECRET"
	EnvJWTPublicKeys  = "JWT_PUBLIC_KEYS_PEM"
	// EnvStaffJWTIssuer and EnvStaffJWTClientID name the console's Amazon
	// Cognito user pool and app client, whose access tokens the API takes
	// for staff beside the buyers' issuer (issue 18). Empty: none.
	EnvStaffJWTIssuer    = "STAFF_JWT_ISSUER"
	EnvStaffJWTClientID  = "STAFF_JWT_CLIENT_ID"
	EnvMallWebhookSecret = "MALL_WEBHOOK_SECRET"
	// EnvMallCouponURL is the base URL of the mall's coupon service (F18),
	// asked at decision time whether virtual goods were used, signed with
	// the mall's shared secret (MALL_WEBHOOK_SECRET). Empty: the order
	// snapshot's redeemed flag is trusted.
	EnvMallCouponURL   = "MALL_COUPON_URL"
	EnvLogLevel        = "LOG_LEVEL"
	EnvStateMachineARN = "CASE_STATE_MACHINE_ARN"
	EnvIntakeQueueURL  = "INTAKE_QUEUE_URL"
	EnvReviewQueueURL  = "REVIEW_QUEUE_URL"
	EnvProviderMode    = "PROVIDER_MODE" // live (default) or sandbox
	EnvSweepGrace      = "SWEEP_GRACE"   // how old a submitted case must be before the sweeper re-enqueues it; default 5m
	EnvInboundQueueURL = "INBOUND_QUEUE_URL"
	EnvEventBusName    = "EVENT_BUS_NAME" // the publisher's bus of domain events (the outbox's); empty: logged only

	// WeChat Pay v3 (merchant credentials and the platform's public key).
	EnvWeChatPayMchID         = "WECHATPAY_MCH_ID"
	EnvWeChatPayAppID         = "WECHATPAY_APP_ID" // documented and in the secret, but refunds need no app id: nothing reads it
	EnvWeChatPayMchSerialNo   = "WECHATPAY_MCH_SERIAL_NO"
	EnvWeChatPayMchPrivateKey = "WECHATPAY_MCH_PRIVATE_KEY_PEM"
	EnvWeChatPayAPIv3Key      = "WECHATPAY_APIV3_KEY"
	EnvWeChatPayPublicKeyID   = "WECHATPAY_PUBLIC_KEY_ID" // serial of the platform key notifications are signed with
	EnvWeChatPayPublicKey     = "WECHATPAY_PUBLIC_KEY_PEM"
	EnvWeChatPayNotifyURL     = "WECHATPAY_NOTIFY_URL"
	EnvWeChatPayEndpoint      = "WECHATPAY_ENDPOINT" // base URL override (local sandbox); empty: https://api.mch.weixin.qq.com
	EnvAlipayAppID            = "ALIPAY_APP_ID"
	EnvAlipayAppPrivateKey    = "ALIPAY_APP_PRIVATE_KEY_PEM"
	EnvAlipayPublicKey        = "ALIPAY_PUBLIC_KEY_PEM"
	EnvAlipayNotifyURL        = "ALIPAY_NOTIFY_URL"
	EnvAlipayEndpoint         = "ALIPAY_ENDPOINT" // gateway override (local sandbox); empty: https://openapi.alipay.com/gateway.do

	// Notifications (F6): the queue every case change is announced on, and
	// the merchant's senders. A sender is enabled when it is configured:
	// WeChat subscribe messages need the mini-program's app id, secret and
	// subscribe template; SMS needs the merchant's registered origination
	// identity (a phone number, sender id or pool ARN).
	EnvNotificationsQueueURL = "NOTIFICATIONS_QUEUE_URL"
	EnvWeChatMiniAppID       = "WECHAT_MINI_APP_ID"
	EnvWeChatMiniAppSecret   = "WECHAT_MINI_APP_SECRET"
	EnvWeChatTemplateID      = "WECHAT_SUBSCRIBE_TEMPLATE_ID"
	EnvWeChatAPIEndpoint     = "WECHAT_API_ENDPOINT" // base URL override (local stand-in); empty: https://api.weixin.qq.com
	EnvSMSOrigination        = "SMS_ORIGINATION_IDENTITY"
	EnvSMSEndpoint           = "SMS_ENDPOINT"      // endpoint override (local stand-in); empty: the regional endpoint
	EnvWeChatMiniSecretARN   = "NOTIFY_SECRET_ARN" // the secret of NotifierSecrets

	// The providers' Secrets Manager secrets, read at cold start (see
	// ProviderSecrets): their fields stand for the variables above.
	EnvWeChatPaySecretARN = "WECHATPAY_SECRET_ARN"
	EnvAlipaySecretARN    = "ALIPAY_SECRET_ARN"

	// Kuaidi100, the courier aggregator (issue 15): the account's key and
	// secret, the company code, the key of the per-subscription salts, and
	// the webhook URL pushes come back to. Tracking is on when the key and
	// the salt key are set.
	EnvKuaidi100Customer    = "KUAIDI100_CUSTOMER"
	EnvKuaidi100Key         = "KUAIDI100_KEY"
	EnvKuaidi100Secret      = "KUAIDI100_SECRET"
	EnvKuaidi100SaltKey     = "KUAIDI100_SALT"
	EnvKuaidi100CallbackURL = "KUAIDI100_CALLBACK_URL"
	EnvKuaidi100Endpoint    = "KUAIDI100_ENDPOINT" // base URL override (local stand-in); empty: the provider's hosts
	EnvKuaidi100SecretARN   = "KUAIDI100_SECRET_ARN"
	// The merchant's return address, where pickups deliver (F21).
	EnvKuaidi100ReturnName    = "KUAIDI100_RETURN_NAME"
	EnvKuaidi100ReturnMobile  = "KUAIDI100_RETURN_MOBILE"
	EnvKuaidi100ReturnAddress = "KUAIDI100_RETURN_ADDRESS"

	// Endpoint overrides point the SDK clients at local stand-ins. They are
	// empty in the cloud, where the SDK resolves the regional endpoints.
	EnvDynamoDBEndpoint = "DYNAMODB_ENDPOINT"
	EnvS3Endpoint       = "S3_ENDPOINT"
	EnvSQSEndpoint      = "SQS_ENDPOINT"
	EnvSFNEndpoint      = "SFN_ENDPOINT"
)

// Config is everything a function may need; each function requires the part
// it uses (see Load).
type Config struct {
	Stage             string
	Region            string
	TableName         string
	EvidenceBucket    string
	JWT               JWT
	MallWebhookSecret string
	// MallCouponURL is the mall's coupon service (EnvMallCouponURL).
	MallCouponURL   string
	LogLevel        string
	StateMachineARN string
	IntakeQueueURL  string
	ReviewQueueURL  string
	ProviderMode    string
	SweepGrace      time.Duration
	InboundQueueURL string
	EventBusName    string
	WeChatPay       wechatpay.Settings // live provider mode; the route is configured when MchID is set
	Alipay          alipay.Settings    // live provider mode; the route is configured when AppID is set
	Endpoints       Endpoints
	// NotificationsQueueURL is where case changes are announced (F6);
	// empty: they are not.
	NotificationsQueueURL string
	Notify                Notify
	// Kuaidi100 is the courier aggregator (issue 15).
	Kuaidi100 Kuaidi100
}

// Kuaidi100 are the courier aggregator's settings.
type Kuaidi100 struct {
	kuaidi100.Settings
	SaltKey     string // HMAC key of the per-subscription salts
	CallbackURL string // the webhook's URL, https://.../webhooks/kuaidi100
	// ReturnTo is the merchant's return address, where pickups deliver.
	ReturnTo kuaidi100.Warehouse
}

// Configured reports whether courier tracking is on.
func (k Kuaidi100) Configured() bool { return k.Key != "" && k.SaltKey != "" }

// JWT says which bearer tokens the API accepts. At least one of HS256Secret
// and PublicKeysPEM must be set.
type JWT struct {
	Issuer        string
	Audience      string
	HS256Secret   string
	PublicKeysPEM string // one or more PEM public keys (RSA or ECDSA) for RS256/ES256 tokens
	// StaffIssuer and StaffClientID are the console's user pool and app
	// client (EnvStaffJWTIssuer); its keys are the pool's JWKS at
	// StaffIssuer/.well-known/jwks.json.
	StaffIssuer   string
	StaffClientID string
}

// Endpoints overrides AWS service endpoints (local stack only).
type Endpoints struct {
	DynamoDB      string
	S3            string
	SQS           string
	StepFunctions string
	EventBridge   string // the outbox publisher's bus (local stack only)
}

// Notify are the merchant's notification senders (F6).
type Notify struct {
	WeChatAppID, WeChatAppSecret, WeChatTemplateID, WeChatEndpoint string
	SMSOrigination, SMSEndpoint                                    string
}

// WeChat reports whether WeChat subscribe messages are configured.
func (n Notify) WeChat() bool {
	return n.WeChatAppID != "" && n.WeChatAppSecret != "" && n.WeChatTemplateID != ""
}

// SMS reports whether SMS is configured.
func (n Notify) SMS() bool { return n.SMSOrigination != "" }

// Load reads the configuration from getenv (os.Getenv in functions) and
// fails naming every variable of required that is missing, in one error, so
// a misconfigured deploy is fixed in one round.
func Load(getenv func(string) string, required ...string) (Config, error) {
	c := Config{
		Stage:             getenv(EnvStage),
		Region:            getenv(EnvRegion),
		TableName:         getenv(EnvTableName),
		EvidenceBucket:    getenv(EnvEvidenceBucket),
		MallWebhookSecret: getenv(EnvMallWebhookSecret),
		MallCouponURL:     getenv(EnvMallCouponURL),
		LogLevel:          getenv(EnvLogLevel),
		JWT: JWT{
			Issuer:        getenv(EnvJWTIssuer),
			Audience:      getenv(EnvJWTAudience),
			HS256Secret:   getenv(EnvJWTHS256Secret),
			PublicKeysPEM: getenv(EnvJWTPublicKeys),
			StaffIssuer:   getenv(EnvStaffJWTIssuer),
			StaffClientID: getenv(EnvStaffJWTClientID),
		},
		StateMachineARN: getenv(EnvStateMachineARN),
		IntakeQueueURL:  getenv(EnvIntakeQueueURL),
		ReviewQueueURL:  getenv(EnvReviewQueueURL),
		ProviderMode:    getenv(EnvProviderMode),
		SweepGrace:      5 * time.Minute,
		InboundQueueURL: getenv(EnvInboundQueueURL),
		EventBusName:    getenv(EnvEventBusName),
		WeChatPay: wechatpay.Settings{
			MchID: getenv(EnvWeChatPayMchID), MchSerialNo: getenv(EnvWeChatPayMchSerialNo),
			MchPrivateKeyPEM: pemText(getenv(EnvWeChatPayMchPrivateKey)), APIv3Key: getenv(EnvWeChatPayAPIv3Key),
			PublicKeyID: getenv(EnvWeChatPayPublicKeyID), PublicKeyPEM: pemText(getenv(EnvWeChatPayPublicKey)),
			NotifyURL: getenv(EnvWeChatPayNotifyURL), Endpoint: getenv(EnvWeChatPayEndpoint),
		},
		Alipay: alipay.Settings{
			AppID: getenv(EnvAlipayAppID), AppPrivateKey: pemText(getenv(EnvAlipayAppPrivateKey)),
			AlipayPublicKey: pemText(getenv(EnvAlipayPublicKey)), NotifyURL: getenv(EnvAlipayNotifyURL), Endpoint: getenv(EnvAlipayEndpoint),
		},
		Endpoints: Endpoints{DynamoDB: getenv(EnvDynamoDBEndpoint), S3: getenv(EnvS3Endpoint),
			SQS: getenv(EnvSQSEndpoint), StepFunctions: getenv(EnvSFNEndpoint)},
		NotificationsQueueURL: getenv(EnvNotificationsQueueURL),
		Notify: Notify{WeChatAppID: getenv(EnvWeChatMiniAppID), WeChatAppSecret: getenv(EnvWeChatMiniAppSecret),
			WeChatTemplateID: getenv(EnvWeChatTemplateID), WeChatEndpoint: getenv(EnvWeChatAPIEndpoint),
			SMSOrigination: getenv(EnvSMSOrigination), SMSEndpoint: getenv(EnvSMSEndpoint)},
		Kuaidi100: Kuaidi100{Settings: kuaidi100.Settings{Customer: getenv(EnvKuaidi100Customer), Key: getenv(EnvKuaidi100Key),
			Secret: getenv(EnvKuaidi100Secret), Base: getenv(EnvKuaidi100Endpoint)},
			SaltKey: getenv(EnvKuaidi100SaltKey), CallbackURL: getenv(EnvKuaidi100CallbackURL),
			ReturnTo: kuaidi100.Warehouse{Name: getenv(EnvKuaidi100ReturnName), Mobile: getenv(EnvKuaidi100ReturnMobile),
				Address: getenv(EnvKuaidi100ReturnAddress)}},
	}
	if c.ProviderMode == "" {
		c.ProviderMode = ProviderLive // never fake money unless asked to by name
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	var missing []string
	if v := getenv(EnvSweepGrace); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("config: %s must be a positive duration such as 5m, got %q", EnvSweepGrace, v)
		}
		c.SweepGrace = d
	}
	if c.ProviderMode != ProviderSandbox && c.ProviderMode != ProviderLive {
		return c, fmt.Errorf("config: %s must be %s or %s, got %q", EnvProviderMode, ProviderSandbox, ProviderLive, c.ProviderMode)
	}
	for _, name := range required {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	needJWT := slices.Contains(required, EnvJWTIssuer)
	if needJWT && c.JWT.HS256Secret == "" && c.JWT.PublicKeysPEM == "" {
		missing = append(missing, EnvJWTHS256Secret+" or "+EnvJWTPublicKeys)
	}
	if c.ProviderMode == ProviderLive {
		missing = append(missing, c.missingOf(getenv, wechatPayVars)...)
		missing = append(missing, c.missingOf(getenv, alipayVars)...)
	}
	missing = append(missing, c.missingOf(getenv, kuaidi100Vars)...)
	if len(missing) > 0 {
		return c, fmt.Errorf("config: missing environment variables: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// The variables a configured provider needs, its account id first: a
// provider's settings are all or nothing.
var (
	wechatPayVars = []string{EnvWeChatPayMchID, EnvWeChatPayMchSerialNo, EnvWeChatPayMchPrivateKey,
		EnvWeChatPayAPIv3Key, EnvWeChatPayPublicKeyID, EnvWeChatPayPublicKey, EnvWeChatPayNotifyURL}
	alipayVars = []string{EnvAlipayAppID, EnvAlipayAppPrivateKey, EnvAlipayPublicKey}
	// The courier aggregator's (the company code is optional).
	kuaidi100Vars = []string{EnvKuaidi100Key, EnvKuaidi100Secret, EnvKuaidi100SaltKey}
)

// missingOf names the variables of a provider's names that are empty when
// some of its credentials are set (the notify URL, which the stack always
// sets, does not count), each with the secret field that stands for it
// (see source): a half-filled secret is a mistake to name, not a provider
// to leave unused.
func (c Config) missingOf(getenv func(string) string, names []string) []string {
	used := slices.ContainsFunc(names, func(name string) bool {
		return name != EnvWeChatPayNotifyURL && name != EnvAlipayNotifyURL && getenv(name) != ""
	})
	var missing []string
	for _, name := range names {
		if used && getenv(name) == "" {
			missing = append(missing, c.source(name))
		}
	}
	return missing
}

// source names where the value of the variable name comes from: the
// variable, and the field of the provider secret that stands for it in
// the cloud, so that whoever reads a start failure knows what to fill in.
func (c Config) source(name string) string {
	for _, spec := range ProviderSecrets {
		for field, env := range spec.Fields {
			if env == name {
				return fmt.Sprintf("%s (field %s of the secret %s)", name, field, c.SecretName(spec.Name))
			}
		}
	}
	return name
}

// SecretName is the name the CDK stack gives the provider secret of
// provider ("wechatpay", "alipay") in this configuration's stage.
func (c Config) SecretName(provider string) string {
	stage := c.Stage
	if stage == "" {
		stage = "<stage>"
	}
	return "aftersales/" + stage + "/provider/" + provider
}

// CheckProviders refuses a live configuration in which no payment provider
// is configured: every refund to WeChat Pay or Alipay would wait for
// finance to pay it by hand, most likely because the provider secrets were
// never filled in. The error names the secrets and the fields to fill.
// The functions that pay refunds call it when they start; sandbox passes.
func (c Config) CheckProviders() error {
	if c.ProviderMode != ProviderLive || c.WeChatPay.MchID != "" || c.Alipay.AppID != "" {
		return nil
	}
	fields := func(provider string, vars []string) string {
		var out []string
		for _, spec := range ProviderSecrets {
			if spec.Name != provider {
				continue
			}
			for _, v := range vars {
				for field, env := range spec.Fields {
					if env == v {
						out = append(out, field)
					}
				}
			}
		}
		return c.SecretName(provider) + " (" + strings.Join(out, ", ") + ")"
	}
	return fmt.Errorf("config: provider mode %s, but no payment provider is configured: the provider secrets are empty. "+
		"Fill in the secret %s or %s (or both), then deploy with a new secretsRevision; "+
		"or deploy with providerMode %s, in which no money moves",
		ProviderLive, fields("wechatpay", wechatPayVars), fields("alipay", alipayVars), ProviderSandbox)
}

// StartFailed is the message of the one log line a function writes when it
// cannot start (a missing variable or secret, empty provider secrets in
// live mode): JSON with "level":"ERROR" and the reason in "err". The CDK
// stack counts these lines in every function's log and alarms on them.
const StartFailed = "start failed"

// Provider modes: live (the default) calls the payment providers
// configured (WECHATPAY_*, ALIPAY_*); sandbox, which a deploy must ask for
// by name, marks every refund arrived at once and calls nobody: no money
// moves, and the ledger rows say sandbox.
const (
	ProviderSandbox = "sandbox"
	ProviderLive    = "live"
)

// The variables each function requires.
var (
	API      = []string{EnvTableName, EnvEvidenceBucket, EnvJWTIssuer, EnvJWTAudience, EnvStateMachineARN, EnvIntakeQueueURL, EnvReviewQueueURL}
	Reviews  = []string{EnvTableName, EnvStateMachineARN}
	Webhooks = []string{EnvTableName, EnvMallWebhookSecret, EnvInboundQueueURL}
	Inbound  = []string{EnvTableName, EnvStateMachineARN}
	Tasks    = []string{EnvTableName, EnvStateMachineARN}
	Intake   = []string{EnvTableName, EnvStateMachineARN}
	Sweeper  = []string{EnvTableName, EnvStateMachineARN, EnvIntakeQueueURL}
	Notifier = []string{EnvTableName}
	// Evidence checks the files of the evidence bucket (issue 16): it
	// reads them and resumes the review wait when it asks for evidence.
	Evidence = []string{EnvTableName, EnvEvidenceBucket, EnvStateMachineARN}
	// Publisher consumes the table's stream and puts the outbox's domain
	// events on the bus (issue 15).
	Publisher = []string{EnvTableName, EnvEventBusName}
)

// SecretSpec describes a JSON secret whose fields stand for configuration
// variables: a provider's keys are kept in Secrets Manager and read when a
// function starts, so they neither sit in the function's configuration nor
// count against Lambda's 4 KB of environment.
type SecretSpec struct {
	Name   string            // aftersales/<stage>/provider/<Name>
	ARNEnv string            // the variable holding the secret's ARN
	Fields map[string]string // JSON field -> the variable it stands for
}

// ProviderSecrets are the payment providers' secrets. The CDK stack creates
// them with these fields; functions read them at start (wire.Run).
var ProviderSecrets = []SecretSpec{
	{Name: "wechatpay", ARNEnv: EnvWeChatPaySecretARN, Fields: map[string]string{
		"mch_id": EnvWeChatPayMchID, "app_id": EnvWeChatPayAppID, "mch_serial_no": EnvWeChatPayMchSerialNo,
		"mch_private_key_pem": EnvWeChatPayMchPrivateKey, "apiv3_key": EnvWeChatPayAPIv3Key,
		"public_key_id": EnvWeChatPayPublicKeyID, "public_key_pem": EnvWeChatPayPublicKey,
	}},
	{Name: "alipay", ARNEnv: EnvAlipaySecretARN, Fields: map[string]string{
		"app_id": EnvAlipayAppID, "app_private_key_pem": EnvAlipayAppPrivateKey, "alipay_public_key_pem": EnvAlipayPublicKey,
	}},
	// The courier aggregator's account (issue 15): read by the functions
	// that subscribe parcels (api) and verify their pushes (webhooks).
	{Name: "kuaidi100", ARNEnv: EnvKuaidi100SecretARN, Fields: map[string]string{
		"customer": EnvKuaidi100Customer, "key": EnvKuaidi100Key, "secret": EnvKuaidi100Secret, "salt": EnvKuaidi100SaltKey,
		"return_name": EnvKuaidi100ReturnName, "return_mobile": EnvKuaidi100ReturnMobile, "return_address": EnvKuaidi100ReturnAddress,
	}},
}

// NotifierSecrets are the notifier's secret: the merchant's notification
// senders in one place, the mini-program's app secret (with its app id and
// the subscribe template) and the SMS origination identity. A field left
// empty turns its channel off. Only the notifier reads it
// (wire.NotifierSecrets).
var NotifierSecrets = []SecretSpec{
	{Name: "notify", ARNEnv: EnvWeChatMiniSecretARN, Fields: map[string]string{
		"wechat_app_id": EnvWeChatMiniAppID, "wechat_app_secret": EnvWeChatMiniAppSecret,
		"wechat_template_id": EnvWeChatTemplateID, "sms_origination_identity": EnvSMSOrigination,
	}},
}

// WithSecrets returns getenv overlaid with the fields of the secrets whose
// ARN variables are set, read by fetch (a secret's JSON by ARN). A variable
// set in the environment wins over the secret (local runs set them
// directly); empty fields stand for nothing, so an unused provider's empty
// secret leaves it unconfigured.
func WithSecrets(getenv func(string) string, fetch func(arn string) ([]byte, error)) (func(string) string, error) {
	return WithSecretsOf(ProviderSecrets, getenv, fetch)
}

// WithSecretsOf is WithSecrets for the secrets specs.
func WithSecretsOf(specs []SecretSpec, getenv func(string) string, fetch func(arn string) ([]byte, error)) (func(string) string, error) {
	values := map[string]string{}
	for _, spec := range specs {
		arn := getenv(spec.ARNEnv)
		if arn == "" {
			continue
		}
		raw, err := fetch(arn)
		if err != nil {
			return nil, fmt.Errorf("config: read the %s secret: %w", spec.Name, err)
		}
		var fields map[string]string
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("config: the %s secret is not a JSON object of strings: %w", spec.Name, err)
		}
		for key, env := range spec.Fields {
			if v := fields[key]; v != "" {
				values[env] = v
			}
		}
	}
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return values[name]
	}, nil
}

// pemText returns a key as read from the environment or a secret, where
// newlines are often stored as `\n` escapes (multi-line values rarely
// survive environment variables and secret editors intact): trimmed, with
// the escapes turned back into newlines when it has no real newline.
func pemText(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	return s
}
