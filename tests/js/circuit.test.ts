/** CircuitView's pure parts: decoding, layout, top-k selection with pruning, paths through a node. */
import { describe, expect, it } from "vitest";

import {
  decodeEdges, edgePath, edgeStyle, maxAbs, layoutGraph, pathsThrough, selectEdges, usedNodes,
  type GraphSpec,
} from "../../js/views/circuit_model";
import { circuitState, EDGES } from "./circuit_fixture";

const state = circuitState();
const graph = state.graph as GraphSpec;

describe("circuit model", () => {
  it("decodes the edge payloads (unaligned views) in order", () => {
    const e = decodeEdges(state);
    expect(e).not.toBeNull();
    expect(Array.from(e!.src)).toEqual(EDGES.map((x) => x[0]));
    expect(Array.from(e!.dst)).toEqual(EDGES.map((x) => x[1]));
    expect(Array.from(e!.kind)).toEqual(EDGES.map((x) => x[2]));
    expect(Array.from(e!.score)).toEqual(Array.from(Float32Array.from(EDGES.map((x) => x[3]))));
    expect(decodeEdges({ ...state, edge_score: null })).toBeNull();
  });

  it("lays out layers as rows: input at the bottom, logits on top, heads in order, MLP half a row up", () => {
    const lay = layoutGraph(graph);
    const y = (name: string): number => lay.nodes[graph.nodes.findIndex((n) => n.name === name)].y;
    const x = (name: string): number => lay.nodes[graph.nodes.findIndex((n) => n.name === name)].x;
    expect(y("input")).toBeGreaterThan(y("L0.H0"));
    expect(y("L0.H0")).toBeGreaterThan(y("MLP0"));
    expect(y("MLP0")).toBeGreaterThan(y("L1.H0"));
    expect(y("L1.H2")).toBeGreaterThan(y("logits"));
    expect(x("L0.H0")).toBeLessThan(x("L0.H1"));
    expect(x("L1.H2")).toBeLessThan(x("MLP1"));
    // no two nodes overlap
    for (let i = 0; i < lay.nodes.length; i++) {
      for (let j = i + 1; j < lay.nodes.length; j++) {
        const a = lay.nodes[i];
        const b = lay.nodes[j];
        const apart = Math.abs(a.x - b.x) >= a.hw + b.hw || Math.abs(a.y - b.y) >= a.hh + b.hh;
        expect(apart, `${graph.nodes[i].name} overlaps ${graph.nodes[j].name}`).toBe(true);
      }
    }
    expect(lay.width).toBeGreaterThan(0);
    expect(edgePath(lay.nodes[0], lay.nodes[1], 0)).toMatch(/^M[\d.]+,[\d.]+C/);
    // a key input ends at the node's centre, a query input left of it
    const end = (d: string): number => Number(d.split(" ").pop()!.split(",")[0]);
    expect(end(edgePath(lay.nodes[0], lay.nodes[6], 1))).toBeLessThan(end(edgePath(lay.nodes[0], lay.nodes[6], 2)));
  });

  it("readable at 12 x 12: heads at least a label apart", () => {
    const nodes = [{ name: "input", kind: "input" as const, layer: -1, head: -1 }];
    const lay = layoutGraph({ n_layers: 12, n_heads: 12, qkv: false, parallel: false, nodes });
    expect(lay.rows.length).toBe(12);
    expect(lay.rows[0] - lay.rows[1]).toBeGreaterThan(60);
  });

  it("keeps the top k edges that lie on input -> logits paths", () => {
    const e = decodeEdges(state)!;
    expect(selectEdges(e, 2, graph.nodes.length)).toEqual([0, 1]);
    // k = 4: L1.H1 -> MLP1 -> logits has no source yet: dropped
    expect(selectEdges(e, 4, graph.nodes.length)).toEqual([0, 1]);
    // k = 5: input -> L1.H1 completes the path
    expect(selectEdges(e, 5, graph.nodes.length)).toEqual([0, 1, 2, 3, 4]);
    // the dangling sixth edge never joins
    expect(selectEdges(e, 6, graph.nodes.length)).toEqual([0, 1, 2, 3, 4]);
    expect(selectEdges(e, 0, graph.nodes.length)).toEqual([]);
    expect([...usedNodes(e, [0, 1])].sort((a, b) => a - b)).toEqual([0, 1, 9]);
  });

  it("finds the paths through a node", () => {
    const e = decodeEdges(state)!;
    const sel = selectEdges(e, 5, graph.nodes.length);
    const p = pathsThrough(e, sel, 8); // MLP1
    expect([...p.edges].sort()).toEqual([2, 3, 4]);
    expect(p.nodes.has(1)).toBe(false);
    const q = pathsThrough(e, sel, 0); // input: everything downstream
    expect(q.edges.size).toBe(5);
  });

  it("styles edges on a square-root scale of the visible edges' largest |score|", () => {
    expect(maxAbs([3, -5, 1], [0, 2])).toBe(3);
    expect(maxAbs([3, -5, 1], [])).toBe(1);
    const strong = edgeStyle(-4, 4, 10);
    const weak = edgeStyle(1, 4, 10);
    expect(strong.colourValue).toBeCloseTo(-4);
    expect(weak.colourValue).toBeCloseTo(2); // sqrt(1/4) of the limit: still visibly coloured
    expect(strong.width).toBeGreaterThan(weak.width);
    expect(weak.width).toBeGreaterThan(0.6);
    expect(edgeStyle(-4, 4, 1000).width).toBeLessThan(strong.width); // thinner when many are shown
  });
});
