package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"

	"github.com/punchbot/punchbot/core"
)

// jsonNumber accepts a JSON number or a numeric string, because hand-written
// clients send either.
type jsonNumber string

// UnmarshalJSON keeps the number's text for parseLocation to judge.
func (n *jsonNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = jsonNumber(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return errors.New("not a number")
	}
	*n = jsonNumber(num)
	return nil
}

func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func encodeJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// parseLocation turns the posted strings into a WGS-84 location. Browsers
// report WGS-84; accuracy is the radius in metres at 95 % confidence.
func parseLocation(lat, lng, acc string) (core.Location, error) {
	la, err := finite("lat", lat)
	if err != nil {
		return core.Location{}, err
	}
	ln, err := finite("lng", lng)
	if err != nil {
		return core.Location{}, err
	}
	if !core.ValidCoordinates(la, ln) {
		return core.Location{}, core.Errorf(core.EINVALID, "%v,%v is not a place on Earth", la, ln)
	}
	var a float64
	if acc != "" {
		if a, err = finite("accuracy", acc); err != nil {
			return core.Location{}, err
		}
		// The core refuses such a fix too, whatever the channel; the page
		// says so before anything is sent. The organisation's own, tighter
		// limit is the core's to explain.
		if a < 0 || a > core.MaxPlausibleAccuracyM {
			return core.Location{}, core.Errorf(core.EINVALID, "accuracy %v m is out of range", a)
		}
	}
	return core.Location{Lat: la, Lng: ln, AccuracyM: a, Datum: core.WGS84}, nil
}

func finite(name, s string) (float64, error) {
	if s == "" {
		return 0, core.Errorf(core.EINVALID, "%s is required", name)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, core.Errorf(core.EINVALID, "%s %q is not a number", name, s)
	}
	return v, nil
}
