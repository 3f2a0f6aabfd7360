package cybertwins

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/cybertwins"
	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/cybertwins"
)

// MaxGraphNodes bounds a neighbourhood answer.
const MaxGraphNodes = 10_000

// queryBool reads an optional boolean query parameter.
func queryBool(c echo.Context, name string) (*bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, platform.Problem("VAL-005", name+" must be true or false.")
	}
	return &b, nil
}

func (a *API) assets(c echo.Context) error {
	f := rm.AssetFilter{Type: c.QueryParam("type"), Owner: c.QueryParam("owner"), Tag: c.QueryParam("tag")}
	var err error
	if f.EntryPoint, err = queryBool(c, "entry_point"); err != nil {
		return err
	}
	if f.CrownJewel, err = queryBool(c, "crown_jewel"); err != nil {
		return err
	}
	if f.MinCriticality, err = platform.QueryInt(c, "min_criticality", 0, 1, 5); err != nil {
		return err
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Asset], error) {
		return a.Queries.Assets(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) answerAsset(c echo.Context, status int, id string) error {
	x, err := a.Queries.Asset(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		created(c, "assets/"+id)
	}
	return platform.Respond(c, status, x)
}

func (a *API) asset(c echo.Context) error {
	id, err := assetID(c)
	if err != nil {
		return err
	}
	return a.answerAsset(c, http.StatusOK, id)
}

func (a *API) addAsset(c echo.Context) error {
	var req AssetRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.AddAsset(c.Request().Context(), writes.Metadata(c), cybertwins.Asset{Name: req.Name, Type: req.Type,
		Criticality: req.Criticality, Owner: req.Owner, Tags: req.Tags, EntryPoint: req.EntryPoint, CrownJewel: req.CrownJewel})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAsset(c, http.StatusCreated, id) })
}

func (a *API) updateAsset(c echo.Context) error {
	id, err := assetID(c)
	if err != nil {
		return err
	}
	var req AssetPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateAsset(c.Request().Context(), writes.Metadata(c), cybertwins.AssetUpdatedV1{AssetID: id, Name: req.Name, Type: req.Type,
		Criticality: req.Criticality, Owner: req.Owner, Tags: req.Tags, EntryPoint: req.EntryPoint, CrownJewel: req.CrownJewel})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAsset(c, http.StatusOK, id) })
}

func (a *API) removeAsset(c echo.Context) error {
	id, err := assetID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.RemoveAsset(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) relationships(c echo.Context) error {
	f := rm.RelationshipFilter{Source: c.QueryParam("source"), Target: c.QueryParam("target"), Type: c.QueryParam("type")}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Relationship], error) {
		return a.Queries.Relationships(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) link(c echo.Context) error {
	var req RelationshipRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	r := cybertwins.Relationship{Source: req.Source, Target: req.Target, Type: req.Type, Exploitability: req.Exploitability}
	evs, err := a.Commands.Link(c.Request().Context(), writes.Metadata(c), r)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		page, err := a.Queries.Relationships(c.Request().Context(), tenant(c), rm.RelationshipFilter{Source: r.Source, Target: r.Target, Type: r.Type},
			projections.PageRequest{Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return cybertwins.ErrRelationshipNotFound
		}
		return platform.Respond(c, http.StatusCreated, page.Items[0])
	})
}

func (a *API) unlink(c echo.Context) error {
	var req RelationshipKey
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.Unlink(c.Request().Context(), writes.Metadata(c), cybertwins.LinkKey{Source: req.Source, Target: req.Target, Type: req.Type})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) importGraph(c echo.Context) error {
	req := c.Request()
	mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	var format string
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl":
		format = cmd.FormatNDJSON
	case "text/csv":
		format = cmd.FormatCSV
	default:
		return platform.Problem("VAL-003", "An import is application/x-ndjson or text/csv, not "+strconv.Quote(mt)+".")
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, platform.BodyLimit(c))
	rep, evs, err := a.Commands.Import(req.Context(), writes.Metadata(c), format, req.Body)
	var tooLarge *http.MaxBytesError
	if errorsAs(err, &tooLarge) {
		return platform.Problem("VAL-004", "The import is larger than "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes.")
	}
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return platform.Respond(c, http.StatusOK, rep) })
}

func (a *API) graph(c echo.Context) error {
	ctx := c.Request().Context()
	depth, err := platform.QueryInt(c, "depth", 2, 0, 5)
	if err != nil {
		return err
	}
	crown, err := queryBool(c, "crown_jewel")
	if err != nil {
		return err
	}
	entry, err := queryBool(c, "entry_point")
	if err != nil {
		return err
	}
	typ, relType, root := c.QueryParam("type"), c.QueryParam("relationship_type"), c.QueryParam("root")
	direction := c.QueryParam("direction")
	if direction == "" {
		direction = cybertwins.Both
	}
	g, err := a.Queries.Index.Graph(ctx, tenant(c))
	if err != nil {
		return err
	}
	keep := func(x *cybertwins.Asset) bool {
		return (typ == "" || x.Type == typ) && (crown == nil || x.CrownJewel == *crown) && (entry == nil || x.EntryPoint == *entry)
	}
	if root != "" {
		var accept func(*cybertwins.Link) bool
		if relType != "" {
			accept = func(l *cybertwins.Link) bool { return l.Type == relType }
		}
		reached, edges, truncated, err := g.Neighbourhood(root, depth, direction, MaxGraphNodes, accept)
		if err != nil {
			return err
		}
		// Only the page asked for is built: a depth-3 walk reaches thousands
		// of nodes, and a page shows a few hundred of them.
		kept := reached[:0]
		in := make(map[string]struct{}, len(reached))
		for i, r := range reached {
			if x, _ := g.Asset(r.ID); i == 0 || keep(x) {
				in[r.ID] = struct{}{}
				kept = append(kept, r)
			}
		}
		if truncated {
			c.Response().Header().Set("X-Astra-Truncated", "true")
		}
		return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[Node], error) {
			page, err := projections.PageOf(kept, p, func(r cybertwins.Reached) string { return r.ID })
			if err != nil {
				return projections.Page[Node]{}, err
			}
			nodes := projections.MapPage(page, func(r cybertwins.Reached) Node {
				x, _ := g.Asset(r.ID)
				return nodeOf(x, r.Depth)
			})
			at := make(map[string]int, len(nodes.Items))
			for i, n := range nodes.Items {
				at[n.ID] = i
			}
			for _, e := range edges {
				l := g.Link(e)
				if s, ok := at[l.Source]; ok {
					if _, ok := in[l.Target]; ok {
						nodes.Items[s].Links = append(nodes.Items[s].Links, Edge{Target: l.Target, Type: l.Type, Exploitability: l.Exploitability})
					}
				}
			}
			return nodes, nil
		})
	}
	list := g.AssetList()
	var kept []*cybertwins.Asset
	for i := range list {
		if keep(&list[i]) {
			kept = append(kept, &list[i])
		}
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[Node], error) {
		page, err := projections.PageOf(kept, p, func(x *cybertwins.Asset) string { return x.ID })
		if err != nil {
			return projections.Page[Node]{}, err
		}
		nodes := projections.MapPage(page, func(x *cybertwins.Asset) Node { return nodeOf(x, 0) })
		for i := range nodes.Items {
			for _, l := range g.Out(nodes.Items[i].ID) {
				if x, ok := g.Asset(l.Target); ok && keep(x) && (relType == "" || l.Type == relType) {
					nodes.Items[i].Links = append(nodes.Items[i].Links, Edge{Target: l.Target, Type: l.Type, Exploitability: l.Exploitability})
				}
			}
		}
		return nodes, nil
	})
}

// nodeOf is an asset as a node of a graph answer, with no links yet.
func nodeOf(x *cybertwins.Asset, depth int) Node {
	return Node{ID: x.ID, Name: x.Name, Type: x.Type, Criticality: x.Criticality, EntryPoint: x.EntryPoint, CrownJewel: x.CrownJewel,
		Depth: depth, Links: []Edge{}}
}

func (a *API) computePaths(c echo.Context) error {
	var req AttackPathsRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.ComputePaths(c.Request().Context(), writes.Metadata(c), cmd.ComputePaths{K: req.K, Sources: req.Sources, Targets: req.Targets, At: req.At})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		x, err := rm.ComputationOf(&evs[0])
		if err != nil {
			return err
		}
		created(c, "attack-paths/"+id)
		return platform.Respond(c, http.StatusCreated, x)
	})
}

func (a *API) computations(c echo.Context) error {
	before, err := platform.QueryTime(c, "before")
	if err != nil {
		return err
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Computation], error) {
		return a.Queries.Computations(c.Request().Context(), tenant(c), before, p)
	})
}

func (a *API) computation(c echo.Context) error {
	id, err := computationID(c)
	if err != nil {
		return err
	}
	x, err := a.Queries.Computation(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, x)
}

func (a *API) simulateCampaign(c echo.Context) error {
	var req CampaignRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.SimulateCampaign(c.Request().Context(), writes.Metadata(c), req.Name, req.Techniques)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		x, err := a.Queries.Campaign(c.Request().Context(), tenant(c), id)
		if err != nil {
			return err
		}
		created(c, "campaigns/"+id)
		return platform.Respond(c, http.StatusCreated, x)
	})
}

func (a *API) campaigns(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Campaign], error) {
		return a.Queries.Campaigns(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) campaign(c echo.Context) error {
	id, err := campaignID(c)
	if err != nil {
		return err
	}
	x, err := a.Queries.Campaign(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, x)
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
