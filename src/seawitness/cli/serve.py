"""``serve`` and ``demo``: the HTTP API and the dashboard of an instance.

The socket is bound before anything is printed or loaded, so a port that is taken is
one error line and exit status 1, never a dashboard URL followed by uvicorn's
``[Errno 98]``; it listens before the URL is printed, and uvicorn serves on it.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import click

from seawitness.cli.common import console, open_instance
from seawitness.cli.data import run_import

if TYPE_CHECKING:
    import socket

    from seawitness.instance import Instance

__all__ = ["bind", "demo", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (port 0: any free one), as uvicorn binds it
    (``SO_REUSEADDR``, IPv6 when the host has a colon); a refusal is one clear error."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} on {host} is already in use (is another server running?); "
                "stop it or choose another one with --port"
            ) from None
        if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
            raise click.BadParameter(
                f"cannot listen on {host!r}: {exc.strerror or exc}", param_hint="--host"
            ) from None
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _run(inst: Instance, sock: socket.socket) -> None:
    """Serve the instance's web application on the bound socket until Ctrl+C."""
    import uvicorn

    from seawitness.app import create_app

    config = uvicorn.Config(create_app(inst), log_level="warning")
    sock.listen(config.backlog)  # from here on a browser's connection waits, not fails
    console.print(f"Dashboard: [bold]{_url(sock)}[/]   (Ctrl+C to stop)")
    # uvicorn re-raises Ctrl+C after shutting down cleanly; that is a normal stop
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


_port_option = click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
_host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
)


@click.command(short_help="Load the bundled real data and open the dashboard.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("seawitness-demo"),
    show_default=True,
    help="Instance folder.",
)
@click.option("--no-serve", is_flag=True, help="Stop after loading; do not start the server.")
@_port_option
@_host_option
@click.pass_context
def demo(ctx: click.Context, directory: Path, no_serve: bool, port: int, host: str) -> None:
    """Create an instance, load the bundled real data, and serve the dashboard.

    Loads the newest ORBS download (seawater, fish, seaweed; TEPCO, MOE, NRA, Fukushima
    Prefecture, Fisheries Agency) and the NRA pre-discharge workbook (TEPCO seawater near
    the plant, 2011-2023). Each organisation's results are signed by a DEMO key made for
    it in this instance, clearly labelled as such in the log. Running it again reuses the
    instance and adds nothing.

    \b
    Examples:
      seawitness demo
      seawitness demo --dir /tmp/sw --port 8080
    """
    from seawitness.data import bundled_path
    from seawitness.instance import SETTINGS, Instance

    sock = None if no_serve else bind(host, port)  # a busy port fails before the long load
    try:
        if (directory / SETTINGS).exists():
            inst = Instance.open(directory, db_url=ctx.obj.get("db"))
            console.print(f"Using existing instance {inst.root}")
        else:
            # Each demo its own origin: two demos' logs are different logs, and a witness
            # or auditor that saw one must not report the other as a fork of it.
            origin = f"seawitness.local/demo-{secrets.token_hex(4)}"
            inst = Instance.create(directory, db_url=ctx.obj.get("db"), origin=origin)
            console.print(f"[green]Created[/] instance {inst.root}")
        run_import(inst, bundled_path("orbs"), "orbs", None, False, None)
        run_import(inst, bundled_path("nra", "close1F_water.xlsx"), "nra", None, False, None)
        if sock is not None:
            _run(inst, sock)
    finally:
        if sock is not None:
            sock.close()


@click.command()
@_port_option
@_host_option
@click.pass_context
def serve(ctx: click.Context, port: int, host: str) -> None:
    """Serve the HTTP API and the dashboard for this instance.

    \b
    Examples:
      seawitness serve
      seawitness serve --host 0.0.0.0 --port 8080
    """
    inst = open_instance(ctx)
    sock = bind(host, port)
    try:
        _run(inst, sock)
    finally:
        sock.close()
