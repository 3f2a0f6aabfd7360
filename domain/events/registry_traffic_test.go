package events

import (
	"slices"
	"testing"
)

// TestTraffic_GoesToItsModulesTrafficTopic: a type declared traffic is
// carried on astra.<module>.traffic, listed by Topics; every other type,
// registered or not, on its module's topic.
func TestTraffic_GoesToItsModulesTrafficTopic(t *testing.T) {
	evt := Of("trafficdemo")
	admin, record := evt("Configured", func() any { return &struct{}{} }), evt("Served", func() any { return &struct{}{} }).AsTraffic()
	if _, ok := Lookup(record.CEType()); !ok { // -count=N runs this again in one process
		Register(admin, record)
	}
	if admin.Topic() != "astra.trafficdemo" || record.Topic() != "astra.trafficdemo.traffic" {
		t.Fatalf("topics %s, %s", admin.Topic(), record.Topic())
	}
	if TopicOf(record.CEType()) != record.Topic() || TopicOf(admin.CEType()) != admin.Topic() ||
		TopicOf("com.astra.trafficdemo.Unknown") != "astra.trafficdemo" {
		t.Fatal("TopicOf does not follow the registry")
	}
	if ts := Topics(); !slices.Contains(ts, "astra.trafficdemo") || !slices.Contains(ts, "astra.trafficdemo.traffic") {
		t.Fatalf("Topics() = %v", ts)
	}
}
