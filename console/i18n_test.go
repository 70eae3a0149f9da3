package console

import (
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	dictKey = regexp.MustCompile(`(?m)(?:^\s*|",\s*)(?:"([^"]+)"|([a-zA-Z_]+)):\s`)
	usedKey = regexp.MustCompile(`\bt\("([a-z_A-Z0-9.\-]+)"`)
)

// dict reads the keys of one dictionary of src/i18n.ts (const name: Dict).
func dict(t *testing.T, src, name string) map[string]bool {
	t.Helper()
	start := strings.Index(src, "const "+name+": Dict = {")
	if start < 0 {
		t.Fatalf("no dictionary %s in i18n.ts", name)
	}
	body := src[start:]
	body = body[strings.Index(body, "{")+1 : strings.Index(body, "\n};")]
	keys := map[string]bool{}
	for _, m := range dictKey.FindAllStringSubmatch(body, -1) {
		keys[m[1]+m[2]] = true
	}
	return keys
}

// TestDictionaries holds the two languages to the same keys, and every key
// the screens name with a literal to one of them: a missing translation
// shows as English (or as the key's last word), never as a blank.
func TestDictionaries(t *testing.T) {
	raw, err := sources.ReadFile("src/i18n.ts")
	if err != nil {
		t.Fatal(err)
	}
	en, zh := dict(t, string(raw), "en"), dict(t, string(raw), "zh")
	if len(en) < 100 {
		t.Fatalf("read %d English keys: the parser of this test is off", len(en))
	}
	var onlyEn, onlyZh []string
	for k := range en {
		if !zh[k] {
			onlyEn = append(onlyEn, k)
		}
	}
	for k := range zh {
		if !en[k] {
			onlyZh = append(onlyZh, k)
		}
	}
	sort.Strings(onlyEn)
	sort.Strings(onlyZh)
	if len(onlyEn)+len(onlyZh) > 0 {
		t.Errorf("keys only in English %v, only in Chinese %v", onlyEn, onlyZh)
	}
	err = fs.WalkDir(sources, "src", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := sources.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range usedKey.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if strings.HasSuffix(k, ".") { // a prefix completed at run time: t("status." + s)
				continue
			}
			if !en[k] {
				t.Errorf("%s uses t(%q), which no dictionary has", p, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
