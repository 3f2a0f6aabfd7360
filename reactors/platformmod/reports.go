// Package platformmod holds the Platform module's reactors: report jobs,
// notifications raised from AEGIS alerts and workflow steps, and the
// approval workflows' process manager. (The webhook outbox and the
// notification channels, which speak HTTP, are in outbound/platformmod.)
package platformmod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/astrabastion/astra/blobstore"
	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
	rmcmp "github.com/astrabastion/astra/projections/compliance"
	rmrisk "github.com/astrabastion/astra/projections/risk"
	rmtrust "github.com/astrabastion/astra/projections/trust"
	"github.com/astrabastion/astra/reactors"
)

// Reports produces report jobs: it collects from the read models (and the
// ledger, for an audit trail), renders, stores the bytes in the blob store
// and records their SHA-256, announcing progress on the way.
type Reports struct {
	Commands *cmd.Handlers
	Store    *eventstore.Store
	Keys     *eventstore.Keyring
	Blobs    *blobstore.Store
	Risk     *rmrisk.Queries
	Trust    *rmtrust.Queries
	Cmp      *rmcmp.Queries
	// Now stamps the documents; time.Now when nil.
	Now eventstore.Clock
}

// MaxReportBytes bounds a report's size.
const MaxReportBytes = 256 << 20

// maxAuditEvents bounds an audit trail extract.
const maxAuditEvents = 100000

// Reactor produces each requested report once (a redelivered request finds
// it done and does nothing).
func (r *Reports) Reactor() reactors.Reactor {
	return reactors.Reactor{Name: "platform_reports", Module: platformmod.Module, Scope: reactors.Shared, Types: []events.Type{platformmod.ReportRequested},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var d platformmod.ReportRequestedV1
			if err := e.Decode(&d); err != nil {
				return err
			}
			meta := eventstore.Metadata{TenantID: e.TenantID, Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.ID.String()}
			st, err := r.Commands.LoadReport(ctx, d.ReportID)
			if err != nil || st == nil || st.Status == platformmod.ReportDone || st.Status == platformmod.ReportFailedS {
				return err
			}
			if err := r.produce(ctx, meta, d); err != nil {
				if ctx.Err() != nil {
					return err
				}
				_, ferr := r.Commands.FailReport(ctx, meta, d.ReportID, err.Error())
				return ferr
			}
			return nil
		}}
}

func (r *Reports) produce(ctx context.Context, meta eventstore.Metadata, d platformmod.ReportRequestedV1) error {
	if _, err := r.Commands.ReportProgress(ctx, meta, d.ReportID, 10, "collecting"); err != nil {
		return err
	}
	doc := &Document{Title: d.Title, Kind: d.Kind, Tenant: d.TenantID, Generated: r.Now.Read()}
	var err error
	switch d.Kind {
	case platformmod.KindRiskRegister:
		err = r.riskRegister(ctx, d.TenantID, doc)
	case platformmod.KindTrustSummary:
		err = r.trustSummary(ctx, d.TenantID, doc)
	case platformmod.KindAssessment:
		err = r.assessment(ctx, d.TenantID, d.AssessmentID, doc)
	case platformmod.KindAuditTrail:
		err = r.auditTrail(ctx, d, doc)
	}
	if err != nil {
		return err
	}
	if _, err := r.Commands.ReportProgress(ctx, meta, d.ReportID, 60, "rendering"); err != nil {
		return err
	}
	body, ctype, ext, err := Render(doc, d.Format)
	if err != nil {
		return err
	}
	if _, err := r.Commands.ReportProgress(ctx, meta, d.ReportID, 90, "storing"); err != nil {
		return err
	}
	sum, size, err := r.Blobs.Put(ctx, bytes.NewReader(body), MaxReportBytes)
	if err != nil {
		return err
	}
	_, err = r.Commands.CompleteReport(ctx, meta, platformmod.ReportGeneratedV1{ReportID: d.ReportID, SHA256: sum, Size: size, ContentType: ctype,
		FileName: fmt.Sprintf("%s-%s.%s", d.Kind, d.ReportID[:8], ext), Rows: len(doc.Rows)})
	return err
}

func money0(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 0, 64) }

func (r *Reports) riskRegister(ctx context.Context, tenant string, doc *Document) error {
	doc.Columns = []string{"id", "title", "owner", "category", "likelihood", "impact", "inherent_score", "level", "treatment", "status", "mean_ale", "p90", "p99"}
	var risks []rmrisk.Risk
	p := projections.PageRequest{Limit: 200}
	for {
		page, err := r.Risk.List(ctx, tenant, rmrisk.RiskFilter{}, p)
		if err != nil {
			return err
		}
		risks = append(risks, page.Items...)
		if !page.HasMore {
			break
		}
		p.After = page.Next
	}
	var total float64
	modelled := 0
	for _, x := range risks {
		row := []string{x.ID, x.Title, x.Owner, x.Category, strconv.Itoa(x.Likelihood), strconv.Itoa(x.Impact), strconv.Itoa(x.Score), x.Level,
			x.Treatment, x.Status, "", "", ""}
		if x.LastSimID != nil {
			sim, err := r.Risk.Simulation(ctx, tenant, *x.LastSimID)
			if err != nil {
				return err
			}
			if sim != nil {
				res := sim.Results
				row[10], row[11], row[12] = money0(res.MeanALE), money0(res.P90), money0(res.P99)
				total += res.MeanALE
				modelled++
				c := Curve{Title: x.Title}
				for _, pt := range res.LossExceedance {
					c.Points = append(c.Points, [2]float64{pt.Loss, pt.Probability})
				}
				doc.Curves = append(doc.Curves, c)
			}
		}
		doc.Rows = append(doc.Rows, row)
	}
	sort.SliceStable(doc.Curves, func(i, j int) bool { return len(doc.Curves[i].Points) > len(doc.Curves[j].Points) })
	if len(doc.Curves) > 8 {
		doc.Curves = doc.Curves[:8]
	}
	doc.Summary = [][2]string{{"Risks", strconv.Itoa(len(risks))}, {"Modelled (FAIR)", strconv.Itoa(modelled)},
		{"Sum of mean ALE", money0(total)}}
	return nil
}

func (r *Reports) trustSummary(ctx context.Context, tenant string, doc *Document) error {
	snap, err := r.Trust.Snapshot(ctx, tenant)
	if err != nil {
		return err
	}
	doc.Columns = []string{"pillar", "weight", "signals", "floor", "half_life_s"}
	if snap.Last != nil && snap.Last.Known {
		doc.Summary = append(doc.Summary, [2]string{"Composite score", strconv.FormatFloat(snap.Last.Score, 'f', 1, 64)},
			[2]string{"Grade", snap.Last.Grade}, [2]string{"Scored at", snap.Last.At.Format(time.RFC3339)})
	} else {
		doc.Summary = append(doc.Summary, [2]string{"Composite score", "unknown (no signals yet)"})
	}
	doc.Summary = append(doc.Summary, [2]string{"Signals", strconv.Itoa(snap.Signals)})
	pillars := make([]string, 0, len(snap.Weights))
	for p := range snap.Weights {
		pillars = append(pillars, p)
	}
	sort.Strings(pillars)
	for _, p := range pillars {
		row := []string{p, strconv.FormatFloat(snap.Weights[p], 'f', 2, 64), "0", "", ""}
		if s := snap.States[p]; s != nil {
			row[2], row[3], row[4] = strconv.Itoa(s.Count), strconv.FormatFloat(s.Floor, 'f', 1, 64), strconv.FormatFloat(s.HalfLife, 'f', 0, 64)
		}
		doc.Rows = append(doc.Rows, row)
	}
	return nil
}

func (r *Reports) assessment(ctx context.Context, tenant, id string, doc *Document) error {
	a, rows, err := r.Cmp.Export(ctx, tenant, id)
	if err != nil {
		return err
	}
	doc.Summary = [][2]string{{"Assessment", a.Name}, {"Framework", a.FrameworkID}, {"Status", a.Status}}
	doc.Columns = []string{"requirement_id", "title", "result", "stale", "notes", "evidence_ids", "assessed_at"}
	counts := map[string]int{}
	for _, x := range rows {
		at := ""
		if x.AssessedAt != nil {
			at = x.AssessedAt.Format(time.RFC3339)
		}
		counts[x.Result]++
		ev, _ := json.Marshal(x.EvidenceIDs)
		doc.Rows = append(doc.Rows, []string{x.RequirementID, x.Title, x.Result, strconv.FormatBool(x.Stale), x.Notes, string(ev), at})
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		label := k
		if label == "" {
			label = "not assessed"
		}
		doc.Summary = append(doc.Summary, [2]string{"Requirements " + label, strconv.Itoa(counts[k])})
	}
	return nil
}

// auditTrail extracts the tenant's events in the range from the ledger,
// with personal fields opened (erased ones read as erased).
func (r *Reports) auditTrail(ctx context.Context, d platformmod.ReportRequestedV1, doc *Document) error {
	doc.Columns = []string{"position", "time", "type", "subject", "actor", "event_id", "hash"}
	var pos int64
	for len(doc.Rows) < maxAuditEvents {
		evs, err := r.Store.ReadFrom(ctx, pos, 2000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			break
		}
		pos = evs[len(evs)-1].Position
		for _, e := range evs {
			if e.TenantID != d.TenantID || (d.From != nil && e.Time.Before(*d.From)) || (d.To != nil && e.Time.After(*d.To)) {
				continue
			}
			doc.Rows = append(doc.Rows, []string{strconv.FormatInt(e.Position, 10), e.Time.Format(time.RFC3339Nano), e.Type, e.Subject, e.Actor,
				e.ID.String(), fmt.Sprintf("%x", e.Hash)})
		}
	}
	doc.Summary = [][2]string{{"Events", strconv.Itoa(len(doc.Rows))}}
	if d.From != nil {
		doc.Summary = append(doc.Summary, [2]string{"From", d.From.Format(time.RFC3339)})
	}
	if d.To != nil {
		doc.Summary = append(doc.Summary, [2]string{"To", d.To.Format(time.RFC3339)})
	}
	return nil
}
