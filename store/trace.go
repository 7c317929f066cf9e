package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"
)

const tracerName = "github.com/nusapay/payments/store"

// QueryHook returns a Bun query hook that records one span per query: its
// operation (SELECT, INSERT, …), its table and the database system, never
// the query text or an argument. Bun's QueryEvent.Query has the arguments
// inlined (order ids, emails, notification bodies with their signatures),
// so the hook reads only the operation and the table from it. A failed
// query's span has an error status and an error.type naming the error's
// Go type, never the message, which may quote a value (PostgreSQL's
// unique violation names the duplicate key's). The spans are children of
// the span in the query's ctx, such as the Service's payments.deliver; a
// transaction's BEGIN, queries and COMMIT are siblings.
//
// A host adds it to the database it gives the store (WithQueryHook returns
// a copy of the *bun.DB with the hook, on the same connection pool):
//
//	db = db.WithQueryHook(store.QueryHook(tp))
//
// tp nil is the global tracer provider (otel.GetTracerProvider()).
func QueryHook(tp trace.TracerProvider) bun.QueryHook {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return &queryHook{tracer: tp.Tracer(tracerName)}
}

type queryHook struct {
	tracer trace.Tracer
}

// querySpanKey holds the hook's span in the ctx BeforeQuery returns, so
// AfterQuery ends its own span and never the caller's.
type querySpanKey struct{}

func (h *queryHook) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	op, table := queryOperation(e), queryTable(e)
	attrs := make([]attribute.KeyValue, 0, 3)
	if e.DB != nil {
		attrs = append(attrs, dbSystem(e.DB.Dialect().Name()))
	}
	name := "db.query"
	if op != "" {
		attrs = append(attrs, semconv.DBOperationName(op))
		name = op
	}
	if table != "" {
		attrs = append(attrs, semconv.DBCollectionName(table))
		name += " " + table
	}
	// The span is not made the ctx's current span: Bun runs a
	// transaction's queries with the ctx its BEGIN returned, and they
	// belong to the caller's span, not to BEGIN's.
	_, span := h.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, querySpanKey{}, span)
}

func (h *queryHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	span, ok := ctx.Value(querySpanKey{}).(trace.Span)
	if !ok {
		return
	}
	if err := e.Err; err != nil && !errors.Is(err, sql.ErrNoRows) {
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
		span.SetStatus(codes.Error, "query failed")
	}
	span.End()
}

func dbSystem(name dialect.Name) attribute.KeyValue {
	switch name {
	case dialect.PG:
		return semconv.DBSystemNamePostgreSQL
	case dialect.MySQL:
		return semconv.DBSystemNameMySQL
	case dialect.SQLite:
		return semconv.DBSystemNameSQLite
	}
	return semconv.DBSystemNameKey.String("other_sql")
}

// errorType names an error by kind, never by its message.
func errorType(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return fmt.Sprintf("%T", err)
}

// queryOperation is the statement's operation: Bun's own for a query it
// built (a raw query always calls itself SELECT), else the statement's
// first keyword.
func queryOperation(e *bun.QueryEvent) string {
	if e.IQuery != nil {
		if _, raw := e.IQuery.(*bun.RawQuery); !raw {
			return e.IQuery.Operation()
		}
	}
	s := sqlScanner{s: e.QueryTemplate}
	if w := s.statement(); isWord(w) {
		return strings.ToUpper(w)
	}
	return ""
}

// queryTable is the statement's table: Bun's own for a query it built,
// when it is a plain name, else the name after the first FROM, INTO or
// UPDATE keyword outside literals and comments. A name that is not a
// plain identifier is left out rather than risk recording a value.
func queryTable(e *bun.QueryEvent) string {
	if e.IQuery != nil {
		if _, raw := e.IQuery.(*bun.RawQuery); !raw {
			if t := unquote(e.IQuery.GetTableName()); isIdent(t) {
				return t
			}
		}
	}
	s := sqlScanner{s: e.QueryTemplate}
	for w := s.statement(); w != ""; w = s.next() {
		switch strings.ToUpper(w) {
		case "FROM", "INTO", "UPDATE":
			if t := unquote(s.next()); isIdent(t) {
				return t
			}
			return ""
		}
	}
	return ""
}

// sqlScanner splits SQL into tokens, skipping whitespace and comments; a
// string literal ('…', quotes doubled inside, as Bun writes every
// argument) is one token, so no word inside it is ever taken for a
// keyword.
type sqlScanner struct {
	s string
	i int
}

func (sc *sqlScanner) next() string {
	s := sc.s
	for sc.i < len(s) {
		switch c := s[sc.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			sc.i++
		case strings.HasPrefix(s[sc.i:], "--"):
			if end := strings.IndexByte(s[sc.i:], '\n'); end >= 0 {
				sc.i += end + 1
			} else {
				sc.i = len(s)
			}
		case strings.HasPrefix(s[sc.i:], "/*"):
			if end := strings.Index(s[sc.i+2:], "*/"); end >= 0 {
				sc.i += end + 4
			} else {
				sc.i = len(s)
			}
		default:
			return sc.token()
		}
	}
	return ""
}

// statement returns the first keyword of the statement proper: the first
// token, or, for a WITH statement, the verb of its first part that writes
// (WITH p AS (INSERT INTO t …) … is an INSERT into t, whatever follows),
// else its main SELECT; the table is looked for after it.
func (sc *sqlScanner) statement() string {
	w := sc.next()
	if !strings.EqualFold(w, "WITH") {
		return w
	}
	depth, mainSelect := 0, sqlScanner{}
	for w = sc.next(); w != ""; w = sc.next() {
		switch strings.ToUpper(w) {
		case "(":
			depth++
		case ")":
			depth--
		case "INSERT", "UPDATE", "DELETE":
			return w
		case "SELECT":
			if depth == 0 && mainSelect.s == "" {
				mainSelect = *sc
			}
		}
	}
	if mainSelect.s != "" {
		*sc = mainSelect
		return "SELECT"
	}
	return "WITH"
}

// token reads one token at sc.i: a string literal, a name (words, dots
// and quoted parts: schema."table"), or one other character.
func (sc *sqlScanner) token() string {
	s, start := sc.s, sc.i
	switch c := s[start]; {
	case c == '\'':
		sc.skipQuoted(c)
	case c == '"' || c == '`' || isWordByte(c):
		for sc.i < len(s) {
			switch c := s[sc.i]; {
			case c == '"' || c == '`':
				sc.skipQuoted(c)
			case isWordByte(c) || c == '.':
				sc.i++
			default:
				return s[start:sc.i]
			}
		}
	default:
		sc.i++
	}
	return s[start:sc.i]
}

// skipQuoted moves past the quoted text starting at sc.i; a doubled quote
// inside is part of it.
func (sc *sqlScanner) skipQuoted(q byte) {
	s := sc.s
	for sc.i++; sc.i < len(s); sc.i++ {
		if s[sc.i] != q {
			continue
		}
		if sc.i+1 < len(s) && s[sc.i+1] == q {
			sc.i++
			continue
		}
		sc.i++
		return
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isWord: letters only, as a keyword is.
func isWord(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// isIdent: a plain, possibly schema-qualified, table name that starts with
// a letter or an underscore.
func isIdent(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for part := range strings.SplitSeq(t, ".") {
		if part == "" || part[0] >= '0' && part[0] <= '9' {
			return false
		}
		for i := 0; i < len(part); i++ {
			if !isWordByte(part[i]) {
				return false
			}
		}
	}
	return true
}

// unquote removes identifier quotes: "nusapay_outbox" and `a`.`b`.
func unquote(t string) string {
	return strings.NewReplacer(`"`, "", "`", "").Replace(t)
}
