package main

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/punchbot/punchbot/bots/playground"
	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/core"
)

// The chat playground (/playground) drives the bots through in-process
// simulators of WeCom, Feishu and Slack. `punchbot demo` always runs it;
// `punchbot serve` only with PUNCHBOT_PLAYGROUND=1, because the page lets
// anyone act as anyone.

// demoPlatformCreds are the simulated apps' credentials. They match the
// demo organisation's tenants (bots/admin/demo.yaml) and authenticate
// nothing outside this process.
func demoPlatformCreds(now func() time.Time, log *slog.Logger) sim.Config {
	return sim.Config{
		WeCom: sim.WeComConfig{CorpID: "ww0000000000demo", AgentID: "1000002", Secret: "demo-wecom-secret", Token: "demowecomtoken",
			EncodingAESKey: "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"},
		Feishu: sim.FeishuConfig{AppID: "cli_demo_playground", AppSecret: "demo-feishu-secret", VerificationToken: "demo-verification-token",
			EncryptKey: "demo-encrypt-key", TenantKey: "tk_demo"},
		Slack: sim.SlackConfig{SigningSecret: "demo-slack-signing-secret", BotToken: "xoxb-demo-playground", TeamID: "T0DEMO"},
		Now:   now, Log: log,
	}
}

// startSimulators starts the simulated platforms and points every bot cfg
// does not configure for real at them. It returns nil when the playground
// is off.
func startSimulators(cfg *config, log *slog.Logger, now func() time.Time, force bool) (*sim.Platforms, error) {
	if !force && !cfg.Playground {
		return nil, nil
	}
	c := demoPlatformCreds(now, log)
	p, err := sim.Start(c)
	if err != nil {
		return nil, fmt.Errorf("platform simulators: %w", err)
	}
	if cfg.WeCom.CorpID == "" {
		w := c.WeCom
		cfg.WeCom = wecomConfig{w.CorpID, w.AgentID, w.Secret, w.Token, w.EncodingAESKey, p.URL(core.PlatformWeCom)}
	}
	if cfg.Feishu.AppID == "" {
		f := c.Feishu
		cfg.Feishu = feishuConfig{f.AppID, f.AppSecret, f.VerificationToken, f.EncryptKey, p.URL(core.PlatformFeishu)}
	}
	if cfg.Slack.SigningSecret == "" {
		s := c.Slack
		cfg.Slack = slackConfig{s.SigningSecret, s.BotToken, p.URL(core.PlatformSlack) + "/api/"}
	}
	log.Info("platform simulators running: the bots talk to in-process fakes of WeCom, Feishu and Slack",
		"wecom", cfg.WeCom.APIURL, "feishu", cfg.Feishu.BaseURL, "slack", cfg.Slack.APIURL)
	return p, nil
}

// mountPlayground serves /playground on s for the simulators p, opening
// panes first.
func (s *server) mountPlayground(p *sim.Platforms, panes []playground.Pane) {
	playground.New(playground.Deps{Org: s.store.Org, Sims: p, Panes: panes, Log: s.log}).Register(s.mux)
}

// loopbackURL is the address the simulators call the bots at: the bound
// port on 127.0.0.1, whatever interface the server listens on.
func loopbackURL(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	return "http://127.0.0.1:" + port
}
