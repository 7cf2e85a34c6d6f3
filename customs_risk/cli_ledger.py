"""Ledger and key commands (Art. 4, 5): ``customs-risk ledger migrate|verify`` and
``customs-risk keys create|list|revoke``.

Two command groups, added to the main app by :func:`register_ledger_commands`. Each
command opens the database of the settings (``CUSTOMS_RISK_DATABASE_URL``, else SQLite
under the data folder) and brings its schema to the latest revision first.
"""

from __future__ import annotations

import getpass
import json

import typer
from rich.table import Table

from customs_risk.console import console
from ledger.actors import Actor, Role

ledger_app = typer.Typer(
    help="The decision ledger (Art. 4): migrate the database, verify the chain.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="API keys and their roles (Art. 5).", no_args_is_help=True)


def register_ledger_commands(app: typer.Typer) -> None:
    """Add the ``ledger`` and ``keys`` groups to the ``customs-risk`` app."""
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(keys_app, name="keys")


def _engine():
    from config.settings import get_settings
    from ledger.database import connect, migrate

    engine = connect(get_settings().resolved_database_url)
    migrate(engine)
    return engine


def _operator() -> Actor:
    """Whoever runs the command: it has the database, so it acts as an administrator."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        user = "unknown"
    return Actor(name=f"cli:{user}", role=Role.admin)


@ledger_app.command()
def migrate() -> None:
    """Create or upgrade the ledger's tables to the latest revision."""
    from ledger.database import current_revision

    engine = _engine()
    where = engine.url.render_as_string(hide_password=True)
    console.print(f"ledger at revision {current_revision(engine)}: {where}")


@ledger_app.command()
def verify(
    as_json: bool = typer.Option(
        False, "--json", help='Print {"decisions", "intact", "first_broken"} as JSON.'
    ),
) -> None:
    """Walk the decision chain, recomputing every hash; exit code 1 if a link is broken."""
    from ledger.decisions import DecisionLedger

    report = DecisionLedger(_engine()).verify()
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
    elif report.intact:
        console.print(f"[green]intact[/]: {report.decisions:,} decisions, every link holds")
    else:
        console.print(
            f"[red]broken[/]: {report.decisions:,} decisions; first broken link at decision "
            f"{report.first_broken} — {report.reason}"
        )
    if not report.intact:
        raise typer.Exit(1)


@keys_app.command("create")
def create_key(
    role: Role = typer.Option(..., help="What the key may do."),
    name: str = typer.Option(..., help="Who holds it (recorded as the caller and actor)."),
) -> None:
    """Create an API key and print it: it is shown this once and stored only as a hash."""
    from ledger.errors import NameTakenByOtherRole
    from ledger.keys import KeyStore

    try:
        plaintext, key = KeyStore(_engine()).create(role, name, actor=_operator())
    except (NameTakenByOtherRole, ValueError) as error:
        console.print(f"[red]refused[/]: {error}")
        raise typer.Exit(1) from error
    console.print(f"key {key.key_id} for {key.name} ({key.role}); store it now, it is not kept:")
    typer.echo(plaintext)


@keys_app.command("list")
def list_keys() -> None:
    """Every key: id, holder, role, when created and by whom, whether revoked."""
    from ledger.keys import KeyStore

    table = Table(title="API keys")
    for column in ("key id", "name", "role", "created", "created by", "revoked"):
        table.add_column(column)
    for key in KeyStore(_engine()).list():
        revoked = "—" if key.revoked_at is None else f"{key.revoked_at:%Y-%m-%d %H:%M}"
        table.add_row(
            key.key_id,
            key.name,
            key.role.value,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            key.created_by,
            revoked,
        )
    console.print(table)


@keys_app.command("revoke")
def revoke_key(key_id: str = typer.Argument(..., help="The key id (from `keys list`).")) -> None:
    """Revoke a key: it no longer authenticates."""
    from ledger.errors import UnknownKey
    from ledger.keys import KeyStore

    try:
        key = KeyStore(_engine()).revoke(key_id, actor=_operator())
    except UnknownKey as error:
        console.print(f"[red]no key[/] {key_id}")
        raise typer.Exit(1) from error
    console.print(
        f"key {key.key_id} of {key.name} revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S} UTC"
    )


@keys_app.command()
def demo(name: str = typer.Argument(..., help="Demo principal, e.g. demo-clearance.")) -> None:
    """Print a demo key that `make run` left (data/demo-keys.json), for scripts and curl."""
    from config.settings import get_settings

    path = get_settings().resolved_demo_keys_file
    if not path.exists():
        console.print(f"[red]no demo keys in {path}: run `make run` first[/red]")
        raise typer.Exit(1)
    keys = json.loads(path.read_text())
    if name not in keys:
        console.print(f"[red]no demo key {name!r}; there are: {', '.join(keys)}[/red]")
        raise typer.Exit(1)
    print(keys[name])
