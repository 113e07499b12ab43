"""The calendar page: a private feed address made, shown once, replaced and revoked."""

from __future__ import annotations

import re
from pathlib import Path

from api.main import create_app
from services.settings import Settings
from tests.api.test_api import client, stored_pub_task
from tests.api.test_task_pages import hidden, signed_in


async def test_a_buyer_makes_replaces_and_revokes_their_feed_address(tmp_path: Path) -> None:
    _, sessions, _ = stored_pub_task(tmp_path)
    settings = Settings(data_dir=tmp_path, public_url="https://boucle.example.org")
    app = create_app(settings, sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        signed_in(browser, sessions, "resto")
        empty = await browser.get("/app/calendar")
        assert "Vous n&#39;avez pas encore d&#39;adresse d&#39;abonnement." in empty.text
        made = await browser.post("/app/calendar", data={"csrf": hidden(empty, "csrf")})
        found = re.search(
            r'value="(https://boucle\.example\.org/calendar/(bcf_[^"]+)\.ics)"', made.text
        )
        assert found, made.text
        assert f'href="webcal://boucle.example.org/calendar/{found.group(2)}.ics"' in made.text
        feed = await browser.get(f"/calendar/{found.group(2)}.ics")
        assert feed.status_code == 200 and "SUMMARY:Publier" in feed.text

        later = await browser.get("/app/calendar")
        assert "Une adresse d&#39;abonnement est active depuis le" in later.text
        assert found.group(2) not in later.text  # shown once, never again
        forged = await browser.post("/app/calendar", data={"csrf": "0" * 64})
        assert forged.status_code == 303
        assert (await browser.get(f"/calendar/{found.group(2)}.ics")).status_code == 200

        replaced = await browser.post("/app/calendar", data={"csrf": hidden(later, "csrf")})
        second = re.search(r"/calendar/(bcf_[^\"]+)\.ics", replaced.text)
        assert second and second.group(1) != found.group(2)
        assert (await browser.get(f"/calendar/{found.group(2)}.ics")).status_code == 404
        revoked = await browser.post("/app/calendar/revoke", data={"csrf": hidden(later, "csrf")})
        assert revoked.headers["location"] == "/app/calendar?done=revoked"
        assert (await browser.get(f"/calendar/{second.group(1)}.ics")).status_code == 404
