package admin

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/punchbot/punchbot/core"
	"gopkg.in/yaml.v3"
)

//go:embed demo.yaml
var demoOrg string

// ExampleOrg returns the demo organisation file: a complete, commented
// example of the format that `punchbot demo` applies. It returns a fresh
// copy so no caller can change what the next one gets.
func ExampleOrg() []byte { return []byte(demoOrg) }

// Problem is one thing wrong with an organisation file, located by line and
// column (1-based) and by field path such as "employees[2].manager".
type Problem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String formats the problem as "line N: field: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// FileError lists every problem found in an organisation file, in file
// order, so the author can fix them all in one pass.
type FileError struct {
	Problems []Problem
}

// Error prints one "line N: field: message" per problem.
func (e *FileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// The file's shape. Pointer fields tell an omitted key (take the default)
// from an explicit zero.
type fileOrg struct {
	Name      string         `yaml:"name"`
	Lang      string         `yaml:"lang"`
	TimeZone  string         `yaml:"timezone"`
	Sites     []fileSite     `yaml:"sites"`
	Calendars []fileCalendar `yaml:"calendars"`
	Schedules []fileSchedule `yaml:"schedules"`
	Employees []fileEmployee `yaml:"employees"`
	Makeup    fileMakeup     `yaml:"makeup"`
	Reminders []fileReminder `yaml:"reminders"`
	// LeaveTypes are the kinds of leave people may request; absent, the
	// defaults (annual 年假, sick 病假, personal 事假).
	LeaveTypes []fileLeaveType `yaml:"leave_types"`
	// DeviceBinding is off, optional or required (orgdevices.go).
	DeviceBinding string `yaml:"device_binding"`
}

// fileLeaveType is one entry of leave_types.
type fileLeaveType struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// AnnualQuotaDays is the days per calendar year, in halves; 0 or
	// absent keeps no balance.
	AnnualQuotaDays float64 `yaml:"annual_quota_days"`
	Paid            bool    `yaml:"paid"`
	// FromOvertime makes the type time off in lieu of overtime (调休,
	// orgcomptime.go); ExpireDays lapses earned time, 0 never.
	FromOvertime []string `yaml:"from_overtime,omitempty"`
	ExpireDays   int      `yaml:"expire_days,omitempty"`
}

type fileSite struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Lat      *float64 `yaml:"lat"`
	Lng      *float64 `yaml:"lng"`
	Datum    string   `yaml:"datum"`
	RadiusM  float64  `yaml:"radius_m"`
	IPRanges []string `yaml:"ip_ranges"`
}

type fileCalendar struct {
	ID       string    `yaml:"id"`
	Name     string    `yaml:"name"`
	Holidays []fileDay `yaml:"holidays"`
	Workdays []fileDay `yaml:"workdays"`
}

type fileDay struct {
	Date string `yaml:"date"`
	Name string `yaml:"name"`
	// Statutory marks a holiday as a statutory holiday (法定节假日), whose
	// overtime is paid at 300% (core.CalendarDay.Statutory).
	Statutory bool `yaml:"statutory,omitempty"`
}

type fileSchedule struct {
	ID                 string    `yaml:"id"`
	Name               string    `yaml:"name"`
	WorkDays           *weekdays `yaml:"work_days"`
	Start              *clock    `yaml:"start"`
	End                *clock    `yaml:"end"`
	CheckInOpensMin    *int      `yaml:"check_in_opens_min"`
	CheckOutClosesMin  *int      `yaml:"check_out_closes_min"`
	FlexibleMin        int       `yaml:"flexible_min"`
	LateGraceMin       int       `yaml:"late_grace_min"`
	SeriousLateMin     int       `yaml:"serious_late_min"`
	AbsentLateMin      int       `yaml:"absent_late_min"`
	EarlyLeaveGraceMin int       `yaml:"early_leave_grace_min"`
	OutOfRange         string    `yaml:"out_of_range"`
	Calendar           string    `yaml:"calendar"`
	// PunchMode is standard (first in, last out count) or strict
	// (one clock-in, then one clock-out); empty is standard.
	PunchMode string `yaml:"punch_mode"`
	// ConfirmWithinMin asks to confirm a clock-out this soon after the
	// clock-in, and any early leave beyond grace; absent is 10, 0 is off.
	ConfirmWithinMin *int `yaml:"confirm_within_min"`
	// DeviceBinding overrides the organisation's for this schedule.
	DeviceBinding string `yaml:"device_binding"`
	// Overtime is the schedule's overtime (加班) rule (orgovertime.go).
	Overtime *fileOvertime `yaml:"overtime"`
}

// defaultConfirmWithinMin is confirm_within_min when the file leaves it out.
const defaultConfirmWithinMin = 10

type fileEmployee struct {
	ID         string         `yaml:"id"`
	Name       string         `yaml:"name"`
	Lang       string         `yaml:"lang"`
	TimeZone   string         `yaml:"timezone"`
	Department string         `yaml:"department"`
	Role       string         `yaml:"role"`
	Manager    string         `yaml:"manager"`
	Active     *bool          `yaml:"active"`
	Schedule   string         `yaml:"schedule"`
	Sites      []string       `yaml:"sites"`
	Identities []fileIdentity `yaml:"identities"`
}

type fileIdentity struct {
	Platform string `yaml:"platform"`
	Tenant   string `yaml:"tenant"`
	User     string `yaml:"user"`
}

type fileMakeup struct {
	MonthlyQuota     int `yaml:"monthly_quota"`
	DeadlineDays     int `yaml:"deadline_days"`
	ExpireAfterHours int `yaml:"expire_after_hours"`
}

type fileReminder struct {
	ID             string       `yaml:"id"`
	Kind           string       `yaml:"kind"`
	Cron           string       `yaml:"cron"`
	MinutesBefore  int          `yaml:"minutes_before"`
	OlderThanHours int          `yaml:"older_than_hours"`
	Text           string       `yaml:"text"`
	Markdown       bool         `yaml:"markdown"`
	Audience       fileAudience `yaml:"audience"`
	Until          string       `yaml:"until"`
	Enabled        *bool        `yaml:"enabled"`
}

type fileAudience struct {
	Everyone    bool       `yaml:"everyone"`
	Departments []string   `yaml:"departments"`
	Employees   []string   `yaml:"employees"`
	Chats       []fileChat `yaml:"chats"`
}

type fileChat struct {
	Platform string `yaml:"platform"`
	Chat     string `yaml:"chat"`
}

// position is where a field starts in the file.
type position struct{ line, column int }

// parser decodes the node tree by hand instead of with yaml.Unmarshal so
// that every problem (unknown key, wrong type, bad clock) is collected with
// its line and field path, and so that the core's path-named validation
// errors can be mapped back to lines afterwards.
type parser struct {
	// budget bounds how many nodes the walk visits: aliases can make a
	// small file expand exponentially ("billion laughs").
	budget   int
	problems []Problem
	pos      map[string]position // field path → where its key (or list item) is
	failed   map[string]bool     // paths already reported; core errors on them are noise
	// given holds the paths of the keys the file gives a (non-empty)
	// value, so ParseOrgOver can tell a left-out setting from a zero.
	given map[string]bool
	// json is set for a document written as JSON (or a YAML flow
	// mapping), whose scalars carry their type: a number where text is
	// expected is then a mistake, not a staff number written bare.
	json bool
}

// nodeDecoder is implemented by file types that read their own node (clock
// strings, weekday lists, calendar-day shorthands).
type nodeDecoder interface {
	decodeYAML(p *parser, n *yaml.Node, path string)
}

// ParseOrg decodes an organisation file (YAML or JSON), fills defaults,
// converts GCJ-02 sites to WGS-84 and validates the result. Any problem
// yields a *FileError naming the line and field of each one; parsing has no
// side effects, so a rejected file changes nothing. checks add validations
// that live outside core (the scheduler's cron parsing); their field paths
// are mapped to lines like core's own.
//
// ParseOrg reads the file on its own: a setting it leaves out takes its
// default. To apply a file over a stored organisation use ParseOrgOver,
// which keeps the stored settings the file leaves out (orgkeep.go).
func ParseOrg(data []byte, checks ...func(core.Org) []core.FieldError) (core.Org, error) {
	return parseOrg(data, nil, checks)
}

// parseOrg is ParseOrg, or ParseOrgOver when cur is not nil.
func parseOrg(data []byte, cur *core.Org, checks []func(core.Org) []core.FieldError) (core.Org, error) {
	p := &parser{budget: maxNodes, pos: map[string]position{"": {1, 1}}, failed: map[string]bool{}, given: map[string]bool{}}
	p.json = looksLikeJSON(data)
	root := p.document(data)
	if root == nil {
		return core.Org{}, p.err()
	}
	var f fileOrg
	p.decode(root, "", reflect.ValueOf(&f).Elem())
	if p.budget < 0 {
		return core.Org{}, p.err() // a partial walk would only add noise
	}
	org, aliases := p.toCore(&f)
	if cur != nil {
		p.keepOmitted(&org, *cur) // orgkeep.go
	}
	if err := org.Prepare(); err != nil {
		var ve *core.ValidationError
		if !errors.As(err, &ve) {
			p.add(position{}, "", "%s", err.Error())
		} else {
			for _, fe := range ve.Fields {
				p.coreProblem(fe, org, aliases)
			}
		}
	}
	for _, check := range checks {
		for _, fe := range check(org) {
			p.coreProblem(fe, org, aliases)
		}
	}
	if len(p.problems) > 0 {
		return core.Org{}, p.err()
	}
	return org, nil
}

func (p *parser) err() *FileError {
	sort.SliceStable(p.problems, func(i, j int) bool {
		a, b := p.problems[i], p.problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	if n := len(p.problems) - maxProblems; n > 0 {
		p.problems = append(p.problems[:maxProblems], Problem{Message: fmt.Sprintf("and %d more problems", n)})
	}
	return &FileError{Problems: p.problems}
}

// maxProblems caps the report: past a hundred problems the file is wrong in
// some systematic way the first ones already show.
const maxProblems = 100

func (p *parser) add(at position, path, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: at.line, Column: at.column, Field: path, Message: fmt.Sprintf(format, args...)})
	p.failed[path] = true
}

// fail reports a problem with the node n itself.
func (p *parser) fail(n *yaml.Node, path, format string, args ...any) {
	p.add(position{n.Line, n.Column}, path, format, args...)
}

// missing reports a required field that is absent, at the line of the
// object that should hold it.
func (p *parser) missing(path string) {
	p.add(p.position(path), path, "is required")
}

// position finds the nearest located ancestor of path: a field the file
// leaves out is reported at the object that should contain it.
func (p *parser) position(path string) position {
	for {
		if at, ok := p.pos[path]; ok {
			return at
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return p.pos[""]
		}
		path = path[:i]
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document reads exactly one YAML document and returns its root node, or
// nil after recording why it cannot.
func (p *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(position{1, 1}, "", "the file is empty")
		} else {
			p.syntax(err, data)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(position{extra.Line, extra.Column}, "", "the file holds more than one YAML document; put the whole organisation in one")
		return nil
	} else if !errors.Is(err, io.EOF) {
		p.syntax(err, data)
		return nil
	}
	if len(doc.Content) == 0 {
		p.add(position{1, 1}, "", "the file is empty")
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		p.add(position{root.Line, root.Column}, "", "the file is empty")
		return nil
	}
	return root
}

// parserProblem reports whether a yaml.v3 message comes from its parser
// rather than its scanner; the two count lines differently.
func parserProblem(msg string) bool {
	for _, prefix := range []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

func (p *parser) syntax(err error, data []byte) {
	msg := err.Error()
	if strings.Contains(msg, "cannot start any token") || strings.Contains(msg, "tab character") {
		// yaml.v3 names the tab only sometimes, and on the line before it.
		if line := tabIndentLine(data); line > 0 {
			p.add(position{line, 1}, "", "syntax error: tabs cannot indent YAML; indent this line with spaces")
			return
		}
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		problem := m[2]
		if parserProblem(problem) {
			// yaml.v3 reports parser (not scanner) errors with a 0-based line,
			// and at the start of the enclosing block rather than at the
			// offending token, so say where to look.
			line++
			if strings.HasPrefix(problem, "did not find expected") {
				problem += " (in the block or brackets that start on this line; check the indentation and closing brackets after it)"
			}
		}
		p.add(position{line, 0}, "", "syntax error: %s", problem)
		return
	}
	// Without a line, yaml.v3 either means line 1 (it drops a 0-based 0)
	// or the reader rejected a byte; find that byte ourselves.
	line := 1
	if l := badByteLine(data); l > 0 {
		line = l
	}
	p.add(position{line, 0}, "", "syntax error: %s", strings.TrimPrefix(msg, "yaml: "))
}

// tabIndentLine returns the first line indented with a tab, or 0.
func tabIndentLine(data []byte) int {
	for i, l := range strings.Split(string(data), "\n") {
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(l) != "" {
			return i + 1
		}
	}
	return 0
}

// badByteLine returns the line of the first byte sequence YAML does not
// allow (invalid UTF-8 or a control character), or 0.
func badByteLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && size <= 1:
			return line
		case r == '\n':
			line++
		case r == '\t' || r == '\r' || r == 0x85:
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff:
			return line
		}
		data = data[size:]
	}
	return 0
}

func childPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// maxNodes bounds the walk. A 1 MiB file (the API's limit) of ten thousand
// employees has about 80,000 values and no alias-free 1 MiB file reaches
// 300,000; a file expanded by aliases past it is refused in well under a
// second.
const maxNodes = 300_000

// decode stores node n into v, reporting type mismatches at n's line.
func (p *parser) decode(n *yaml.Node, path string, v reflect.Value) {
	if p.budget--; p.budget < 0 {
		if p.budget == -1 {
			p.fail(n, path, "the file expands to more than %d values (through aliases?); split it or remove the aliases", maxNodes)
		}
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value is the same as leaving the key out
	}
	if v.Kind() == reflect.Pointer {
		nv := reflect.New(v.Type().Elem())
		p.decode(n, path, nv.Elem())
		v.Set(nv)
		return
	}
	if d, ok := v.Addr().Interface().(nodeDecoder); ok {
		d.decodeYAML(p, n, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		p.mapping(n, path, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Kind == yaml.ScalarNode {
				// sites: wangjing means sites: [wangjing] more often than not.
				p.fail(n, path, "must be a list, not the single value %s; write [%s] for a list of one", show(n), n.Value)
			} else {
				p.fail(n, path, "must be a list, not a %s", kindName(n))
			}
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			p.pos[ip] = position{item.Line, item.Column}
			p.decode(item, ip, s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			p.fail(n, path, "must be a single value, not a %s", kindName(n))
			return
		}
		if p.json && n.Tag != "!!str" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			// JSON says what type a value is: {"name": 1} is a number
			// where text belongs, not the name "1".
			p.fail(n, path, "must be text, not the %s %s; write it in quotes (%q) if that is what you mean", scalarKind(n), n.Value, n.Value)
			return
		}
		if problem := core.TextProblem(n.Value); problem != "" {
			// A JSON or YAML escape ("\u0000") gets past badByteLine; no
			// store can keep such a value, and no one can see it.
			p.fail(n, path, "%s", problem)
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		i, ok := scalarInt(n)
		if !ok {
			p.fail(n, path, "must be a whole number, not %s", show(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, ok := scalarFloat(n)
		if !ok {
			p.fail(n, path, "must be a number, not %s", show(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			p.fail(n, path, "must be true or false, not %s", show(n))
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			p.fail(n, path, "must be true or false, not %s", show(n))
			return
		}
		v.SetBool(b)
	default:
		panic(fmt.Sprintf("admin: no decoder for %s", v.Type()))
	}
}

// mapping fills struct v from a YAML mapping, field by yaml tag. Merge keys
// ("<<: *defaults") are honoured so authors can share schedule settings.
func (p *parser) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "must be a mapping of keys to values, not %s", show(n))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		fields[name] = i
		names = append(names, name)
	}
	// Merged mappings are decoded first so the explicit keys override them.
	var explicit, merged [][2]*yaml.Node
	overridden := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			for _, m := range mergeSources(val) {
				for j := 0; j+1 < len(m.Content); j += 2 {
					merged = append(merged, [2]*yaml.Node{m.Content[j], m.Content[j+1]})
				}
			}
			continue
		}
		explicit = append(explicit, [2]*yaml.Node{k, val})
		overridden[k.Value] = true
	}
	for _, kv := range merged {
		if i, ok := fields[kv[0].Value]; ok && !overridden[kv[0].Value] {
			cp := childPath(path, kv[0].Value)
			p.given[cp] = !isNull(kv[1])
			p.decode(kv[1], cp, v.Field(i))
		}
	}
	seen := map[string]int{} // key → line of its first occurrence
	for _, kv := range explicit {
		k, val := kv[0], kv[1]
		if k.Kind != yaml.ScalarNode {
			p.fail(k, path, "keys must be plain words, not a %s", kindName(k))
			continue
		}
		cp := childPath(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			p.fail(k, cp, "is given twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		i, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown field %q", k.Value)
			if s := suggest(k.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (expected one of: " + strings.Join(names, ", ") + ")"
			}
			p.fail(k, cp, "%s", msg)
			continue
		}
		p.pos[cp] = position{k.Line, k.Column}
		p.given[cp] = !isNull(val)
		p.decode(val, cp, v.Field(i))
	}
}

// isNull reports whether n (through aliases) is an empty value, which
// means the same as leaving the key out.
func isNull(n *yaml.Node) bool {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// looksLikeJSON reports whether the document is one flow mapping, as JSON
// is: its first character (after a byte-order mark and blanks) is "{".
func looksLikeJSON(data []byte) bool {
	s := strings.TrimLeft(strings.TrimPrefix(string(data), "\uFEFF"), " \t\r\n")
	return strings.HasPrefix(s, "{")
}

// mergeSources returns the mappings a merge key refers to.
func mergeSources(n *yaml.Node) []*yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{n}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range n.Content {
			out = append(out, mergeSources(c)...)
		}
		return out
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "value"
	}
}

// scalarKind names the type of a scalar that is not text.
func scalarKind(n *yaml.Node) string {
	switch n.Tag {
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	default:
		return "value"
	}
}

func show(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return "a " + kindName(n)
}

// scalarInt accepts YAML integers and integral floats (1e3), never a string
// or a fraction: yaml.v3 would silently truncate 12.5 to 12.
func scalarInt(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.Tag {
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil || i > math.MaxInt32 || i < math.MinInt32 {
			return 0, false
		}
		return i, true
	case "!!float":
		f, ok := scalarFloat(n)
		if !ok || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

func scalarFloat(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// suggest returns the known name closest to a misspelt key, if close enough
// to be a typo.
func suggest(key string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(key), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// clock is a time of day written "09:00", or past midnight ("26:00") for
// the end of an overnight shift.
type clock int

var clockForm = regexp.MustCompile(`^\d{1,2}:\d{2}$`)

func (c *clock) decodeYAML(p *parser, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode && clockForm.MatchString(n.Value) {
		if m, err := core.ParseClock(n.Value); err == nil {
			*c = clock(m)
			return
		}
	}
	hint := ""
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		// YAML 1.1 readers turn an unquoted 9:00 into 540; yaml.v3 does not,
		// but a bare number here is almost always that mistake.
		hint = `; quote it, e.g. "09:00"`
	}
	p.fail(n, path, "%s is not a time like \"09:00\" (minutes 00-59; \"26:00\" is 02:00 the next day)%s", show(n), hint)
}

// weekdays is a list of day names in English or Chinese.
type weekdays []time.Weekday

// dayNames maps every accepted spelling of a weekday to its value.
func dayNames() map[string]time.Weekday {
	m := map[string]time.Weekday{}
	zh := []string{"日", "一", "二", "三", "四", "五", "六"}
	for d := time.Sunday; d <= time.Saturday; d++ {
		full := strings.ToLower(d.String())
		m[full] = d
		m[full[:3]] = d
		m["周"+zh[d]] = d
		m["星期"+zh[d]] = d
	}
	m["周天"], m["星期天"] = time.Sunday, time.Sunday
	m["tues"], m["weds"], m["thur"], m["thurs"] = time.Tuesday, time.Wednesday, time.Thursday, time.Thursday
	return m
}

func (w *weekdays) decodeYAML(p *parser, n *yaml.Node, path string) {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "must be a list of days such as [mon, tue, wed, thu, fri]")
		return
	}
	names := dayNames()
	out := weekdays{}
	seen := map[time.Weekday]bool{}
	for i, item := range n.Content {
		ip := fmt.Sprintf("%s[%d]", path, i)
		p.pos[ip] = position{item.Line, item.Column}
		d, ok := names[strings.ToLower(strings.TrimSpace(item.Value))]
		if item.Kind != yaml.ScalarNode || !ok {
			p.fail(item, ip, "%s is not a day of the week (use mon..sun, monday..sunday or 周一..周日)", show(item))
			continue
		}
		if seen[d] {
			p.fail(item, ip, "%s is listed twice", strings.ToLower(d.String()))
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	if len(n.Content) == 0 {
		p.fail(n, path, "must name at least one day (leave work_days out for mon..fri)")
	}
	*w = out
}

// decodeYAML accepts either {date: 2026-10-01, name: 国庆节} or a bare date.
func (d *fileDay) decodeYAML(p *parser, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		d.Date = n.Value
		return
	}
	p.mapping(n, path, reflect.ValueOf(d).Elem())
}

// lower normalises enumerations so "GCJ-02", "Slack" and "HR" are accepted.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func datum(s string) core.Datum {
	switch d := strings.ReplaceAll(lower(s), "-", ""); d {
	case "wgs84", "gcj02":
		return core.Datum(d)
	default:
		return core.Datum(s)
	}
}

// toCore converts the file into a core.Org. aliases maps the core's paths
// to file paths where their shapes differ (calendar days).
func (p *parser) toCore(f *fileOrg) (core.Org, map[string]string) {
	aliases := map[string]string{}
	org := core.Org{Name: f.Name, Lang: lower(f.Lang), TimeZone: strings.TrimSpace(f.TimeZone)}
	org.Devices.Default = p.deviceBinding(f.DeviceBinding, "device_binding") // orgdevices.go
	for i, s := range f.Sites {
		path := fmt.Sprintf("sites[%d]", i)
		if s.Lat == nil {
			p.missing(path + ".lat")
		}
		if s.Lng == nil {
			p.missing(path + ".lng")
		}
		if s.Lat == nil || s.Lng == nil {
			p.failed[path+".lat"] = true // the core would only repeat it as 0,0
		}
		site := core.OrgSite{Site: core.Site{ID: s.ID, Name: s.Name, RadiusM: s.RadiusM, IPRanges: s.IPRanges}, Datum: datum(s.Datum)}
		if s.Lat != nil {
			site.Lat = *s.Lat
		}
		if s.Lng != nil {
			site.Lng = *s.Lng
		}
		org.Sites = append(org.Sites, site)
	}
	for i, c := range f.Calendars {
		cal := core.Calendar{ID: c.ID, Name: c.Name}
		for _, list := range []struct {
			key     string
			days    []fileDay
			workday bool
		}{{"holidays", c.Holidays, false}, {"workdays", c.Workdays, true}} {
			for j, d := range list.days {
				path := fmt.Sprintf("calendars[%d].%s[%d]", i, list.key, j)
				if list.workday && d.Statutory {
					p.add(p.position(path+".statutory"), path+".statutory", "only a holiday can be statutory: a 调休 working day is worked")
					d.Statutory = false // reported here, not again by the core
				}
				aliases[fmt.Sprintf("calendars[%d].days[%d]", i, len(cal.Days))] = path + ".date"
				cal.Days = append(cal.Days, core.CalendarDay{Date: strings.TrimSpace(d.Date), Workday: list.workday, Statutory: d.Statutory, Name: d.Name})
			}
		}
		org.Calendars = append(org.Calendars, cal)
	}
	for i, s := range f.Schedules {
		path := fmt.Sprintf("schedules[%d]", i)
		sc := core.Schedule{
			ID: s.ID, Name: s.Name,
			CheckInOpensMin: core.DefaultCheckInOpensMin, CheckOutClosesMin: core.DefaultCheckOutClosesMin,
			FlexibleMin: s.FlexibleMin, LateGraceMin: s.LateGraceMin, SeriousLateMin: s.SeriousLateMin,
			AbsentLateMin: s.AbsentLateMin, EarlyLeaveGraceMin: s.EarlyLeaveGraceMin,
			OutOfRange: core.OutOfRangePolicy(lower(s.OutOfRange)), CalendarID: s.Calendar,
		}
		if s.WorkDays != nil {
			sc.WorkDays = []time.Weekday(*s.WorkDays)
		} else {
			sc.WorkDays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
		}
		// A missing start or end is reported here; the core would only add
		// a confusing "end must be after start".
		if s.Start == nil && !p.failed[path+".start"] {
			p.missing(path + ".start")
		}
		if s.End == nil && !p.failed[path+".end"] {
			p.missing(path + ".end")
		}
		if s.Start == nil || s.End == nil {
			p.failed[path+".start"], p.failed[path+".end"] = true, true
		}
		if s.Start != nil {
			sc.StartMin = int(*s.Start)
		}
		if s.End != nil {
			sc.EndMin = int(*s.End)
		}
		if s.CheckInOpensMin != nil {
			sc.CheckInOpensMin = *s.CheckInOpensMin
		}
		if s.CheckOutClosesMin != nil {
			sc.CheckOutClosesMin = *s.CheckOutClosesMin
		}
		p.punchRules(s, path, &sc)
		sc.Overtime = overtimeRule(s.Overtime)
		p.scheduleBinding(&org, s, path) // orgdevices.go
		org.Schedules = append(org.Schedules, sc)
	}
	for _, e := range f.Employees {
		emp := core.Employee{
			ID: e.ID, Name: e.Name, Lang: lower(e.Lang), TimeZone: strings.TrimSpace(e.TimeZone),
			ManagerID: e.Manager, Department: e.Department, Role: core.Role(lower(e.Role)),
			Active: e.Active == nil || *e.Active, ScheduleID: e.Schedule, SiteIDs: e.Sites,
		}
		for _, id := range e.Identities {
			emp.Identities = append(emp.Identities, core.Identity{Platform: core.Platform(lower(id.Platform)), Tenant: id.Tenant, UserID: id.User, EmployeeID: e.ID})
		}
		org.Employees = append(org.Employees, emp)
	}
	m := f.Makeup
	for _, v := range []struct {
		key string
		val int
	}{{"monthly_quota", m.MonthlyQuota}, {"deadline_days", m.DeadlineDays}, {"expire_after_hours", m.ExpireAfterHours}} {
		if v.val < 0 {
			p.add(p.position("makeup."+v.key), "makeup."+v.key, "must not be negative")
			p.failed["makeup"] = true
		}
	}
	org.Makeup = core.MakeupPolicy{MonthlyQuota: m.MonthlyQuota, DeadlineDays: m.DeadlineDays, ExpireAfterHours: m.ExpireAfterHours}
	org.LeaveTypes = p.leaveTypes(f.LeaveTypes)
	for _, r := range f.Reminders {
		rem := core.Reminder{
			ID: r.ID, Kind: lower(r.Kind), Cron: strings.TrimSpace(r.Cron), MinutesBefore: r.MinutesBefore,
			OlderThanHrs: r.OlderThanHours, Text: r.Text, Markdown: r.Markdown, Until: strings.TrimSpace(r.Until),
			Enabled:  r.Enabled == nil || *r.Enabled,
			Audience: core.Audience{Everyone: r.Audience.Everyone, Departments: r.Audience.Departments, Employees: r.Audience.Employees},
		}
		for _, c := range r.Audience.Chats {
			rem.Audience.Chats = append(rem.Audience.Chats, core.ChatTarget{Platform: core.Platform(lower(c.Platform)), ChatID: c.Chat})
		}
		org.Reminders = append(org.Reminders, rem)
	}
	return org, aliases
}

// coreProblem records a validation error from core.Org.Prepare at the line
// of the field it names, unless that field was already reported.
func (p *parser) coreProblem(fe core.FieldError, org core.Org, aliases map[string]string) {
	path := fe.Path
	if a, ok := aliases[path]; ok {
		path = a
	}
	if path == "employees" && strings.HasPrefix(fe.Message, "manager chain") {
		// The core names no employee; point at a manager field in the loop.
		if i := cycleMember(org.Employees); i >= 0 {
			path = fmt.Sprintf("employees[%d].manager", i)
		}
	}
	for q := path; ; {
		if p.failed[q] {
			return
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	at := p.position(path)
	p.problems = append(p.problems, Problem{Line: at.line, Column: at.column, Field: path, Message: fe.Message})
}

// cycleMember returns the index of an employee whose manager chain loops
// back to them, or -1.
func cycleMember(emps []core.Employee) int {
	index := map[string]int{}
	for i, e := range emps {
		if _, dup := index[e.ID]; !dup {
			index[e.ID] = i
		}
	}
	for _, e := range emps {
		seen := map[string]bool{}
		for id := e.ID; id != ""; {
			if seen[id] {
				return index[id]
			}
			seen[id] = true
			i, ok := index[id]
			if !ok {
				break
			}
			id = emps[i].ManagerID
		}
	}
	return -1
}

// punchRules reads a schedule's punch_mode and confirm_within_min.
func (p *parser) punchRules(s fileSchedule, path string, sc *core.Schedule) {
	sc.PunchMode = core.PunchMode(lower(s.PunchMode))
	if sc.PunchMode == "" {
		sc.PunchMode = core.PunchStandard
	}
	if !core.ValidPunchMode(sc.PunchMode) {
		p.add(p.position(path+".punch_mode"), path+".punch_mode", "must be standard or strict, not %q", s.PunchMode)
		p.failed[path+".punch_mode"] = true
	}
	sc.ConfirmWithinMin = defaultConfirmWithinMin
	if s.ConfirmWithinMin != nil {
		sc.ConfirmWithinMin = *s.ConfirmWithinMin
	}
	if sc.ConfirmWithinMin < 0 || sc.ConfirmWithinMin > 24*60 {
		p.add(p.position(path+".confirm_within_min"), path+".confirm_within_min", "must be between 0 and 1440 minutes (0 turns confirmation off)")
		p.failed[path+".confirm_within_min"] = true
	}
}

// leaveTypeID is what a leave type id may be: it is typed in chat
// ("leave 12-03 annual") and appears in report columns.
var leaveTypeID = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// leaveTypes validates leave_types and returns them, or the defaults when
// the file has none.
func (p *parser) leaveTypes(list []fileLeaveType) []core.LeaveType {
	if len(list) == 0 {
		return core.DefaultLeaveTypes()
	}
	if len(list) > core.MaxLeaveTypes {
		p.add(p.position("leave_types"), "leave_types", "has %d types; at most %d are allowed", len(list), core.MaxLeaveTypes)
	}
	var out []core.LeaveType
	seen := map[string]int{}
	for i, lt := range list {
		path := fmt.Sprintf("leave_types[%d]", i)
		id := lower(lt.ID)
		switch {
		case id == "":
			p.missing(path + ".id")
		case !leaveTypeID.MatchString(id):
			p.add(p.position(path+".id"), path+".id", "%q is not a leave type id: use lowercase letters, digits, - and _, starting with a letter (for example annual)", lt.ID)
		default:
			if j, dup := seen[id]; dup {
				p.add(p.position(path+".id"), path+".id", "duplicate leave type id %q (also leave_types[%d])", id, j)
			}
			seen[id] = i
		}
		name := strings.TrimSpace(lt.Name)
		if name == "" {
			p.missing(path + ".name")
		}
		switch q := lt.AnnualQuotaDays; {
		case q < 0:
			p.add(p.position(path+".annual_quota_days"), path+".annual_quota_days", "must not be negative")
		case q > 366:
			p.add(p.position(path+".annual_quota_days"), path+".annual_quota_days", "%v days is more than a year", q)
		case q*2 != math.Trunc(q*2):
			p.add(p.position(path+".annual_quota_days"), path+".annual_quota_days", "%v is not a whole or half number of days", q)
		}
		t := core.LeaveType{ID: id, Name: name, AnnualQuotaDays: lt.AnnualQuotaDays, Paid: lt.Paid}
		p.compLeaveType(path, lt, &t) // orgcomptime.go
		out = append(out, t)
	}
	return out
}
