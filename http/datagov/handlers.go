package datagov

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/commands"
	cmd "github.com/astrabastion/astra/commands/datagov"
	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/datagov"
)

func (a *API) datasets(c echo.Context) error {
	f := rm.DatasetFilter{Sensitivity: c.QueryParam("sensitivity"), System: c.QueryParam("system"), LawfulBasis: c.QueryParam("lawful_basis")}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Dataset], error) {
		return a.Queries.Datasets(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) answerDataset(c echo.Context, status int, id string) error {
	d, err := a.Queries.Dataset(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		created(c, "datasets/"+id)
	}
	return platform.Respond(c, status, d)
}

func (a *API) dataset(c echo.Context) error {
	id, err := datasetID(c)
	if err != nil {
		return err
	}
	return a.answerDataset(c, http.StatusOK, id)
}

func (a *API) registerDataset(c echo.Context) error {
	var req DatasetRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.RegisterDataset(c.Request().Context(), writes.Metadata(c), cmd.RegisterDataset{Name: req.Name, Description: req.Description,
		Owner: req.Owner, System: req.System, Location: req.Location, Columns: req.Columns, LawfulBasis: req.LawfulBasis, RetentionClass: req.RetentionClass})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerDataset(c, http.StatusCreated, id) })
}

func (a *API) classification(c echo.Context) error {
	id, err := datasetID(c)
	if err != nil {
		return err
	}
	x, err := a.Queries.Classification(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, x)
}

func (a *API) classify(c echo.Context) error {
	var req ClassifyRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	out, err := a.Commands.Classify(c.Request().Context(), writes.Metadata(c), cmd.Classify{DatasetID: req.DatasetID, Text: req.Text, Columns: req.Columns})
	if err != nil {
		return err
	}
	return a.Writes.Then(c, out.Events, nil, rm.Name, func() error {
		return platform.Respond(c, http.StatusOK, ClassifyResult{Classification: out.Classification, Columns: out.Columns, Entities: out.Entities,
			DatasetID: req.DatasetID, Recorded: len(out.Events) > 0})
	})
}

func (a *API) dsars(c echo.Context) error {
	f := rm.DsarFilter{Type: c.QueryParam("type"), Status: c.QueryParam("status"), Verification: c.QueryParam("verification")}
	if v := c.QueryParam("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return platform.Problem("VAL-005", "overdue must be true or false.")
		}
		f.Overdue = &b
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Dsar], error) {
		return a.Queries.Dsars(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) answerDsar(c echo.Context, status int, id string) error {
	d, err := a.Queries.Dsar(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		created(c, "dsar/"+id)
	}
	return platform.Respond(c, status, d)
}

func (a *API) dsar(c echo.Context) error {
	id, err := dsarID(c)
	if err != nil {
		return err
	}
	return a.answerDsar(c, http.StatusOK, id)
}

func (a *API) receiveDsar(c echo.Context) error {
	var req DsarRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.ReceiveDsar(c.Request().Context(), writes.Metadata(c), cmd.ReceiveDsar{Type: req.Type, Jurisdiction: req.Jurisdiction,
		SubjectEmail: req.SubjectEmail, SubjectUserID: req.SubjectUserID, Name: req.SubjectName, Notes: req.Notes})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerDsar(c, http.StatusCreated, id) })
}

// step runs one command on the request the path names, with the body T,
// and answers the request as it then stands.
func step[T any](a *API, c echo.Context, run func(meta commands.Metadata, id string, req T) ([]commands.Event, error)) error {
	id, err := dsarID(c)
	if err != nil {
		return err
	}
	var req T
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := run(writes.Metadata(c), id, req)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerDsar(c, http.StatusOK, id) })
}

func (a *API) verify(c echo.Context) error {
	return step(a, c, func(meta commands.Metadata, id string, req VerifyRequest) ([]commands.Event, error) {
		return a.Commands.VerifyIdentity(c.Request().Context(), meta, cmd.VerifyIdentity{DsarID: id, State: req.State, Method: req.Method, Note: req.Note})
	})
}

func (a *API) extend(c echo.Context) error {
	return step(a, c, func(meta commands.Metadata, id string, req ReasonRequest) ([]commands.Event, error) {
		return a.Commands.ExtendDsar(c.Request().Context(), meta, cmd.ExtendDsar{DsarID: id, Reason: req.Reason})
	})
}

func (a *API) reject(c echo.Context) error {
	return step(a, c, func(meta commands.Metadata, id string, req ReasonRequest) ([]commands.Event, error) {
		return a.Commands.RejectDsar(c.Request().Context(), meta, cmd.RejectDsar{DsarID: id, Reason: req.Reason})
	})
}

func (a *API) fulfil(c echo.Context) error {
	id, err := dsarID(c)
	if err != nil {
		return err
	}
	var req FulfilRequest
	if err := platform.BindOptional(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := a.Commands.FulfilDsar(ctx, writes.Metadata(c), cmd.FulfilDsar{DsarID: id, Notes: req.Notes})
	if err != nil {
		return err
	}
	a.Writes.Await(c, out.Events, a.Awaits...)
	d, err := a.Queries.Dsar(ctx, tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, Fulfilment{Dsar: *d, Export: out.Archive, Certificate: out.Certificate})
}

func (a *API) lineage(c echo.Context) error {
	depth, err := platform.QueryInt(c, "depth", 5, 0, 20)
	if err != nil {
		return err
	}
	kind := rm.NodeDataset
	if c.QueryParam("type") == "job" {
		kind = rm.NodeJob
	}
	direction := c.QueryParam("direction")
	if direction == "" {
		direction = rm.Both
	}
	ns, name := c.QueryParam("namespace"), c.QueryParam("name")
	if strings.TrimSpace(ns) == "" || strings.TrimSpace(name) == "" {
		return platform.Problem("VAL-005", "namespace and name are required.").WithFields(
			platform.FieldError{Field: "namespace", Message: "required"}, platform.FieldError{Field: "name", Message: "required"})
	}
	g, err := a.Queries.Lineage(c.Request().Context(), tenant(c), kind, ns, name, depth, direction)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, g)
}

func (a *API) recordLineage(c echo.Context) error {
	raw, err := platform.RawJSON(c)
	if err != nil {
		return err
	}
	evs, ev, err := a.Commands.RecordLineage(c.Request().Context(), writes.Metadata(c), cmd.RecordLineage{RunEvent: raw})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		return platform.Respond(c, http.StatusCreated, LineageReceipt{RunID: ev.Run.RunID, EventType: ev.EventType, JobNamespace: ev.Job.Namespace,
			JobName: ev.Job.Name, Inputs: len(ev.Inputs), Outputs: len(ev.Outputs)})
	})
}

func (a *API) policies(c echo.Context) error {
	module := c.QueryParam("module")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.RetentionPolicy], error) {
		return a.Queries.RetentionPolicies(c.Request().Context(), tenant(c), module, p)
	})
}

func (a *API) answerPolicy(c echo.Context, status int, id string) error {
	x, err := a.Queries.RetentionPolicy(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	writes.ETag(c, x.Version)
	if status == http.StatusCreated {
		created(c, "retention-policies/"+id)
	}
	return platform.Respond(c, status, x)
}

func (a *API) policy(c echo.Context) error {
	id, err := policyID(c)
	if err != nil {
		return err
	}
	return a.answerPolicy(c, http.StatusOK, id)
}

func (a *API) createPolicy(c echo.Context) error {
	var req PolicyRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	enabled := req.Enabled == nil || *req.Enabled
	id, evs, err := a.Commands.CreateRetentionPolicy(c.Request().Context(), writes.Metadata(c), cmd.CreateRetentionPolicy{Name: req.Name, Module: req.Module,
		DataClass: req.DataClass, PeriodDays: req.PeriodDays, Enabled: enabled})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerPolicy(c, http.StatusCreated, id) })
}

func (a *API) updatePolicy(c echo.Context) error {
	id, expected, err := writes.Versioned(c, policyID)
	if err != nil {
		return err
	}
	var req PolicyPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateRetentionPolicy(c.Request().Context(), writes.Metadata(c), cmd.UpdateRetentionPolicy{ID: id, Expected: expected,
		Change: datagov.RetentionPolicyUpdatedV1{Name: req.Name, PeriodDays: req.PeriodDays, Enabled: req.Enabled}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerPolicy(c, http.StatusOK, id) })
}

func (a *API) enforce(c echo.Context) error {
	id, err := policyID(c)
	if err != nil {
		return err
	}
	var req EnforceRequest
	if err := platform.BindOptional(c, &req); err != nil {
		return err
	}
	run, evs, err := a.Commands.EnforceRetention(c.Request().Context(), writes.Metadata(c), cmd.EnforceRetention{ID: id, DryRun: req.DryRun})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		return platform.Respond(c, http.StatusOK, Enforcement{PolicyID: id, Run: *run})
	})
}
