"""``seawitness alerts``: the alerts found in the log, their webhook subscribers and the
delivery outbox (:mod:`seawitness.service.alert_delivery`)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from seawitness.cli.common import console, open_instance, print_json, print_table

__all__ = ["alerts"]


@click.group("alerts", invoke_without_command=True)
@click.option("--limit", type=int, default=50, show_default=True, help="Alerts to list (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def alerts(ctx: click.Context, limit: int, as_json: bool) -> None:
    """List the alerts found in the log (newest first); subcommands manage delivery.

    \b
    Examples:
      seawitness alerts
      seawitness alerts subscribe https://example.org/hook --secret "$SECRET"
      seawitness alerts scan && seawitness alerts deliver --loop
    """
    if ctx.invoked_subcommand is not None:
        return
    from seawitness.service.alert_delivery import alerts as list_alerts

    rows = list_alerts(open_instance(ctx).store, limit or None)
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        ["id", "kind", "sampled_at", "station", "nuclide", "value", "level", "unit", "leaf_index"],
        title=f"{len(rows)} alert(s)",
    )


@alerts.command("subscribe")
@click.argument("url")
@click.option("--secret", help="HMAC secret shared with the receiver (default: a new one).")
@click.option("--name", help="Who the subscriber is.")
@click.pass_context
def subscribe_cmd(ctx: click.Context, url: str, secret: str | None, name: str | None) -> None:
    """Deliver every new alert to URL by webhook (POST, JSON, HMAC-SHA256 signed).

    \b
    Example:
      seawitness alerts subscribe https://kins.example/seawitness --name KINS
    """
    from seawitness.service.alert_delivery import subscribe

    got = subscribe(open_instance(ctx).store, url, secret=secret, name=name)
    console.print(f"[green]Subscribed[/] {url} (id {got['id']})")
    if secret is None:
        click.echo(f"secret: {got['secret']}")


@alerts.command("subscribers")
@click.pass_context
def subscribers_cmd(ctx: click.Context) -> None:
    """List the webhook subscribers with their pending and delivered counts.

    \b
    Example:
      seawitness alerts subscribers
    """
    from seawitness.service.alert_delivery import subscribers

    rows = subscribers(open_instance(ctx).store)
    print_table(rows, ["id", "url", "name", "active", "pending", "delivered"])


@alerts.command("scan")
@click.option("--rules", default="jp-tepco-sea", show_default=True, help="Rule set of levels.")
@click.pass_context
def scan_cmd(ctx: click.Context, rules: str) -> None:
    """Find alerts among the results logged since the last scan and queue deliveries.

    \b
    Example:
      seawitness alerts scan --rules jp-tepco-sea
    """
    from seawitness.service.alert_delivery import scan

    n = scan(open_instance(ctx).store, Path(rules) if rules.endswith(".toml") else rules)
    console.print(f"{n} new alert(s)")


@alerts.command("deliver")
@click.option("--loop", is_flag=True, help="Keep scanning and delivering until stopped.")
@click.option("--interval", type=float, default=30, show_default=True, help="Seconds per round.")
@click.option("--backoff", type=float, default=30, show_default=True, help="First retry delay [s].")
@click.option("--timeout", type=float, default=10, show_default=True, help="HTTP timeout [s].")
@click.option("--rules", default="jp-tepco-sea", show_default=True, help="Rule set of levels.")
@click.pass_context
def deliver_cmd(
    ctx: click.Context, loop: bool, interval: float, backoff: float, timeout: float, rules: str
) -> None:
    """POST due deliveries; failures are retried with exponential backoff, never dropped.

    The outbox is in the database: stopping and restarting this command (or the
    machine) loses nothing.

    \b
    Examples:
      seawitness alerts deliver
      seawitness alerts deliver --loop --interval 60
    """
    from seawitness.service.alert_delivery import deliver_due, scan

    store = open_instance(ctx).store
    rule_arg = Path(rules) if rules.endswith(".toml") else rules
    while True:
        if loop:
            scan(store, rule_arg)
        got = deliver_due(store, base_backoff=backoff, timeout=timeout)
        console.print(f"delivered {got['delivered']}, failed {got['failed']}")
        if not loop:
            return
        time.sleep(interval)
