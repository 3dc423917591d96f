package console

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
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
// and a tap on a WGS-84 site's form sets its coordinates in WGS-84 (a
// GCJ-02 site's: TestBrowserSiteMapPickerGCJ02); without one there is no
// map.
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

// tileServer serves one grey PNG for every tile.
func tileServer(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = 0xcc
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/{z}/{x}/{y}.png"
}

// mapState is where the picker stands: its first tile's number and offset
// locate the map in the Web Mercator world, and the pin is placed in it.
type mapState struct {
	Zoom, TileX, TileY        int
	TileLeft, TileTop         float64
	PinLeft, PinTop           float64
	Pin                       bool
	RectLeft, RectTop         float64
	ClientLeft, ClientTop     float64
	ClientWidth, ClientHeight float64
	Lat, Lng, Datum           string
}

const mapStateJS = `(() => { const m = document.getElementById("map"), img = m.querySelector("img"), pin = m.querySelector(".pin");
	const r = m.getBoundingClientRect(), t = new URL(img.src).pathname.split("/");
	return {Zoom: +t[1], TileX: +t[2], TileY: parseInt(t[3]), TileLeft: parseFloat(img.style.left), TileTop: parseFloat(img.style.top),
		Pin: !!pin, PinLeft: pin ? parseFloat(pin.style.left) : 0, PinTop: pin ? parseFloat(pin.style.top) : 0,
		RectLeft: r.left, RectTop: r.top, ClientLeft: m.clientLeft, ClientTop: m.clientTop, ClientWidth: m.clientWidth, ClientHeight: m.clientHeight,
		Lat: document.getElementById("i-lat").value, Lng: document.getElementById("i-lng").value, Datum: document.getElementById("i-datum").value}; })()`

// origin is the map's top-left corner in world pixels.
func (s mapState) origin() (x, y float64) {
	return float64(s.TileX*256) - s.TileLeft, float64(s.TileY*256) - s.TileTop
}

// at is the WGS-84 point at (x, y) pixels from the map's top-left corner
// (the inverse Web Mercator of the slippy map tile names page).
func (s mapState) at(x, y float64) (lat, lng float64) {
	ox, oy := s.origin()
	world := 256 * math.Exp2(float64(s.Zoom))
	n := math.Pi - 2*math.Pi*(oy+y)/world
	return 180 / math.Pi * math.Atan(math.Sinh(n)), (ox+x)/world*360 - 180
}

// pin is the WGS-84 point the pin stands on.
func (s mapState) pin() (lat, lng float64) { return s.at(s.PinLeft, s.PinTop) }

func (s mapState) form(t *testing.T) (lat, lng float64) {
	t.Helper()
	lat, err1 := strconv.ParseFloat(s.Lat, 64)
	lng, err2 := strconv.ParseFloat(s.Lng, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("the form's coordinates %q, %q are not numbers", s.Lat, s.Lng)
	}
	return lat, lng
}

// TestBrowserSiteMapPickerGCJ02: the tiles are WGS-84, so a site written
// in GCJ-02 has its pin at its WGS-84 conversion, a tap writes GCJ-02
// back while the form's datum is gcj02 (and WGS-84 when it is wgs84), a
// drag only pans, and changing the datum keeps the numbers and moves the
// pin to where they point in the new datum. The page's conversion is
// core's, to the last digits, inside and outside mainland China.
func TestBrowserSiteMapPickerGCJ02(t *testing.T) {
	browser := MustBrowser(t)
	tpl := tileServer(t)
	f := MustFixture(t, true, func(c *Config, d *Deps) { c.MapTileURL = tpl })
	gLat, gLng := core.WGS84ToGCJ02(hq.Lat, hq.Lng)
	written := url.Values{"id": {"wj"}, "name": {"望京（高德）"}, "lat": {coord(gLat)}, "lng": {coord(gLng)}, "datum": {"gcj02"}, "radius_m": {"200"}}
	if res := f.MustSignIn(t, "H1").post(t, "/org/sites/new", written); res.Status != http.StatusSeeOther {
		t.Fatalf("saving wj = %d:\n%s", res.Status, res.Body)
	}
	writtenLat, _ := strconv.ParseFloat(coord(gLat), 64)
	writtenLng, _ := strconv.ParseFloat(coord(gLng), 64)

	tb := newTab(t, browser)
	tb.open(t, f.MustLink(t, "H1", core.LinkConsole))
	tb.run(t, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("counts")))
	tb.open(t, f.srv.URL+"/org/sites/wj")
	tb.run(t, chromedp.WaitVisible(chromedp.CSS("#map img")))
	eval[bool](t, tb, `(document.getElementById("map").scrollIntoView({block: "center"}), true)`)

	t.Run("the page converts as core does", func(t *testing.T) {
		type pt struct{ Lat, Lng float64 }
		// The places of core's mainland test, and a grid over the
		// mainland's edges (Shenzhen–Hong Kong, Zhuhai–Macau,
		// Xiamen–Kinmen, the Amur).
		pts := []pt{{39.9087, 116.3975}, {31.24, 121.49}, {22.5431, 114.0579}, {22.548, 114.131}, {22.48, 113.91}, {22.221, 113.548},
			{22.2819, 114.1582}, {22.5017, 114.128}, {22.1987, 113.5439}, {25.033, 121.5654}, {24.436, 118.318}, {26.16, 119.95},
			{37.5665, 126.978}, {47.8864, 106.9057}, {21.0278, 105.8342}, {43.8256, 87.6168}, {29.652, 91.1721}, {40.7549, -73.984}}
		for _, box := range [][4]float64{{22.1, 22.6, 113.5, 114.5}, {24.3, 24.6, 118.0, 118.5}, {47.5, 53.6, 120, 135}} {
			for i := 0; i <= 12; i++ {
				for j := 0; j <= 12; j++ {
					pts = append(pts, pt{box[0] + (box[1]-box[0])*float64(i)/12, box[2] + (box[3]-box[2])*float64(j)/12})
				}
			}
		}
		js, _ := json.Marshal(pts)
		got := eval[[][4]float64](t, tb, ``+string(js)+`.map(p => [...punchbotDatum.toGCJ02(p.Lat, p.Lng), ...punchbotDatum.toWGS84(p.Lat, p.Lng)])`)
		mainland, other := 0, 0
		for i, p := range pts {
			a, b := core.WGS84ToGCJ02(p.Lat, p.Lng)
			c, d := core.GCJ02ToWGS84(p.Lat, p.Lng)
			want := [4]float64{a, b, c, d}
			for k := range want {
				if math.Abs(got[i][k]-want[k]) > 1e-9 {
					t.Errorf("at %v,%v the page gives %v, core %v", p.Lat, p.Lng, got[i], want)
					break
				}
			}
			if a != p.Lat {
				mainland++
			} else {
				other++
			}
		}
		if mainland < 50 || other < 50 {
			t.Errorf("%d points in the mainland and %d outside, want both sides of its edges tested", mainland, other)
		}
	})

	t.Run("the pin of a GCJ-02 site stands at its WGS-84 position", func(t *testing.T) {
		s := eval[mapState](t, tb, mapStateJS)
		if !s.Pin || s.Datum != "gcj02" || s.Lat != coord(gLat) {
			t.Fatalf("the form shows %+v, want wj as written (%s, gcj02) with a pin", s, coord(gLat))
		}
		lat, lng := s.pin()
		wantLat, wantLng := core.GCJ02ToWGS84(writtenLat, writtenLng)
		if d := core.DistanceM(lat, lng, wantLat, wantLng); d > 0.5 {
			t.Errorf("the pin stands %.2f m from wj's WGS-84 position", d)
		}
		if d := core.DistanceM(lat, lng, writtenLat, writtenLng); d < 300 {
			t.Errorf("the pin stands %.0f m from the written numbers read as WGS-84, want the GCJ-02 offset", d)
		}
	})

	// tap clicks (dx, dy) pixels from the map's centre and returns the
	// picker before and after.
	tap := func(t *testing.T, dx, dy float64) (before, after mapState) {
		t.Helper()
		before = eval[mapState](t, tb, mapStateJS)
		x := math.Round(before.RectLeft + before.ClientLeft + before.ClientWidth/2 + dx)
		y := math.Round(before.RectTop + before.ClientTop + before.ClientHeight/2 + dy)
		tb.run(t, chromedp.MouseClickXY(x, y))
		after = eval[mapState](t, tb, mapStateJS)
		return before, after
	}
	tapped := func(s mapState, dx, dy float64) (lat, lng float64) {
		x := math.Round(s.RectLeft+s.ClientLeft+s.ClientWidth/2+dx) - s.RectLeft - s.ClientLeft
		y := math.Round(s.RectTop+s.ClientTop+s.ClientHeight/2+dy) - s.RectTop - s.ClientTop
		return s.at(x, y)
	}

	t.Run("a drag pans and writes nothing", func(t *testing.T) {
		s := eval[mapState](t, tb, mapStateJS)
		x, y := s.RectLeft+s.ClientLeft+s.ClientWidth/2, s.RectTop+s.ClientTop+s.ClientHeight/2
		tb.run(t, chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(chromedp.MouseMoved, x+30, y+20, chromedp.ButtonLeft),
			chromedp.MouseEvent(chromedp.MouseMoved, x+60, y+40, chromedp.ButtonLeft),
			chromedp.MouseEvent(chromedp.MouseReleased, x+60, y+40, chromedp.ButtonLeft))
		after := eval[mapState](t, tb, mapStateJS)
		if after.Lat != s.Lat || after.Lng != s.Lng || after.Datum != "gcj02" {
			t.Errorf("a drag changed the form: %s,%s %s, want %s,%s gcj02", after.Lat, after.Lng, after.Datum, s.Lat, s.Lng)
		}
		ax, _ := after.origin()
		bx, _ := s.origin()
		la, lo := after.pin()
		lb, lob := s.pin()
		if math.Abs(ax-bx+60) > 1 || core.DistanceM(la, lo, lb, lob) > 0.5 {
			t.Errorf("after a 60 px drag the map moved %.1f px and the pin %.2f m, want 60 px and the pin where it was", bx-ax, core.DistanceM(la, lo, lb, lob))
		}
	})

	t.Run("a tap writes GCJ-02 while the datum is gcj02", func(t *testing.T) {
		before, after := tap(t, 80, -50)
		tLat, tLng := tapped(before, 80, -50)
		wantLat, wantLng := core.WGS84ToGCJ02(tLat, tLng)
		lat, lng := after.form(t)
		if after.Datum != "gcj02" || core.DistanceM(lat, lng, wantLat, wantLng) > 1 {
			t.Errorf("after a tap at WGS-84 %.6f,%.6f the form says %.6f,%.6f %s, want GCJ-02 %.6f,%.6f", tLat, tLng, lat, lng, after.Datum, wantLat, wantLng)
		}
		pLat, pLng := after.pin()
		if d := core.DistanceM(pLat, pLng, tLat, tLng); d > 0.5 {
			t.Errorf("the pin stands %.2f m from the tap", d)
		}
	})

	t.Run("another datum keeps the numbers and moves the pin", func(t *testing.T) {
		before := eval[mapState](t, tb, mapStateJS)
		eval[bool](t, tb, `(() => { const d = document.getElementById("i-datum"); d.value = "wgs84"; d.dispatchEvent(new Event("change")); return true; })()`)
		after := eval[mapState](t, tb, mapStateJS)
		if after.Lat != before.Lat || after.Lng != before.Lng {
			t.Errorf("changing the datum changed the numbers from %s,%s to %s,%s", before.Lat, before.Lng, after.Lat, after.Lng)
		}
		lat, lng := after.form(t)
		pLat, pLng := after.pin()
		if d := core.DistanceM(pLat, pLng, lat, lng); d > 0.5 {
			t.Errorf("with wgs84 the pin stands %.2f m from the numbers", d)
		}
		if math.Abs(after.PinLeft-after.ClientWidth/2) > 1 || math.Abs(after.PinTop-after.ClientHeight/2) > 1 {
			t.Errorf("the pin is at %.0f,%.0f, want the map centred on it (%.0f,%.0f)", after.PinLeft, after.PinTop, after.ClientWidth/2, after.ClientHeight/2)
		}
		before, after = tap(t, -40, 30)
		tLat, tLng := tapped(before, -40, 30)
		lat, lng = after.form(t)
		if after.Datum != "wgs84" || core.DistanceM(lat, lng, tLat, tLng) > 1 {
			t.Errorf("after a tap at %.6f,%.6f the form says %.6f,%.6f %s, want them in wgs84", tLat, tLng, lat, lng, after.Datum)
		}
	})

	t.Run("a tap in GCJ-02 saves where it was tapped", func(t *testing.T) {
		eval[bool](t, tb, `(() => { const d = document.getElementById("i-datum"); d.value = "gcj02"; d.dispatchEvent(new Event("change")); return true; })()`)
		before, after := tap(t, 10, 10)
		tLat, tLng := tapped(before, 10, 10)
		tb.run(t, chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("flash")))
		s := *find(mustOrg(t, f).Sites, func(s core.OrgSite) bool { return s.ID == "wj" })
		lat, lng := after.form(t)
		if s.Datum != core.GCJ02 || s.Written == nil || *s.Written != (core.LatLng{Lat: lat, Lng: lng}) {
			t.Fatalf("wj saved as %+v, want written %v,%v in gcj02", s, lat, lng)
		}
		if d := core.DistanceM(s.Lat, s.Lng, tLat, tLng); d > 1 {
			t.Errorf("wj is measured %.2f m from where it was tapped", d)
		}
	})
	tb.noConsoleErrors(t)
}
