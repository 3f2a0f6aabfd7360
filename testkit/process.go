package testkit

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/astrabastion/astra/app"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/astra once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "astra-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "astra")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/astrabastion/astra/cmd/astra")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = err
			binPath = out.String()
		}
	})
	if buildErr != nil {
		t.Fatalf("build astra: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// Env renders a configuration as the environment of `astra serve`.
func Env(cfg app.Config) []string {
	env := []string{
		"ASTRA_HTTP_ADDR=" + cfg.HTTPAddr, "ASTRA_DATA_DIR=" + cfg.DataDir, "ASTRA_DATABASE_URL=" + cfg.DatabaseURL,
		"ASTRA_KAFKA_LISTEN=" + cfg.KafkaListen, "ASTRA_DATABASE_MAX_CONNS=" + itoa(cfg.DatabaseMaxConns), "ASTRA_KAFKA_PARTITIONS=" + itoa(cfg.KafkaPartitions),
		"ASTRA_BOOTSTRAP_TENANT=" + cfg.BootstrapTenant, "ASTRA_BOOTSTRAP_ADMIN_EMAIL=" + cfg.BootstrapEmail,
		"ASTRA_BOOTSTRAP_ADMIN_PASSWORD=" + cfg.BootstrapPass, "ASTRA_LOG_LEVEL=" + cfg.LogLevel,
		"ASTRA_READ_YOUR_WRITES_TIMEOUT=" + cfg.ReadYourWrites.String(), "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
	}
	if len(cfg.KafkaBrokers) > 0 {
		b := cfg.KafkaBrokers[0]
		for _, x := range cfg.KafkaBrokers[1:] {
			b += "," + x
		}
		env = append(env, "ASTRA_KAFKA_BROKERS="+b)
	}
	if len(cfg.AllowPrivateURLs) > 0 {
		env = append(env, "ASTRA_ALLOW_PRIVATE_URLS="+strings.Join(cfg.AllowPrivateURLs, ","))
	}
	// Rate limiting: zero values leave the product's defaults.
	for name, value := range map[string]string{
		"ASTRA_REDIS_URL": cfg.RedisURL, "ASTRA_REDIS_PREFIX": cfg.RedisPrefix,
		"ASTRA_RATE_LIMIT_PER_MINUTE": nonZero(cfg.RateLimitPerMinute), "ASTRA_RATE_LIMIT_ANON_PER_MINUTE": nonZero(cfg.RateLimitAnon),
		"ASTRA_RATE_LIMIT_WINDOW": nonZeroDuration(cfg.RateLimitWindow), "ASTRA_RATE_LIMIT_SETTINGS_TTL": nonZeroDuration(cfg.RateLimitSettingTTL),
		"ASTRA_MASTER_KEY": cfg.MasterKey, "ASTRA_MASTER_KEY_FILE": cfg.MasterKeyFile, "ASTRA_MASTER_KEY_COMMAND": cfg.MasterKeyCommand,
	} {
		if value != "" {
			env = append(env, name+"="+value)
		}
	}
	return env
}

func nonZero(n int) string {
	if n == 0 {
		return ""
	}
	return itoa(n)
}

func nonZeroDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// Process is `astra serve` running as a child process.
type Process struct {
	URL  string
	Cfg  app.Config
	cmd  *exec.Cmd
	Log  *bytes.Buffer
	done chan struct{}
}

// StartProcess runs `astra serve` with cfg (HTTPAddr must be a concrete port)
// and waits until it is ready. The process is killed at cleanup.
func StartProcess(t testing.TB, cfg app.Config) *Process {
	t.Helper()
	cmd := exec.Command(Binary(t), "serve")
	cmd.Env = Env(cfg)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{URL: "http://" + cfg.HTTPAddr, Cfg: cfg, cmd: cmd, Log: &log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.Kill() })
	deadline := time.Now().Add(60 * time.Second)
	for wait := pollFirst; time.Now().Before(deadline); wait = nextPoll(wait) {
		select {
		case <-p.done:
			t.Fatalf("astra serve exited during start:\n%s", log.String())
		default:
		}
		resp, err := http.Get(p.URL + "/api/v1/admin/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(wait)
	}
	t.Fatalf("astra serve not ready within 60s:\n%s", log.String())
	return nil
}

// Kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (p *Process) Kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// Stop sends SIGTERM and waits for a clean shutdown.
func (p *Process) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.Kill()
	}
}

// RunAstra runs the binary with the configuration's environment and returns
// its exit code and combined output (two minutes at most).
func RunAstra(t testing.TB, cfg app.Config, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	cmd.Env = Env(cfg)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("astra %v: %v\n%s", args, err, out)
	return -1, ""
}
