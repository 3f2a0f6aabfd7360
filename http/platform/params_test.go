package platform

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestIDParam_AnIDThatIsNoUUIDIsNotFound(t *testing.T) {
	errNotFound := errors.New("no such thing")
	id := IDParam(errNotFound)
	e := echo.New()
	for _, c := range []struct {
		param string
		want  error
	}{
		{"0190b1c4-7d3a-7b2e-9f00-4c1d2e3f4a5b", nil},
		{"not-a-uuid", errNotFound},
		{"", errNotFound},
	} {
		ctx := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		ctx.SetParamNames("id")
		ctx.SetParamValues(c.param)
		got, err := id(ctx)
		if !errors.Is(err, c.want) || (err == nil && got != c.param) {
			t.Errorf("%q: %q %v", c.param, got, err)
		}
	}
}
