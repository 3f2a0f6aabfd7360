package eventstore

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedBroker is the in-process Kafka-protocol broker used when no cluster
// is configured. It persists its log under the data directory.
type EmbeddedBroker struct {
	cluster *kfake.Cluster
	lock    *os.File
	addr    string
}

// StartEmbeddedBroker starts one broker listening on listen (host:port), with
// its log in dir. The directory is locked: two processes on one directory
// would corrupt it. With a SASL mechanism in sec, the broker requires that
// user (a superuser) on every connection.
// ErrBrokerDirInUse reports an embedded broker directory another process
// (a running astra serve) holds.
var ErrBrokerDirInUse = errors.New("broker: the data directory is in use by another process")

func StartEmbeddedBroker(dir, listen string, partitions int, sec ...KafkaSecurity) (*EmbeddedBroker, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("broker: data dir: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("broker: lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("%w: %s", ErrBrokerDirInUse, dir)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DataDir(filepath.Join(dir, "log")),
		kfake.DefaultNumPartitions(partitions),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, listen) }),
		kfake.BrokerConfigs(map[string]string{
			"log.retention.ms":          "-1",
			"offsets.retention.minutes": "5256000", // ten years: idle groups keep their offsets
		}),
	}
	for _, s := range sec {
		if s.SASLMechanism != "" {
			opts = append(opts, kfake.EnableSASL(), kfake.Superuser(strings.ToUpper(s.SASLMechanism), s.SASLUser, s.SASLPassword))
		}
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("broker: start on %s: %w", listen, err)
	}
	addrs := cluster.ListenAddrs()
	return &EmbeddedBroker{cluster: cluster, lock: lock, addr: addrs[0]}, nil
}

// Addr is the host:port clients connect to.
func (b *EmbeddedBroker) Addr() string { return b.addr }

// Close flushes and stops the broker and releases the directory.
func (b *EmbeddedBroker) Close() {
	b.cluster.Close()
	b.lock.Close()
}
