package store

import (
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun/schema"
)

// callText is the text of a call of one of the functions of migration
// 20261202000012_write_change, its arguments written as literals by the
// dialect, as Bun would write them into the text, without boxing each in
// an interface or parsing the text for placeholders.
type callText struct {
	d    schema.Dialect
	b    []byte
	n    int // arguments so far
	want int // arguments the function takes
}

// newCall starts a call of function, which returns (kind, ref, seq) and
// takes want arguments.
func newCall(d schema.Dialect, function string, want int) *callText {
	c := &callText{d: d, want: want, b: make([]byte, 0, 2048)}
	c.b = append(c.b, "SELECT kind, ref, seq FROM "...)
	c.b = append(c.b, function...)
	c.b = append(c.b, '(')
	return c
}

func (c *callText) next() {
	if c.n > 0 {
		c.b = append(c.b, ", "...)
	}
	c.n++
}

func (c *callText) str(s string) {
	c.next()
	c.b = c.d.AppendString(c.b, s)
}

func (c *callText) int(v int64) {
	c.next()
	c.b = strconv.AppendInt(c.b, v, 10)
}

func (c *callText) boolean(v bool) {
	c.next()
	c.b = c.d.AppendBool(c.b, v)
}

// at writes t at the store's precision. callText is a valueSink.
func (c *callText) at(t time.Time) {
	c.next()
	c.b = c.d.AppendTime(c.b, dbTime(t))
}

func (c *callText) null() {
	c.next()
	c.b = append(c.b, "NULL"...)
}

// strs writes list as a text[].
func (c *callText) strs(list []string) {
	c.next()
	if len(list) == 0 {
		c.b = append(c.b, "'{}'::text[]"...)
		return
	}
	c.b = append(c.b, "ARRAY["...)
	for i, s := range list {
		if i > 0 {
			c.b = append(c.b, ", "...)
		}
		c.b = c.d.AppendString(c.b, s)
	}
	c.b = append(c.b, "]::text[]"...)
}

// text is the finished call; an error if it has not the function's
// number of arguments.
func (c *callText) text() (string, error) {
	if c.n != c.want {
		return "", fmt.Errorf("store: a call with %d arguments, the function takes %d", c.n, c.want)
	}
	return string(append(c.b, ')')), nil
}
