package writes

import (
	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/commands"
)

// Then finishes a write handler the one way they all finish: the command's
// error is returned as it is (the platform maps it); otherwise the request
// waits until projection applied evs (read-your-writes, see Await) and
// answer reads the fresh state and responds.
//
//	evs, err := a.Commands.CloseRisk(ctx, writes.Metadata(c), cmd)
//	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answer(c, http.StatusOK, id) })
func (k *Kit) Then(c echo.Context, evs []commands.Event, err error, projection string, answer func() error) error {
	if err != nil {
		return err
	}
	k.Await(c, evs, projection)
	return answer()
}
