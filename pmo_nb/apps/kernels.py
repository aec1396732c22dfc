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
        self._starting = 0

    def kernel_count(self) -> int:
        """Kernels running plus kernels being started right now."""
        return len(self._kernels) + self._starting

    async def start_kernel(self, *args, **kwargs):
        """Start a kernel, or raise HTTP 503 when ``max_kernels`` are already in use.

        Raises
        ------
        tornado.web.HTTPError
            503, with ``Retry-After`` semantics in its reason, when full.
        """
        if kwargs.get("kernel_id") is None and self.kernel_count() >= self.max_kernels:
            self.log.warning("Refusing a new kernel: %d of %d in use",
                             self.kernel_count(), self.max_kernels)
            raise HTTPError(503, reason=BUSY_REASON)
        self._starting += 1
        try:
            return await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1
