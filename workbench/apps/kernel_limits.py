"""Kernels of the Voilà apps (interview, dashboard preview): capped per server, idle ones culled.

Each page load of a Voilà app starts a Python kernel (100 to 200 MB). Closed tabs and reloads used
to leave theirs behind. The Voilà configuration every app shares (:func:`workbench.apps.voila.lockdown_config`)
therefore:

* culls kernels idle for 10 minutes with no page connected (``MappingKernelManager.cull_*``);
* uses :class:`CappedKernelManager`: at most ``max_kernels`` kernels per server. When a new page
  needs a kernel and the cap is reached, the least recently active kernels that no page is
  connected to and that are not working are shut down first (a reloaded or closed tab); if every
  kernel is in use, the page is refused with a French message instead of exhausting memory.
"""

from __future__ import annotations

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.web import HTTPError
from traitlets import Int

CAP_REACHED = ("Trop de pages de l'application sont ouvertes sur ce serveur : fermez un onglet inutilisé "
               "puis rechargez la page.")


class CappedKernelManager(AsyncMappingKernelManager):
    max_kernels = Int(4, config=True, help="Most kernels alive at once in this server.")

    def _evictable(self) -> list[str]:
        """Kernels no page is connected to and that are idle, least recently active first."""
        ids = []
        for kernel_id in self.list_kernel_ids():
            kernel = self.get_kernel(kernel_id)
            if self._kernel_connections.get(kernel_id, 0) == 0 and getattr(kernel, "execution_state", "") == "idle":
                ids.append(kernel_id)
        return sorted(ids, key=lambda k: self.get_kernel(k).last_activity)

    async def make_room(self) -> None:
        excess = len(self.list_kernel_ids()) - self.max_kernels + 1
        for kernel_id in self._evictable()[:max(excess, 0)]:
            self.log.info("Noyau %s arrêté pour faire de la place (limite de %d noyaux).", kernel_id, self.max_kernels)
            await self.shutdown_kernel(kernel_id, now=True)
        if len(self.list_kernel_ids()) >= self.max_kernels:
            self.log.warning("Page refusée : %d noyaux en cours d'utilisation.", self.max_kernels)
            raise HTTPError(503, reason="Serveur occupe", log_message=CAP_REACHED)

    async def start_kernel(self, *, kernel_id: str | None = None, path: str | None = None, **kwargs) -> str:
        if kernel_id is None:
            await self.make_room()
        return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
