package web

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"strconv"
	"sync"
)

// The web app manifest makes the location pages installable: a phone that
// installs punchbot gets an icon that opens the start page (home.go), which
// sends what an earlier page kept offline, and the pages open in their own
// window.
//
// Documents relied on:
//   - W3C Web Application Manifest, https://www.w3.org/TR/appmanifest/:
//     the members (name, short_name, icons, start_url, scope, id, display,
//     theme_color); relative URLs resolve against the manifest's URL;
//     start_url must be within scope or the scope is ignored; the
//     application/manifest+json media type.
//   - What does it take to be installable?, https://web.dev/articles/install-criteria,
//     and Lighthouse's installable-manifest audit,
//     https://developer.chrome.com/docs/lighthouse/pwa/installable-manifest:
//     Chrome wants name or short_name, a 192×192 and a 512×512 icon,
//     start_url, display fullscreen/standalone/minimal-ui, no
//     prefer_related_applications, and an https (or localhost) origin.
//   - MDN, CSP manifest-src,
//     https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/manifest-src:
//     without it default-src 'none' blocks the manifest (securityHeaders).
//   - W3C Manifest, "purpose" member, and web.dev "Adaptive icon support
//     in PWAs with maskable icons", https://web.dev/articles/maskable-icon:
//     a maskable icon keeps its content inside the central circle of 40 %
//     radius, as the icon drawn here does, so one image serves both purposes.

// Paths under /l/, the service worker's scope (sw.go): the start page is
// the scope itself, so the worker that keeps it for offline use controls
// it, and an installed app opens without a network.
const (
	appScope     = "/l/"
	startPath    = appScope
	manifestPath = appScope + "manifest.webmanifest"
	icon192Path  = appScope + "icon-192.png"
	icon512Path  = appScope + "icon-512.png"
)

// themeColor is the pages' accent (--accent in the page's CSS), so the
// installed window's title bar matches the button the person presses.
const themeColor = "#1a5fb4"

type manifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type"`
	Purpose string `json:"purpose"`
}

type webManifest struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	ShortName       string         `json:"short_name"`
	Description     string         `json:"description"`
	Lang            string         `json:"lang"`
	Dir             string         `json:"dir"`
	StartURL        string         `json:"start_url"`
	Scope           string         `json:"scope"`
	Display         string         `json:"display"`
	ThemeColor      string         `json:"theme_color"`
	BackgroundColor string         `json:"background_color"`
	Icons           []manifestIcon `json:"icons"`
}

// appManifest is the one manifest of every deployment: its URLs are paths,
// so it needs no public URL, and a fixed id keeps an installed app the same
// app when the start page moves.
var appManifest = webManifest{
	ID:              startPath,
	Name:            "punchbot 打卡",
	ShortName:       "Punch",
	Description:     "打卡 · Punch in and out with your position, also when the network is down.",
	Lang:            "zh-CN",
	Dir:             "ltr",
	StartURL:        startPath,
	Scope:           appScope,
	Display:         "standalone",
	ThemeColor:      themeColor,
	BackgroundColor: "#ffffff",
	Icons: []manifestIcon{
		{Src: icon192Path, Sizes: "192x192", Type: "image/png", Purpose: "any"},
		{Src: icon512Path, Sizes: "512x512", Type: "image/png", Purpose: "any"},
		{Src: icon512Path, Sizes: "512x512", Type: "image/png", Purpose: "maskable"},
	},
}

var manifestJSON = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(appManifest, "", "  ")
	if err != nil {
		panic(err) // a fixed struct of strings always marshals
	}
	return b
})

func (p *Pages) serveManifest(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, "application/manifest+json", "default-src 'none'", manifestJSON())
}

// serveAsset writes one of the small fixed files under /l/ (the manifest,
// the service worker). They are revalidated on each fetch (no-cache), so a
// changed one reaches installed apps and registered workers.
func serveAsset(w http.ResponseWriter, contentType, csp string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	_, _ = w.Write(body)
}

// icons are drawn once, on the first request: no image files to ship, and
// no cost for a process that never serves them.
var icons = sync.OnceValue(func() map[string][]byte {
	out := map[string][]byte{}
	for path, size := range map[string]int{icon192Path: 192, icon512Path: 512} {
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, drawIcon(size)); err != nil {
			panic(err) // encoding an in-memory image into a buffer cannot fail
		}
		out[path] = buf.Bytes()
	}
	return out
})

func (p *Pages) serveIcon(w http.ResponseWriter, r *http.Request) {
	b, ok := icons()[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

// drawIcon draws the app icon at size×size pixels: a white disc on the
// theme colour, edge to edge, with a check mark in the theme colour, the
// punch that went through. Each pixel is 4×4 samples, so the edges are
// smooth at any size.
func drawIcon(size int) *image.NRGBA {
	accent := color.NRGBA{0x1a, 0x5f, 0xb4, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	// In units of the icon's side; the disc (radius 0.32) stays inside the
	// maskable safe zone (radius 0.40).
	const disc, stroke = 0.32, 0.035
	check := [][2]float64{{0.36, 0.51}, {0.455, 0.605}, {0.65, 0.41}}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	s := float64(size)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var inDisc, inCheck int
			for j := 0; j < n; j++ {
				for i := 0; i < n; i++ {
					px, py := (float64(x)+(float64(i)+0.5)/n)/s, (float64(y)+(float64(j)+0.5)/n)/s
					if math.Hypot(px-0.5, py-0.5) > disc {
						continue
					}
					inDisc++
					for k := 0; k+1 < len(check); k++ {
						if segmentDistance(px, py, check[k], check[k+1]) <= stroke {
							inCheck++
							break
						}
					}
				}
			}
			img.SetNRGBA(x, y, mix(accent, white, float64(inDisc-inCheck)/(n*n)))
		}
	}
	return img
}

// mix is a with the share t of b.
func mix(a, b color.NRGBA, t float64) color.NRGBA {
	f := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.NRGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 0xff}
}

// segmentDistance is the distance from (x, y) to the segment a–b.
func segmentDistance(x, y float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((x-a[0])*dx + (y-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(x-(a[0]+t*dx), y-(a[1]+t*dy))
}
