// Package pgtest runs throwaway PostgreSQL clusters for Verso's tests and
// CI: initdb in a temporary folder, the server on a Unix socket in that
// folder (no TCP port, no container), stopped and removed at the end.
//
// Tests that need PostgreSQL call Admin or NewDatabase. They are skipped
// when $VERSO_TEST_POSTGRES is unset, unless $VERSO_REQUIRE_POSTGRES=1
// (CI sets it): then a missing server fails the test instead of skipping
// it silently.
package pgtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable holding the URL of a server where tests may
// create and drop databases (a superuser on a throwaway cluster).
const Env = "VERSO_TEST_POSTGRES"

// RequireEnv, set to 1, makes tests that need PostgreSQL fail when Env is
// unset instead of skipping.
const RequireEnv = "VERSO_REQUIRE_POSTGRES"

// BackendEnv selects the backend the store's test suite runs on: "sqlite"
// (or unset) or "postgres".
const BackendEnv = "VERSO_TEST_BACKEND"

// Port is the port number in the socket's name (.s.PGSQL.5432). The server
// listens on no TCP port, so clusters never collide.
const Port = 5432

// Cluster is a PostgreSQL server of its own, in Dir.
type Cluster struct {
	Dir string // the folder: data/ and the socket
	bin string // folder of initdb, pg_ctl and postgres
	uid int    // the user the server runs as (-1: this user)
	gid int

	// With TLS (StartTLS): the server also listens on 127.0.0.1:TCPPort
	// with ssl=on and a certificate for 127.0.0.1 and localhost signed by
	// a throwaway CA, whose certificate is CAFile.
	TCPPort int
	CAFile  string
}

// Bin finds the folder of PostgreSQL's server programs: $PG_BIN, the newest
// /usr/lib/postgresql/*/bin (Debian), or initdb's folder on $PATH.
func Bin() (string, error) {
	if b := os.Getenv("PG_BIN"); b != "" {
		return b, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) < pgMajor(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql, or set PG_BIN")
}

func pgMajor(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Start creates a cluster in a new temporary folder and starts it.
// PostgreSQL refuses to run as root, so as root the server runs as the
// "postgres" user (Debian's package creates it).
func Start() (*Cluster, error) { return start(false) }

// StartTLS is Start with TLS: a self-signed CA and a server certificate
// are made with Go's crypto in the cluster's folder, and the server
// listens on a free TCP port of 127.0.0.1 with ssl=on (PostgreSQL speaks
// TLS over TCP only), accepting TLS connections only there.
func StartTLS() (*Cluster, error) { return start(true) }

func start(withTLS bool) (*Cluster, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "verso-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, uid: -1, gid: -1}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root: PostgreSQL needs a user of its own (\"postgres\"): %w", err)
		}
		c.uid, _ = strconv.Atoi(u.Uid)
		c.gid, _ = strconv.Atoi(u.Gid)
		if err := os.Chown(dir, c.uid, c.gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Tests log in as verso_pw with a password (connection hygiene); every
	// other user is trusted on the private socket.
	hba := "local all verso_pw scram-sha-256\nlocal all all trust\n"
	if withTLS {
		if err := c.makeCerts(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		hba += "hostssl all all 127.0.0.1/32 trust\n"
	}
	if err := os.WriteFile(filepath.Join(c.data(), "pg_hba.conf"), []byte(hba), 0o600); err == nil && c.uid >= 0 {
		os.Chown(filepath.Join(c.data(), "pg_hba.conf"), c.uid, c.gid)
	}
	if err := c.StartServer(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// Attach returns the cluster Start made in dir (to stop it from another
// process).
func Attach(dir string) *Cluster {
	c := &Cluster{Dir: dir, uid: -1, gid: -1}
	c.bin, _ = Bin()
	if fi, err := os.Stat(dir); err == nil && os.Geteuid() == 0 {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
			c.uid, c.gid = int(st.Uid), int(st.Gid)
		}
	}
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// run runs one of the server programs as the cluster's user.
func (c *Cluster) run(prog string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, prog), args...)
	if c.uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(c.uid), Gid: uint32(c.gid)}}
	}
	cmd.Dir = c.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// StartServer starts (or restarts, after Kill) the server and waits until
// it accepts connections. A restart after a kill runs crash recovery.
func (c *Cluster) StartServer() error {
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -c port=%d -c fsync=off -c max_connections=200 -c shared_buffers=32MB",
		c.Dir, Port)
	if c.TCPPort != 0 {
		opts = fmt.Sprintf("-c listen_addresses='127.0.0.1' -c unix_socket_directories='%s' -c port=%d -c fsync=off -c max_connections=50 -c shared_buffers=16MB"+
			" -c ssl=on -c ssl_cert_file='%s' -c ssl_key_file='%s'",
			c.Dir, c.TCPPort, filepath.Join(c.Dir, "server.crt"), filepath.Join(c.Dir, "server.key"))
	}
	err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.Dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
		lines := strings.Split(strings.TrimSpace(string(log)), "\n")
		err = fmt.Errorf("%w; server log: %s", err, strings.Join(lines[max(len(lines)-4, 0):], " | "))
	}
	return err
}

// PID is the server's process id (0 if it is not running).
func (c *Cluster) PID() int {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// Kill kills the server with SIGKILL, as a crash or a power cut of the
// server's host would stop it (the OS keeps what was written), and waits
// until its processes are gone.
func (c *Cluster) Kill() error {
	pid := c.PID()
	if pid == 0 {
		return errors.New("the server is not running")
	}
	// Every process of the server dies at once, the backends with the
	// postmaster (left alone, a backend would hold the shared memory and
	// the restart would refuse to start).
	kids := children(pid)
	syscall.Kill(pid, syscall.SIGKILL)
	for _, k := range kids {
		syscall.Kill(k, syscall.SIGKILL)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		alive := running(pid)
		for _, k := range kids {
			alive = alive || running(k)
		}
		if !alive {
			// The lock file names the dead postmaster; where nobody reaps
			// it (PID 1 of a container) its zombie would make the restart
			// think it still runs. After a real crash the pid is gone.
			// The socket's lock file names it too.
			for _, f := range []string{filepath.Join(c.data(), "postmaster.pid"), filepath.Join(c.Dir, fmt.Sprintf(".s.PGSQL.%d.lock", Port))} {
				if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
					return err
				}
			}
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("server %d did not die", pid)
}

// running reports whether pid is a live process (a zombie is not: in a
// container nobody may reap it).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// children lists the processes whose parent is pid (from /proc).
func children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after
		// the last ')'.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			if k, err := strconv.Atoi(filepath.Base(filepath.Dir(st))); err == nil {
				out = append(out, k)
			}
		}
	}
	return out
}

// Stop stops the server (fast shutdown) and removes the folder.
func (c *Cluster) Stop() error {
	var err error
	if c.PID() != 0 {
		err = c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "-t", "60", "stop")
	}
	if rerr := os.RemoveAll(c.Dir); err == nil {
		err = rerr
	}
	return err
}

// URL is the address of database db on the cluster, as user (on its
// Unix socket).
func (c *Cluster) URL(userName, db string) string {
	if c.TCPPort != 0 {
		q := url.Values{}
		q.Set("host", c.Dir)
		q.Set("port", strconv.Itoa(c.TCPPort))
		q.Set("sslmode", "disable")
		return (&url.URL{Scheme: "postgres", User: url.User(userName), Path: "/" + db, RawQuery: q.Encode()}).String()
	}
	return SocketURL(c.Dir, userName, db)
}

// TLSURL is the address of database db on a TLS cluster over TCP, with
// sslmode and any other libpq parameters in params.
func (c *Cluster) TLSURL(userName, db string, params url.Values) string {
	return (&url.URL{Scheme: "postgres", User: url.User(userName), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.TCPPort)),
		Path: "/" + db, RawQuery: params.Encode()}).String()
}

// makeCerts writes a throwaway CA (ca.crt) and a server certificate for
// 127.0.0.1 and localhost signed by it (server.crt, server.key readable
// by the server's user only), and picks a free TCP port.
func (c *Cluster) makeCerts() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.TCPPort = l.Addr().(*net.TCPAddr).Port
	l.Close()
	caCert, caKey, err := NewCA("verso test CA")
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	c.CAFile = filepath.Join(c.Dir, "ca.crt")
	for _, f := range []struct {
		name string
		typ  string
		der  []byte
		mode os.FileMode
	}{{"ca.crt", "CERTIFICATE", caCert.Raw, 0o644}, {"server.crt", "CERTIFICATE", der, 0o644}, {"server.key", "EC PRIVATE KEY", keyDER, 0o600}} {
		path := filepath.Join(c.Dir, f.name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), f.mode); err != nil {
			return err
		}
		if c.uid >= 0 {
			if err := os.Chown(path, c.uid, c.gid); err != nil {
				return err
			}
		}
	}
	return nil
}

// NewCA makes a self-signed CA certificate and its key; WriteCA writes
// one as PEM (tests use another CA to see verification fail).
func NewCA(name string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// WriteCA writes cert as a PEM file at path.
func WriteCA(path string, cert *x509.Certificate) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644)
}

// SocketURL is a postgres:// URL for a server on the Unix socket in dir.
func SocketURL(dir, userName, db string) string {
	q := url.Values{}
	q.Set("host", dir)
	q.Set("port", strconv.Itoa(Port))
	q.Set("sslmode", "disable")
	return (&url.URL{Scheme: "postgres", User: url.User(userName), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// Admin returns the URL of the test server (a superuser connection to its
// maintenance database), skipping the test when there is none.
func Admin(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv(RequireEnv) == "1" || os.Getenv(BackendEnv) == "postgres" {
			t.Fatalf("this test needs PostgreSQL: $%s is unset but $%s=1 (run .ci/run, or eval \"$(go run ./internal/pgtest/pgcluster start)\")", Env, RequireEnv)
		}
		t.Skipf("no PostgreSQL: set $%s (eval \"$(go run ./internal/pgtest/pgcluster start)\") to run this test", Env)
	}
	return u
}

// NewDatabase creates an empty database on the test server for this test
// and returns its URL; the database is dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := Admin(t)
	u, drop, err := CreateDatabase(admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return u
}

// Location is where a test's registry lives on the backend under test
// ($VERSO_TEST_BACKEND): a new file named file in the test's folder, or a
// new PostgreSQL database.
func Location(t testing.TB, file string) string {
	t.Helper()
	if os.Getenv(BackendEnv) == "postgres" {
		return NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), file)
}

// CreateDatabase creates a database with a random name on the server at
// admin and returns its URL and a function that drops it.
func CreateDatabase(admin string) (string, func() error, error) {
	var b [6]byte
	rand.Read(b[:])
	name := "verso_test_" + hex.EncodeToString(b[:])
	if err := exec1(admin, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() error { return exec1(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") }
	return u.String(), drop, nil
}

// Exec runs one statement on the database at u (test set-up).
func Exec(t testing.TB, u, stmt string, args ...any) {
	t.Helper()
	if err := exec1(u, stmt, args...); err != nil {
		t.Fatal(err)
	}
}

func exec1(u, stmt string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt, args...)
	return err
}
