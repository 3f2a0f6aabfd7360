package app

import (
	"context"
	"net/http"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/blobstore"
	cmdpf "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	httpiam "github.com/astrabastion/astra/http/iam"
	"github.com/astrabastion/astra/http/platform"
	httppf "github.com/astrabastion/astra/http/platformmod"
	"github.com/astrabastion/astra/netguard"
	obpf "github.com/astrabastion/astra/outbound/platformmod"
	"github.com/astrabastion/astra/projections"
	rmcmp "github.com/astrabastion/astra/projections/compliance"
	rmpf "github.com/astrabastion/astra/projections/platformmod"
	rmrisk "github.com/astrabastion/astra/projections/risk"
	rmtrust "github.com/astrabastion/astra/projections/trust"
	"github.com/astrabastion/astra/reactors"
	rxpf "github.com/astrabastion/astra/reactors/platformmod"
)

// PlatformWorkflowScan is how often workflow runs past their deadline are
// looked for (one indexed query when there is none).
var PlatformWorkflowScan = 5 * time.Second

// The Platform module: the platform's own error mappings (what every
// module's commands may return), and its features: outbound integrations
// (CloudEvents webhooks signed per Standard Webhooks) and reports.
func init() {
	register(Module{
		Name:  "platform",
		Title: "Platform",
		Tags: map[string]string{
			"platform-integrations":  "Outbound webhooks: CloudEvents over HTTP, signed per Standard Webhooks, retried on a schedule, with a dead-letter list and replay.",
			"platform-notifications": "In-app notifications per user (read, read-all) and the channels (e-mail, webhook, Slack) that rules route AEGIS alerts and workflow steps to.",
			"platform-workflows":     "Approval workflows: events and conditions start runs (a process manager each) approved or rejected by role, with four eyes, timeout and escalation.",
			"platform-reports":       "Asynchronous reports (trust summary, assessment, risk register with loss exceedance charts, audit trail) as PDF, CSV or JSON, hashed.",
		},
		// After every module whose events it delivers and reports on.
		Order: 90,
		Errors: platform.Codes{
			"PLT-001": platform.Entry(http.StatusNotFound, "Integration not found", "No integration with that id exists in the tenant."),
			"PLT-002": platform.Entry(http.StatusUnprocessableEntity, "Invalid integration",
				"An integration needs a name, an absolute https URL that the outbound address rules allow, and 1 to 100 event type patterns (\"*\", a com.astra type or a prefix ending in \".*\")."),
			"PLT-003": platform.Entry(http.StatusConflict, "Integration disabled", "The integration is disabled: enable it first."),
			"PLT-004": platform.Entry(http.StatusUnprocessableEntity, "Event not found", "after_event_id names no event of the tenant."),
			"PLT-005": platform.Entry(http.StatusNotFound, "Report not found", "No report with that id exists in the tenant."),
			"PLT-006": platform.Entry(http.StatusConflict, "Report not ready", "The report is queued, running or failed: download it once its status is done."),
			"PLT-007": platform.Entry(http.StatusUnprocessableEntity, "Invalid report", "A report needs a known kind and format; an assessment report an assessment_id; an audit range from before to."),
			"PLT-009": platform.Entry(http.StatusNotFound, "Notification channel not found", "No notification channel with that id exists in the tenant."),
			"PLT-010": platform.Entry(http.StatusUnprocessableEntity, "Invalid notification channel",
				"A channel needs a name, a type (email, webhook, slack), an e-mail address or an https URL the outbound address rules allow, and valid event type patterns."),
			"PLT-011": platform.Entry(http.StatusNotFound, "Notification not found", "No notification with that id is addressed to the caller."),
			"PLT-012": platform.Entry(http.StatusNotFound, "Workflow not found", "No approval workflow with that id exists in the tenant."),
			"PLT-013": platform.Entry(http.StatusUnprocessableEntity, "Invalid workflow",
				"A workflow needs a name, one com.astra event type as trigger, conditions naming fields, 1 to 5 approvals, an approver role and a timeout of 1 s to 90 days."),
			"PLT-014": platform.Entry(http.StatusNotFound, "Workflow run not found", "No workflow run with that id exists in the tenant."),
			"PLT-015": platform.Entry(http.StatusConflict, "Workflow run closed", "The run was approved, rejected or timed out already."),
			"PLT-016": platform.Entry(http.StatusForbidden, "Not an approver", "The step needs another role, the requester cannot approve their own change, and nobody approves twice."),
			"PLT-008": platform.Entry(http.StatusInternalServerError, "Report content changed", "The stored report no longer hashes to the SHA-256 recorded when it was generated, or is missing: nothing is served."),
		},
		DomainErrors: []platform.DomainError{
			{Err: eventstore.ErrVersionMismatch, Code: "CON-001", Detail: "The resource changed since the version in If-Match; read it again."},
			{Err: platformmod.ErrIntegrationNotFound, Code: "PLT-001", Detail: "No such integration in this tenant."},
			{Err: platformmod.ErrInvalidIntegration, Code: "PLT-002"},
			{Err: platformmod.ErrIntegrationDisabled, Code: "PLT-003", Detail: "The integration is disabled."},
			{Err: platformmod.ErrEventNotFound, Code: "PLT-004", Detail: "No such event in this tenant."},
			{Err: platformmod.ErrReportNotFound, Code: "PLT-005", Detail: "No such report in this tenant."},
			{Err: platformmod.ErrReportNotReady, Code: "PLT-006", Detail: "The report is not done."},
			{Err: platformmod.ErrInvalidReport, Code: "PLT-007"},
			{Err: platformmod.ErrChannelNotFound, Code: "PLT-009", Detail: "No such notification channel in this tenant."},
			{Err: platformmod.ErrInvalidChannel, Code: "PLT-010"},
			{Err: platformmod.ErrNotificationNotFound, Code: "PLT-011", Detail: "No such notification for the caller."},
			{Err: platformmod.ErrWorkflowNotFound, Code: "PLT-012", Detail: "No such workflow in this tenant."},
			{Err: platformmod.ErrInvalidWorkflow, Code: "PLT-013"},
			{Err: platformmod.ErrRunNotFound, Code: "PLT-014", Detail: "No such workflow run in this tenant."},
			{Err: platformmod.ErrRunClosed, Code: "PLT-015", Detail: "The run is closed."},
			{Err: platformmod.ErrNotApprover, Code: "PLT-016"},
			{Err: platformmod.ErrReportTampered, Code: "PLT-008", Detail: "The stored report does not match its recorded hash."},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmpf.New()} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			guard, err := netguard.New(rt.Cfg.AllowPrivateURLs)
			if err != nil {
				return nil, err
			}
			roots, err := netguard.RootsWithFile(rt.Cfg.OutboundCAFile)
			if err != nil {
				return nil, err
			}
			client := guard.Client(netguard.ClientOptions{Timeout: 15 * time.Second, RootCAs: roots, HTTPSOnly: true, MaxResponseBytes: 64 << 10,
				IdleConnsPerHost: 256})
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			blobs := &blobstore.Store{Dir: filepath.Join(rt.Cfg.DataDir, "platform", "reports")}
			queries := &rmpf.Queries{Runner: rt.Stack.Runner, Blobs: blobs}
			queue := &rmpf.Deliveries{Pool: rt.Stack.Pool, Runner: rt.Stack.Runner}
			commands := &cmdpf.Handlers{Store: rt.Stack.Store, Keys: rt.Stack.Keys, Guard: guard}
			outbox := &obpf.Outbox{Queue: queue, Queries: queries, Commands: commands, Keys: rt.Stack.Keys, Client: client,
				Instance: uuid.NewString(), Log: rt.Log, Scale: rt.Cfg.WebhookRetryScale}
			api := &httppf.API{Commands: commands, Queries: queries, Queue: queue, Writes: rt.Writes}
			reports := &rxpf.Reports{Commands: commands, Store: rt.Stack.Store, Keys: rt.Stack.Keys, Blobs: blobs,
				Risk: &rmrisk.Queries{Runner: rt.Stack.Runner}, Trust: &rmtrust.Queries{Runner: rt.Stack.Runner}, Cmp: &rmcmp.Queries{Runner: rt.Stack.Runner}}
			mailer, err := httpiam.NewOutbox(rt.Cfg.SMTPURL, filepath.Join(rt.Cfg.DataDir, "outbox"))
			if err != nil {
				return nil, err
			}
			notifier := &obpf.Notifier{Commands: commands, Queries: queries, Keys: rt.Stack.Keys, Mail: mailer.(httpiam.Mailer), Client: client}
			notes := &rxpf.Notifications{Commands: commands}
			flows := &rxpf.Workflows{Commands: commands, Queries: queries, Risk: &rmrisk.Queries{Runner: rt.Stack.Runner}}
			expiry := Every("platform workflow deadlines", PlatformWorkflowScan, rt.Log, flows.Expire)
			return &Parts{Routes: api.Routes(),
				Reactors: []reactors.Reactor{outbox.Reactor(), reports.Reactor(), notes.Alerts(), notifier.Channels(), notes.WorkflowSteps(), flows.Triggers()},
				Workers:  []Worker{{Name: "platform webhook deliveries", Run: outbox.Run}, expiry}}, nil
		},
	})
}
