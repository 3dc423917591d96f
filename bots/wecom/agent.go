package wecom

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Agent is what agent/get reports about the application.
type Agent struct {
	Name string `json:"name"`
	// Close is 1 when the application is disabled (停用).
	Close int `json:"close"`
	// ReportLocationFlag is 1 when 上报地理位置 is on, so WeCom sends the
	// member's position on entering the app session.
	ReportLocationFlag int `json:"report_location_flag"`
}

type agentResponse struct {
	apiStatus
	Agent
}

// GetAgent calls agent/get for the client's agent id (获取指定的应用详情,
// https://developer.work.weixin.qq.com/document/path/90227). WeCom answers
// only for the application the token's secret belongs to, so `punchbot
// doctor` uses it to catch an agent id that does not match the secret before
// every send fails. Errors are classified as the sends' are and wrap
// *APIError.
func (c *Client) GetAgent(ctx context.Context) (Agent, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return Agent{}, err
	}
	var r agentResponse
	q := url.Values{"access_token": {tok}, "agentid": {strconv.FormatInt(c.agentID, 10)}}
	if err := c.do(ctx, http.MethodGet, "/cgi-bin/agent/get", q, nil, &r); err != nil {
		return Agent{}, classify("agent/get", err, false)
	}
	return r.Agent, nil
}
