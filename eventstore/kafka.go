package eventstore

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/rcrowley/go-metrics"
)

func init() {
	// sarama records client metrics (request rates, sizes, latencies with
	// exponentially decaying samples) into go-metrics registries that nothing
	// here reads; they cost a few percent of CPU on the event path. The
	// product's own metrics are Prometheus collectors.
	metrics.UseNilMetrics = true
}

// CloudEvents Kafka protocol binding, binary content mode: attributes are ce_* headers.
const (
	hdrSpec          = "ce_specversion"
	hdrID            = "ce_id"
	hdrType          = "ce_type"
	hdrSource        = "ce_source"
	hdrSubject       = "ce_subject"
	hdrTime          = "ce_time"
	hdrTenant        = "ce_tenantid"
	hdrActor         = "ce_actor"
	hdrStreamVersion = "ce_streamversion"
	hdrPartitionKey  = "ce_partitionkey"
	hdrCorrelation   = "ce_correlationid"
	hdrCausation     = "ce_causationid"
	hdrSchema        = "ce_schemaversion"
	hdrPosition      = "ce_position"
	hdrContentType   = "content-type"
)

// KafkaConfig is the sarama configuration every client of the product uses,
// with the SASL and TLS settings given to ConfigureKafka.
func KafkaConfig(clientID string) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = clientID
	// kfake answers OffsetFetch in a shape sarama only reads from 2.8 on.
	cfg.Version = sarama.V2_8_0_0
	cfg.Metadata.RefreshFrequency = 30 * time.Second
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Retry.Max = 10
	cfg.Producer.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.Flush.MaxMessages = 10000
	cfg.Producer.MaxMessageBytes = 4 << 20
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	cfg.Net.MaxOpenRequests = 1 // required by the idempotent producer
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.MaxWaitTime = 50 * time.Millisecond
	cfg.Consumer.Fetch.Default = 1 << 20
	applySecurity(cfg) // SASL and TLS for a real cluster (ConfigureKafka)
	return cfg
}

// BatchingConsumer tunes a consumer configuration for throughput over a few
// milliseconds of latency: the broker answers a fetch once minBytes are
// there or maxWait has passed, so that under load every fetch carries many
// records (one wake-up, one decode pass, one batch downstream) instead of
// one fetch round trip per record.
func BatchingConsumer(cfg *sarama.Config, minBytes int32, maxWait time.Duration) *sarama.Config {
	cfg.Consumer.Fetch.Min = minBytes
	cfg.Consumer.MaxWaitTime = maxWait
	return cfg
}

// PartitionFor is the partition the relay's hash partitioner sends a stream to.
func PartitionFor(streamID string, partitions int32) int32 {
	p, _ := sarama.NewHashPartitioner("").Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(streamID)}, partitions)
	return p
}

// Header keys and constant values, shared by every record (sarama only reads them).
var (
	keySpec, keyID, keyType, keySource, keySubject = []byte(hdrSpec), []byte(hdrID), []byte(hdrType), []byte(hdrSource), []byte(hdrSubject)
	keyTime, keyTenant, keyActor, keyStreamVersion = []byte(hdrTime), []byte(hdrTenant), []byte(hdrActor), []byte(hdrStreamVersion)
	keyPartitionKey, keySchema, keyPosition        = []byte(hdrPartitionKey), []byte(hdrSchema), []byte(hdrPosition)
	keyContentType, keyCorrelation, keyCausation   = []byte(hdrContentType), []byte(hdrCorrelation), []byte(hdrCausation)
	valSpec, valContentType                        = []byte("1.0"), []byte("application/json")
)

// ToKafka encodes an event as a binary-mode CloudEvents Kafka record keyed by its stream.
func ToKafka(e *Event) *sarama.ProducerMessage {
	// The relay encodes every event of the ledger: the header values share one
	// buffer, so a record costs a few allocations instead of thirty.
	buf := make([]byte, 0, 160+len(e.Type)+len(e.Source)+len(e.Subject)+len(e.TenantID)+len(e.Actor)+
		len(e.StreamID)+len(e.CorrelationID)+len(e.CausationID))
	h := make([]sarama.RecordHeader, 0, 17) // 15 attributes and the two of RecordAuth.Sign
	header := func(key []byte, from int) {
		h = append(h, sarama.RecordHeader{Key: key, Value: buf[from:len(buf):len(buf)]})
	}
	text := func(key []byte, v string) {
		from := len(buf)
		buf = append(buf, v...)
		header(key, from)
	}
	h = append(h, sarama.RecordHeader{Key: keySpec, Value: valSpec})
	text(keyID, e.ID.String())
	text(keyType, e.Type)
	text(keySource, e.Source)
	text(keySubject, e.Subject)
	from := len(buf)
	buf = e.Time.UTC().AppendFormat(buf, time.RFC3339Nano)
	header(keyTime, from)
	text(keyTenant, e.TenantID)
	text(keyActor, e.Actor)
	from = len(buf)
	buf = strconv.AppendInt(buf, e.Version, 10)
	header(keyStreamVersion, from)
	text(keyPartitionKey, e.StreamID)
	from = len(buf)
	buf = strconv.AppendInt(buf, int64(e.SchemaVersion), 10)
	header(keySchema, from)
	from = len(buf)
	buf = strconv.AppendInt(buf, e.Position, 10)
	header(keyPosition, from)
	h = append(h, sarama.RecordHeader{Key: keyContentType, Value: valContentType})
	if e.CorrelationID != "" {
		text(keyCorrelation, e.CorrelationID)
	}
	if e.CausationID != "" {
		text(keyCausation, e.CausationID)
	}
	return &sarama.ProducerMessage{
		Topic:     e.Topic(),
		Key:       sarama.StringEncoder(e.StreamID),
		Value:     sarama.ByteEncoder(e.Data),
		Headers:   h,
		Timestamp: e.Time,
	}
}

// FromKafka decodes a record written by ToKafka. Hashes are not carried on
// Kafka; the ledger is the place to verify them.
func FromKafka(m *sarama.ConsumerMessage) (Event, error) {
	// Straight from the headers, without an intermediate map: replays decode
	// millions of records and this is on their hot path.
	var e Event
	for _, h := range m.Headers {
		if h == nil {
			continue
		}
		if err := setAttribute(&e, h.Key, h.Value); err != nil {
			return e, err
		}
	}
	err := complete(&e, m.Value)
	return e, err
}

// setAttribute sets the event attribute carried by one binary-mode header.
func setAttribute(e *Event, k, v []byte) error {
	var err error
	switch string(k) {
	case hdrID:
		e.ID, err = uuid.ParseBytes(v)
	case hdrType:
		e.Type = string(v)
	case hdrSource:
		e.Source = string(v)
	case hdrSubject:
		e.Subject = string(v)
	case hdrTime:
		e.Time, err = time.Parse(time.RFC3339Nano, string(v))
	case hdrTenant:
		e.TenantID = string(v)
	case hdrActor:
		e.Actor = string(v)
	case hdrStreamVersion:
		e.Version, err = strconv.ParseInt(string(v), 10, 64)
	case hdrPartitionKey:
		e.StreamID = string(v)
	case hdrSchema:
		e.SchemaVersion, err = strconv.Atoi(string(v))
	case hdrPosition:
		e.Position, err = strconv.ParseInt(string(v), 10, 64)
	case hdrCorrelation:
		e.CorrelationID = string(v)
	case hdrCausation:
		e.CausationID = string(v)
	}
	if err != nil {
		return fmt.Errorf("eventstore: header %s: %w", string(k), err)
	}
	return nil
}

func complete(e *Event, value []byte) error {
	if e.ID == uuid.Nil || e.Type == "" || e.Position == 0 {
		return errors.New("eventstore: record is not an ASTRA CloudEvent")
	}
	e.Data = value
	return nil
}

// EnsureTopics creates the module topics with infinite retention (Kafka is the
// log every projection replays from). Existing topics are left as they are.
func EnsureTopics(brokers []string, topics []string, partitions int32, replication int16) error {
	admin, err := sarama.NewClusterAdmin(brokers, KafkaConfig("astra-admin"))
	if err != nil {
		return fmt.Errorf("eventstore: kafka admin: %w", err)
	}
	defer admin.Close()
	existing, err := admin.ListTopics()
	if err != nil {
		return fmt.Errorf("eventstore: list topics: %w", err)
	}
	forever := "-1"
	for _, t := range topics {
		if _, ok := existing[t]; ok {
			continue
		}
		err := admin.CreateTopic(t, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: replication,
			ConfigEntries: map[string]*string{"retention.ms": &forever}}, false)
		var te *sarama.TopicError
		if err != nil && !(errors.As(err, &te) && te.Err == sarama.ErrTopicAlreadyExists) {
			return fmt.Errorf("eventstore: create topic %s: %w", t, err)
		}
	}
	return nil
}
