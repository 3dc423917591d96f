package wecom

import (
	"encoding/json"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// linkInbound routes 管理 (admin) and 我的数据 (mydata) to a link command.
// The signed link comes back as an ordinary reply through the outbox, sent
// as an application message to the person alone.
func (b *Bot) linkInbound(m Message, cmd core.Command) (inbound, bool) {
	if m.MsgType != MsgText {
		return inbound{}, false
	}
	intent := bots.Parse(m.Content)
	if !bots.LinkCommand(intent, &cmd) {
		return inbound{}, false
	}
	buf, _ := json.Marshal(Route{ToUser: m.FromUserName, AgentID: b.agentID, Lang: intent.Lang})
	return inbound{cmd: withRoute(cmd, string(buf))}, true
}
