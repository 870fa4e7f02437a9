package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// Tests of what only the PostgreSQL backend has. The rest of the store's
// suite runs on PostgreSQL too (VERSO_TEST_BACKEND=postgres).

func TestRebindPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT a FROM t WHERE x = ? AND y IN (?,?)`:   `SELECT a FROM t WHERE x = $1 AND y IN ($2,$3)`,
		`SELECT '?', "a?b", ? -- what?` + "\n" + `, ?`: `SELECT '?', "a?b", $1 -- what?` + "\n" + `, $2`,
		`SELECT 'it''s ?' /* ? */ , ?`:                 `SELECT 'it''s ?' /* ? */ , $1`,
		`DO $$ BEGIN PERFORM '?'; END $$; SELECT ?`:    `DO $$ BEGIN PERFORM '?'; END $$; SELECT $1`,
		`SELECT $tag$ ? $tag$, ?, $1x`:                 `SELECT $tag$ ? $tag$, $1, $1x`,
		`no placeholders`:                              `no placeholders`,
		`SELECT 'unterminated ?`:                       `SELECT 'unterminated ?`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactURLDropsThePassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://ann:s3cret@db.example.com:5432/verso?sslmode=require": "postgres://ann@db.example.com:5432/verso?sslmode=require",
		"postgresql://db/verso?password=s3cret&sslmode=verify-full":       "postgresql://db/verso?sslmode=verify-full",
		"/tmp/verso.db": "/tmp/verso.db",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPostgresRefusesForeignDatabaseUntouched(t *testing.T) {
	u := pgtest.NewDatabase(t)
	pgtest.Exec(t, u, `CREATE TABLE customers (id INTEGER)`)
	_, err := Open(u)
	if !errors.Is(err, ErrNotVerso) || !strings.Contains(err.Error(), "another application") {
		t.Fatalf("Open = %v, want ErrNotVerso", err)
	}
	raw := rawDB(t, u)
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the database was changed: %d tables (%v)", n, err)
	}
	// A database some other program marked as its own is refused too.
	u2 := pgtest.NewDatabase(t)
	pgtest.Exec(t, u2, `CREATE TABLE verso_schema (id INTEGER PRIMARY KEY, application TEXT NOT NULL, version INTEGER NOT NULL)`)
	pgtest.Exec(t, u2, `INSERT INTO verso_schema VALUES (1, 'versonator', 3)`)
	if _, err := Open(u2); !errors.Is(err, ErrNotVerso) {
		t.Fatalf("Open = %v, want ErrNotVerso", err)
	}
}

func TestPostgresRefusesNewerSchemaUnchanged(t *testing.T) {
	u := pgtest.NewDatabase(t)
	st, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, st, "p", "a")
	st.Close()
	pgtest.Exec(t, u, `UPDATE verso_schema SET version = 99`)
	if _, err := Open(u); !errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), "99") {
		t.Fatalf("Open = %v, want ErrTooNew", err)
	}
	var v int
	if err := rawDB(t, u).QueryRow(`SELECT version FROM verso_schema`).Scan(&v); err != nil || v != 99 {
		t.Fatalf("schema version now %d (%v)", v, err)
	}
}

func TestPostgresReadOnly(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	if _, err := OpenWith(u, Options{ReadOnly: true}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read-only open of an empty database: %v", err)
	}
	st, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, st, "p", "a")
	st.Close()
	ro, err := OpenWith(u, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if v, err := ro.Lookup(ctx, "p"); err != nil || v.Template != "a" {
		t.Fatalf("read: %+v %v", v, err)
	}
	if _, err := ro.Commit(ctx, CommitInput{Name: "p", Template: "b"}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write on a read-only store: %v", err)
	}
	// The session itself is read-only: raw SQL through it is refused by
	// the server.
	if _, err := ro.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('x', 'y')`); err == nil {
		t.Fatal("a read-only session wrote")
	}
}

func TestPostgresImmutableEvenToTruncate(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	st, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	commit(t, st, "p", "a")
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1}); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, u)
	for _, q := range []string{`TRUNCATE versions CASCADE`, `TRUNCATE label_events`, `UPDATE versions SET number = 2`} {
		if _, err := raw.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: succeeded", q)
		}
	}
	// Through the store, the same refusal is ErrImmutable.
	if _, err := st.db.ExecContext(ctx, `DELETE FROM label_events`); err == nil {
		t.Fatal("label history deleted")
	} else if err := st.wrap("delete", err); !errors.Is(err, ErrImmutable) {
		t.Fatalf("wrap = %v, want ErrImmutable", err)
	}
}

// pgPasswordUser makes the test cluster's password-only user (pgtest's
// pg_hba.conf asks verso_pw for a password) with this password.
func pgPasswordUser(t *testing.T, password string) {
	t.Helper()
	admin := pgtest.Admin(t)
	pgtest.Exec(t, admin, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'verso_pw') THEN CREATE ROLE verso_pw LOGIN; END IF; END $$`)
	pgtest.Exec(t, admin, fmt.Sprintf(`ALTER ROLE verso_pw PASSWORD '%s'`, password))
}

func TestPostgresConnectionErrors(t *testing.T) {
	u := pgtest.NewDatabase(t)
	pu, _ := url.Parse(u)
	db := strings.TrimPrefix(pu.Path, "/")
	pgPasswordUser(t, "right-horse-battery")
	pgtest.Exec(t, u, `GRANT ALL ON SCHEMA public TO verso_pw`)
	host := pu.Query().Get("host")

	withPassword := func(pw string) string {
		v := *pu
		v.User = url.UserPassword("verso_pw", pw)
		return v.String()
	}
	// The right password opens (and creates) the registry; Path never
	// shows it.
	st, err := Open(withPassword("right-horse-battery"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(st.Path(), "right-horse") {
		t.Fatalf("Path shows the password: %s", st.Path())
	}
	st.Close()

	for _, c := range []struct {
		name, loc, want string
	}{
		{"wrong password", withPassword("wrong-secret-123"), "refused the password of user \"verso_pw\""},
		{"no server", pgtest.SocketURL(t.TempDir(), "postgres", db), "cannot reach a PostgreSQL server"},
		{"no database", pgtest.SocketURL(host, "postgres", "verso_missing_db"), "has no database \"verso_missing_db\""},
		{"bad address", "postgres://ann:wrong-secret-123@host:notaport/db", "does not parse"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(c.loc)
			if err == nil {
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "wrong-secret") {
				t.Errorf("error shows the password: %v", err)
			}
			if !errors.Is(err, ErrConnect) && !errors.Is(err, ErrInvalid) {
				t.Errorf("error is neither ErrConnect nor ErrInvalid: %v", err)
			}
		})
	}

	// libpq's variables fill what the address leaves out.
	t.Setenv("PGHOST", host)
	t.Setenv("PGPORT", strconv.Itoa(pgtest.Port))
	t.Setenv("PGUSER", "verso_pw")
	t.Setenv("PGPASSWORD", "right-horse-battery")
	t.Setenv("PGSSLMODE", "disable")
	st, err = Open("postgres:///" + db)
	if err != nil {
		t.Fatalf("with PGHOST, PGUSER, PGPASSWORD, PGSSLMODE: %v", err)
	}
	if _, err := st.Lookup(context.Background(), "nothing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("lookup: %v", err)
	}
	st.Close()
	t.Setenv("PGPASSWORD", "wrong-secret-123")
	if _, err := Open("postgres:///" + db); !errors.Is(err, ErrConnect) || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("a wrong $PGPASSWORD: %v", err)
	}
}

// TestPostgresSerialisesWritersAcrossConnections: commits from many
// connections of one process (each Store its own pool, as separate
// machines) number versions without gaps or duplicates, and a label moved
// with ExpectFrom by two writers at once is moved by exactly one.
func TestPostgresSerialisesWritersAcrossConnections(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	stores := make([]*Store, 6)
	for i := range stores {
		st, err := Open(u)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		stores[i] = st
	}
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 30; j++ {
				if _, err := st.Commit(ctx, CommitInput{Name: "p", Template: fmt.Sprintf("%d-%d", i, j)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	hist, err := stores[0].History(ctx, "p")
	if err != nil || len(hist) != 180 {
		t.Fatalf("%d versions (%v), want 180", len(hist), err)
	}
	for i, v := range hist {
		if v.Number != 180-i {
			t.Fatalf("version %d at position %d", v.Number, i)
		}
	}
	if _, err := stores[0].SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1}); err != nil {
		t.Fatal(err)
	}
	var moved, refused int
	var mu sync.Mutex
	for i, st := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 2 + i, ExpectFrom: ptr(1)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				moved++
			case errors.Is(err, ErrLabelMoved):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if moved != 1 || refused != len(stores)-1 {
		t.Fatalf("%d moves and %d refusals, want 1 and %d", moved, refused, len(stores)-1)
	}
}

// TestPostgresServerKilledMidTransaction kills the server (every process
// of it, as a crash would) while writers in other processes commit, some
// of them in large transactions, then restarts it: every commit a writer
// saw acknowledged is there, nothing half-written is visible, and the
// numbering goes on without a gap.
func TestPostgresServerKilledMidTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	if _, err := pgtest.Bin(); err != nil {
		if os.Getenv(pgtest.RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	c, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	u := c.URL("postgres", "postgres")
	st, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, st, "p", "before the crash")
	st.Close()

	// Writers in separate processes commit until the server dies, printing
	// each version the store acknowledged. Every fifth commit is a batch
	// of 50 versions of a prompt of its own, in one transaction.
	const procs = 3
	type ack struct{ name, hash string }
	var acks []ack
	var mu sync.Mutex
	var wg sync.WaitGroup
	started := make(chan struct{}, procs)
	for p := 0; p < procs; p++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "VERSO_STORE_CHILD=ack", "VERSO_STORE_DB="+u, "VERSO_STORE_ID=w"+strconv.Itoa(p))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(out)
			first := true
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 2 {
					mu.Lock()
					acks = append(acks, ack{f[0], f[1]})
					mu.Unlock()
					if first {
						started <- struct{}{}
						first = false
					}
				}
			}
			cmd.Wait() // the writer fails when the server goes: expected
		}()
	}
	for p := 0; p < procs; p++ {
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("the writers did not start")
		}
	}
	time.Sleep(300 * time.Millisecond)
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := c.StartServer(); err != nil {
		t.Fatal(err)
	}

	st, err = Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if len(acks) == 0 {
		t.Fatal("no commit was acknowledged before the kill")
	}
	for _, a := range acks {
		hist, err := st.History(ctx, a.name)
		if err != nil {
			t.Fatalf("acknowledged commit of %s lost: %v", a.name, err)
		}
		found := false
		for _, h := range hist {
			found = found || h.Hash == a.hash
		}
		if !found {
			t.Fatalf("acknowledged version %s of %s lost", a.hash[:12], a.name)
		}
	}
	prompts, err := st.ListPrompts(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prompts {
		hist, err := st.History(ctx, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range hist {
			if v.Number != len(hist)-i {
				t.Fatalf("%s: a gap at v%d after recovery", p.Name, v.Number)
			}
		}
		if p.Latest != len(hist) {
			t.Fatalf("%s: latest %d but %d versions", p.Name, p.Latest, len(hist))
		}
		// A batch is all or nothing.
		if strings.HasPrefix(p.Name, "batch/") && len(hist) != 50 {
			t.Fatalf("%s: %d of a batch's 50 versions are visible", p.Name, len(hist))
		}
	}
	t.Logf("%d acknowledged commits, all kept; %d prompts after recovery", len(acks), len(prompts))
	// The registry takes writes again, numbering on.
	v, err := st.Commit(ctx, CommitInput{Name: "p", Template: "after the crash"})
	if err != nil || v.Number != 2 {
		t.Fatalf("commit after recovery: v%d %v", v.Number, err)
	}
}

// childAck commits until it fails, printing "name hash" for each version
// the store acknowledged.
func childAck() int {
	ctx := context.Background()
	st, err := Open(os.Getenv("VERSO_STORE_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	id := os.Getenv("VERSO_STORE_ID")
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		if i%5 == 4 {
			var ins []CommitInput
			name := fmt.Sprintf("batch/%s-%d", id, i)
			for j := 0; j < 50; j++ {
				ins = append(ins, CommitInput{Name: name, Template: fmt.Sprintf("batch %d line %d {{x}}", i, j)})
			}
			vs, err := st.CommitMany(ctx, ins)
			if err != nil {
				return 2
			}
			for _, v := range vs {
				fmt.Fprintln(w, v.Prompt, v.Hash)
			}
		} else {
			v, err := st.Commit(ctx, CommitInput{Name: "shared/" + id, Template: fmt.Sprintf("edit %d {{x}}", i)})
			if err != nil {
				return 2
			}
			fmt.Fprintln(w, v.Prompt, v.Hash)
		}
		w.Flush()
	}
}
