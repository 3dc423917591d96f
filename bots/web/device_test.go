package web

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func postJSON(t *testing.T, link, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// loadOf fetches the page and returns its load token, as the page's
// script would see it.
func loadOf(t *testing.T, link string) string {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	_, rest, ok := strings.Cut(string(b), "var load = \"")
	tok, _, _ := strings.Cut(rest, "\"")
	if !ok || tok == "" {
		t.Fatalf("no load token in the page")
	}
	return tok
}

func TestPostWithoutPasskeyUnderRequired(t *testing.T) {
	f := mustDeviceFixture(t, core.DeviceBindingRequired)
	link := f.link(t, "U1", core.KindIn)
	status, body := postJSON(t, link, `{"lat":39.9087,"lng":116.3984,"accuracy":10}`)
	if status != http.StatusOK || !strings.Contains(body, `"status":"rejected"`) || !strings.Contains(body, "bound device") {
		t.Errorf("POST = %d %s, want a refusal naming the bound device", status, body)
	}
	ps := f.punchesOf(t, "e1")
	if len(ps) != 1 || ps[0].Valid() || ps[0].Reasons[len(ps[0].Reasons)-1] != core.ReasonDeviceRequired {
		t.Errorf("punches = %+v, want one refused attempt", ps)
	}
}

func TestOfflineTimeChecks(t *testing.T) {
	f := mustDeviceFixture(t, core.DeviceBindingOff)
	ms := func(d time.Duration) string { return strconv.FormatInt(f.clock.Now().Add(d).UnixMilli(), 10) }
	for _, c := range []struct {
		name       string
		body       func(load string) string
		advance    time.Duration
		wantStatus int
		wantState  string
	}{
		{"before the page was served", func(l string) string {
			return `{"lat":39.9087,"lng":116.3984,"at":` + ms(-time.Hour) + `,"load":"` + l + `"}`
		}, 0, http.StatusUnprocessableEntity, stateBadTime},
		{"altered load token", func(l string) string {
			return `{"lat":39.9087,"lng":116.3984,"at":` + ms(0) + `,"load":"1` + l + `"}`
		}, 0, http.StatusUnprocessableEntity, stateBadTime},
		{"expired link without an offline time", func(l string) string {
			return `{"lat":39.9087,"lng":116.3984}`
		}, time.Hour, http.StatusGone, stateExpired},
		{"expired link, fix after the expiry", func(l string) string {
			return `{"lat":39.9087,"lng":116.3984,"at":` + ms(59*time.Minute) + `,"load":"` + l + `"}`
		}, time.Hour, http.StatusGone, stateExpired},
		{"ahead of the server", func(l string) string {
			return `{"lat":39.9087,"lng":116.3984,"at":` + ms(5*time.Minute) + `,"load":"` + l + `"}`
		}, 0, http.StatusOK, string(core.OutcomeRejected)},
	} {
		t.Run(c.name, func(t *testing.T) {
			link := f.link(t, "U1", core.KindIn)
			load := loadOf(t, link)
			body := c.body(load)
			f.clock.Add(c.advance)
			defer f.clock.Add(-c.advance)
			status, got := postJSON(t, link, body)
			if status != c.wantStatus || !strings.Contains(got, `"status":"`+c.wantState+`"`) {
				t.Errorf("POST = %d %s, want %d %s", status, got, c.wantStatus, c.wantState)
			}
			for _, p := range f.punchesOf(t, "e1") {
				if p.Valid() {
					t.Errorf("a punch was accepted: %+v", p)
				}
			}
		})
	}
}

func TestEnrollmentLinks(t *testing.T) {
	f := mustDeviceFixture(t, core.DeviceBindingOptional)
	enroll := f.enrollLink(t, "e1")
	// An enrollment link is no punch link, and a punch link enrolls nothing.
	if status, _ := postJSON(t, strings.Replace(enroll, "/d/", "/l/", 1), `{"lat":39.9087,"lng":116.3984}`); status != http.StatusBadRequest {
		t.Errorf("punching with an enrollment link = %d, want 400", status)
	}
	if status, _ := postJSON(t, strings.Replace(f.link(t, "U1", core.KindIn), "/l/", "/d/", 1)+"/begin", `{}`); status != http.StatusBadRequest {
		t.Errorf("enrolling with a punch link = %d, want 400", status)
	}
	if status, body := postJSON(t, enroll+"/finish", `{"credential":{"id":"x"}}`); status != http.StatusBadRequest || !strings.Contains(body, "enroll_failed") {
		t.Errorf("a forged registration = %d %s, want refused", status, body)
	}
	if ds, _ := f.svc.ListDevices(context.Background(), core.DeviceViewer{Admin: true}, "e1"); len(ds) != 0 {
		t.Errorf("devices = %+v, want none", ds)
	}
	f.clock.Add(time.Hour)
	if status, _ := postJSON(t, enroll+"/begin", `{}`); status != http.StatusGone {
		t.Errorf("an expired enrollment link = %d, want 410", status)
	}
}
