package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestManifest(t *testing.T) {
	f := MustFixture(t, Config{})
	resp, body := MustGet(t, f.srv.URL+"/l/manifest.webmanifest")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest: status = %d, want 200", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Content-Type"), "application/manifest+json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got, want := resp.Header.Get("X-Content-Type-Options"), "nosniff"; got != want {
		t.Errorf("X-Content-Type-Options = %q, want %q", got, want)
	}
	var m struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		ShortName       string `json:"short_name"`
		StartURL        string `json:"start_url"`
		Scope           string `json:"scope"`
		Display         string `json:"display"`
		ThemeColor      string `json:"theme_color"`
		BackgroundColor string `json:"background_color"`
		PreferRelated   *bool  `json:"prefer_related_applications"`
		Icons           []struct{ Src, Sizes, Type, Purpose string }
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("manifest is not JSON: %v\n%s", err, body)
	}

	for _, tc := range []struct{ member, got, want string }{
		{"id", m.ID, "/l/"},
		{"name", m.Name, "punchbot 打卡"},
		{"short_name", m.ShortName, "Punch"},
		{"start_url", m.StartURL, "/l/"},
		{"scope", m.Scope, "/l/"},
		{"display", m.Display, "standalone"},
		{"theme_color", m.ThemeColor, "#1a5fb4"},
		{"background_color", m.BackgroundColor, "#ffffff"},
	} {
		if tc.got != tc.want {
			t.Errorf("manifest %s = %q, want %q", tc.member, tc.got, tc.want)
		}
	}
	if m.PreferRelated != nil && *m.PreferRelated {
		t.Errorf("prefer_related_applications = true, want absent or false (Chrome does not install such an app)")
	}
	// The start URL must be within scope (W3C manifest, "within scope"), and
	// the scope within the service worker's, /l/ (sw.go).
	base, _ := url.Parse(f.srv.URL + "/l/manifest.webmanifest")
	start, scope := base.ResolveReference(mustURL(t, m.StartURL)), base.ResolveReference(mustURL(t, m.Scope))
	if !strings.HasPrefix(start.Path, scope.Path) || !strings.HasPrefix(scope.Path, "/l/") {
		t.Errorf("start_url %s is not within scope %s under the worker's /l/", start, scope)
	}
	// The start page is served, and the worker's path gives it the scope.
	if resp, _ := MustGet(t, start.String()); resp.StatusCode != http.StatusOK {
		t.Errorf("GET start_url %s: status = %d, want 200", start, resp.StatusCode)
	}
	if resp, _ := MustGet(t, f.srv.URL+"/l/sw.js"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /l/sw.js: status = %d, want 200", resp.StatusCode)
	}

	purposes := map[string]bool{}
	for _, ic := range m.Icons {
		purposes[ic.Sizes+" "+ic.Purpose] = true
		t.Run(ic.Src+" "+ic.Purpose, func(t *testing.T) {
			if ic.Type != "image/png" {
				t.Errorf("icon type = %q, want image/png", ic.Type)
			}
			resp, body := MustGet(t, base.ResolveReference(mustURL(t, ic.Src)).String())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status = %d, want 200", ic.Src, resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != "image/png" {
				t.Errorf("GET %s: Content-Type = %q, want image/png", ic.Src, got)
			}
			img, err := png.Decode(bytes.NewReader([]byte(body)))
			if err != nil {
				t.Fatalf("GET %s: not a PNG: %v", ic.Src, err)
			}
			if got := fmt.Sprintf("%dx%d", img.Bounds().Dx(), img.Bounds().Dy()); got != ic.Sizes {
				t.Errorf("%s is %s, the manifest says %s", ic.Src, got, ic.Sizes)
			}
			// Maskable: the corners are the background, edge to edge, and
			// the centre is the white disc (inside the 40 % safe zone).
			b := img.Bounds()
			if r, g, bl, _ := img.At(b.Min.X, b.Min.Y).RGBA(); r>>8 != 0x1a || g>>8 != 0x5f || bl>>8 != 0xb4 {
				t.Errorf("%s corner = #%02x%02x%02x, want the theme colour #1a5fb4", ic.Src, r>>8, g>>8, bl>>8)
			}
			if r, g, bl, _ := img.At(b.Dx()*3/10, b.Dy()/2).RGBA(); r>>8 != 0xff || g>>8 != 0xff || bl>>8 != 0xff {
				t.Errorf("%s at 30 %% across = #%02x%02x%02x, want the white disc", ic.Src, r>>8, g>>8, bl>>8)
			}
		})
	}
	for _, want := range []string{"192x192 any", "512x512 any", "512x512 maskable"} {
		if !purposes[want] {
			t.Errorf("icons %+v lack a %s icon", m.Icons, want)
		}
	}
}

func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatalf("url %q: %v", s, err)
	}
	return u
}

// TestPagesLinkTheManifest checks that every page under /l/ links the
// manifest and that its CSP lets it load the manifest and its icons, and
// nothing from elsewhere.
func TestPagesLinkTheManifest(t *testing.T) {
	f := MustFixture(t, Config{})
	for _, tc := range []struct{ name, url string }{
		{"location page", f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)},
		{"start page", f.srv.URL + "/l/"},
		{"refused link", f.srv.URL + "/l/not-a-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := MustGet(t, tc.url)
			for _, want := range []string{`<link rel="manifest" href="/l/manifest.webmanifest">`, `<link rel="icon" type="image/png" sizes="192x192" href="/l/icon-192.png">`} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "manifest-src 'self'", "img-src 'self'", "worker-src 'self'", "connect-src 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if regexp.MustCompile(`(?:https?:|\*|data:|blob:)`).MatchString(csp) {
				t.Errorf("CSP %q allows a scheme, host or wildcard; want only 'self' and nonces", csp)
			}
		})
	}
}

func TestStartPage(t *testing.T) {
	f := MustFixture(t, Config{})
	for _, tc := range []struct {
		accept, lang string
		want         []string
	}{
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh", []string{"发送“打卡”", "/punch", "没有等待上传的打卡"}},
		{"en-US,en;q=0.9", "en", []string{"open your punch link from chat", "/punch in Slack", "No punches are waiting"}},
		{"", "zh", []string{"企业微信或飞书"}},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/l/", nil)
			req.Header.Set("Accept-Language", tc.accept)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			body := buf.String()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /l/: status = %d, want 200", resp.StatusCode)
			}
			if want := `<html lang="` + tc.lang + `">`; !strings.Contains(body, want) {
				t.Errorf("start page for Accept-Language %q lacks %s", tc.accept, want)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("start page for Accept-Language %q lacks %q", tc.accept, w)
				}
			}
			// The start page carries no token, so nothing on it is personal
			// or one-time; it still shares the pages' headers.
			if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q, want no-referrer", got)
			}
			if !strings.Contains(body, "punchOffline.all()") || !strings.Contains(body, "punchOffline.register()") {
				t.Errorf("start page does not use the shared offline script")
			}
		})
	}
}

func TestAcceptLang(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "zh"},
		{"en", "en"},
		{"en-US,en;q=0.9", "en"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh"},
		{"fr-FR, en;q=0.5", "en"},
		{"fr-FR, de;q=0.5", "zh"},
		{"en;q=0.4, zh-TW;q=0.6", "zh"},
		{"EN-gb", "en"},
		{"en;q=0, zh;q=0", "zh"},
		{"en;q=abc, fr", "zh"},
		{"zh, en", "zh"},
	} {
		if got := acceptLang(tc.header); got != tc.want {
			t.Errorf("acceptLang(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}
