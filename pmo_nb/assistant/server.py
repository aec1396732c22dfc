"""The MCP server itself, on the official SDK (:class:`mcp.server.mcpserver.MCPServer`).

:func:`build_server` registers the tools (typed arguments, one-line
descriptions, structured JSON results), the resources and the briefing
prompt over a read-only :class:`~pmo_nb.assistant.source.Source`;
:func:`serve_stdio` runs it for a desktop assistant. Every tool is read-only:
a bad argument becomes a tool error naming it, never a traceback.
"""

from __future__ import annotations

import functools
import logging
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from pmo_nb import __version__
from pmo_nb.assistant import analysis, governance, resources, tools
from pmo_nb.assistant.source import DEFAULT_LIMIT, MAX_LIMIT, ArgumentError, Source
from pmo_nb.errors import StoreError

log = logging.getLogger(__name__)

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)
INSTRUCTIONS = ("Read-only answers about one project portfolio from its store: every result "
                "says its as_of date, data checksum, import id and the persisted forecast it "
                "uses. Nothing here samples a forecast or changes the store.")

AsOf = Annotated[str | None, Field(description="Reporting date YYYY-MM-DD; default: the "
                                               "data date (latest status update).")]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Rows per page.")]
Offset = Annotated[int, Field(ge=0, description="Rows to skip (next_offset of a page).")]
ProjectId = Annotated[str, Field(max_length=200, description="A project_id, e.g. P0001.")]
Filter = Annotated[str | None, Field(max_length=200)]


def _answering(fn):
    """Run a tool, turning expected failures into a :class:`ToolError` with a plain message."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ArgumentError as exc:
            raise ToolError(f"bad argument {exc}") from None
        except StoreError as exc:
            raise ToolError(f"store error: {exc}") from None
        except Exception as exc:  # no traceback for the client; the log keeps it
            log.exception("tool %s failed", fn.__name__)
            raise ToolError(f"{fn.__name__} failed: {type(exc).__name__}") from None
    return run


def build_server(db=None, reports=None, source: Source | None = None) -> MCPServer:
    """The pmo MCP server over the store ``db`` (opened read-only) and the ``reports`` folder."""
    src = source or Source(db, reports)
    server = MCPServer("pmo", title="pmo_nb portfolio", version=__version__,
                       instructions=INSTRUCTIONS, log_level="WARNING")

    def tool(fn):
        doc = (fn.__doc__ or "").strip().splitlines()[0]
        server.add_tool(_answering(fn), name=fn.__name__, description=doc,
                        annotations=READ_ONLY, structured_output=True)
        return fn

    @tool
    def portfolio_summary(as_of: AsOf = None) -> dict[str, Any]:
        """Portfolio money, health (CPI/SPI), RAG and stage counts, as the overview report."""
        return tools.portfolio_summary(src, as_of)

    @tool
    def find_projects(stage: Filter = None, category: Filter = None, sponsor: Filter = None,
                      objective: Annotated[str | None, Field(
                          max_length=200, description="objective_id the project serves")] = None,
                      text: Annotated[str | None, Field(
                          max_length=200, description="Words in the id, name or description")
                      ] = None,
                      as_of: AsOf = None, limit: Limit = DEFAULT_LIMIT,
                      offset: Offset = 0) -> dict[str, Any]:
        """Find projects by stage, category, sponsor, objective or text (paged)."""
        return tools.find_projects(src, stage, category, sponsor, objective, text, as_of,
                                   limit, offset)

    @tool
    def project_status(project_id: ProjectId, as_of: AsOf = None,
                       max_risks: Annotated[int, Field(ge=0, le=MAX_LIMIT)] = 5,
                       max_benefits: Annotated[int, Field(ge=0, le=MAX_LIMIT)] = 10
                       ) -> dict[str, Any]:
        """One project's status: RAG, narrative with sources, earned value, forecast, risks."""
        return tools.project_status(src, project_id, as_of, max_risks, max_benefits)

    @tool
    def forecast(project_id: Annotated[str | None, Field(
                     max_length=200, description="One project; omit for the portfolio")] = None,
                 as_of: AsOf = None, limit: Limit = DEFAULT_LIMIT,
                 offset: Offset = 0) -> dict[str, Any]:
        """The persisted cost and finish forecast of the portfolio or a project (never sampled)."""
        return tools.forecast(src, project_id, as_of, limit, offset)

    @tool
    def overrun_drivers(target: Annotated[str | None, Field(
            description="cost or duration; omit for both")] = None) -> dict[str, Any]:
        """What predicts cost and schedule overruns, from the stored fitted forecast model."""
        return analysis.overrun_drivers(src, target)

    @tool
    def what_if_selection(
            budget: Annotated[float | None, Field(
                description="Money available; omit or 0 for the approved projects' total")
            ] = None,
            weights: Annotated[dict[str, float] | None, Field(
                description="objective_id -> relative weight; omit for the stated weights")
            ] = None,
            ahp_matrix: Annotated[list[list[float]] | None, Field(
                description="Pairwise comparisons of objectives (AHP), instead of weights")
            ] = None,
            ahp_labels: Annotated[list[str] | None, Field(
                description="objective_ids in ahp_matrix order")] = None,
            limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 50,
            offset: Offset = 0) -> dict[str, Any]:
        """The optimal funding selection at a budget and weights, and what it changes (what-if)."""
        return analysis.what_if_selection(src, budget, weights, ahp_matrix, ahp_labels,
                                          limit, offset)

    @tool
    def benefits_behind_plan(as_of: AsOf = None, project_id: Annotated[str | None, Field(
                                 max_length=200)] = None,
                             limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict[str, Any]:
        """Benefits off track, at risk or not measured, worst first (paged)."""
        return analysis.benefits_behind_plan(src, as_of, project_id, limit, offset)

    @tool
    def capacity_hotspots(team_id: Annotated[str | None, Field(max_length=200)] = None,
                          limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict[str, Any]:
        """Over-allocated team-months and the projects causing them, worst first (paged)."""
        return analysis.capacity_hotspots(src, team_id, limit, offset)

    @tool
    def decisions_owed(as_of: AsOf = None, owner: Annotated[str | None, Field(
                           max_length=200)] = None,
                       limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict[str, Any]:
        """Open decisions past their due date, most overdue first, and who owes them (paged)."""
        return governance.decisions_owed_answer(src, as_of, owner, limit, offset)

    @tool
    def baseline_drift(as_of: AsOf = None, limit: Limit = DEFAULT_LIMIT,
                       offset: Offset = 0) -> dict[str, Any]:
        """Projects whose approved changes moved budget or finish, largest first (paged)."""
        return governance.baseline_drift_answer(src, as_of, limit, offset)

    _add_resources(server, src)
    return server


def _add_resources(server: MCPServer, src: Source) -> None:
    @server.resource("pmo://docs/portfolio-format", name="portfolio-format",
                     title="The portfolio interchange format", mime_type="text/markdown",
                     description="docs/portfolio-format.md: the tables, columns and rules.")
    def portfolio_format() -> str:
        return resources.format_spec()

    @server.resource("pmo://reports", name="reports", mime_type="application/json",
                     description="The report pages published in the newest run folder.")
    def report_list() -> dict:
        return resources.report_names(src.reports)

    @server.resource("pmo://reports/{name}", name="report-page", mime_type="text/html",
                     description="A published report page (newest run folder) by report name.")
    def report_page(name: str) -> str:
        try:
            return resources.report_page(src.reports, name)
        except resources.NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from None

    @server.prompt(name="weekly_portfolio_briefing", title="Weekly portfolio briefing",
                   description="Walks through the tools to brief on the portfolio this week.")
    def weekly_portfolio_briefing(as_of: str = "") -> str:
        return resources.briefing(as_of)


def serve_stdio(db=None, reports=None) -> None:
    """Serve MCP over stdin/stdout until the client closes it."""
    build_server(db, reports).run("stdio")
