package admin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/punchbot/punchbot/core"
	"gopkg.in/yaml.v3"
)

// Reading the YAML node tree by hand, so that every problem is reported
// with its line and field path.

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
