package core

import "math"

// earthRadiusM is the mean Earth radius used by the haversine distance.
const earthRadiusM = 6371008.8

// DistanceM returns the great-circle distance in metres between two WGS-84
// points (haversine). At site scale its error is far below GPS accuracy.
func DistanceM(lat1, lng1, lat2, lng2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	s1 := math.Sin(dLat / 2)
	s2 := math.Sin(dLng / 2)
	a := s1*s1 + math.Cos(lat1*rad)*math.Cos(lat2*rad)*s2*s2
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// ValidCoordinates reports whether lat/lng can be a real position: finite,
// in range, and not the (0,0) "null island" that broken clients send.
func ValidCoordinates(lat, lng float64) bool {
	if math.IsNaN(lat) || math.IsNaN(lng) || math.IsInf(lat, 0) || math.IsInf(lng, 0) {
		return false
	}
	if lat < -90 || lat > 90 || lng < -180 || lng > 180 {
		return false
	}
	return !(lat == 0 && lng == 0)
}

// GCJ-02 ("Mars coordinates") is WGS-84 plus a deterministic, non-linear
// obfuscation applied inside mainland China. These are the published
// constants of the transform (Krasovsky 1940 ellipsoid).
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
)

func gcjTransformLat(x, y float64) float64 {
	ret := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	ret += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return ret
}

func gcjTransformLng(x, y float64) float64 {
	ret := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	ret += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return ret
}

// WGS84ToGCJ02 applies the GCJ-02 offset to a WGS-84 point.
func WGS84ToGCJ02(lat, lng float64) (float64, float64) {
	if !inMainlandChina(lat, lng) {
		return lat, lng
	}
	dLat := gcjTransformLat(lng-105.0, lat-35.0)
	dLng := gcjTransformLng(lng-105.0, lat-35.0)
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLng = (dLng * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return lat + dLat, lng + dLng
}

// GCJ02ToWGS84 inverts WGS84ToGCJ02. The forward transform has no closed-form
// inverse, so it iterates; five rounds bring the error below a millimetre.
func GCJ02ToWGS84(lat, lng float64) (float64, float64) {
	if !inMainlandChina(lat, lng) {
		return lat, lng
	}
	wLat, wLng := lat, lng
	for range 5 {
		gLat, gLng := WGS84ToGCJ02(wLat, wLng)
		wLat -= gLat - lat
		wLng -= gLng - lng
	}
	return wLat, wLng
}

// ToWGS84 returns the location's coordinates in WGS-84.
func (l Location) ToWGS84() (lat, lng float64) {
	if l.Datum == GCJ02 {
		return GCJ02ToWGS84(l.Lat, l.Lng)
	}
	return l.Lat, l.Lng
}
