// Package alipay is the Alipay (支付宝) refund adapter: a RefundProvider that
// asks Alipay to pay refunds back (alipay.trade.refund, with
// alipay.trade.fastpay.refund.query for the status) and a verifier of the
// trade status notifications Alipay posts to our webhook when a refund
// changes a trade.
//
// It uses github.com/smartwalle/alipay/v3 for every piece of cryptography:
// RSA2 (SHA256withRSA) signing of requests with the app private key, and
// verification of responses and notifications with the Alipay public key.
// It runs in the public key mode (公钥模式): no certificates. The library
// client is built with its production flag off, since that flag only makes
// it download the certificate a response or notification names by
// alipay_cert_sn; the gateway URL is always set explicitly (Settings.Endpoint,
// or ProductionGateway), so no call can reach a host we did not configure.
//
// Alipay speaks in yuan strings ("12.34"); the domain in int64 fen. The two
// meet here only, through FormatYuan and ParseYuan, which are exact (no
// floating point anywhere).
//
// Every refund carries out_request_no = the domain's OutRefundNo, partial or
// not: Alipay deduplicates on (trade_no, out_request_no), so a retried step
// that sends the same number gets the first refund back and never pays
// twice.
//
// Alipay's refund API is synchronous. An answer with fund_change "Y" is a
// paid refund; an answer without fund change (a repeated request, or one
// Alipay is still working on) is settled by a refund query in the same call.
package alipay
