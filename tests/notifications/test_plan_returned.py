"""The officer's email when the direction sends a plan back: who, which plan, the comment as
typed (escaped in HTML), what to do next, and the plan's page."""

from __future__ import annotations

from notifications.context import Recipient, plan_context
from notifications.messages import MessageType
from notifications.render import render

COMMENT = "Visez 25 % de bio <au moins>.\nAjoutez une rencontre fournisseurs au printemps."
VIEW = "https://boucle.example.org/app/plans/restauration/2027"


def rendered(locale: str):  # noqa: ANN201
    plan = {
        "portfolio": "restauration",
        "portfolio_name": "Restauration",
        "year": 2027,
        "item_count": 2,
        "occurrences": 2,
        "carried_over": 0,
        "approve_by_text": "mardi 15 décembre 2026"
        if locale == "fr"
        else "Tuesday 15 December 2026",
        "approved_by": None,
        "returned_by": "Anne Leroy",
        "return_comment": COMMENT,
    }
    person = Recipient("qdd", "Claire Martin", "claire.martin@example.org", locale)
    context = plan_context(person, "Département Test", plan, {"view": VIEW})
    return render(MessageType.plan_returned, locale, context)


def test_the_officer_reads_who_sent_the_plan_back_and_why_in_french() -> None:
    mail = rendered("fr")
    assert mail.subject == "Plan 2027 renvoyé par la direction : Restauration"
    assert mail.text == (
        "Bonjour Claire Martin,\n\n"
        "Anne Leroy vous renvoie le plan 2027 du portefeuille « Restauration » avec ce "
        "commentaire :\n\n"
        "Visez 25 % de bio <au moins>.\n"
        "Ajoutez une rencontre fournisseurs au printemps.\n\n"
        "Modifiez le plan, puis soumettez-le à nouveau : la direction recevra une nouvelle "
        "demande d'approbation. Il doit être approuvé au plus tard le mardi 15 décembre 2026.\n\n"
        f"Voir dans Boucle : {VIEW}\n\n"
        "-- \n"
        "Boucle · Département Test\n"
        "Démarche d'achat responsable (SPASER) — message envoyé automatiquement.\n"
    )
    assert "Visez 25 % de bio &lt;au moins&gt;.\nAjoutez une rencontre" in mail.html
    assert f'href="{VIEW}"' in mail.html


def test_the_officer_reads_who_sent_the_plan_back_and_why_in_english() -> None:
    mail = rendered("en")
    assert mail.subject == "2027 plan sent back by the direction: Restauration"
    assert (
        'Anne Leroy sent the 2027 plan of the portfolio "Restauration" back to you with this '
        "comment:\n\n" + COMMENT + "\n\nEdit the plan, then submit it again: the direction will "
        "receive a new approval request. It must be approved by Tuesday 15 December 2026."
    ) in mail.text
    assert "the portfolio “Restauration” back to you" in mail.html
    assert f'href="{VIEW}"' in mail.html
