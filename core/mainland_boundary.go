package core

// MainlandBoundary is the boundary inMainlandChina decides by (see
// mainland.go): the outline first, then the places inside it where GCJ-02
// does not apply, each a ring of (lat, lng) vertices. It is for a client
// that must decide exactly as the server does, such as the console's map
// picker converting a tapped point to GCJ-02; the rings are copies.
func MainlandBoundary() [][][2]float64 {
	rings := [][][2]float64{append([][2]float64(nil), mainlandOutline...)}
	for _, p := range notMainland {
		rings = append(rings, append([][2]float64(nil), p...))
	}
	return rings
}
