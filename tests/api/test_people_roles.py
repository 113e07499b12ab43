"""Roles and activity are an admin's to change, never one's own; plan imports propose them."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.main import create_app
from domain.model import Role
from domain.validation import load_plan
from services.settings import Settings
from store.plans import save_organisation
from store.tables import Person, PersonProposal
from tests.api.test_roles import PLAN, seeded


def client(app, token: str) -> httpx.AsyncClient:  # noqa: ANN001
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


def person(name: str, email: str, role: str, **extra: object) -> dict[str, object]:
    return {"name": name, "email": email, "role": role, **extra}


async def test_an_officer_cannot_make_herself_admin_then_act_as_anyone(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app, tokens[Role.officer]) as officer:
            promoted = await officer.put(
                "/people/qdd", json=person("Claire Martin", "claire.martin@example.org", "admin")
            )
            assert promoted.status_code == 403, promoted.text
            assert promoted.json()["code"] == "role_change_forbidden"
            assert (await officer.post("/tokens", json={"person_id": "dgs"})).status_code == 403
            hijack = await officer.put(
                "/people/dgs", json=person("Anne Leroy", "claire.martin@example.org", "direction")
            )
            assert hijack.json()["code"] == "protected_person"  # a direction member's email
            new_director = await officer.put(
                "/people/dg2", json=person("Marc Petit", "marc.petit@example.org", "direction")
            )
            assert new_director.status_code == 403
            departed = await officer.put(
                "/people/resto",
                json=person("Paul Durand", "paul.durand@example.org", "buyer", active=False),
            )
            assert departed.json()["code"] == "role_change_forbidden"
            renamed = await officer.put(
                "/people/resto", json=person("Paul Durand-Roy", "paul.durand@example.org", "buyer")
            )
            assert renamed.status_code == 200 and renamed.json()["name"] == "Paul Durand-Roy"
            colleague = await officer.put(
                "/people/lea", json=person("Léa Roux", "lea.roux@example.org", "buyer")
            )
            assert colleague.status_code == 200 and colleague.json()["active"] is True
        async with client(app, tokens[Role.admin]) as admin:
            own = await admin.put("/people/adm", json=person("Admin", "admin@example.org", "buyer"))
            assert own.status_code == 403 and own.json()["code"] == "own_role"
            asleep = await admin.put(
                "/people/adm", json=person("Admin", "admin@example.org", "admin", active=False)
            )
            assert asleep.json()["code"] == "own_role"
            role = await admin.put(
                "/people/resto",
                json=person("Paul Durand", "paul.durand@example.org", "officer", active=False),
            )
            assert role.status_code == 200
            assert (role.json()["role"], role.json()["active"]) == ("officer", False)
        async with client(app, tokens[Role.officer]) as officer:
            english = await officer.put(
                "/people/qdd",
                json=person("Claire Martin", "claire.martin@example.org", "admin"),
                headers={"Accept-Language": "en"},
            )
            assert english.json()["detail"] == (
                "only an administrator changes a role or whether a person is active"
            )
    with sessions() as session:
        assert session.get(Person, "qdd").role == "officer"  # type: ignore[union-attr]
        assert session.get(Person, "dgs").email == "anne.leroy@example.org"  # type: ignore[union-attr]
        assert session.get(Person, "dg2") is None


def changed_people_plan() -> str:
    """The test plan as an officer might rewrite it: herself admin, a new and a changed director."""
    text = PLAN
    text = text.replace(
        "claire.martin@example.org, role: officer}", "claire.martin@example.org, role: admin}"
    )
    text = text.replace("anne.leroy@example.org", "claire.martin+dgs@example.org")
    return text.replace(
        "people:\n",
        "people:\n  - {id: dg2, name: Marc Petit, email: marc.petit@example.org, role: direction}\n"
        "  - {id: lea, name: Léa Roux, email: lea.roux@example.org, role: buyer}\n",
    )


async def test_a_plan_import_never_creates_or_changes_admins_or_direction_it_proposes_them(
    tmp_path: Path,
) -> None:
    sessions, tokens = seeded(tmp_path)
    with sessions() as session:
        departed = session.get(Person, "resto")
        assert departed is not None
        departed.active = False
        session.add(departed)
        session.commit()
    document = load_plan(changed_people_plan())
    with sessions() as session:
        proposals = save_organisation(session, document)
        session.commit()
        assert sorted(p.person_id for p in proposals) == ["dg2", "dgs", "qdd"]
        assert session.get(Person, "qdd").role == "officer"  # type: ignore[union-attr]
        assert session.get(Person, "dgs").email == "anne.leroy@example.org"  # type: ignore[union-attr]
        assert session.get(Person, "dg2") is None
        assert session.get(Person, "lea").role == "buyer"  # type: ignore[union-attr]
        assert session.get(Person, "resto").active is False  # type: ignore[union-attr]
    with sessions() as session:
        assert save_organisation(session, document) == []  # the same file: nothing new
        session.commit()
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app, tokens[Role.officer]) as officer:
            listed = (await officer.get("/proposals")).json()
            assert [(p["person_id"], p["current_role"]) for p in listed] == [
                ("dg2", None),
                ("qdd", "officer"),
                ("dgs", "direction"),
            ]
            assert listed[1]["record"]["role"] == "admin"
            assert (await officer.post(f"/proposals/{listed[0]['id']}/accept")).status_code == 403
        async with client(app, tokens[Role.admin]) as admin:
            accepted = await admin.post(f"/proposals/{listed[0]['id']}/accept")
            assert accepted.status_code == 200, accepted.text
            assert (accepted.json()["role"], accepted.json()["active"]) == ("direction", True)
            dismissed = await admin.delete(f"/proposals/{listed[1]['id']}")
            assert dismissed.json()["outcome"] == "dismissed"
            again = await admin.delete(f"/proposals/{listed[1]['id']}")
            assert again.status_code == 409 and again.json()["code"] == "proposal_settled"
            assert (await admin.get("/proposals")).json()[0]["person_id"] == "dgs"
    with sessions() as session:
        assert save_organisation(session, document) == []  # a dismissed proposal stays dismissed
        session.commit()
        assert len(session.exec(PersonProposal.__table__.select()).all()) == 3  # type: ignore[attr-defined]
