package eventstore

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
)

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

// KafkaConfig is the sarama configuration every client of the product uses.
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
	cfg.Consumer.Fetch.Default = 4 << 20
	return cfg
}

// PartitionFor is the partition the relay's hash partitioner sends a stream to.
func PartitionFor(streamID string, partitions int32) int32 {
	p, _ := sarama.NewHashPartitioner("").Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(streamID)}, partitions)
	return p
}

// ToKafka encodes an event as a binary-mode CloudEvents Kafka record keyed by its stream.
func ToKafka(e *Event) *sarama.ProducerMessage {
	h := []sarama.RecordHeader{
		{Key: []byte(hdrSpec), Value: []byte("1.0")},
		{Key: []byte(hdrID), Value: []byte(e.ID.String())},
		{Key: []byte(hdrType), Value: []byte(e.Type)},
		{Key: []byte(hdrSource), Value: []byte(e.Source)},
		{Key: []byte(hdrSubject), Value: []byte(e.Subject)},
		{Key: []byte(hdrTime), Value: []byte(e.Time.UTC().Format(time.RFC3339Nano))},
		{Key: []byte(hdrTenant), Value: []byte(e.TenantID)},
		{Key: []byte(hdrActor), Value: []byte(e.Actor)},
		{Key: []byte(hdrStreamVersion), Value: []byte(strconv.FormatInt(e.Version, 10))},
		{Key: []byte(hdrPartitionKey), Value: []byte(e.StreamID)},
		{Key: []byte(hdrSchema), Value: []byte(strconv.Itoa(e.SchemaVersion))},
		{Key: []byte(hdrPosition), Value: []byte(strconv.FormatInt(e.Position, 10))},
		{Key: []byte(hdrContentType), Value: []byte("application/json")},
	}
	if e.CorrelationID != "" {
		h = append(h, sarama.RecordHeader{Key: []byte(hdrCorrelation), Value: []byte(e.CorrelationID)})
	}
	if e.CausationID != "" {
		h = append(h, sarama.RecordHeader{Key: []byte(hdrCausation), Value: []byte(e.CausationID)})
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

// FromHeaders decodes an event from its binary-mode headers and value.
func FromHeaders(md map[string]string, value []byte) (Event, error) {
	var e Event
	for k, v := range md {
		if err := setAttribute(&e, []byte(k), []byte(v)); err != nil {
			return e, err
		}
	}
	err := complete(&e, value)
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
