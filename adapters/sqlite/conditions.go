package sqlite

import "strings"

// conditions builds the WHERE clause of a filtered listing.
type conditions struct {
	where []string
	args  []any
}

// add appends cond and the arguments of its placeholders.
func (c *conditions) add(cond string, args ...any) {
	c.where = append(c.where, cond)
	c.args = append(c.args, args...)
}

// in appends "col IN (?, …)" over vals, which must not be empty.
func (c *conditions) in(col string, vals []string) {
	c.where = append(c.where, col+" IN (?"+strings.Repeat(", ?", len(vals)-1)+")")
	for _, v := range vals {
		c.args = append(c.args, v)
	}
}

// query is selectFrom with the conditions ANDed, then orderBy, then a
// LIMIT when limit is above zero, and its arguments.
func (c *conditions) query(selectFrom, orderBy string, limit int) (string, []any) {
	q := selectFrom
	if len(c.where) > 0 {
		q += ` WHERE ` + strings.Join(c.where, " AND ")
	}
	q += ` ORDER BY ` + orderBy
	args := c.args
	if limit > 0 {
		q, args = q+` LIMIT ?`, append(args, limit)
	}
	return q, args
}
