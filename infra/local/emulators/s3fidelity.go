package emulators

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
)

// listV2Fidelity completes gofakes3's ListObjectsV2 answers where they
// differ from S3's: KeyCount is left out of an empty listing (S3 says 0),
// and `encoding-type=url` is ignored (S3 answers EncodingType and encodes
// the keys and prefixes, which the AWS CLI asks for and then decodes).
type listV2Fidelity struct{ next http.Handler }

// encodedTags are the elements S3 URL-encodes under encoding-type=url.
var encodedTags = regexp.MustCompile(`<(Key|Prefix|Delimiter|StartAfter)>([^<]*)</(Key|Prefix|Delimiter|StartAfter)>`)

func (f listV2Fidelity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != http.MethodGet || q.Get("list-type") != "2" {
		f.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	const end = "</ListBucketResult>"
	if rec.Code == http.StatusOK && bytes.Contains(body, []byte(end)) {
		var extra strings.Builder
		if !bytes.Contains(body, []byte("<KeyCount>")) {
			extra.WriteString("<KeyCount>0</KeyCount>")
		}
		if q.Get("encoding-type") == "url" {
			body = encodedTags.ReplaceAllFunc(body, func(m []byte) []byte {
				s := encodedTags.FindSubmatch(m)
				return []byte("<" + string(s[1]) + ">" + s3URLEncode(xmlUnescape(string(s[2]))) + "</" + string(s[1]) + ">")
			})
			extra.WriteString("<EncodingType>url</EncodingType>")
		}
		body = bytes.Replace(body, []byte(end), []byte(extra.String()+end), 1)
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// s3URLEncode encodes as S3 does for encoding-type=url: form encoding, in
// which a space is "+", with "/" kept.
func s3URLEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

var xmlEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'", "&quot;", `"`, "&apos;", "'")

func xmlUnescape(s string) string { return xmlEntities.Replace(s) }
