package feishu

// privateRoute addresses a reply to the person instead of the chat it came
// from: a sign-in link (管理, 我的数据) is a credential, and in a group chat
// everyone would see it. In a one-to-one chat the reply threads as usual.
func privateRoute(rt route, userID string, isOpenID bool) route {
	if rt.ReceiveIDType != "chat_id" {
		return rt
	}
	typ := "open_id"
	if !isOpenID {
		typ = "user_id"
	}
	return route{ReceiveID: userID, ReceiveIDType: typ, Lang: rt.Lang}
}
