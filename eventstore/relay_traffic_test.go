package eventstore

import (
	"testing"

	"github.com/astrabastion/astra/domain/events"
)

// TestRelayed_ATrafficRecordOnItsModulesTopicIsNotPublishedAgain: after an
// upgrade to decision 0034, a traffic record that a build before it had
// already published to its module's topic counts as relayed, so the relay
// does not put it on the traffic topic as well; one it had not published is.
func TestRelayed_ATrafficRecordOnItsModulesTopicIsNotPublishedAgain(t *testing.T) {
	evt := events.Of("relaydemo")
	served := evt("Served", func() any { return &struct{}{} }).AsTraffic()
	if _, ok := events.Lookup(served.CEType()); !ok {
		events.Register(served)
	}
	e := &Event{Type: served.CEType(), StreamID: "relaydemo.request-1", Position: 40}
	p := PartitionFor(e.StreamID, 3)
	old := make([]int64, 3)
	old[p] = 41 // the module topic's partition already holds position 41
	if !relayed(map[string][]int64{"astra.relaydemo": old, "astra.relaydemo.traffic": make([]int64, 3)}, e) {
		t.Fatal("a record already on the module topic would be published again")
	}
	old[p] = 39
	if relayed(map[string][]int64{"astra.relaydemo": old, "astra.relaydemo.traffic": make([]int64, 3)}, e) {
		t.Fatal("a record not yet published counts as relayed")
	}
	traffic := make([]int64, 3)
	traffic[p] = 40
	if !relayed(map[string][]int64{"astra.relaydemo.traffic": traffic}, e) {
		t.Fatal("a record on the traffic topic would be published again")
	}
}
