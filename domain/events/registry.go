// Package events is the registry of every event type of the product: its
// CloudEvents type, Go payload type, schema version, Kafka topic and WebSocket
// channel. Domain modules register their types at init.
package events

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Type describes one kind of event.
type Type struct {
	// Module is the owning module, e.g. "iam"; it names the topic and the source.
	Module string
	// Name is the past-tense fact, e.g. "UserCreated".
	Name string
	// SchemaVersion is the version of the payload shape, for upcasting.
	SchemaVersion int
	// Channel is the WebSocket channel; derived from Module and Name when empty.
	Channel string
	// New returns a pointer to a zero payload, for decoding.
	New func() any
	// Traffic marks a record of what traffic did (a gateway request, an MCP
	// call decision): one per request, each in a stream of its own, read by
	// the few consumers that keep or count them. It is carried on the
	// module's traffic topic, so that the module's other consumers (reactors
	// of administrative changes, containment, alerting) do not fetch and
	// drop it at the rate of the traffic (decision 0034).
	Traffic bool
}

// AsTraffic is t carried on its module's traffic topic (Type.Traffic).
func (t Type) AsTraffic() Type {
	t.Traffic = true
	return t
}

// Of returns the constructor of a module's event types: the type's name,
// its payload's zero value, and optionally its WebSocket channel (derived
// from the name when omitted).
//
//	var evt = events.Of("aegis")
//	AgentQuarantined = evt("AgentQuarantined", func() any { return &ContainmentV1{} })
func Of(module string) func(name string, payload func() any, channel ...string) Type {
	return func(name string, payload func() any, channel ...string) Type {
		t := Type{Module: module, Name: name, New: payload}
		if len(channel) > 0 {
			t.Channel = channel[0]
		}
		return t
	}
}

// CEType is the CloudEvents type, e.g. "com.astra.iam.UserCreated".
func (t Type) CEType() string { return "com.astra." + t.Module + "." + t.Name }

// Source is the CloudEvents source, e.g. "/astra/iam".
func (t Type) Source() string { return "/astra/" + t.Module }

// Topic is the Kafka topic carrying events of this type: the module's, or
// its traffic topic.
func (t Type) Topic() string {
	if t.Traffic {
		return TrafficTopicFor(t.Module)
	}
	return TopicFor(t.Module)
}

// Topics are the topics a record of this type may be on: its topic, and for
// traffic also its module's, where records relayed before decision 0034
// stay. A consumer of the type reads all of them.
func (t Type) Topics() []string {
	if t.Traffic {
		return []string{TrafficTopicFor(t.Module), TopicFor(t.Module)}
	}
	return []string{t.Topic()}
}

// TopicsOf is Type.Topics of a CloudEvents type; a type not registered is
// on its module's topic.
func TopicsOf(ceType string) []string {
	if t, ok := Lookup(ceType); ok {
		return t.Topics()
	}
	return []string{TopicFor(moduleOf(ceType))}
}

// TopicFor names the Kafka topic of a module.
func TopicFor(module string) string { return "astra." + module }

// TrafficTopicFor names the Kafka topic of a module's traffic records.
func TrafficTopicFor(module string) string { return "astra." + module + ".traffic" }

// TopicOf is the topic of a CloudEvents type; a type not registered goes to
// its module's topic.
func TopicOf(ceType string) string {
	if t, ok := Lookup(ceType); ok {
		return t.Topic()
	}
	return TopicFor(moduleOf(ceType))
}

// moduleOf is the module part of a CloudEvents type ("iam" of
// "com.astra.iam.UserCreated").
func moduleOf(ceType string) string {
	module, _, _ := strings.Cut(strings.TrimPrefix(ceType, "com.astra."), ".")
	return module
}

var (
	mu       sync.RWMutex
	byCEType = map[string]Type{}
	topics   = map[string]bool{}
)

// Register adds event types to the registry. Registering the same type twice panics:
// two payloads for one name would make history ambiguous.
func Register(types ...Type) {
	mu.Lock()
	defer mu.Unlock()
	for _, t := range types {
		if t.Module == "" || t.Name == "" {
			panic("events: type without module or name")
		}
		if t.SchemaVersion == 0 {
			t.SchemaVersion = 1
		}
		if t.Channel == "" {
			t.Channel = DefaultChannel(t.Module, t.Name)
		}
		if _, dup := byCEType[t.CEType()]; dup {
			panic(fmt.Sprintf("events: %s registered twice", t.CEType()))
		}
		byCEType[t.CEType()] = t
		topics[t.Topic()] = true
	}
}

// Lookup finds a registered type by its CloudEvents type.
func Lookup(ceType string) (Type, bool) {
	mu.RLock()
	defer mu.RUnlock()
	t, ok := byCEType[ceType]
	return t, ok
}

// All lists every registered type, sorted by CloudEvents type.
func All() []Type {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Type, 0, len(byCEType))
	for _, t := range byCEType {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CEType() < out[j].CEType() })
	return out
}

// Topics lists the Kafka topics of every registered type (modules and
// their traffic).
func Topics() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(topics))
	for t := range topics {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ChannelOf returns the WebSocket channel of a CloudEvents type; unknown types
// get a channel derived from the type name so that they are still routable.
func ChannelOf(ceType string) string {
	if t, ok := Lookup(ceType); ok {
		return t.Channel
	}
	rest := strings.TrimPrefix(ceType, "com.astra.")
	module, name, ok := strings.Cut(rest, ".")
	if !ok {
		return strings.ToLower(rest)
	}
	return DefaultChannel(module, name)
}

// DefaultChannel derives "gateway.kill_switch.activated" from ("gateway", "KillSwitchActivated"):
// the last word of the name is the verb, the words before it the noun.
func DefaultChannel(module, name string) string {
	words := splitCamel(name)
	if len(words) < 2 {
		return module + "." + strings.ToLower(name)
	}
	noun := strings.ToLower(strings.Join(words[:len(words)-1], "_"))
	return module + "." + noun + "." + strings.ToLower(words[len(words)-1])
}

func splitCamel(s string) []string {
	var words []string
	start := 0
	runes := []rune(s)
	for i := 1; i < len(runes); i++ {
		if unicode.IsUpper(runes[i]) && (unicode.IsLower(runes[i-1]) || (i+1 < len(runes) && unicode.IsLower(runes[i+1]))) {
			words = append(words, string(runes[start:i]))
			start = i
		}
	}
	return append(words, string(runes[start:]))
}

// MatchChannel reports whether a channel matches a subscription pattern:
// an exact name, "*" for everything, or a prefix wildcard such as "gateway.*"
// or "aegis.agent.*".
func MatchChannel(pattern, channel string) bool {
	if pattern == "*" || pattern == channel {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, ".*"); ok {
		return strings.HasPrefix(channel, prefix+".")
	}
	return false
}
