"""The kernel manager ``pmo serve`` gives Voila: a bounded number of kernels.

Every page view of a dashboard starts a kernel (140-230 MB); Voila shuts it
down when the browser leaves, but a client that never opens the websocket
(``curl``, a crawler, a dropped connection) leaves it running. This manager
refuses to start more than :attr:`BoundedKernelManager.max_kernels`, answering
the page request with HTTP 503 instead; jupyter_server's culler (configured by
:func:`pmo_nb.apps.serve.voila_command`) reclaims the idle, unconnected ones.

Imported by the Voila process only (``--VoilaConfiguration.multi_kernel_manager_class``).
"""

from __future__ import annotations

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.web import HTTPError
from traitlets import Integer

#: The reason line of the 503 answer, shown on Voila's error page.
BUSY_REASON = "Busy: every dashboard session is in use, try again in a minute"


class BoundedKernelManager(AsyncMappingKernelManager):
    """An ``AsyncMappingKernelManager`` that starts at most ``max_kernels`` kernels."""

    max_kernels = Integer(
        8, config=True,
        help="Most kernels running or starting at once; above it page requests get HTTP 503.",
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._reserved: set[str] = set()  # ids of kernels being started
        self._stopping = False  # shutdown_all runs: refill no pool

    def kernel_count(self) -> int:
        """Kernels running or being started right now (each counted once)."""
        return len(set(self._kernels) | self._reserved)

    async def start_kernel(self, *, kernel_id: str | None = None, **kwargs):
        """Start a kernel, or raise HTTP 503 when ``max_kernels`` are already in use.

        The new kernel's id is reserved before it starts, so concurrent page
        views cannot together start more than ``max_kernels``. Asking for a
        kernel that runs already is never refused.

        Raises
        ------
        tornado.web.HTTPError
            503 with :data:`BUSY_REASON`, when full.
        """
        if kernel_id is not None and kernel_id in self:
            return await super().start_kernel(kernel_id=kernel_id, **kwargs)
        if self.kernel_count() >= self.max_kernels:
            self.log.warning("Refusing a new kernel: %d of %d in use",
                             self.kernel_count(), self.max_kernels)
            raise HTTPError(503, reason=BUSY_REASON)
        kernel_id = kernel_id or self.new_kernel_id()
        self._reserved.add(kernel_id)
        try:
            return await super().start_kernel(kernel_id=kernel_id, **kwargs)
        finally:
            self._reserved.discard(kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        """Shut the kernel down, then refill pre-heated pools a refused start left short.

        Voila refills its pool of pre-heated kernels only when it hands one out;
        a refill refused here (all ``max_kernels`` in use) would leave the pool
        empty for good. A freed kernel is the moment the refill can succeed.
        """
        result = await super().shutdown_kernel(kernel_id, *args, **kwargs)
        self._refill_pools()
        return result

    def _refill_pools(self) -> None:
        """Drop pool entries whose start failed and start the missing ones (pre-heating only)."""
        pools = getattr(self, "_pools", None)  # Voila's pre-heating manager has them
        if self._stopping or not pools or not hasattr(self, "fill_if_needed"):
            return
        for name, pool in pools.items():
            pool[:] = [task for task in pool if not task.done() or (
                not task.cancelled() and task.exception() is None)]
            self.fill_if_needed(notebook_name=name)  # starts only what the pool lacks

    async def shutdown_all(self, *args, **kwargs):
        """Shut every kernel down (the server stops): no pool is refilled meanwhile.

        A kernel still starting (a pre-heated one, right after the server
        started) is left out: jupyter_server would answer its shutdown with
        "404 Kernel does not exist" and Voila would exit with status 1; its
        start runs on the loop that just stopped, and the kernel process, if
        any, exits with its parent (ipykernel's parent poller).
        """
        self._stopping = True
        pending = getattr(self, "_pending_kernels", {})
        for kernel_id in [k for k in pending if k not in self._kernels]:
            self.log.info("Not waiting for kernel %s, still starting", kernel_id)
            pending.pop(kernel_id, None)
        return await super().shutdown_all(*args, **kwargs)
