package wecom

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// Message types and events the bot understands. WeCom sends more
// (enter_agent, …); those are acknowledged and ignored.
const (
	MsgText     = "text"
	MsgLocation = "location"
	MsgEvent    = "event"
	// MsgVoice is a voice message (接收普通消息, voice:
	// https://developer.work.weixin.qq.com/document/path/90239): answered
	// that only text and locations are read, never ignored.
	MsgVoice = "voice"

	EventLocation       = "LOCATION"            // 上报地理位置
	EventClick          = "click"               // custom menu click
	EventLocationSelect = "location_select"     // custom menu 弹出地理位置选择器
	EventTemplateCard   = "template_card_event" // button on a template card
)

// Menu keys the bot acts on, for click and location_select buttons.
const (
	KeyPunchIn  = "punch_in"
	KeyPunchOut = "punch_out"
	KeyPunch    = "punch"
	KeyStatus   = "status"
	KeyHelp     = "help"
)

// Envelope is the outer XML of a POST callback: the encrypted message and
// the fields WeCom repeats in clear.
type Envelope struct {
	ToUserName string
	AgentID    string
	Encrypt    string
}

type xmlEnvelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	AgentID    string   `xml:"AgentID"`
	Encrypt    string   `xml:"Encrypt"`
}

// ParseEnvelope reads the POST body. AgentID is text because the official
// sample sends it as CDATA.
func ParseEnvelope(body []byte) (Envelope, error) {
	var x xmlEnvelope
	if err := xml.Unmarshal(body, &x); err != nil {
		return Envelope{}, core.WrapError(core.EINVALID, err, "wecom: the callback body is not the XML envelope")
	}
	env := Envelope{ToUserName: strings.TrimSpace(x.ToUserName), AgentID: strings.TrimSpace(x.AgentID), Encrypt: strings.TrimSpace(x.Encrypt)}
	if env.Encrypt == "" {
		return Envelope{}, core.Errorf(core.EINVALID, "wecom: the callback envelope has no Encrypt element")
	}
	return env, nil
}

// Message is one decrypted callback: a user message or an event. Only the
// fields of its type are set.
type Message struct {
	ToUserName   string // the corp id
	FromUserName string // the member's UserID
	CreateTime   int64  // unix seconds
	MsgType      string // lower case: text, location, event, …
	MsgID        string // numeric in older traffic, base64-like in newer; absent on events
	AgentID      string
	AppType      string

	Content string // text

	// location message and location_select: latitude, longitude (GCJ-02).
	Lat, Lng float64
	Scale    string
	Label    string
	PoiName  string

	Event     string // as sent: LOCATION, click, location_select, …
	EventKey  string
	Precision float64 // LOCATION event: accuracy in metres

	TaskID       string // template_card_event
	CardType     string
	ResponseCode string

	MediaID string // image, voice, file
	PicURL  string
}

type xmlMessage struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   string   `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	MsgID        string   `xml:"MsgId"`
	AgentID      string   `xml:"AgentID"`
	AppType      string   `xml:"AppType"`
	Content      string   `xml:"Content"`
	LocationX    string   `xml:"Location_X"`
	LocationY    string   `xml:"Location_Y"`
	Scale        string   `xml:"Scale"`
	Label        string   `xml:"Label"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
	Latitude     string   `xml:"Latitude"`
	Longitude    string   `xml:"Longitude"`
	Precision    string   `xml:"Precision"`
	SendLocation *struct {
		LocationX string `xml:"Location_X"`
		LocationY string `xml:"Location_Y"`
		Scale     string `xml:"Scale"`
		Label     string `xml:"Label"`
		PoiName   string `xml:"Poiname"`
	} `xml:"SendLocationInfo"`
	TaskID       string `xml:"TaskId"`
	CardType     string `xml:"CardType"`
	ResponseCode string `xml:"ResponseCode"`
	MediaID      string `xml:"MediaId"`
	PicURL       string `xml:"PicUrl"`
}

// ParseMessage reads a decrypted message. Text may be CDATA or plain, MsgId
// a number or a string. Coordinates are parsed only for the types that
// carry them, and a malformed one is an error rather than a zero.
func ParseMessage(plain []byte) (Message, error) {
	var x xmlMessage
	if err := xml.Unmarshal(plain, &x); err != nil {
		return Message{}, core.WrapError(core.EINVALID, err, "wecom: the decrypted message is not valid XML")
	}
	t := strings.TrimSpace
	m := Message{
		ToUserName: t(x.ToUserName), FromUserName: t(x.FromUserName), MsgType: strings.ToLower(t(x.MsgType)),
		MsgID: t(x.MsgID), AgentID: t(x.AgentID), AppType: t(x.AppType), Content: t(x.Content),
		Scale: t(x.Scale), Label: t(x.Label), Event: t(x.Event), EventKey: t(x.EventKey),
		TaskID: t(x.TaskID), CardType: t(x.CardType), ResponseCode: t(x.ResponseCode), MediaID: t(x.MediaID), PicURL: t(x.PicURL),
	}
	if m.MsgType == "" {
		return Message{}, core.Errorf(core.EINVALID, "wecom: message has no MsgType")
	}
	if m.FromUserName == "" {
		return Message{}, core.Errorf(core.EINVALID, "wecom: message has no FromUserName")
	}
	ct, err := strconv.ParseInt(t(x.CreateTime), 10, 64)
	if err != nil || ct <= 0 {
		return Message{}, core.Errorf(core.EINVALID, "wecom: CreateTime %q is not unix seconds", t(x.CreateTime))
	}
	m.CreateTime = ct

	switch {
	case m.MsgType == MsgLocation:
		if m.Lat, m.Lng, err = parseLatLng(x.LocationX, x.LocationY); err != nil {
			return Message{}, err
		}
	case m.MsgType == MsgEvent && strings.EqualFold(m.Event, EventLocation):
		if m.Lat, m.Lng, err = parseLatLng(x.Latitude, x.Longitude); err != nil {
			return Message{}, err
		}
		if p := t(x.Precision); p != "" {
			if m.Precision, err = parseNumber(p); err != nil || m.Precision < 0 {
				return Message{}, core.Errorf(core.EINVALID, "wecom: Precision %q is not a distance", p)
			}
		}
	case m.MsgType == MsgEvent && m.Event == EventLocationSelect:
		s := x.SendLocation
		if s == nil {
			return Message{}, core.Errorf(core.EINVALID, "wecom: location_select event without SendLocationInfo")
		}
		if m.Lat, m.Lng, err = parseLatLng(s.LocationX, s.LocationY); err != nil {
			return Message{}, err
		}
		m.Scale, m.Label, m.PoiName = t(s.Scale), t(s.Label), t(s.PoiName)
	}
	return m, nil
}

// parseLatLng parses a latitude and longitude. Range checks stay in the
// core, which answers an impossible position with a clear reply.
func parseLatLng(lat, lng string) (float64, float64, error) {
	a, err1 := parseNumber(strings.TrimSpace(lat))
	b, err2 := parseNumber(strings.TrimSpace(lng))
	if err1 != nil || err2 != nil {
		return 0, 0, core.Errorf(core.EINVALID, "wecom: coordinates %q,%q are not numbers", strings.TrimSpace(lat), strings.TrimSpace(lng))
	}
	return a, b, nil
}

// parseNumber accepts finite decimal numbers only: ParseFloat would also
// take "NaN", "Inf" and hex floats, none of which WeCom sends.
func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xXpP_") {
		return 0, core.Errorf(core.EINVALID, "wecom: %q is not a number", s)
	}
	return f, nil
}

// EventID is the idempotency key of the message: the MsgId for messages,
// FromUserName + CreateTime + Event (+ EventKey) for events, which carry no
// id (WeCom's own recommendation for de-duplicating retries).
func (m Message) EventID() string {
	if m.MsgID != "" && m.MsgType != MsgEvent {
		return "msg:" + m.MsgID
	}
	id := "ev:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.MsgType
	if m.MsgType == MsgEvent {
		id += ":" + m.Event + ":" + m.EventKey
	}
	if m.TaskID != "" {
		// Two cards clicked in the same second differ only by task id.
		id += ":" + m.TaskID
	}
	return id
}
