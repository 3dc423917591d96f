package wecom

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// Plaintext samples from PLATFORMS.md section 3.
const (
	docText = `<xml>
   <ToUserName><![CDATA[toUser]]></ToUserName>
   <FromUserName><![CDATA[fromUser]]></FromUserName>
   <CreateTime>1348831860</CreateTime>
   <MsgType><![CDATA[text]]></MsgType>
   <Content><![CDATA[this is a test]]></Content>
   <MsgId>1234567890123456</MsgId>
   <AgentID>1</AgentID>
</xml>`
	docLocation = `<xml>
   <ToUserName><![CDATA[toUser]]></ToUserName>
   <FromUserName><![CDATA[fromUser]]></FromUserName>
   <CreateTime>1351776360</CreateTime>
   <MsgType><![CDATA[location]]></MsgType>
   <Location_X>23.134</Location_X>
   <Location_Y>113.358</Location_Y>
   <Scale>20</Scale>
   <Label><![CDATA[位置信息]]></Label>
   <MsgId>1234567890123456</MsgId>
   <AgentID>1</AgentID>
   <AppType><![CDATA[wxwork]]></AppType>
</xml>`
	capturedLocationEvent = `<xml><ToUserName><![CDATA[wwded2338038363bc0]]></ToUserName><FromUserName><![CDATA[SunLei]]></FromUserName><CreateTime>1695440103</CreateTime><MsgType><![CDATA[event]]></MsgType><AgentID>1000002</AgentID><Event><![CDATA[LOCATION]]></Event><Latitude>36.6875</Latitude><Longitude>117.11</Longitude><Precision>15</Precision><AppType><![CDATA[wxwork]]></AppType></xml>`
	docCardEvent          = `<xml><ToUserName><![CDATA[CORPID]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[punch_in]]></EventKey><TaskId><![CDATA[task-20240101-zhangsan]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[RESPONSE_CODE_1]]></ResponseCode><AgentID>1000002</AgentID></xml>`
	plainNoCDATA          = `<xml><ToUserName>ww0123456789abcdef</ToUserName><FromUserName>zhangsan</FromUserName><CreateTime>1772413198</CreateTime><MsgType>text</MsgType><Content>上班</Content><MsgId>7349210001</MsgId><AgentID>1000002</AgentID></xml>`
	stringMsgID           = `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[状态]]></Content><MsgId>CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==</MsgId><AgentID>1</AgentID></xml>`
)

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name  string
		plain string
		want  Message
		id    string
	}{
		{"W2 text", w2Plain, Message{ToUserName: vecCorpID, FromUserName: "mycreate", CreateTime: 1409659813, MsgType: "text", Content: "hello", MsgID: "4561255354251345929", AgentID: "218"}, "msg:4561255354251345929"},
		{"doc text, indented", docText, Message{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1348831860, MsgType: "text", Content: "this is a test", MsgID: "1234567890123456", AgentID: "1"}, "msg:1234567890123456"},
		{"text without CDATA", plainNoCDATA, Message{ToUserName: testCorpID, FromUserName: "zhangsan", CreateTime: 1772413198, MsgType: "text", Content: "上班", MsgID: "7349210001", AgentID: "1000002"}, "msg:7349210001"},
		{"string MsgId", stringMsgID, Message{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1348831860, MsgType: "text", Content: "状态", MsgID: "CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==", AgentID: "1"}, "msg:CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw=="},
		{"location", docLocation, Message{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1351776360, MsgType: "location", MsgID: "1234567890123456", AgentID: "1", AppType: "wxwork", Lat: 23.134, Lng: 113.358, Scale: "20", Label: "位置信息"}, "msg:1234567890123456"},
		{"LOCATION event (real capture)", capturedLocationEvent, Message{ToUserName: "wwded2338038363bc0", FromUserName: "SunLei", CreateTime: 1695440103, MsgType: "event", AgentID: "1000002", AppType: "wxwork", Event: "LOCATION", Lat: 36.6875, Lng: 117.11, Precision: 15}, "ev:SunLei:1695440103:event:LOCATION:"},
		{"location_select", locationSelectXML("zhangsan", "punch_in", 40.001, 116.486, 1772413200), Message{ToUserName: testCorpID, FromUserName: "zhangsan", CreateTime: 1772413200, MsgType: "event", AgentID: "1000002", Event: "location_select", EventKey: "punch_in", Lat: 40.001, Lng: 116.486, Scale: "15", Label: "北京市朝阳区望京街", PoiName: "望京SOHO T1"}, "ev:zhangsan:1772413200:event:location_select:punch_in"},
		{"click", clickXML("zhangsan", "punch_out", 1772413200), Message{ToUserName: testCorpID, FromUserName: "zhangsan", CreateTime: 1772413200, MsgType: "event", AgentID: "1000002", Event: "click", EventKey: "punch_out"}, "ev:zhangsan:1772413200:event:click:punch_out"},
		{"template_card_event", docCardEvent, Message{ToUserName: "CORPID", FromUserName: "zhangsan", CreateTime: 1700000000, MsgType: "event", AgentID: "1000002", Event: "template_card_event", EventKey: "punch_in", TaskID: "task-20240101-zhangsan", CardType: "button_interaction", ResponseCode: "RESPONSE_CODE_1"}, "ev:zhangsan:1700000000:event:template_card_event:punch_in:task-20240101-zhangsan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMessage([]byte(tt.plain))
			if err != nil {
				t.Fatalf("ParseMessage: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseMessage =\n%+v\nwant\n%+v", got, tt.want)
			}
			if id := got.EventID(); id != tt.id {
				t.Errorf("EventID = %q, want %q", id, tt.id)
			}
		})
	}
}

func TestParseMessageRejects(t *testing.T) {
	tests := []struct{ name, plain string }{
		{"empty", ""},
		{"not XML", "hello"},
		{"truncated", w2Plain[:100]},
		{"wrong root", strings.Replace(strings.Replace(docText, "<xml>", "<doc>", 1), "</xml>", "</doc>", 1)},
		{"no MsgType", strings.Replace(docText, "<MsgType><![CDATA[text]]></MsgType>", "", 1)},
		{"no FromUserName", strings.Replace(docText, "<FromUserName><![CDATA[fromUser]]></FromUserName>", "", 1)},
		{"no CreateTime", strings.Replace(docText, "<CreateTime>1348831860</CreateTime>", "", 1)},
		{"CreateTime in milliseconds text", strings.Replace(docText, "1348831860", "13488x31860", 1)},
		{"negative CreateTime", strings.Replace(docText, "1348831860", "-5", 1)},
		{"latitude not a number", strings.Replace(docLocation, "23.134", "north", 1)},
		{"latitude NaN", strings.Replace(docLocation, "23.134", "NaN", 1)},
		{"longitude Inf", strings.Replace(docLocation, "113.358", "+Inf", 1)},
		{"hex float", strings.Replace(docLocation, "23.134", "0x1p4", 1)},
		{"location without coordinates", strings.Replace(docLocation, "<Location_X>23.134</Location_X>", "", 1)},
		{"LOCATION event bad precision", strings.Replace(capturedLocationEvent, "<Precision>15</Precision>", "<Precision>-3</Precision>", 1)},
		{"location_select without SendLocationInfo", strings.Replace(clickXML("zhangsan", "punch", 1772413200), "CDATA[click]", "CDATA[location_select]", 1)},
		{"entity bomb", `<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><FromUserName>&a;</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, err := ParseMessage([]byte(tt.plain)); core.ErrorCode(err) != core.EINVALID {
				t.Errorf("ParseMessage = %+v, %v; want EINVALID", m, err)
			}
		})
	}
}

func TestParseEnvelope(t *testing.T) {
	body := strings.Replace(w2BodyFormat, "%s", w2Encrypt, 1)
	env, err := ParseEnvelope([]byte(body))
	if err != nil {
		t.Fatalf("ParseEnvelope(W2): %v", err)
	}
	if want := (Envelope{ToUserName: vecCorpID, AgentID: "218", Encrypt: w2Encrypt}); env != want {
		t.Errorf("ParseEnvelope(W2) = %+v, want %+v", env, want)
	}
	for _, bad := range []string{"", "<xml></xml>", "<xml><Encrypt></Encrypt></xml>", "<xml><Encrypt>abc", "<foo><Encrypt>abc</Encrypt></foo>", "{\"encrypt\":\"abc\"}"} {
		if _, err := ParseEnvelope([]byte(bad)); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("ParseEnvelope(%q): got %v, want EINVALID", bad, err)
		}
	}
}
