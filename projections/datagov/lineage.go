package datagov

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/datagov/openlineage"
)

// Node kinds of the lineage graph (Marquez's names).
const (
	NodeDataset = "DATASET"
	NodeJob     = "JOB"
)

// Directions a lineage query walks.
const (
	Upstream   = "upstream"
	Downstream = "downstream"
	Both       = "both"
)

// MaxLineageNodes bounds one graph answer (Truncated says when it was cut).
const MaxLineageNodes = 1000

// Edge is a directed edge of the graph, data flowing from origin to destination.
type Edge struct {
	Origin      string `json:"origin"`
	Destination string `json:"destination"`
}

// LatestRun is a job's most recent run event.
type LatestRun struct {
	RunID     string    `json:"runId"`
	State     string    `json:"state" enum:"START,RUNNING,COMPLETE,ABORT,FAIL,OTHER"`
	EventTime time.Time `json:"eventTime"`
}

// NodeData is what the graph knows of a node: a dataset's schema fields and
// column lineage (output column → the input columns it comes from), a job's
// latest run.
type NodeData struct {
	Namespace     string                              `json:"namespace"`
	Name          string                              `json:"name"`
	Fields        []openlineage.Field                 `json:"fields,omitempty"`
	ColumnLineage map[string][]openlineage.InputField `json:"columnLineage,omitempty"`
	LatestRun     *LatestRun                          `json:"latestRun,omitempty"`
}

// Node is one dataset or job of the graph, in Marquez's lineage shape (id
// "dataset:<namespace>:<name>" or "job:<namespace>:<name>").
type Node struct {
	ID       string   `json:"id"`
	Type     string   `json:"type" enum:"DATASET,JOB"`
	Depth    int      `json:"depth"`
	Data     NodeData `json:"data"`
	InEdges  []Edge   `json:"inEdges"`
	OutEdges []Edge   `json:"outEdges"`
}

// Graph is a depth-capped lineage graph around one node.
type Graph struct {
	Root      string `json:"root"`
	Depth     int    `json:"depth"`
	Direction string `json:"direction" enum:"upstream,downstream,both"`
	Graph     []Node `json:"graph"`
	// Truncated is set when the graph was cut at MaxLineageNodes.
	Truncated bool `json:"truncated"`
}

// NodeID renders a node's id.
func NodeID(kind, namespace, name string) string {
	return strings.ToLower(kind) + ":" + namespace + ":" + name
}

type nodeKey struct{ kind, ns, name string }

func (k nodeKey) id() string { return NodeID(k.kind, k.ns, k.name) }

// Lineage walks the graph from a dataset (kind DATASET) or job (kind JOB) up
// to depth edges away, in the given direction; ErrLineageNodeNotFound when
// the tenant's lineage never saw the node.
func (q *Queries) Lineage(ctx context.Context, tenant, kind, namespace, name string, depth int, direction string) (*Graph, error) {
	root := nodeKey{kind, namespace, name}
	g := &Graph{Root: root.id(), Depth: depth, Direction: direction, Graph: []Node{}}
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		depthOf := map[nodeKey]int{root: 0}
		order := []nodeKey{root}
		edges := map[Edge]bool{}
		frontier := []nodeKey{root}
		for d := 1; d <= depth && len(frontier) > 0; d++ {
			var next []nodeKey
			for _, n := range frontier {
				found, err := neighbours(ctx, tx, s, tenant, n, direction)
				if err != nil {
					return err
				}
				if d == 1 && len(found) == 0 && n == root {
					ok, err := known(ctx, tx, s, tenant, root)
					if err != nil || !ok {
						if err == nil {
							err = datagov.ErrLineageNodeNotFound
						}
						return err
					}
				}
				for _, f := range found {
					edges[f.edge] = true
					if _, seen := depthOf[f.node]; seen {
						continue
					}
					if len(order) >= MaxLineageNodes {
						g.Truncated = true
						continue
					}
					depthOf[f.node] = d
					order = append(order, f.node)
					next = append(next, f.node)
				}
			}
			frontier = next
		}
		if depth == 0 {
			if ok, err := known(ctx, tx, s, tenant, root); err != nil || !ok {
				if err == nil {
					err = datagov.ErrLineageNodeNotFound
				}
				return err
			}
		}
		nodes := make(map[string]*Node, len(order))
		for _, k := range order {
			n := &Node{ID: k.id(), Type: k.kind, Depth: depthOf[k], Data: NodeData{Namespace: k.ns, Name: k.name}, InEdges: []Edge{}, OutEdges: []Edge{}}
			if err := describe(ctx, tx, s, tenant, k, &n.Data); err != nil {
				return err
			}
			nodes[n.ID] = n
		}
		sorted := make([]Edge, 0, len(edges))
		for e := range edges {
			sorted = append(sorted, e)
		}
		slices.SortFunc(sorted, func(a, b Edge) int {
			return strings.Compare(a.Origin+"\x00"+a.Destination, b.Origin+"\x00"+b.Destination)
		})
		for _, e := range sorted {
			if o, ok := nodes[e.Origin]; ok {
				if d, ok := nodes[e.Destination]; ok {
					o.OutEdges = append(o.OutEdges, e)
					d.InEdges = append(d.InEdges, e)
				}
			}
		}
		for _, k := range order {
			g.Graph = append(g.Graph, *nodes[k.id()])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

type hop struct {
	node nodeKey
	edge Edge
}

// neighbours are the nodes one edge away from n in direction. A job reads its
// input datasets (dataset → job) and writes its outputs (job → dataset).
func neighbours(ctx context.Context, tx pgx.Tx, s, tenant string, n nodeKey, direction string) ([]hop, error) {
	var q string
	if n.kind == NodeDataset {
		q = `SELECT job_namespace, job_name, direction FROM ` + s + `.lineage_edges WHERE tenant_id = $1 AND dataset_namespace = $2 AND dataset_name = $3`
	} else {
		q = `SELECT dataset_namespace, dataset_name, direction FROM ` + s + `.lineage_edges WHERE tenant_id = $1 AND job_namespace = $2 AND job_name = $3`
	}
	rows, err := tx.Query(ctx, q+` ORDER BY 1, 2, 3`, tenant, n.ns, n.name)
	if err != nil {
		return nil, err
	}
	type row struct{ NS, Name, Dir string }
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return nil, err
	}
	var out []hop
	for _, r := range rs {
		var other nodeKey
		var e Edge
		upstream := false
		if n.kind == NodeDataset {
			other = nodeKey{NodeJob, r.NS, r.Name}
			if r.Dir == "in" { // dataset → job: downstream of the dataset
				e = Edge{n.id(), other.id()}
			} else { // job → dataset: upstream of the dataset
				e, upstream = Edge{other.id(), n.id()}, true
			}
		} else {
			other = nodeKey{NodeDataset, r.NS, r.Name}
			if r.Dir == "in" { // dataset → job: upstream of the job
				e, upstream = Edge{other.id(), n.id()}, true
			} else {
				e = Edge{n.id(), other.id()}
			}
		}
		if direction == Both || (direction == Upstream) == upstream {
			out = append(out, hop{other, e})
		}
	}
	return out, nil
}

// known reports whether the tenant's lineage holds the node at all.
func known(ctx context.Context, tx pgx.Tx, s, tenant string, n nodeKey) (bool, error) {
	col := "dataset"
	if n.kind == NodeJob {
		col = "job"
	}
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+s+`.lineage_edges WHERE tenant_id = $1 AND `+col+`_namespace = $2 AND `+col+`_name = $3)
		OR ($4 AND EXISTS (SELECT 1 FROM `+s+`.lineage_events WHERE tenant_id = $1 AND job_namespace = $2 AND job_name = $3))`,
		tenant, n.ns, n.name, n.kind == NodeJob).Scan(&ok)
	return ok, err
}

// describe reads a node's data: a dataset's latest schema and column
// lineage facets, a job's latest run event.
func describe(ctx context.Context, tx pgx.Tx, s, tenant string, n nodeKey, d *NodeData) error {
	if n.kind == NodeDataset {
		err := tx.QueryRow(ctx, `SELECT fields, column_lineage FROM `+s+`.lineage_datasets WHERE tenant_id = $1 AND namespace = $2 AND name = $3`,
			tenant, n.ns, n.name).Scan(&d.Fields, &d.ColumnLineage)
		if err == pgx.ErrNoRows {
			return nil
		}
		return err
	}
	var r LatestRun
	err := tx.QueryRow(ctx, `SELECT run_id, event_type, event_time FROM `+s+`.lineage_events WHERE tenant_id = $1 AND job_namespace = $2 AND job_name = $3
		ORDER BY event_time DESC, position DESC LIMIT 1`, tenant, n.ns, n.name).Scan(&r.RunID, &r.State, &r.EventTime)
	if err == pgx.ErrNoRows {
		return nil
	}
	if err == nil {
		d.LatestRun = &r
	}
	return err
}
