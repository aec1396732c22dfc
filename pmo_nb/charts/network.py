"""Chart of the dependency network: slipping projects and the critical chain."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import id_labels
from pmo_nb.charts.base import reads as _reads

#: What happens to each project, and its colour.
ROLE_COLOURS = {"slipping": "#c62828", "pushed": "#f9a825", "not moving": "#9e9e9e"}
#: Critical chain emphasis.
CHAIN_COLOUR = "#212121"
X_MODES = ("layer", "start")


def node_roles(layout: pd.DataFrame, knock: pd.DataFrame | None = None,
               chain: pd.DataFrame | None = None) -> pd.DataFrame:
    """The layout's nodes with ``role`` (slipping / pushed / not moving) and ``on_chain``.

    A node is *slipping* when its own ``slip_days`` > 0 in ``knock``,
    *pushed* when a prerequisite moves its start (or finish) without a slip
    of its own.
    """
    nodes = layout.reset_index()
    role = pd.Series("not moving", index=nodes.index, dtype="str")
    if knock is not None:
        _check(knock, ["project_id", "slip_days", "start_shift_days", "finish_shift_days"],
               "network_chart knock")
        k = knock.set_index("project_id")
        moved = (k["start_shift_days"] != 0) | (k["finish_shift_days"] != 0)
        role[nodes["project_id"].isin(k.index[moved])] = "pushed"
        role[nodes["project_id"].isin(k.index[k["slip_days"] > 0])] = "slipping"
    nodes["role"] = role
    on_chain = set() if chain is None else set(chain["project_id"])
    nodes["on_chain"] = nodes["project_id"].isin(on_chain)
    if knock is not None:
        k = knock.set_index("project_id")
        for col in ("slip_days", "finish_shift_days"):
            nodes[col] = nodes["project_id"].map(k[col]).fillna(0.0)
    return nodes


@_reads
def network_chart(layout: pd.DataFrame, links: pd.DataFrame, knock: pd.DataFrame | None = None,
                  chain: pd.DataFrame | None = None, *, x: str = "layer", width: int = 640,
                  height: int | None = None) -> alt.LayerChart:
    """The dependency network: prerequisites on the left, links as lines.

    Nodes are coloured by what the knock-on does to them (red: slips
    itself; amber: pushed by a prerequisite; grey: does not move). The
    critical chain's projects get a thick dark ring and its links a thick
    dark line.

    Parameters
    ----------
    layout : pandas.DataFrame
        :func:`pmo_nb.capacity.dependencies.network_layout` (index ``project_id``; ``layer``,
        ``y``, ``start``; ``name`` and ``stage`` used in tooltips when present).
    links : pandas.DataFrame
        ``project_id`` (dependent) and ``depends_on``; links to projects not in
        the layout are left out.
    knock : pandas.DataFrame, optional
        :func:`pmo_nb.capacity.dependencies.knock_on` output.
    chain : pandas.DataFrame, optional
        :func:`pmo_nb.capacity.dependencies.critical_chain` output (``project_id`` in order).
    x : {"layer", "start"}
        Horizontal position: the topological layer, or the planned start date.
    """
    _check(layout, ["layer", "y", "start"], "network_chart")
    _check(links, ["project_id", "depends_on"], "network_chart links")
    if x not in X_MODES:
        raise ValueError(f"x must be one of {X_MODES}, not {x!r}")
    if layout.empty:
        raise ValueError("network_chart: no projects to draw")
    spread = layout.groupby("layer").size().max()
    height = height or int(max(160, 34 * spread))
    _size(width, height)
    nodes = node_roles(layout, knock, chain)
    pos = nodes.set_index("project_id")[["layer", "y", "start"]]
    edges = links[links["project_id"].isin(pos.index) & links["depends_on"].isin(pos.index)]
    edges = edges[["project_id", "depends_on"]].reset_index(drop=True)
    src, dst = pos.loc[edges["depends_on"]], pos.loc[edges["project_id"]]
    field = "layer" if x == "layer" else "start"
    edges = edges.assign(x=src[field].to_numpy(), y=src["y"].to_numpy(),
                         x2=dst[field].to_numpy(), y2=dst["y"].to_numpy())
    steps = [] if chain is None else list(chain["project_id"])
    chain_links = set(zip(steps[1:], steps[:-1], strict=False))
    edges["on_chain"] = [(b, a) in chain_links
                         for b, a in zip(edges["project_id"], edges["depends_on"], strict=True)]
    kind = "Q" if x == "layer" else "T"
    x_title = "Layer (longest chain of prerequisites)" if x == "layer" else "Planned start"
    x_axis = (alt.Axis(tickMinStep=1, format="d") if x == "layer"
              else alt.Axis(format="%b %y"))
    ex = alt.X(f"x:{kind}", title=x_title, axis=x_axis, scale=alt.Scale(nice=False,
                                                                        padding=30))
    ey = alt.Y("y:Q", axis=None, scale=alt.Scale(padding=20, reverse=True))
    rules = alt.Chart(edges).mark_rule(opacity=0.8).encode(
        x=ex, y=ey, x2="x2", y2="y2",
        color=alt.condition("datum.on_chain", alt.value(CHAIN_COLOUR), alt.value("#bdbdbd")),
        strokeWidth=alt.condition("datum.on_chain", alt.value(3), alt.value(1.2)),
    )
    # The node's label is its id (a name does not fit beside a dot); the tooltip says
    # "P0042 Payments hub" (issue #18), and the how-to-read line tells the reader so.
    nodes = nodes.assign(x=nodes[field], project=id_labels(
        nodes["project_id"], dict(zip(nodes["project_id"], nodes["name"], strict=True))
        if "name" in nodes else None).to_numpy())
    order = list(ROLE_COLOURS)
    tip = ["project:N"] + [c for c in ("stage",) if c in nodes]
    tip += [alt.Tooltip("start:T", format="%Y-%m-%d"), "role:N"]
    tip += [c for c in ("slip_days", "finish_shift_days") if c in nodes]
    points = alt.Chart(nodes).mark_circle(size=220, opacity=1).encode(
        x=ex, y=ey,
        color=alt.Color("role:N", title=None, sort=order, scale=alt.Scale(
            domain=order, range=[ROLE_COLOURS[r] for r in order])),
        stroke=alt.condition("datum.on_chain", alt.value(CHAIN_COLOUR), alt.value("white")),
        strokeWidth=alt.condition("datum.on_chain", alt.value(3), alt.value(1)),
        tooltip=tip,
    )
    labels = alt.Chart(nodes).mark_text(dy=-14, fontSize=10).encode(
        x=ex, y=ey, text="project_id:N")
    n_chain = len(steps)
    title = "Dependency network: slipping projects and what they push"
    if n_chain > 1:
        title += f" (critical chain of {n_chain} projects in bold)"
    return alt.layer(rules, points, labels).properties(width=width, height=height, title=title)
