package eventstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// selfSigned writes a certificate and its key as PEM files and returns their paths.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "astra-test"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func resetSecurity(t *testing.T) {
	t.Cleanup(func() { security.Store(nil) })
}

func TestKafkaConfig_AppliesSASLAndTLS(t *testing.T) {
	resetSecurity(t)
	cert, key := selfSigned(t)
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "scram-sha-512"} {
		if err := ConfigureKafka(KafkaSecurity{SASLMechanism: mech, SASLUser: "astra", SASLPassword: "secret",
			TLS: true, TLSCAFile: cert, TLSCertFile: cert, TLSKeyFile: key}); err != nil {
			t.Fatalf("%s: %v", mech, err)
		}
		cfg := KafkaConfig("astra-test")
		if !cfg.Net.SASL.Enable || !cfg.Net.SASL.Handshake || cfg.Net.SASL.User != "astra" || cfg.Net.SASL.Password != "secret" {
			t.Fatalf("%s: SASL not set: %+v", mech, cfg.Net.SASL)
		}
		if mech == "PLAIN" && (cfg.Net.SASL.Mechanism != sarama.SASLTypePlaintext || cfg.Net.SASL.SCRAMClientGeneratorFunc != nil) {
			t.Fatalf("PLAIN: %+v", cfg.Net.SASL)
		}
		if mech != "PLAIN" && cfg.Net.SASL.SCRAMClientGeneratorFunc == nil {
			t.Fatalf("%s without a SCRAM client", mech)
		}
		if !cfg.Net.TLS.Enable || cfg.Net.TLS.Config == nil || cfg.Net.TLS.Config.RootCAs == nil || len(cfg.Net.TLS.Config.Certificates) != 1 ||
			cfg.Net.TLS.Config.InsecureSkipVerify {
			t.Fatalf("%s: TLS not set: %+v", mech, cfg.Net.TLS)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: sarama refuses the configuration: %v", mech, err)
		}
	}
	for name, bad := range map[string]KafkaSecurity{
		"unknown mechanism":    {SASLMechanism: "GSSAPI", SASLUser: "u", SASLPassword: "p"},
		"missing password":     {SASLMechanism: "PLAIN", SASLUser: "u"},
		"user without SASL":    {SASLUser: "u"},
		"TLS file without TLS": {TLSCAFile: cert},
		"cert without key":     {TLS: true, TLSCertFile: cert},
		"missing CA file":      {TLS: true, TLSCAFile: "/nonexistent/ca.pem"},
	} {
		if err := ConfigureKafka(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	security.Store(nil)
	if cfg := KafkaConfig("astra-test"); cfg.Net.SASL.Enable || cfg.Net.TLS.Enable {
		t.Fatal("no security configured, yet SASL or TLS is on")
	}
}

// TestEmbeddedBroker_RequiresSASL starts the embedded broker requiring a
// SCRAM-SHA-512 user: the configured client connects, produces and reads
// metadata; a client with a wrong password is refused.
func TestEmbeddedBroker_RequiresSASL(t *testing.T) {
	resetSecurity(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sec := KafkaSecurity{SASLMechanism: "SCRAM-SHA-512", SASLUser: "astra", SASLPassword: "broker-secret"}
	b, err := StartEmbeddedBroker(t.TempDir(), addr, 1, sec)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	if err := ConfigureKafka(sec); err != nil {
		t.Fatal(err)
	}
	if err := EnsureTopics([]string{b.Addr()}, []string{"astra.sasltest"}, 1, 1); err != nil {
		t.Fatalf("authenticated client: %v", err)
	}
	producer, err := sarama.NewSyncProducer([]string{b.Addr()}, KafkaConfig("astra-sasl-test"))
	if err != nil {
		t.Fatalf("authenticated producer: %v", err)
	}
	if _, _, err := producer.SendMessage(&sarama.ProducerMessage{Topic: "astra.sasltest", Value: sarama.StringEncoder("x")}); err != nil {
		t.Fatalf("authenticated produce: %v", err)
	}
	producer.Close()

	for name, wrong := range map[string]KafkaSecurity{
		"wrong password": {SASLMechanism: "SCRAM-SHA-512", SASLUser: "astra", SASLPassword: "guess"},
		"no SASL":        {},
	} {
		if err := ConfigureKafka(wrong); err != nil {
			t.Fatal(err)
		}
		cfg := KafkaConfig("astra-sasl-intruder")
		cfg.Net.DialTimeout, cfg.Metadata.Retry.Max = 2*time.Second, 0
		cfg.Net.ReadTimeout = 2 * time.Second
		client, err := sarama.NewClient([]string{b.Addr()}, cfg)
		if err == nil {
			_, perr := client.Partitions("astra.sasltest")
			client.Close()
			if perr == nil {
				t.Fatalf("%s: the broker served an unauthenticated client", name)
			}
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:9092": true, "localhost:9092": true, "[::1]:9092": true,
		":9092": false, "0.0.0.0:9092": false, "10.0.0.5:9092": false, "kafka.example.com:9092": false, "nonsense": false} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
