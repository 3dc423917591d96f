package bots

// VoiceText answers a voice message. The bots read text and locations only;
// a voice "上班" would otherwise go unanswered, and the person would not
// know whether it punched.
func VoiceText(lang string) string {
	return pick(lang, "🎤 我还听不懂语音，什么也没有记录。打卡请发送位置，或输入文字“上班”/“下班”；发送“帮助”查看全部命令。",
		"🎤 I cannot understand voice messages yet, so nothing was recorded. To punch, share your location or type “in” / “out”; send “help” for all commands.")
}
