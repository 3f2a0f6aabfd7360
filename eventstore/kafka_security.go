package eventstore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// KafkaSecurity is how the product authenticates to a real Kafka cluster
// and encrypts its connections (ASTRA_KAFKA_SASL_*, ASTRA_KAFKA_TLS_*).
type KafkaSecurity struct {
	// SASLMechanism is "", PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	SASLMechanism, SASLUser, SASLPassword string
	// TLS encrypts the connections; the CA file replaces the system roots,
	// the certificate and key authenticate the client (mutual TLS).
	TLS                                bool
	TLSCAFile, TLSCertFile, TLSKeyFile string
	TLSInsecureSkipVerify              bool
}

// kafkaSecurity is applied by KafkaConfig to every client of the product.
type kafkaSecurity struct {
	mechanism      sarama.SASLMechanism
	user, password string
	tls            *tls.Config
}

var security atomic.Pointer[kafkaSecurity]

// ConfigureKafka checks sec and makes every later KafkaConfig use it. It is
// called once at start, before any client connects.
func ConfigureKafka(sec KafkaSecurity) error {
	s := &kafkaSecurity{user: sec.SASLUser, password: sec.SASLPassword}
	switch m := strings.ToUpper(sec.SASLMechanism); m {
	case "":
		if sec.SASLUser != "" || sec.SASLPassword != "" {
			return errors.New("kafka: ASTRA_KAFKA_SASL_USER/PASSWORD need ASTRA_KAFKA_SASL_MECHANISM (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
	case sarama.SASLTypePlaintext, sarama.SASLTypeSCRAMSHA256, sarama.SASLTypeSCRAMSHA512:
		if sec.SASLUser == "" || sec.SASLPassword == "" {
			return fmt.Errorf("kafka: SASL %s needs ASTRA_KAFKA_SASL_USER and ASTRA_KAFKA_SASL_PASSWORD", m)
		}
		s.mechanism = sarama.SASLMechanism(m)
	default:
		return fmt.Errorf("kafka: ASTRA_KAFKA_SASL_MECHANISM %q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", sec.SASLMechanism)
	}
	if !sec.TLS && (sec.TLSCAFile != "" || sec.TLSCertFile != "" || sec.TLSKeyFile != "" || sec.TLSInsecureSkipVerify) {
		return errors.New("kafka: ASTRA_KAFKA_TLS_* settings need ASTRA_KAFKA_TLS=true")
	}
	if sec.TLS {
		c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: sec.TLSInsecureSkipVerify} //nolint:gosec // an explicit, documented opt-in
		if sec.TLSCAFile != "" {
			pem, err := os.ReadFile(sec.TLSCAFile)
			if err != nil {
				return fmt.Errorf("kafka: ASTRA_KAFKA_TLS_CA_FILE: %w", err)
			}
			c.RootCAs = x509.NewCertPool()
			if !c.RootCAs.AppendCertsFromPEM(pem) {
				return errors.New("kafka: ASTRA_KAFKA_TLS_CA_FILE holds no PEM certificate")
			}
		}
		if (sec.TLSCertFile == "") != (sec.TLSKeyFile == "") {
			return errors.New("kafka: ASTRA_KAFKA_TLS_CERT_FILE and ASTRA_KAFKA_TLS_KEY_FILE go together")
		}
		if sec.TLSCertFile != "" {
			cert, err := tls.LoadX509KeyPair(sec.TLSCertFile, sec.TLSKeyFile)
			if err != nil {
				return fmt.Errorf("kafka: client certificate: %w", err)
			}
			c.Certificates = []tls.Certificate{cert}
		}
		s.tls = c
	}
	security.Store(s)
	return nil
}

// applySecurity sets SASL and TLS on a client configuration.
func applySecurity(cfg *sarama.Config) {
	s := security.Load()
	if s == nil {
		return
	}
	if s.mechanism != "" {
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Handshake = true
		cfg.Net.SASL.Mechanism = s.mechanism
		cfg.Net.SASL.User, cfg.Net.SASL.Password = s.user, s.password
		switch s.mechanism {
		case sarama.SASLTypeSCRAMSHA256:
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
		case sarama.SASLTypeSCRAMSHA512:
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
		}
	}
	if s.tls != nil {
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = s.tls.Clone()
	}
}

// scramClient is sarama's SCRAM conversation on xdg-go/scram.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (c *scramClient) Begin(user, password, authzID string) error {
	client, err := c.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	c.conv = client.NewConversation()
	return nil
}

func (c *scramClient) Step(challenge string) (string, error) { return c.conv.Step(challenge) }

func (c *scramClient) Done() bool { return c.conv.Done() }

// IsLoopback reports whether a listen address (host:port) accepts
// connections from this machine only. An empty host listens everywhere.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
