"""The longer answers shown in the OpenAPI document, each from a real run (tests/http/test_examples.py checks their shape)."""

from __future__ import annotations

from typing import Any

# From a real run: a purchase, an NPS answer and an email contact of C-1 in May 2024, a complaint of C-2.
PROFILE = {
    "customer": "C-1",
    "as_of": "2024-06-01",
    "segment": None,
    "first_seen": "2024-05-01T10:00:00.000000Z",
    "last_seen": "2024-05-20T10:00:00.000000Z",
    "contacts": 1,
    "contacts_by_channel": {"email": 1},
    "last_contact": "2024-05-20T10:00:00.000000Z",
    "purchases": 1,
    "purchase_days": 1,
    "first_purchase": "2024-05-01T10:00:00.000000Z",
    "last_purchase": "2024-05-01T10:00:00.000000Z",
    "currency": "EUR",
    "total_spend": "19.90",
    "spend": {"EUR": "19.90"},
    "refunds": {"EUR": "0.00"},
    "average_order_value": {"EUR": "19.90"},
    "complaints": 0,
    "open_complaints": 0,
    "last_nps": 9,
    "average_csat": None,
    "stage": "development",
    "churn_risk": False,
    "stage_history": [{"day": "2024-05-01", "stage": "development"}],
    "rfm": "111",
    "value_segment": "lost",
    "vip": True,
    "behind": 0,
}
TRENDS = {
    "rows": [
        {
            "period": "2024-05",
            "nps": 100.0,
            "nps_answers": 1,
            "nps_margin": 0.0,
            "nps_small_sample": True,
            "nps_change": None,
            "nps_change_significant": None,
            "csat": None,
            "csat_answers": 0,
            "csat_margin": None,
            "csat_small_sample": False,
            "csat_change": None,
            "csat_change_significant": None,
            "ces": None,
            "ces_answers": 0,
            "ces_margin": None,
            "ces_small_sample": False,
            "ces_change": None,
            "ces_change_significant": None,
            "surveys_sent": 0,
            "response_rate": None,
            "expectation": None,
            "perceived_quality": None,
            "perceived_value": None,
            "quality_minus_expectation": None,
            "complaints_filed": 1,
            "complaints_resolved": 0,
            "complaints_per_1000_orders": 1000.0,
            "median_first_response_hours": None,
            "median_resolution_hours": None,
            "orders": 1,
            "revenue": "19.90",
            "currency": "EUR",
            "buyers": 1,
            "repeat_purchase_rate": 0.0,
            "churn_rate": None,
            "channel": None,
            "segment": None,
        }
    ],
    "behind": 0,
    "restricted": 0,
}
COMPLAINTS = {
    "rows": [
        {
            "customer": "C-2",
            "complaint_id": "K-1",
            "severity": "high",
            "channel": "phone",
            "state": "open",
            "filed_at": "2024-05-02T09:00:00.000000Z",
            "age_hours": 30.5,
            "first_response_hours": None,
            "resolution_hours": None,
            "response_met": False,
            "resolution_met": None,
            "reopened": 0,
            "overdue": True,
        }
    ],
    "behind": 0,
    "restricted": 0,
}

# From a real run: C-1 bought in May and June 2024, C-2 in May; C-1 agreed to marketing e-mail in May.
COHORTS = {
    "by": "month",
    "metric": "retention",
    "convention": "n_period",
    "currency": None,
    "as_of": "2024-07-31",
    "cohorts": [{"cohort": "2024-05", "size": 2, "values": [1.0, 0.5, 0.0]}],
    "overall": [1.0, 0.5, 0.0],
    "behind": 0,
    "restricted": 0,
}


def _never_asked(purpose: str) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "state": "none",
        **dict.fromkeys(("event_id", "position", "occurred_at", "source", "text_version")),
    }


CONSENT = {
    "customer": "C-1",
    "as_of": "2024-06-01",
    "purposes": [
        {
            "purpose": "marketing_email",
            "state": "granted",
            "event_id": "7ef683ec-2795-482d-ae4b-d2c9116e52e6",
            "position": 4,
            "occurred_at": "2024-05-01T10:00:00Z",
            "source": "web-signup",
            "text_version": "v3",
        },
        *(_never_asked(purpose) for purpose in ("marketing_sms", "profiling", "third_party_sharing")),
    ],
    "restricted": False,
    "erased": False,
}
