package postgres

import (
	"fmt"
	"strings"
)

// conditions builds the WHERE clause of a filtered listing, numbering its
// parameters in the order they are added.
type conditions struct {
	where []string
	args  []any
}

// add appends cond, in which %d stands for the number of v's parameter.
func (c *conditions) add(cond string, v any) {
	c.args = append(c.args, v)
	c.where = append(c.where, fmt.Sprintf(cond, len(c.args)))
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
		args = append(args, limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	return q, args
}
