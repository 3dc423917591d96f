package sim

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Location is a position a person shares. The simulators report it the
// way each platform does: GCJ-02 from WeCom and Feishu, and on Slack the
// numbers the browser's location page posts.
type Location struct {
	Lat, Lng  float64
	Datum     core.Datum // of Lat/Lng; empty means WGS-84
	AccuracyM float64
	Label     string
}

func (l Location) gcj02() (float64, float64) {
	if l.Datum == core.GCJ02 {
		return l.Lat, l.Lng
	}
	return core.WGS84ToGCJ02(l.Lat, l.Lng)
}

func (l Location) describe(lat, lng float64, datum string) string {
	label := l.Label
	if label != "" {
		label += " · "
	}
	return fmt.Sprintf("📍 %s%.5f, %.5f (%s)", label, lat, lng, datum)
}

// randomPrefix derives a distinct 16-byte value per delivery: the WeCom
// random prefix and the Feishu IV need to differ, not to be secret, here.
func randomPrefix(seed string) []byte {
	h := sha256.Sum256([]byte(seed))
	return h[:16]
}

// FeishuEncrypt is the "encrypt" field of a Feishu callback
// (PLATFORMS.md §5.3): base64(iv ‖ AES-256-CBC(sha256(encryptKey),
// PKCS#7(plain))). The bot's feishu.Decrypt is its inverse.
func FeishuEncrypt(plain []byte, encryptKey string, iv []byte) string {
	k := sha256.Sum256([]byte(encryptKey))
	blk, _ := aes.NewCipher(k[:])
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	p := append(slices.Clip(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, aes.BlockSize+len(p))
	copy(out, iv)
	cipher.NewCBCEncrypter(blk, iv).CryptBlocks(out[aes.BlockSize:], p)
	return base64.StdEncoding.EncodeToString(out)
}

// Config is every simulated platform's credentials, the same values the
// bots are configured with.
type Config struct {
	WeCom  WeComConfig
	Feishu FeishuConfig
	Slack  SlackConfig
	Now    func() time.Time
	Log    *slog.Logger
}

// Platforms is the three simulators, each serving its API on its own
// loopback port.
type Platforms struct {
	Hub    *Hub
	WeCom  *WeCom
	Feishu *Feishu
	Slack  *Slack

	mu      sync.Mutex
	target  string
	servers []*http.Server
	urls    map[core.Platform]string
}

// Start listens on three loopback ports and serves the simulated APIs
// until Close. The bots' URL is set later with SetTarget, once the server
// listens.
func Start(cfg Config) (*Platforms, error) {
	hub := NewHub(cfg.Now, cfg.Log)
	p := &Platforms{Hub: hub, urls: map[core.Platform]string{}}
	client := &http.Client{Timeout: 10 * time.Second}
	var err error
	if p.WeCom, err = newWeCom(cfg.WeCom, hub, p.Target, client); err != nil {
		return nil, fmt.Errorf("WeCom simulator: %w", err)
	}
	p.Feishu = newFeishu(cfg.Feishu, hub, p.Target, client)
	p.Slack = newSlack(cfg.Slack, hub, p.Target, client)
	for _, s := range []struct {
		platform core.Platform
		h        http.Handler
	}{{core.PlatformWeCom, p.WeCom}, {core.PlatformFeishu, p.Feishu}, {core.PlatformSlack, p.Slack}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			p.Close()
			return nil, err
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		p.servers = append(p.servers, srv)
		p.urls[s.platform] = "http://" + ln.Addr().String()
	}
	p.Slack.base = p.urls[core.PlatformSlack]
	return p, nil
}

// URL is the base URL of platform's simulated API.
func (p *Platforms) URL(platform core.Platform) string { return p.urls[platform] }

// SetTarget names the punchbot the callbacks go to (http://host:port).
func (p *Platforms) SetTarget(base string) {
	p.mu.Lock()
	p.target = base
	p.mu.Unlock()
}

// Target is the punchbot the callbacks go to.
func (p *Platforms) Target() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.target
}

// Close stops the simulated APIs.
func (p *Platforms) Close() {
	for _, s := range p.servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.Shutdown(ctx)
		cancel()
	}
}

// Person is what a person does in a chat, the same on every platform.
type Person interface {
	// Say sends text as user.
	Say(ctx context.Context, user, text string) error
	// Share sends a location as user.
	Share(ctx context.Context, user string, loc Location) error
	// Press presses button i of message id as user. A link button
	// returns its URL for the browser to open instead.
	Press(ctx context.Context, user, id string, i int) (url string, err error)
}

// FormSubmitter is a Person whose platform's cards carry drop-downs and
// a submit button: WeCom's multiple_interaction card.
type FormSubmitter interface {
	// Submit presses the submit button of card id as user, with the
	// option chosen in each drop-down (question key → option id).
	Submit(ctx context.Context, user, id string, chosen map[string]string) error
}

var _ FormSubmitter = (*WeCom)(nil)

// FormFiller is a Person whose platform's cards carry a form of inputs
// and a submit button: Feishu's card JSON 2.0 form container.
type FormFiller interface {
	// SubmitForm presses the submit button of the form on card id as
	// user, with the value typed or picked in each input (name → value;
	// dates YYYY-MM-DD, times HH:mm).
	SubmitForm(ctx context.Context, user, id string, values map[string]string) error
}

var _ FormFiller = (*Feishu)(nil)

// Chat returns the simulator of platform p, nil for one not simulated.
func (p *Platforms) Chat(platform core.Platform) Person {
	switch platform {
	case core.PlatformWeCom:
		return p.WeCom
	case core.PlatformFeishu:
		return p.Feishu
	case core.PlatformSlack:
		return p.Slack
	}
	return nil
}

// callBot sends a person's signed callback to the bot and returns its
// answer; anything but a 200 is an error naming what (the callback or
// request of which platform).
func callBot(client *http.Client, req *http.Request, what string) ([]byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, core.Errorf(core.EUNAVAILABLE, "the bot answered %s with %d: %s", what, resp.StatusCode, bytes.TrimSpace(out))
	}
	return out, nil
}
