package console

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/core"
)

// TestBrowserSiteMapPicker: with a tile URL configured the site form shows
// a map whose tiles load (the page's CSP admits that origin only there),
// and a tap sets the coordinates in WGS-84; without one there is no map.
func TestBrowserSiteMapPicker(t *testing.T) {
	var served atomic.Int32
	tile := func() []byte {
		img := image.NewRGBA(image.Rect(0, 0, 256, 256))
		for i := range img.Pix {
			img.Pix[i] = 0xcc
		}
		img.Set(0, 0, color.Black)
		var buf bytes.Buffer
		png.Encode(&buf, img)
		return buf.Bytes()
	}()
	tiles := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(tile)
	}))
	t.Cleanup(tiles.Close)
	browser := MustBrowser(t)
	f := MustFixture(t, true, func(c *Config, d *Deps) { c.MapTileURL = tiles.URL + "/{z}/{x}/{y}.png" })
	tb := newTab(t, browser)
	tb.open(t, f.MustLink(t, "H1", core.LinkConsole))
	tb.run(t, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("counts")))
	tb.open(t, f.srv.URL+"/org/sites/hq")
	tb.run(t, chromedp.WaitVisible(chromedp.CSS("#map img")))
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[int](`new Promise(done => { const imgs = [...document.querySelectorAll("#map img")];
		Promise.all(imgs.map(i => i.complete ? Promise.resolve() : new Promise(r => { i.onload = r; i.onerror = r; }))).then(() => done(imgs.filter(i => i.naturalWidth === 256).length)); })`, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if loaded == 0 || served.Load() == 0 {
		t.Fatalf("%d tiles loaded, %d served", loaded, served.Load())
	}
	// A tap at the map's centre sets the site's centre there: hq's own
	// coordinates, to a few metres.
	tb.run(t, chromedp.Click(chromedp.ID("map")))
	got := eval[[]string](t, tb, `[document.getElementById("i-lat").value, document.getElementById("i-lng").value, document.getElementById("i-datum").value]`)
	lat, _ := strconv.ParseFloat(got[0], 64)
	lng, _ := strconv.ParseFloat(got[1], 64)
	if math.Abs(lat-hq.Lat) > 0.0005 || math.Abs(lng-hq.Lng) > 0.0005 || got[2] != "wgs84" {
		t.Errorf("after a tap at the centre: %v, want about %v,%v in wgs84", got, hq.Lat, hq.Lng)
	}
	tb.shot(t, "site-map")
	tb.noConsoleErrors(t)

	// Other pages do not admit the tile origin; without a URL, no map.
	res := f.MustSignIn(t, "H1").get(t, "/org/sites")
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, tiles.URL) {
		t.Errorf("the site list admits the tile origin: %s", csp)
	}
	plain := MustFixture(t, true)
	if body := plain.MustSignIn(t, "H1").get(t, "/org/sites/hq").Body; strings.Contains(body, `id="map"`) || !strings.Contains(body, `id="i-lat"`) {
		t.Errorf("without a tile URL the form should have coordinate fields and no map")
	}
}
