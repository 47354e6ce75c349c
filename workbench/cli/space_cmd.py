"""``workbench serve`` (the client space) and ``workbench client access|changes|review``."""

from __future__ import annotations

import argparse
import ipaddress
import unicodedata

from workbench.apps.space.server import DEFAULT_PORT, SpaceOptions, SpaceState, configure_logging, serve
from workbench.cli.common import open_workspace, print_json, print_table, settings_from
from workbench.cli.serve import check_port
from workbench.core.dates import fr_date
from workbench.core.errors import UsageError
from workbench.domain.client_space import CODE_BITS, Review, parse_expiry
from workbench.domain.profile import validate_client_id
from workbench.domain.records import now
from workbench.store.client_space import (
    changes_to_review,
    create_access,
    list_access,
    mark_seen,
    require_sqlite,
    review_change,
    revoke_access,
)


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve", parents=[parent],
        help="servir l'espace client de tous les clients (un seul serveur, un code d'accès par client)",
        description=(
            "Sert l'espace de chaque client ayant un code d'accès actif (workbench client access) : tableau "
            "de bord, plan d'actions, tâches, ajout de preuves et commentaires. Écoute 127.0.0.1 par défaut ; "
            "pour vos clients, placez-le derrière un proxy TLS (voir docs/espace-client.md)."
        ),
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N", help=f"port (défaut : {DEFAULT_PORT})")
    p.add_argument("--host", default="127.0.0.1", metavar="ADRESSE",
                   help="adresse d'écoute (défaut : 127.0.0.1, cette machine seulement)")
    p.add_argument("--public-host", action="append", default=[], metavar="NOM",
                   help="nom sous lequel les clients joignent l'espace (ex. espace.cabinet.fr) ; répétable")
    p.add_argument("--behind-proxy", action="store_true",
                   help="le TLS est assuré par un proxy sur cette machine : cookies « Secure », adresse du "
                        "client lue dans X-Real-IP / X-Forwarded-For")
    p.set_defaults(func=cmd_serve)


def register_client(csub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Sub-commands of ``workbench client`` that belong to the client space."""
    ap = csub.add_parser("access", parents=[parent],
                         help="créer (affiché une seule fois), révoquer ou lister le code d'accès d'un client")
    ap.add_argument("id", metavar="ID", help="identifiant du client")
    ap.add_argument("--expires", metavar="DATE", help="dernier jour de validité du code (AAAA-MM-JJ)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--revoke", action="store_true", help="révoquer le code actif du client")
    mode.add_argument("--list", action="store_true", help="lister les codes du client (jamais les codes eux-mêmes)")
    ap.set_defaults(func=cmd_access)

    cp = csub.add_parser("changes", parents=[parent],
                         help="ce que le client a fait depuis son espace depuis votre dernier passage")
    cp.add_argument("id", metavar="ID", help="identifiant du client")
    cp.add_argument("--json", action="store_true", help="sortie JSON")
    cp.set_defaults(func=cmd_changes)

    rp = csub.add_parser("review", parents=[parent],
                         help="accepter ou renvoyer une modification faite par le client")
    rp.add_argument("id", metavar="ID", help="identifiant du client")
    rp.add_argument("change", metavar="N", type=int, help="numéro de la modification (voir « client changes »)")
    decision = rp.add_mutually_exclusive_group(required=True)
    decision.add_argument("--accept", action="store_true", help="valider la modification")
    decision.add_argument("--send-back", action="store_true",
                          help="la renvoyer au client (une action revient à son statut précédent, "
                               "une preuve est retirée)")
    rp.add_argument("--note", default="", metavar="TEXTE", help="explication montrée au client")
    rp.set_defaults(func=cmd_review)


def plain(text: object) -> str:
    """Client text made safe for a terminal: control characters (escape sequences) removed."""
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in str(text))


def cmd_access(args: argparse.Namespace) -> int:
    client = validate_client_id(args.id)
    with open_workspace(args) as ws:
        store = require_sqlite(ws.store)
        if args.list:
            grants = list_access(store, client)
            if not grants:
                print(f"Aucun code d'accès pour {client}.")
            today = now().date()
            print_table(["N°", "Créé le", "Par", "Expire le", "État"],
                        [[g.id, fr_date(g.created_at), plain(g.created_by), fr_date(g.expires_on),
                          (g.refusal(today).value if g.refusal(today) else "actif")] for g in grants])
            return 0
        if args.revoke:
            if args.expires:
                raise UsageError("--expires ne s'emploie pas avec --revoke.")
            n = revoke_access(store, client)
            print(f"Code d'accès de {client} révoqué ; ses sessions ouvertes sont fermées." if n
                  else f"{client} n'avait aucun code actif.")
            return 0
        expires = parse_expiry(args.expires, now().date()) if args.expires else None
        code, grant = create_access(store, client, expires)
    print(f"Code d'accès personnel de {client} (affiché une seule fois ; seule son empreinte est conservée) :")
    print(f"  {code}")
    print(f"Valable {'jusqu’au ' + fr_date(grant.expires_on) + ' inclus' if grant.expires_on else 'sans date limite'} ; "
          f"tout code précédent de ce client est révoqué. Environ {CODE_BITS} bits d'aléa.")
    print("Transmettez-le au client par un canal séparé de l'adresse de l'espace.")
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    client = validate_client_id(args.id)
    with open_workspace(args) as ws:
        store = require_sqlite(ws.store)
        store.get_client(client)
        changes, seen = changes_to_review(store, client)
        mark_seen(store, client)
    if args.json:
        print_json([{"id": c.id, "nouveau": c.id > seen, "type": c.kind.value, "mission": c.mission_id,
                     "indicateur": c.indicator_id, "cible": c.target, "texte": c.text, "fichier": c.file_path,
                     "date": c.created_at.isoformat(), "auteur": c.created_by, "suite": c.review.value,
                     "note": c.review_note} for c in changes])
        return 0
    if not changes:
        print(f"Rien de nouveau de la part de {client} depuis votre dernier passage.")
        return 0
    print(f"Modifications faites par {client} depuis son espace ({sum(c.id > seen for c in changes)} nouvelle(s)) :")
    print_table(["N°", "", "Date", "Quoi", "Détail", "Fichier", "Suite"],
                [[c.id, "nouveau" if c.id > seen else "", fr_date(c.created_at), c.kind.label, plain(c.text),
                  plain(c.file_path or ""), c.review.label] for c in changes])
    print(f"Pour chacune : workbench client review {client} N --accept | --send-back [--note TEXTE]")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    client = validate_client_id(args.id)
    decision = Review.ACCEPTED if args.accept else Review.SENT_BACK
    with open_workspace(args) as ws:
        change = review_change(require_sqlite(ws.store), client, args.change, decision, plain(args.note).strip())
    print(f"Modification {change.id} ({change.kind.label.lower()}) : {change.review.label.lower()}.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    host = args.host.strip()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"adresse d'écoute invalide : « {host} » (une adresse IP, ex. 127.0.0.1).") from None
    check_port(args.port, host)
    settings = settings_from(args)
    with open_workspace(args):  # the workspace must exist; nothing is created
        pass
    state = SpaceState(settings, SpaceOptions(host=host, port=args.port, public_hosts=tuple(args.public_host),
                                              behind_proxy=args.behind_proxy))
    active = sorted({g.client_id for g in list_access(state.store) if g.refusal(now().date()) is None})
    shown = f"[{host}]" if ":" in host else host

    def ready() -> None:
        print(f"Espace client : http://{shown}:{args.port}/ ({len(active)} client(s) avec un code actif"
              + (f" : {', '.join(active)}" if active else " ; créez-en avec « workbench client access ID »") + ")",
              flush=True)
        if not ipaddress.ip_address(host).is_loopback:
            print("Attention : l'espace écoute au-delà de cette machine ; servez-le derrière un proxy TLS "
                  "(docs/espace-client.md).", flush=True)
        print("Ctrl+C pour arrêter.", flush=True)

    configure_logging(settings.debug)
    serve(state, on_ready=ready)
    print("Espace client arrêté.")
    return 0
