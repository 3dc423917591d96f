package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// TestDeviceBindingWired runs the server with a public URL that allows
// passkeys and an org file requiring them: 绑定设备 answers with an
// enrollment page, a browser punch without a passkey is refused, and HR
// has the devices page.
func TestDeviceBindingWired(t *testing.T) {
	const token = "devices-admin-token"
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADMIN_TOKEN", token,
		"PUNCHBOT_SECRET", "0123456789abcdef0123456789abcdef", "PUNCHBOT_PUBLIC_URL", "http://localhost:8080"))
	org := bytes.Replace(admin.ExampleOrg(), []byte("\nlang: zh"), []byte("\ndevice_binding: required\nlang: zh"), 1)
	if code, body := do(t, "PUT", base+"/api/v1/org", token, bytes.NewReader(org)); code != 200 {
		t.Fatalf("PUT org = %d %s", code, body)
	}
	ctx := context.Background()
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "ww0000000000demo", UserID: "zhangsan"}

	reply, err := s.svc.Handle(ctx, core.Command{Actor: actor, Kind: core.CmdLink, LinkPurpose: core.LinkDevice, EventID: "e2e-bind"})
	if err != nil || reply.Outcome != core.OutcomeLink || !strings.HasPrefix(reply.Link, "http://localhost:8080/d/") {
		t.Fatalf("bind device = %+v, %v", reply, err)
	}
	u, _ := url.Parse(reply.Link)
	code, page, _ := send(t, http.DefaultClient, "GET", base+u.Path, nil)
	if code != 200 || !strings.Contains(page, `data-state="enroll"`) || !strings.Contains(page, `id="enroll"`) {
		t.Errorf("enrollment page = %d, want the bind button", code)
	}

	link, err := s.links.PunchLink(ctx, bots.LinkRequest{Actor: actor, Lang: "zh", Intent: core.KindIn})
	if err != nil {
		t.Fatal(err)
	}
	u, _ = url.Parse(link)
	code, page, _ = send(t, http.DefaultClient, "GET", base+u.Path, nil)
	if code != 200 || !strings.Contains(page, `var binding = "required"`) {
		t.Errorf("location page = %d, want the required binding for the script", code)
	}
	req, _ := http.NewRequest("POST", base+u.Path, strings.NewReader(`{"lat":39.9965,"lng":116.4803,"accuracy":10}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(buf.String(), `"status":"rejected"`) || !strings.Contains(buf.String(), "绑定的设备") {
		t.Errorf("a punch without a passkey = %d %s, want refused for want of a bound device", resp.StatusCode, buf.String())
	}

	hr := browserClient(t)
	_, login, _ := send(t, hr, "GET", base+"/login", nil)
	send(t, hr, "POST", base+"/login", url.Values{"form": {hidden(t, login, "form")}, "token": {token}, "next": {"/"}})
	if code, _, _ := send(t, hr, "GET", base+"/devices?employee=E001", nil); code != 200 {
		t.Errorf("HR's devices page = %d, want 200", code)
	}
	if code, _, _ := send(t, hr, "GET", base+"/passkey", nil); code != 200 {
		t.Errorf("passkey sign-in page = %d, want 200", code)
	}
}
