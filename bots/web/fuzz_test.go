package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// FuzzLocationPost posts arbitrary bodies, as a form or as JSON, to a fresh
// valid location link. Whatever the body, the page must not panic, must
// answer 200 or a 4xx (never a 5xx: the memory store does not fail), and a
// refused body must store nothing: bad input changes nothing.
func FuzzLocationPost(f *testing.F) {
	fx := MustFixture(f, Config{})
	for _, form := range []string{
		at("39.9087", "116.3984", "25").Encode(),
		at("NaN", "116.3984", "25").Encode(),
		at("91", "-181", "25").Encode(),
		at("1e308", "1e-308", "1e308").Encode(),
		at("39.9087\x00", "116.3984", "-0").Encode(),
		"lat=%zz&lng=1",
		"",
	} {
		f.Add(form, false)
	}
	for _, body := range []string{
		`{"lat":39.9087,"lng":116.3984,"accuracy":12}`,
		`{"lat":"39.9087","lng":"116.3984"}`,
		`{"lat":true,"lng":116.3984}`,
		`{"lat":39.9`,
		`[]`,
	} {
		f.Add(body, true)
	}
	f.Fuzz(func(t *testing.T, body string, asJSON bool) {
		link := fx.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)
		before := len(fx.punches(t))
		req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if asJSON {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status, after := resp.StatusCode, len(fx.punches(t))
		if status != http.StatusOK && (status < 400 || status >= 500) {
			t.Fatalf("status %d for %q (json %t)", status, body, asJSON)
		}
		if status >= 400 && after != before {
			t.Fatalf("status %d for %q (json %t) but %d punches were stored", status, body, asJSON, after-before)
		}
		// Past the punch-rate window, so that each input is judged on its own.
		fx.clock.Add(time.Hour)
	})
}
