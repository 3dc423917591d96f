package feishu

import (
	"context"
	"testing"
)

// TestTokenRefetchedOnExpiredTokenCode: a token the gateway refuses with
// 99991668 ("Invalid access token for authorization", 通用错误码,
// https://open.feishu.cn/document/ukTMukTMukTM/ugjM14COyUjL4ITN) before its
// stated expire is dropped and the call retried once with a fresh one, as
// for 99991663. The SDK (core/constants.go errCode*Invalid) neither retries
// nor refetches on this code, so without our own check the send failed
// until the cached token's two hours ran out.
func TestTokenRefetchedOnExpiredTokenCode(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"99991668 token expired", `{"code":99991668,"msg":"Invalid access token for authorization. Please make a request with token attached."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t)
			c := NewClient(testAppID+"-exp", testSecret, api.URL(), api.srv.Client(), nil, discardLog())
			if _, err := c.CreateMessage(context.Background(), "open_id", "ou_1", TextMessage("one"), ""); err != nil {
				t.Fatalf("first send: %v", err)
			}
			api.script(scripted{status: 400, body: tt.body})
			if _, err := c.CreateMessage(context.Background(), "open_id", "ou_1", TextMessage("two"), ""); err != nil {
				t.Fatalf("send after the token was refused: %v", err)
			}
			if got := len(api.Calls("/tenant_access_token/internal")); got != 2 {
				t.Fatalf("%d token fetches, want 2 (the refused token refetched)", got)
			}
			creates := api.Calls("/open-apis/im/v1/messages")
			if got, want := creates[len(creates)-1].Auth, "Bearer t-2"; got != want {
				t.Fatalf("retry sent %q, want %q", got, want)
			}
		})
	}
}
