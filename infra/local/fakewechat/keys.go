package fakewechat

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// Keys is the key material of one fake merchant account: what WeChat Pay
// issues to a merchant (its API certificate's key and serial, the platform
// public key and id, the APIv3 key) plus the platform's private key, which
// only the fake has, and which tests use to forge or re-sign notifications.
type Keys struct {
	MchSerialNo        string          // the merchant API certificate serial (40 hex digits)
	MchPrivateKey      *rsa.PrivateKey // the merchant's key; its public half verifies requests
	PublicKeyID        string          // the platform public key id ("PUB_KEY_ID_...")
	PlatformPrivateKey *rsa.PrivateKey // signs responses and notifications
	APIv3Key           string          // 32 bytes; encrypts notification resources
}

// GenerateKeys makes fresh key material: two RSA-2048 key pairs, a random
// serial, public key id and APIv3 key. Key generation takes a moment, so
// tests generate once and pass the result in Options.Keys.
func GenerateKeys() (Keys, error) {
	mch, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return Keys{}, err
	}
	platform, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return Keys{}, err
	}
	serial := make([]byte, 20)
	if _, err := rand.Read(serial); err != nil {
		return Keys{}, err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1e18))
	if err != nil {
		return Keys{}, err
	}
	// utils.GenerateNonce gives 32 letters and digits: an APIv3 key as a
	// merchant would type it into the merchant platform.
	apiV3Key, err := utils.GenerateNonce()
	if err != nil {
		return Keys{}, err
	}
	return Keys{
		MchSerialNo:        strings.ToUpper(hex.EncodeToString(serial)),
		MchPrivateKey:      mch,
		PublicKeyID:        fmt.Sprintf("PUB_KEY_ID_0000%024d", n),
		PlatformPrivateKey: platform,
		APIv3Key:           apiV3Key,
	}, nil
}

func (k Keys) validate() error {
	var errs []error
	if k.MchSerialNo == "" || k.MchPrivateKey == nil {
		errs = append(errs, errors.New("the merchant key or serial is missing"))
	}
	if k.PublicKeyID == "" || k.PlatformPrivateKey == nil {
		errs = append(errs, errors.New("the platform key or its id is missing"))
	}
	if len(k.APIv3Key) != 32 {
		errs = append(errs, errors.New("the APIv3 key must be 32 bytes"))
	}
	return errors.Join(errs...)
}

// MchPrivateKeyPEM is the merchant key as WeChat Pay hands it out
// (apiclient_key.pem: PKCS#8).
func (k Keys) MchPrivateKeyPEM() string {
	der, err := x509.MarshalPKCS8PrivateKey(k.MchPrivateKey)
	if err != nil {
		panic(err) // an RSA key always marshals
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// PublicKeyPEM is the platform public key as the merchant platform offers
// it for download (PKIX "PUBLIC KEY").
func (k Keys) PublicKeyPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&k.PlatformPrivateKey.PublicKey)
	if err != nil {
		panic(err) // an RSA key always marshals
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}
