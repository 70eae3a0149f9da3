package main

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

// providerSecrets are the provider secrets, named
// aftersales/<stage>/provider/<name>, with the fields functions read
// (config.ProviderSecrets) and the variable carrying each one's ARN. The
// merchant fills them in before switching providerMode to live.
var providerSecrets = []struct {
	name        string
	description string
	fields      []string
	arnEnv      string // "": not read by any function yet
}{
	{"wechatpay", "WeChat Pay v3: mch_id, app_id, the API certificate's mch_serial_no and mch_private_key_pem " +
		"(apiclient_key.pem), apiv3_key (32 bytes), and the platform public key (public_key_id PUB_KEY_ID_..., public_key_pem)",
		secretFields(config.EnvWeChatPaySecretARN), config.EnvWeChatPaySecretARN},
	{"alipay", "Alipay: app_id, the app's RSA2 app_private_key_pem, and alipay_public_key_pem (the Alipay public key of the app)",
		secretFields(config.EnvAlipaySecretARN), config.EnvAlipaySecretARN},
	{"notify", "Notifications (F6): wechat_app_id, wechat_app_secret and wechat_template_id of the merchant's " +
		"mini-program and its subscribe template (keywords character_string1, thing2, time3, thing4, amount5), and " +
		"sms_origination_identity (the registered phone number, sender id or pool of End User Messaging SMS); " +
		"an empty field turns its channel off",
		secretFields(config.EnvWeChatMiniSecretARN), config.EnvWeChatMiniSecretARN},
	{"kuaidi100", "Kuaidi100 (courier tracking, issue 15): customer (company code), key and secret of the account, and " +
		"salt, a random string of at least 32 characters of your own that keys every parcel's push signature; " +
		"return_name, return_mobile and return_address, where courier pickups deliver returns; " +
		"leave key empty to turn courier tracking off",
		secretFields(config.EnvKuaidi100SecretARN), config.EnvKuaidi100SecretARN},
}

// secretFields are the JSON fields of the secret whose ARN arnEnv carries.
func secretFields(arnEnv string) []string {
	for _, spec := range slices.Concat(config.ProviderSecrets, config.NotifierSecrets) {
		if spec.ARNEnv == arnEnv {
			return slices.Sorted(maps.Keys(spec.Fields))
		}
	}
	panic("no provider secret read through " + arnEnv)
}

// valueEnv are the variables that carry a secret's value, as a dynamic
// reference resolved at deploy.
var valueEnv = []string{config.EnvJWTHS256Secret, config.EnvJWTPublicKeys, config.EnvMallWebhookSecret}

// stackSecrets are the secrets of the stack.
type stackSecrets struct {
	jwtKeys, mall awssecretsmanager.Secret
	// providers are those of providerSecrets, in its order.
	providers []awssecretsmanager.Secret
}

// all returns every secret of the stack.
func (ss *stackSecrets) all() []awssecretsmanager.Secret {
	return append([]awssecretsmanager.Secret{ss.jwtKeys, ss.mall}, ss.providers...)
}

// secrets creates the token keys, the mall's webhook secret and the payment
// providers' secrets, and publishes the values (or, for the providers, the
// ARNs) that functions read.
func (b *builder) secrets() *stackSecrets {
	ss := &stackSecrets{}
	ss.jwtKeys = awssecretsmanager.NewSecret(b.stack, jsii.String("JwtKeys"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(b.name("jwt")),
		Description: jsii.String("Keys of the buyers' and staff's bearer tokens: hs256_secret (shared secret) and/or public_keys_pem (RS256/ES256); set the unused one to an empty string"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"public_keys_pem":""}`),
			GenerateStringKey:    jsii.String("hs256_secret"),
			ExcludePunctuation:   jsii.Bool(true),
			PasswordLength:       jsii.Number(64),
		},
	})
	ss.mall = awssecretsmanager.NewSecret(b.stack, jsii.String("MallWebhookSecret"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(b.name("mall-webhook")),
		Description: jsii.String("HMAC-SHA256 secret of the mall's order events; generated, copy it into the mall"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			ExcludePunctuation: jsii.Bool(true),
			PasswordLength:     jsii.Number(48),
		},
	})
	// The payment providers' secrets start with every field empty (sandbox
	// mode needs none); the merchant fills them in before switching to
	// live. Functions get their ARNs and read them at start.
	for _, p := range providerSecrets {
		fields := map[string]string{}
		for _, f := range p.fields {
			fields[f] = ""
		}
		tmpl, _ := json.Marshal(fields)
		secret := awssecretsmanager.NewSecret(b.stack, jsii.String("Provider-"+p.name), &awssecretsmanager.SecretProps{
			SecretName:  jsii.String(b.name("provider/" + p.name)),
			Description: jsii.String(p.description + "; fill in every field before providerMode live, then deploy with a new secretsRevision"),
			// A generated key keeps the template free of any value; the
			// fields are the merchant's to fill.
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				SecretStringTemplate: jsii.String(string(tmpl)),
				GenerateStringKey:    jsii.String("unused"),
			},
		})
		ss.providers = append(ss.providers, secret)
		if p.arnEnv != "" {
			b.env[p.arnEnv] = secret.SecretArn()
		}
	}
	b.env[config.EnvJWTHS256Secret] = ss.jwtKeys.SecretValueFromJson(jsii.String("hs256_secret")).UnsafeUnwrap()
	b.env[config.EnvJWTPublicKeys] = ss.jwtKeys.SecretValueFromJson(jsii.String("public_keys_pem")).UnsafeUnwrap()
	b.env[config.EnvMallWebhookSecret] = ss.mall.SecretValue().UnsafeUnwrap()
	return ss
}

// grantSecrets lets each function given a provider secret's ARN read that
// secret, and names the secretsRevision in the description of every
// function that reads a secret.
func (b *builder) grantSecrets(ss *stackSecrets) {
	for _, name := range Functions {
		fn, env := b.fns[name], EnvNames(name)
		reads := slices.ContainsFunc(env, func(k string) bool { return slices.Contains(valueEnv, k) })
		for i, p := range providerSecrets {
			if p.arnEnv != "" && slices.Contains(env, p.arnEnv) {
				// A function reads the secret at cold start, and updating
				// it starts new ones: a new secretsRevision matters here too.
				reads = true
				ss.providers[i].GrantRead(fn, nil)
			}
		}
		// Secret values reach the functions as dynamic references resolved
		// at deploy; a new revision changes the description, which makes
		// CloudFormation update the function and resolve them again.
		if reads {
			fn.Node().DefaultChild().(awslambda.CfnFunction).SetDescription(jsii.String("After-sales " + name + ", secrets revision " + b.s.SecretsRevision))
		}
	}
}
