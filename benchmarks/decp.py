"""`python -m benchmarks.decp`: import 50,000 DECP contracts (goal: under 10 s and 300 MB).

Runs `boucle decp import` in a child process on a fresh SQLite store, twice: the first run
stores every contract, the second finds each unchanged; prints time and peak memory of each.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from pathlib import Path

from benchmarks.run import BOUCLE, run_child

CONTRACTS = 50_000
SIRET = "21590001100017"
SOCIAL = ["Clause sociale", "Critère social", "Marché réservé", "Pas de considération sociale"]
ENVIRONMENTAL = ["Clause environnementale", "Critère environnemental",
                 "Pas de considération environnementale"]  # fmt: skip


def decp_file(count: int, seed: int = 2026) -> str:
    """`count` contracts in the official shape, with every field the schema requires."""
    chance = random.Random(seed)
    records = []
    for number in range(count):
        social = {"considerationSociale": [chance.choice(SOCIAL)]}
        environmental = {"considerationEnvironnementale": [chance.choice(ENVIRONMENTAL)]}
        records.append(
            {
                "id": f"2026{number:06d}",
                "acheteur": {"id": SIRET},
                "nature": "Marché",
                "objet": f"Fournitures et services, lot {number}",
                "codeCPV": chance.choice(["45233000", "90910000", "15000000", "30190000"]),
                "techniques": {"technique": ["Sans objet"]},
                "modalitesExecution": {"modaliteExecution": ["Sans objet"]},
                "marcheInnovant": False,
                "ccag": "Fournitures courantes et services",
                "offresRecues": chance.randint(1, 9),
                "attributionAvance": False,
                "typeGroupementOperateurs": "Pas de groupement",
                "procedure": "Appel d'offres ouvert",
                "lieuExecution": {"code": "59350", "typeCode": "Code commune"},
                "dureeMois": 12,
                "dateNotification": f"2026-{chance.randint(1, 12):02d}-{chance.randint(1, 28):02d}",
                "datePublicationDonnees": "2026-12-31",
                "montant": chance.randint(40_000, 2_000_000),
                "typesPrix": {"typePrix": ["Définitif ferme"]},
                "formePrix": "Forfaitaire",
                "sousTraitanceDeclaree": False,
                "titulaires": [{"titulaire": {"id": "55204599900869", "typeIdentifiant": "SIRET"}}],
                "considerationsSociales": social,
                "considerationsEnvironnementales": environmental,
            }
        )
    return json.dumps({"marches": {"marche": records}}, ensure_ascii=False)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "decp-2026.json"
        path.write_text(decp_file(CONTRACTS), encoding="utf-8")
        os.environ["BOUCLE_DATA_DIR"] = str(Path(folder) / "data")
        os.environ.pop("BOUCLE_DATABASE_URL", None)
        size = path.stat().st_size / 1024 / 1024
        print(f"DECP file: {CONTRACTS:,} contracts in the official shape, {size:.0f} MiB of JSON")
        args = [*BOUCLE, "decp", "import", str(path), "--siret", SIRET, "--year", "2026"]
        for label in ("first import (all new)", "same file again (all unchanged)"):
            seconds, peak, _ = run_child(args)
            verdict = "met" if seconds < 10 and peak < 300 else "NOT met"
            print(f"  {label:<34} {seconds:6.2f} s  {peak:6.0f} MiB  (goal < 10 s, < 300 MB: "
                  f"{verdict})")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
