package redisstore

// The tests run against a real redis-server that they start themselves on a free loopback
// port, with no persistence, in a temporary directory: nothing depends on a system service.
// Without a redis-server binary they skip, except under CI=true, where they fail.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// errNoBinary means that no redis-server can be found on this machine.
var errNoBinary = errors.New("no redis-server binary (install the redis-server package, or set REDIS_SERVER to its path)")

// shared is the redis-server most tests use; sharedErr says why there is none. Set once by
// TestMain before any test runs.
var (
	shared    *redisServer
	sharedErr error
)

func TestMain(m *testing.M) {
	bin, err := findRedisServer()
	if err == nil {
		shared, err = startRedisServer(bin)
	}
	sharedErr = err
	code := m.Run()
	if shared != nil {
		shared.kill()
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// needRedis returns the shared redis-server, or skips the test when the machine has none
// (failing it instead in CI, where a missing binary is a broken setup).
func needRedis(t testing.TB) *redisServer {
	t.Helper()
	switch {
	case sharedErr == nil:
		return shared
	case errors.Is(sharedErr, errNoBinary) && os.Getenv("CI") != "true":
		t.Skipf("skipping: %v", sharedErr)
	default:
		t.Fatalf("redis-server: %v", sharedErr)
	}
	return nil
}

// ownRedis starts a redis-server for t alone, for tests that kill and restart it or that
// need extra arguments.
func ownRedis(t *testing.T, extra ...string) *redisServer {
	t.Helper()
	s := needRedis(t)
	own, err := startRedisServer(s.bin, extra...)
	if err != nil {
		t.Fatalf("starting a second redis-server: %v", err)
	}
	t.Cleanup(func() {
		own.kill()
		os.RemoveAll(own.dir)
	})
	return own
}

func findRedisServer() (string, error) {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return exec.LookPath(p)
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errNoBinary
}

// redisServer is one redis-server process on a loopback port, which can be killed and
// started again on the same port.
type redisServer struct {
	bin   string
	dir   string
	port  int
	extra []string // more redis-server arguments

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

func startRedisServer(bin string, extra ...string) (*redisServer, error) {
	dir, err := os.MkdirTemp("", "redisstore-test-")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 5 { // a free port can be taken by someone else before redis-server binds it
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &redisServer{bin: bin, dir: dir, port: port, extra: extra}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr is the host:port to dial.
func (s *redisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start runs redis-server on s.port and waits until it answers PING.
func (s *redisServer) start() error {
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--loglevel", "warning", "--logfile", ""}, s.extra...)
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = dieWithParent()
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done

	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, out.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redis-server on port %d does not answer: %v; output: %s", s.port, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill stops redis-server at once (SIGKILL, as a crash would) and waits for it to exit.
func (s *redisServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// limitedBuffer keeps the first 4 KiB of redis-server's output for error messages.
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p[:min(len(p), 4096-len(b.buf))]...)
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// newClient returns a go-redis client of s that is closed when t ends. Every replica of an
// account in these tests gets a client of its own, as separate processes would.
func newClient(t testing.TB, s *redisServer) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: time.Second, MaxRetries: 1})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// testPrefix gives each test (and each call within one) keys of its own in the shared server.
var prefixSeq atomic.Int64

func testPrefix(t testing.TB) string {
	return fmt.Sprintf("test:%s:%d:", t.Name(), prefixSeq.Add(1))
}
