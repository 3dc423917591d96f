package slack

import (
	"context"
	"net/http"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// ActionOpenLink is the URL button of a console or my-data sign-in link.
const ActionOpenLink = "open_signin_link"

// linkCommand answers "/punch admin" and "/punch mydata" with the signed
// link in the ephemeral response, which only the user sees.
func (b *Bot) linkCommand(w http.ResponseWriter, r *http.Request, sc slackapi.SlashCommand, in bots.Intent) {
	cmd := core.Command{Actor: identity(sc.TeamID, sc.UserID), Source: string(core.PlatformSlack), ReceivedAt: b.now()}
	bots.LinkCommand(in, &cmd)
	if sc.TriggerID != "" {
		cmd.EventID = "cmd:" + sc.TriggerID
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		b.log.Error("slack link command failed", "err", err, "team", sc.TeamID, "user", sc.UserID)
		text := bots.ErrorText(err, in.Lang)
		writeEphemeral(w, rendered{Text: text, Blocks: []slackapi.Block{section(text)}})
		return
	}
	writeEphemeral(w, replyMessage(reply, in.Lang))
}

// signInMessage shows a sign-in link as a button, with how long it works.
func signInMessage(r core.Reply, lang string) rendered {
	lead := bots.LinkLead(r, lang)
	label := pick(lang, "打开控制台", "Open the console")
	if r.LinkPurpose == core.LinkMyData {
		label = pick(lang, "查看我的数据", "See my data")
	}
	btn := slackapi.NewButtonBlockElement(ActionOpenLink, "", plain(label)).WithURL(r.Link).WithStyle(slackapi.StylePrimary)
	return rendered{Text: lead, Blocks: []slackapi.Block{section(lead), slackapi.NewActionBlock("signin", btn)}}
}
