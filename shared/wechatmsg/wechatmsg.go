// Package wechatmsg sends WeChat mini-program subscribe messages
// (aftersales.Sender for aftersales.ChannelWeChat) through
// github.com/silenceper/wechat/v2: the access token comes from the stable
// token endpoint (/cgi-bin/stable_token) and is cached until five minutes
// before it expires; the message goes to /cgi-bin/message/subscribe/send.
//
// silenceper/wechat has no per-client base URL: its requests go through
// package-level helpers with one hook, util.SetURIModifier, which rewrites
// every URI it sends. New installs a modifier that swaps the host
// https://api.weixin.qq.com for Settings.Endpoint when one is set (the
// local stand-in) and leaves the URI alone otherwise. The hook and the
// library's HTTP client (util.DefaultHTTPClient, given a timeout here) are
// process-wide; in a function only the notifier links this library, so
// one process has one WeChat target.
package wechatmsg

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/miniprogram"
	miniconfig "github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/miniprogram/subscribe"
	"github.com/silenceper/wechat/v2/util"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Host is WeChat's API host, the one the library's URIs name.
const Host = "https://api.weixin.qq.com"

// Timeout bounds one call to WeChat: the library's calls take no context.
const Timeout = 10 * time.Second

// Settings are the merchant's mini-program.
type Settings struct {
	AppID, AppSecret string
	TemplateID       string // the subscribe template every notice uses
	Endpoint         string // base URL instead of Host (local stand-in); empty: Host
}

// Sender sends subscribe messages.
type Sender struct {
	settings  Settings
	tokens    *tokenCache
	subscribe *subscribe.Subscribe
}

var _ aftersales.Sender = (*Sender)(nil)

var installOnce sync.Once

// New returns a sender for s.
func New(s Settings) *Sender {
	installOnce.Do(func() {
		util.DefaultHTTPClient = &http.Client{Timeout: Timeout}
	})
	if s.Endpoint != "" {
		base := strings.TrimRight(s.Endpoint, "/")
		util.SetURIModifier(func(uri string) string {
			if strings.HasPrefix(uri, Host) {
				return base + strings.TrimPrefix(uri, Host)
			}
			return uri
		})
	}
	tokens := &tokenCache{Memory: cache.NewMemory()}
	mp := miniprogram.NewMiniProgram(&miniconfig.Config{AppID: s.AppID, AppSecret: s.AppSecret, Cache: tokens, UseStableAK: true})
	return &Sender{settings: s, tokens: tokens, subscribe: mp.GetSubscribe()}
}

// Channel is ChannelWeChat.
func (*Sender) Channel() aftersales.Channel { return aftersales.ChannelWeChat }

// langs maps our languages to the subscribe message's lang.
var langs = map[string]string{aftersales.LangZhCN: "zh_CN", aftersales.LangEN: "en_US"}

// Error codes that decide what a failure means.
const (
	errNotSubscribed = 43101 // the user did not subscribe (or used up the one-time subscription)
	errBadOpenID     = 40003 // the openid is not a user of this mini-program
	errTokenInvalid  = 40001 // the access token is invalid or not the latest
	errTokenExpired  = 42001
	errBadArgument   = 47003 // a data field is out of its limits: our defect
)

// Send sends m to its openid and returns WeChat's msgid... which Send of
// the library does not return, so "" (the delivery record is keyed by the
// event, not the msgid).
func (s *Sender) Send(ctx context.Context, m aftersales.Outbound) (string, error) {
	const op = "wechatmsg.send"
	data := make(map[string]*subscribe.DataItem, len(m.Fields))
	for k, v := range m.Fields {
		data[k] = &subscribe.DataItem{Value: v}
	}
	msg := &subscribe.Message{ToUser: m.To, TemplateID: s.settings.TemplateID, Page: m.Page, Data: data, Lang: langs[m.Language]}
	done := make(chan error, 1)
	go func() { done <- s.subscribe.Send(msg) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return "", aftersales.Wrap(aftersales.KindTransient, op, ctx.Err())
	}
	if err == nil {
		return "", nil
	}
	var ce *util.CommonError
	if !errors.As(err, &ce) {
		// The token call or the transport failed.
		return "", aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	switch ce.ErrCode {
	case errNotSubscribed, errBadOpenID:
		return "", fmt.Errorf("wechat errcode %d (%s): %w", ce.ErrCode, ce.ErrMsg, aftersales.ErrNotReachable)
	case errTokenInvalid, errTokenExpired:
		// Another process drew a newer stable token with force_refresh, or
		// ours ran out early: draw again on the retry.
		s.tokens.clear()
	case errBadArgument:
		return "", aftersales.Wrap(aftersales.KindInvalid, op, err)
	}
	return "", aftersales.Wrap(aftersales.KindTransient, op, err)
}

// tokenCache is the library's in-memory cache, with a way to drop the
// token WeChat no longer takes.
type tokenCache struct {
	*cache.Memory
	mu   sync.Mutex
	keys []string
}

// Set remembers the keys it stores, for clear.
func (c *tokenCache) Set(key string, val interface{}, timeout time.Duration) error {
	c.mu.Lock()
	c.keys = append(c.keys, key)
	c.mu.Unlock()
	return c.Memory.Set(key, val, timeout)
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.keys {
		_ = c.Memory.Delete(k)
	}
	c.keys = nil
}
