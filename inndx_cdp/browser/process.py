"""Starting, watching and stopping one Chromium process tree.

The browser gets the DevTools pipe on its fds 3 and 4, a fresh profile folder,
its own process group, and a parent-death signal: if this server dies without
cleaning up (even SIGKILL), the kernel kills the browser, and Chromium also
exits on its own when the pipe closes. ``stop()`` removes the profile folder
only after the whole tree has exited.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Sequence

import psutil

from ..errors import LaunchError
from .flags import BrowserKind, browser_environment, browser_flags

__all__ = ["BrowserProcess", "find_binary"]

log = logging.getLogger("inndx_cdp.browser")

# Real binaries first: Debian's /usr/bin wrappers are shell scripts, and one of
# them does not exec, which would put a shell between us and the browser.
BINARY_CANDIDATES: dict[BrowserKind, tuple[str, ...]] = {
    "standard": (
        "/usr/lib/chromium/chromium-headless-shell",
        "chromium-headless-shell",
        "chrome-headless-shell",
        "headless_shell",
    ),
    "chrome": (
        "/usr/lib/chromium/chromium",
        "chromium",
        "chromium-browser",
        "google-chrome",
        "chrome",
    ),
}
INSTALL_HINT = (
    "run `bash chromium/install.sh` (Debian/Ubuntu packages chromium-headless-shell, chromium)"
)

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def find_binary(kind: BrowserKind, configured: str | None = None) -> str:
    """The executable for ``kind``: the configured path, else the first usual name found."""
    candidates = (configured,) if configured else BINARY_CANDIDATES[kind]
    for candidate in candidates:
        assert candidate is not None
        path = shutil.which(candidate)
        if path:
            return path
    wanted = configured or " or ".join(BINARY_CANDIDATES[kind][:2])
    raise LaunchError(
        f"no Chromium build for client kind {kind!r} ({wanted} not found): {INSTALL_HINT}"
    )


class BrowserProcess:
    """One running browser: its process, the parent ends of its pipe and its profile."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        profile_dir: str,
        read_fd: int,
        write_fd: int,
    ) -> None:
        self.process = process
        self.pid = process.pid
        self.profile_dir = profile_dir
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_task = asyncio.get_running_loop().create_task(self._drain_stderr())
        self._stopped = False

    @classmethod
    async def start(
        cls, binary: str, kind: BrowserKind, *, extra_flags: Sequence[str] = ()
    ) -> BrowserProcess:
        profile_dir = tempfile.mkdtemp(prefix="inndx-cdp-profile-")
        args = browser_flags(kind, profile_dir, extra=tuple(extra_flags))
        # fd 3: commands to the browser; fd 4: answers and events from it.
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()

        def in_child() -> None:
            # Copy first: either pipe end may itself be numbered 3 or 4.
            commands, events = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(commands, 3)
            os.dup2(events, 4)
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

        try:
            process = await asyncio.create_subprocess_exec(
                binary,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=(3, 4),  # subprocess closes every other fd after in_child()
                preexec_fn=in_child,
                env=browser_environment(profile_dir),
                start_new_session=True,
            )
        except OSError as exc:
            for fd in (to_browser_read, to_browser_write, from_browser_read, from_browser_write):
                os.close(fd)
            shutil.rmtree(profile_dir, ignore_errors=True)
            raise LaunchError(f"cannot start {binary}: {exc.strerror}: {INSTALL_HINT}") from exc
        os.close(to_browser_read)
        os.close(from_browser_write)
        log.info("started %s browser pid=%d", kind, process.pid)
        return cls(process, profile_dir, from_browser_read, to_browser_write)

    async def _drain_stderr(self) -> None:
        # An undrained stderr pipe fills up and blocks the browser.
        stream = self.process.stderr
        assert stream is not None
        while line := await stream.readline():
            self.stderr_tail.append(line.decode(errors="replace").rstrip())

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def tree(self) -> list[psutil.Process]:
        """The browser process and all its descendants that are still alive."""
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def memory_bytes(self) -> int:
        """Resident memory of the whole tree (PSS where the kernel offers it)."""
        total = 0
        for proc in self.tree():
            with contextlib.suppress(psutil.Error):
                info = proc.memory_full_info()
                total += getattr(info, "pss", info.rss)
        return total

    async def stop(self, grace: float = 2.0) -> None:
        """Wait up to ``grace`` seconds for the browser to exit, then kill the tree."""
        if self._stopped:
            return
        self._stopped = True
        children = self.tree()[1:]
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            log.warning("browser pid=%d did not exit in %.1fs; killing it", self.pid, grace)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            await self.process.wait()
        # Helpers (zygote, renderers) can linger a moment after the main process.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        _, alive = psutil.wait_procs(children, timeout=0)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=1)
        self._stderr_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._stderr_task
        shutil.rmtree(self.profile_dir, ignore_errors=True)
        log.info("stopped browser pid=%d", self.pid)

    def kill_now(self) -> None:
        """Synchronous last resort (interpreter exit): kill the group, drop the profile."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        shutil.rmtree(self.profile_dir, ignore_errors=True)
