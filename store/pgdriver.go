package store

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"
)

// The store's queries are written once, with SQLite's '?' placeholders and
// Go bools for its 0/1 integer flags. On PostgreSQL, pgConnector wraps
// pgx's database/sql driver so that the same text runs there: '?' becomes
// $1, $2 ... (outside quotes and comments) and a bool argument becomes 0 or
// 1. SQL that really differs between the engines (the schema, locking,
// schema versions) lives per backend in postgres.go and migrations_postgres.

type pgConnector struct{ inner driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn forwards to pgx's connection with rebound queries. pgx's
// connection implements every optional interface used here.
type pgConn struct{ driver.Conn }

func (c *pgConn) Prepare(q string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(q)) }

func (c *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, rebind(q))
}

func (c *pgConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, o)
}

func (c *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, rebind(q), args)
}

func (c *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, rebind(q), args)
}

func (c *pgConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *pgConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *pgConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// CheckNamedValue stores bools as the 0/1 integers of the schema and
// passes everything else to pgx as it is.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if b {
			nv.Value = int64(1)
		}
	}
	return nil
}

// Raw is the pgx connection underneath (LISTEN needs it).
func (c *pgConn) Raw() driver.Conn { return c.Conn }

// rebind rewrites '?' placeholders as $1, $2 ... skipping string literals,
// quoted identifiers, dollar-quoted bodies and comments.
func rebind(q string) string {
	if !strings.ContainsRune(q, '?') {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(q))
			b.WriteString(q[i:end])
			i = end
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(q[i:end])
			i = end
		case c == '$':
			// $tag$ ... $tag$ (a parameter $1 has a digit after '$').
			k := i + 1
			for k < len(q) && (q[k] == '_' || q[k] >= 'a' && q[k] <= 'z' || q[k] >= 'A' && q[k] <= 'Z') {
				k++
			}
			if k < len(q) && q[k] == '$' {
				tag := q[i : k+1]
				j := strings.Index(q[k+1:], tag)
				end := len(q)
				if j >= 0 {
					end = k + 1 + j + len(tag)
				}
				b.WriteString(q[i:end])
				i = end
				continue
			}
			b.WriteByte(c)
			i++
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}
