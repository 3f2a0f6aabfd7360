package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	cmddg "github.com/astrabastion/astra/commands/datagov"
	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/datagov/openlineage"
	"github.com/astrabastion/astra/eventstore"
	httpdg "github.com/astrabastion/astra/http/datagov"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	rmbai "github.com/astrabastion/astra/projections/bastionai"
	rmdg "github.com/astrabastion/astra/projections/datagov"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// DsarDeadlineScan is how often Data Governance looks for requests past
// their due date (one indexed query when there is none).
var DsarDeadlineScan = 5 * time.Second

// DataGovNow is Data Governance's clock (due dates, deadline scans,
// retention cutoffs); tests set it before starting an instance.
var DataGovNow = time.Now

// Data governance: the data inventory and classification, data subject
// requests with erasure by crypto-shredding, OpenLineage, retention.
func init() {
	register(Module{
		Name:  datagov.Module,
		Title: "Data governance",
		Tags: map[string]string{
			"data-gov": "Data governance: datasets and their classification, data subject requests (access, erasure by crypto-shredding, rectification, portability), OpenLineage lineage, retention enforced by key deletion.",
		},
		// After every module whose data a subject request reaches (their
		// holdings are collected from the modules started before).
		Order: 70,
		Errors: platform.Codes{
			"DG-001": platform.Entry(http.StatusNotFound, "Dataset not found", "No dataset with that id exists in the tenant."),
			"DG-002": platform.Entry(http.StatusUnprocessableEntity, "Invalid dataset", "A dataset needs a name, a known lawful basis and columns with distinct names."),
			"DG-003": platform.Entry(http.StatusConflict, "Dataset not classified", "The dataset has no classification yet: POST /data-gov/classify with its dataset_id and column samples."),
			"DG-004": platform.Entry(http.StatusUnprocessableEntity, "Invalid classification input", "Give text or column samples (not both), within 500 columns, 1,000 samples a column and 10,000 bytes a sample."),
			"DG-005": platform.Entry(http.StatusNotFound, "Request not found", "No data subject request with that id exists in the tenant."),
			"DG-006": platform.Entry(http.StatusUnprocessableEntity, "Invalid data subject request", "A request needs a known type and jurisdiction, a subject (e-mail address or user id), and reasons and methods where the step asks for them."),
			"DG-007": platform.Entry(http.StatusConflict, "Request closed", "The request was fulfilled or rejected already."),
			"DG-008": platform.Entry(http.StatusConflict, "Identity not verified", "The requester failed the identity check: the request cannot be fulfilled."),
			"DG-009": platform.Entry(http.StatusConflict, "Already extended", "The law allows one extension of a request's due date."),
			"DG-010": platform.Entry(http.StatusNotFound, "Subject not found", "subject_user_id names no user of the tenant."),
			"DG-011": platform.Entry(http.StatusUnprocessableEntity, "Invalid OpenLineage event", "The body is not an OpenLineage run event valid against the OpenLineage 2-0-2 JSON schema (or its schema and columnLineage facets); the detail says where."),
			"DG-012": platform.Entry(http.StatusNotFound, "Lineage node not found", "The tenant's lineage has no dataset or job of that namespace and name."),
			"DG-013": platform.Entry(http.StatusNotFound, "Retention policy not found", "No retention policy with that id exists in the tenant."),
			"DG-014": platform.Entry(http.StatusUnprocessableEntity, "Invalid retention policy", "A policy needs a name, a module and data class it knows (gateway/prompt_content, data_gov/lineage_events, bastion_ai/assistant_documents) and a period of 1 to 36,500 days."),
			"DG-015": platform.Entry(http.StatusConflict, "Retention policy disabled", "A disabled policy is not enforced (a dry run is still allowed)."),
		},
		DomainErrors: []platform.DomainError{
			{Err: datagov.ErrDatasetNotFound, Code: "DG-001", Detail: "No such dataset in this tenant."},
			{Err: datagov.ErrInvalidDataset, Code: "DG-002"},
			{Err: datagov.ErrNotClassified, Code: "DG-003", Detail: "The dataset has not been classified yet."},
			{Err: datagov.ErrInvalidSamples, Code: "DG-004"},
			{Err: datagov.ErrDsarNotFound, Code: "DG-005", Detail: "No such data subject request in this tenant."},
			{Err: datagov.ErrInvalidDsar, Code: "DG-006"},
			{Err: datagov.ErrDsarClosed, Code: "DG-007"},
			{Err: datagov.ErrIdentityNotVerified, Code: "DG-008", Detail: "The requester failed the identity check."},
			{Err: datagov.ErrExtended, Code: "DG-009", Detail: "The request was extended already."},
			{Err: datagov.ErrSubjectUnknown, Code: "DG-010", Detail: "No such user in this tenant."},
			{Err: datagov.ErrInvalidLineage, Code: "DG-011"},
			{Err: datagov.ErrLineageNodeNotFound, Code: "DG-012", Detail: "No such dataset or job in the tenant's lineage."},
			{Err: datagov.ErrPolicyNotFound, Code: "DG-013", Detail: "No such retention policy in this tenant."},
			{Err: datagov.ErrInvalidPolicy, Code: "DG-014"},
			{Err: datagov.ErrPolicyDisabled, Code: "DG-015", Detail: "The retention policy is disabled."},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmdg.New()} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			validator, err := openlineage.NewValidator()
			if err != nil {
				return nil, fmt.Errorf("data governance: %w", err)
			}
			hashKey, seed := cmddg.DeriveKeys(rt.Stack.KEK)
			queries := &rmdg.Queries{Runner: rt.Stack.Runner, Keys: rt.Stack.Keys}
			commands := &cmddg.Handlers{Store: rt.Stack.Store, Keys: rt.Stack.Keys, Classifier: datagov.NewClassifier(), Validator: validator,
				Signer: datagov.NewArchiveSigner(seed), HashKey: hashKey,
				People:  people{Queries: &rmiam.Queries{Runner: rt.Stack.Runner}, iam: rt.IAM},
				Content: &rmgw.Queries{Runner: rt.Stack.Runner}, Lineage: queries, Replays: rt.Writes, Documents: &rmbai.Queries{Runner: rt.Stack.Runner, Keys: rt.Stack.Keys},
				Holders: append(rt.Holders(), queries), Now: DataGovNow}
			api := &httpdg.API{Commands: commands, Queries: queries, Writes: rt.Writes, Awaits: []string{rmdg.Name, rmiam.Name, rmgw.Name}}
			now := DataGovNow
			deadlines := Every("data-gov dsar deadlines", DsarDeadlineScan, rt.Log, func(ctx context.Context, _ time.Time) error {
				return raiseOverdue(ctx, queries, commands, now().UTC())
			})
			return &Parts{Routes: api.Routes(), Workers: []Worker{deadlines}}, nil
		},
	})
}

// people is identity as Data Governance needs it: IAM's read model finds the
// user, IAM's own erase-user command shreds them.
type people struct {
	*rmiam.Queries
	iam *cmdiam.Handlers
}

func (p people) Erase(ctx context.Context, meta eventstore.Metadata, userID, email string) ([]eventstore.Event, error) {
	return p.iam.EraseUser(ctx, meta, userID, email)
}

// raiseOverdue records DsarOverdue for every open request past its due date;
// the command decides on the request's own stream, so a repeated or
// concurrent scan alerts once per due date.
func raiseOverdue(ctx context.Context, q *rmdg.Queries, c *cmddg.Handlers, now time.Time) error {
	due, err := q.OverdueDsars(ctx, now, 500)
	if err != nil {
		return err
	}
	for _, d := range due {
		if _, err := c.RaiseOverdue(ctx, cmddg.RaiseOverdue{DsarID: d.ID, TenantID: d.TenantID, Now: now}); err != nil {
			return err
		}
	}
	return nil
}
