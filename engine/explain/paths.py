"""Every path from one neuron to the loss, found lazily in order of |contribution|, with exact totals.

∂L/∂w for w = W_S→T[i, j] is a sum over the paths j → … → output neuron k → L of the neuron graph (skip
connections and branches included, cut weights excluded); each path contributes the product of its elementary
derivatives, ∂L/∂ŷ_k · ∂ŷ_k/∂a_k · ∂a_k/∂h_m · ∂h_m/∂a_m · … · ∂a_j/∂w. The number of paths is a product of
layer widths, so they are never all built:

- the *count* is a dynamic programme over layers: paths(v) = Σ over existing weights v→u of paths(u);
- the listed paths come from a best-first search whose priority is an upper bound of what any completion of a
  partial path can contribute (the mean over samples of |prefix| × the largest |suffix| from its last neuron,
  itself a dynamic programme). A complete path is queued with its exact |contribution|, so complete paths leave
  the queue in order of decreasing |contribution| while only the promising part of the graph is explored;
- the *remainder*, Σ over the paths not listed, is summed path by path (math.fsum) when at most
  `ENUMERATE_LIMIT` remain. Beyond that the unlisted paths are grouped by where they leave the listed ones: the
  group leaving a listed prefix p at neuron v through weight w_vk sums to p · f'(a_v) · w_vk · δ_k, because
  backprop's δ_k is exactly the sum over every path from k. These disjoint groups add up to gradient − listed
  without ever subtracting the listed paths from the gradient, so a remainder tiny next to the gradient keeps its
  own precision instead of being the rounding noise of a difference.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .batch import PerSample, Quantity

ENUMERATE_LIMIT = 1000
Node = tuple[int, int]  # (layer position in the compiled order, neuron index)
# (chain so far, layer position, its neurons best first, their products (N, len), their keys best first)
Group = tuple[tuple[Node, ...], int, list[int], np.ndarray, list[float]]
Entry = tuple[float, int, Group, int]  # (−key, tie-breaker, group, which of the group's neurons is next)


@dataclass(frozen=True, eq=False)
class Path:
    """One chain of elementary derivatives from the loss back to the weight."""

    neurons: tuple[tuple[int, int], ...]  # (layer id, neuron) from the weight's neuron j to an output neuron
    name: str  # e.g. "h1[2] → out[0] → L"
    factors: tuple[Quantity, ...]  # loss first, as the chain rule reads; the last is ∂a_j/∂w
    samples: np.ndarray  # the product of the factors, per sample

    @property
    def contribution(self) -> float:
        """This path's share of dL/dw: the batch mean of its per-sample products."""
        return float(np.mean(self.samples))

    def __str__(self) -> str:
        factors = " · ".join(f"{f.symbol}[{f.where}] {f.value:.4g}" for f in self.factors)
        return f"{self.name}: {factors} = {self.contribution:.6g}"


@dataclass(frozen=True, eq=False)
class PathForm:
    paths: tuple[Path, ...]  # the largest |contribution| first
    count: int  # every path from the neuron to the loss
    total: float  # Σ over every path, from backprop's δ: the gradient
    remainder: float  # Σ over the paths not listed
    remainder_method: str  # "enumerated" (path by path) or "branch sums" (see the module docstring)

    @property
    def remainder_count(self) -> int:
        return self.count - len(self.paths)

    @property
    def listed(self) -> float:
        return math.fsum(p.contribution for p in self.paths)


class PathSearch:
    """The paths from one start neuron; `start` is the last factor of each, ∂a_j/∂w = h_i (or 1 for a bias)."""

    def __init__(self, ps: PerSample, pos: int, j: int, start: Quantity):
        self.ps = ps
        self.root: Node = (pos, j)
        self.start = start
        self.links = {(p, ps.plan.pos[c.target]): c for p in ps.consumers for c in ps.consumers[p]}
        self.downstream = self._downstream(pos)
        self.tail = ps.tail_products()
        self.bound = self._bounds()

    def _downstream(self, pos: int) -> list[int]:
        """Layer positions reachable from `pos`, consumers first (positions are a topological order)."""
        seen, todo = {pos}, [pos]
        while todo:
            p = todo.pop()
            for q, u in self.links:
                if q == p and u not in seen:
                    seen.add(u)
                    todo.append(u)
        return sorted(seen, reverse=True)

    def _consumers(self, p: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for c in self.ps.consumers[p]:
            yield self.ps.plan.pos[c.target], c.weight.value, c.weight.mask

    def _bounds(self) -> dict[int, np.ndarray]:
        """Per sample and neuron, the largest |product| of any path from that neuron to the loss."""
        bound = {}
        for p in self.downstream:
            if p == self.ps.out:
                bound[p] = np.abs(self.tail)
                continue
            best = np.zeros_like(self.ps.h[p])
            for u, w, _ in self._consumers(p):
                w = np.abs(w)
                for k in range(w.shape[1]):
                    np.maximum(best, bound[u][:, k : k + 1] * w[:, k], out=best)
            bound[p] = best * np.abs(self.ps.fprime[p])
        return bound

    def count(self) -> int:
        """Paths from the root to the loss: int64 while a float estimate stays far from overflow, else Python ints."""
        approx: dict[int, np.ndarray] = {}
        exact: dict[int, np.ndarray] = {}
        for p in self.downstream:
            if p == self.ps.out:
                approx[p] = np.ones(self.tail.shape[1])
                exact[p] = np.ones(self.tail.shape[1], np.int64)
                continue
            links = [(mask, u) for u, _, mask in self._consumers(p)]
            approx[p] = sum(mask @ approx[u] for mask, u in links)
            dtype = np.int64 if approx[p].max() < 2.0**62 else object
            exact[p] = sum(mask.astype(dtype) @ exact[u].astype(dtype) for mask, u in links)
        pos, j = self.root
        return int(exact[pos][j])

    # ------------------------------------------------------------ best-first enumeration
    def walk(self) -> Iterator[tuple[tuple[Node, ...], np.ndarray]]:
        """Every path as (neurons, per-sample products), the largest |contribution| first.

        Lazy, so taking the first few explores little; `path` turns one into a `Path` with its named factors.
        """
        queue: list[Entry] = []
        tick = itertools.count()  # ties never compare the arrays
        pos, j = self.root
        self._queue(queue, tick, (), pos, np.array([j]), self.start.samples[:, None])
        while queue:
            _, _, group, n = heapq.heappop(queue)
            chain, u, ks, prefixes, keys = group
            if n + 1 < len(ks):
                heapq.heappush(queue, (-keys[n + 1], next(tick), group, n + 1))
            k = ks[n]
            chain, samples = (*chain, (u, k)), prefixes[:, n]
            if u == self.ps.out:
                yield chain, samples
                continue
            carried = samples * self.ps.fprime[u][:, k]
            for v, w, mask in self._consumers(u):
                nz = np.flatnonzero(mask[k])
                self._queue(queue, tick, chain, v, nz, carried[:, None] * w[k, nz])

    def _queue(self, queue: list[Entry], tick: Iterator[int], chain: tuple[Node, ...], u: int, ks: np.ndarray,
               prefixes: np.ndarray) -> None:
        """Queue `chain` extended by each neuron `ks` of layer `u`, with `prefixes` (N, len(ks)) their products.

        An extension reaching the output is a complete path, keyed by its exact |contribution|; any other is keyed
        by its bound. The extensions form one group sorted by key, and the queue holds only the group's next one:
        a wide layer costs one queue entry at a time instead of one per neuron.
        """
        if not len(ks):
            return
        # np.add.reduce / n is np.mean's own arithmetic without its Python wrapper, which was a third of this call
        # (a weight of a 1M-weight net queues some 26,000 groups)
        n = len(prefixes)
        if u == self.ps.out:
            prefixes = prefixes * self.tail[:, ks]
            keys = np.abs(np.add.reduce(prefixes, axis=0) / n)
        else:
            keys = np.add.reduce(np.abs(prefixes) * self.bound[u][:, ks], axis=0) / n
        order = np.argsort(-keys, kind="stable")
        keys = keys[order].tolist()
        heapq.heappush(queue, (-keys[0], next(tick), (chain, u, ks[order].tolist(), prefixes[:, order], keys), 0))

    def path(self, chain: tuple[Node, ...], samples: np.ndarray) -> Path:
        ps = self.ps
        factors = list(ps.tail(chain[-1][1]))
        for (p, j), (u, k) in reversed(list(itertools.pairwise(chain))):
            factors.append(ps.weight(self.links[p, u], j, k, "∂a/∂h"))
            factors.append(ps.quantity("∂h/∂a", p, j, ps.fprime))
        factors.append(self.start)
        name = " → ".join(ps.neuron(p, k) for p, k in chain) + " → L"
        return Path(tuple((ps.layer_id(p), k) for p, k in chain), name, tuple(factors), samples)

    # ------------------------------------------------------------ the unlisted paths, grouped
    def branch_remainder(self, listed: Sequence[Path]) -> float:
        """Σ over the paths not in `listed`, grouped by the weight where they leave the listed paths' prefixes."""
        ps = self.ps
        chains = {tuple((ps.plan.pos[lid], k) for lid, k in path.neurons) for path in listed}
        prefixes: dict[tuple[Node, ...], np.ndarray] = {(self.root,): self.start.samples}
        taken: dict[tuple[Node, ...], set[Node]] = defaultdict(set)
        for chain in chains:
            for n in range(1, len(chain)):
                taken[chain[:n]].add(chain[n])
                (p, j), (u, k) = chain[n - 1], chain[n]
                if chain[: n + 1] not in prefixes:
                    step = ps.fprime[p][:, j] * self.links[p, u].weight.value[j, k]
                    prefixes[chain[: n + 1]] = prefixes[chain[:n]] * step
        parts = []
        for chain, prefix in prefixes.items():
            p, j = chain[-1]
            if p == ps.out:
                if chain not in chains:  # only a root on the output layer, when nothing is listed
                    parts.append(float(np.mean(prefix * self.tail[:, j])))
                continue
            carried = prefix * ps.fprime[p][:, j]
            for u, w, _ in self._consumers(p):
                row = w[j].copy()
                row[[k for q, k in taken[chain] if q == u]] = 0.0
                parts.append(float(np.mean(carried * (ps.delta[u] @ row))))
        return math.fsum(parts)


def path_form(ps: PerSample, pos: int, j: int, start: Quantity, max_paths: int = 50,
              enumerate_limit: int = ENUMERATE_LIMIT) -> PathForm:
    """The `max_paths` largest paths from neuron j of the layer at `pos`, their count and the exact remainder."""
    search = PathSearch(ps, pos, j, start)
    found = search.walk()
    listed = tuple(search.path(chain, samples) for chain, samples in itertools.islice(found, max_paths))
    count = search.count()
    if count - len(listed) <= enumerate_limit:
        remainder, method = math.fsum(float(np.mean(samples)) for _, samples in found), "enumerated"
    else:
        remainder, method = search.branch_remainder(listed), "branch sums"
    total = float(np.mean(start.samples * ps.delta[pos][:, j]))
    return PathForm(listed, count, total, remainder, method)
