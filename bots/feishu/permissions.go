package feishu

// APIPermission is what one Open Platform call needs: the feature it
// serves and the permissions (scopes) to grant. Each inner list is "any
// one of these" as the API page's 权限要求 says (开启其中任意一项权限即可);
// every inner list must be satisfied.
type APIPermission struct {
	Feature string
	Needs   [][]string
}

// sendScopes are the permissions any of which lets the app send and update
// its own messages: 获取与发送单聊、群组消息 (im:message) and 以应用的身份发消息
// (im:message:send_as_bot).
var sendScopes = []string{"im:message", "im:message:send_as_bot"}

// APIPermissions maps every Open Platform call the bot makes (method and
// ApiPath as passed to the SDK) to what it needs. TestPermissions fails
// when the code calls a path this table does not name, when the table names
// a path nothing calls, or when README.md or SETUP.md does not list a
// permission the table needs. Sources: each API's page on open.feishu.cn,
// section 权限要求 (linked per entry).
var APIPermissions = map[string]APIPermission{
	// https://open.feishu.cn/document/server-docs/im-v1/message/reply
	"POST /open-apis/im/v1/messages/:message_id/reply": {
		Feature: "replies to punches and commands in the chat they came from", Needs: [][]string{sendScopes}},
	// https://open.feishu.cn/document/server-docs/im-v1/message/create
	"POST /open-apis/im/v1/messages": {
		Feature: "reminders, missed-punch notices, approval cards to managers", Needs: [][]string{sendScopes}},
	// https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch
	// (any of im:message, im:message:send_as_bot, im:message:update).
	"PATCH /open-apis/im/v1/messages/:message_id": {
		Feature: "updating approval cards after approve/reject", Needs: [][]string{append(append([]string(nil), sendScopes...), "im:message:update")}},
	// https://open.feishu.cn/document/ukTMukTMukTM/ucDO1EjL3gTNx4yN4UTM
	// (批量发送消息: a send permission and 给多个用户批量发消息).
	"POST /open-apis/message/v4/batch_send/": {
		Feature: "HR broadcasts and reminders sent in batches", Needs: [][]string{sendScopes, {"im:message:send_multi_users"}}},
	// https://open.feishu.cn/document/server-docs/bot-v3/bot-overview
	// (获取机器人信息: no permission, the bot capability must be on).
	"GET /open-apis/bot/v3/info": {Feature: "recognising @-mentions of the bot in groups"},
}

// EventPermissions are what Feishu needs granted before it delivers the
// events and callbacks the bot handles; TestPermissions checks the README
// lists them too. Sources: 接收消息 (im.message.receive_v1,
// https://open.feishu.cn/document/server-docs/im-v1/message/events/receive)
// and 卡片回传交互 (card.action.trigger, no permission,
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication).
var EventPermissions = map[string]APIPermission{
	"im.message.receive_v1 (direct messages)": {Feature: "punching and commands in a direct chat with the bot",
		Needs: [][]string{{"im:message.p2p_msg:readonly"}}},
	"im.message.receive_v1 (group @-mentions)": {Feature: "commands that @-mention the bot in a group",
		Needs: [][]string{{"im:message.group_at_msg:readonly"}}},
	"card.action.trigger": {Feature: "approve/reject and 申请补卡 buttons (a callback, subscribed under 回调配置)"},
}
