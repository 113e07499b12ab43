"""Page addresses: the emails and the pages build them in one place."""

from __future__ import annotations

from notifications.urls import cycle_page, dashboard_page, plan_page, task_page, tasks_page

BASE = "https://boucle.example.org"


def test_a_task_page_keeps_the_slashes_of_its_id() -> None:
    assert (
        task_page("nettoyage/2027/veille/2027-01-04", BASE)
        == "https://boucle.example.org/app/tasks/nettoyage/2027/veille/2027-01-04"
    )


def test_anything_else_unsafe_is_percent_encoded() -> None:
    assert task_page("voirie/2027/réunion #2?/2027-01-04") == (
        "/app/tasks/voirie/2027/r%C3%A9union%20%232%3F/2027-01-04"
    )


def test_each_kind_of_page() -> None:
    assert tasks_page(BASE) == "https://boucle.example.org/app/tasks"
    assert plan_page("restauration", 2027, BASE) == (
        "https://boucle.example.org/app/plans/restauration/2027"
    )
    assert cycle_page("restauration", 2027, BASE) == (
        "https://boucle.example.org/app/cycles/restauration/2027"
    )
    assert dashboard_page(BASE) == "https://boucle.example.org/dashboard"
