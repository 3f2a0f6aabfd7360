package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
)

// OFREPRequest is the body of an OpenFeature Remote Evaluation Protocol
// request: the evaluation context.
type OFREPRequest struct {
	Context map[string]any `json:"context" doc:"The evaluation context: targetingKey (a string: the user or API key id that percentage rollouts and user rules use) and any other attributes. The tenant is always the credential's, whatever the context says."`
}

// OFREPResult is one flag's evaluation: a value with its variant and reason,
// or (in a bulk answer) an error code with its details.
type OFREPResult struct {
	Key          string         `json:"key" doc:"The flag's key."`
	Value        any            `json:"value,omitempty" doc:"The value served (absent when the evaluation failed)."`
	Reason       string         `json:"reason,omitempty" enum:"STATIC,DEFAULT,TARGETING_MATCH,SPLIT,DISABLED" doc:"Why: no rules (STATIC), no rule matched (DEFAULT), a rule matched (TARGETING_MATCH), a percentage split (SPLIT), the kill switch (DISABLED)."`
	Variant      string         `json:"variant,omitempty" doc:"The variant served."`
	Metadata     map[string]any `json:"metadata,omitempty" doc:"version: the flag's version."`
	ErrorCode    string         `json:"errorCode,omitempty" enum:"FLAG_NOT_FOUND,PARSE_ERROR,TARGETING_KEY_MISSING,INVALID_CONTEXT,GENERAL" doc:"In a bulk answer, why a flag could not be evaluated."`
	ErrorDetails string         `json:"errorDetails,omitempty" doc:"What went wrong, for logs."`
}

// OFREPBulk is the answer of a bulk evaluation: every flag of the platform.
type OFREPBulk struct {
	Flags []OFREPResult `json:"flags" doc:"Every flag, evaluated (or failed) for the context."`
}

// ofrepDialect writes errors in OFREP's shape: {key, errorCode,
// errorDetails} (the key for single evaluations), FLAG_NOT_FOUND for 404,
// PARSE_ERROR for a body that cannot be read, GENERAL for the rest.
type ofrepDialect struct{ bulk bool }

func (d ofrepDialect) WriteError(c echo.Context, status int, e *platform.Error) error {
	code := e.DialectCode
	if code == "" {
		switch status {
		case http.StatusNotFound:
			code = admin.ErrorFlagNotFound
		case http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge:
			code = admin.ErrorParse
		default:
			code = admin.ErrorGeneral
		}
	}
	details := e.Detail
	if details == "" {
		details = e.Title
	}
	body := map[string]string{"errorCode": code, "errorDetails": details}
	if !d.bulk {
		body["key"] = c.Param("key")
	}
	return c.JSON(status, body)
}

// OFREPRoutes are the OpenFeature Remote Evaluation Protocol's routes, so
// that any OpenFeature SDK with an OFREP provider (baseUrl: the server's
// /api/v1) evaluates the platform's flags. Any credential may evaluate; the
// tenant evaluated for is always the credential's (the acting tenant).
func (a *API) OFREPRoutes() []platform.Route {
	const p = "/api/v1/ofrep/v1/evaluate/flags"
	return []platform.Route{
		{Method: http.MethodPost, Path: p + "/:key", OperationID: "ofrepEvaluateFlag", Tag: "admin",
			Summary:    "OpenFeature remote evaluation (OFREP) of one flag for the credential's tenant and the context's targetingKey; errors in OFREP's shape ({key, errorCode, errorDetails}: 404 FLAG_NOT_FOUND, 400 PARSE_ERROR, INVALID_CONTEXT, TARGETING_KEY_MISSING)",
			Permission: auth.Authenticated, Request: OFREPRequest{}, Response: OFREPResult{}, Raw: true, Dialect: ofrepDialect{},
			Handler: a.ofrepEvaluate, Errors: []int{404}},
		{Method: http.MethodPost, Path: p, OperationID: "ofrepEvaluateFlags", Tag: "admin",
			Summary:    "OpenFeature remote evaluation (OFREP) of every flag for the credential's tenant and the context's targetingKey; a flag that cannot be evaluated is listed with its errorCode",
			Permission: auth.Authenticated, Request: OFREPRequest{}, Response: OFREPBulk{}, Raw: true, Dialect: ofrepDialect{bulk: true},
			Handler: a.ofrepEvaluateAll},
	}
}

// ofrepContext reads the evaluation context of a request (an empty body is
// an empty context).
func ofrepContext(c echo.Context) (admin.EvalContext, error) {
	var req OFREPRequest
	if c.Request().ContentLength != 0 {
		if err := platform.Bind(c, &req); err != nil {
			return admin.EvalContext{}, err
		}
	}
	ec := admin.EvalContext{TenantID: auth.PrincipalOf(c).ActingTenant}
	if k, ok := req.Context["targetingKey"]; ok && k != nil {
		key, isString := k.(string)
		if !isString {
			return ec, platform.Problem("ADM-008", "context.targetingKey must be a string.").WithDialectCode(admin.ErrorInvalidContext)
		}
		ec.TargetingKey = key
	}
	return ec, nil
}

func result(key string, r admin.Resolution, version int64) OFREPResult {
	if r.ErrorCode != "" {
		return OFREPResult{Key: key, ErrorCode: r.ErrorCode, ErrorDetails: r.ErrorDetail}
	}
	return OFREPResult{Key: key, Value: r.Value, Reason: r.Reason, Variant: r.Variant, Metadata: map[string]any{"version": version}}
}

func (a *API) ofrepEvaluate(c echo.Context) error {
	ec, err := ofrepContext(c)
	if err != nil {
		return err
	}
	key := c.Param("key")
	r, version := a.Flags.Evaluate(key, ec)
	switch r.ErrorCode {
	case "":
		return c.JSON(http.StatusOK, result(key, r, version))
	case admin.ErrorFlagNotFound:
		return platform.Problem("ADM-002", "No feature flag '"+key+"'.")
	case admin.ErrorTargetingKeyMissing:
		return platform.Problem("ADM-009", r.ErrorDetail+".").WithDialectCode(r.ErrorCode)
	}
	return platform.Problem("SYS-001", r.ErrorDetail)
}

func (a *API) ofrepEvaluateAll(c echo.Context) error {
	ec, err := ofrepContext(c)
	if err != nil {
		return err
	}
	all, _ := a.Flags.All()
	out := OFREPBulk{Flags: make([]OFREPResult, 0, len(all))}
	for _, f := range all {
		out.Flags = append(out.Flags, result(f.Flag.Key, f.Flag.Evaluate(ec), f.Version))
	}
	return c.JSON(http.StatusOK, out)
}
