"""Demo data seeded into a fresh local workspace: three datasets in the seed document's shapes.

Everything here is written by hand (no randomness) so demo runs are reproducible. The domain is
"Skyway", a travel company's customer-support assistant that books trips, answers policy
questions and routes requests.

- `Skills: Final Response`: `{"query"}` -> `{"expected_response"}`
- `Skills: Trajectory`: `{"query"}` -> `{"expected_trajectory": [tool names]}`
- `Skills: Single Step`: `{"node_name", "state" | "input"}` -> `{"expected_output": {...}}`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FINAL_RESPONSE = "Skills: Final Response"
TRAJECTORY = "Skills: Trajectory"
SINGLE_STEP = "Skills: Single Step"
DEMO_PROJECT = "evaltui-demo"


@dataclass(frozen=True)
class SeedExample:
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedDataset:
    name: str
    description: str
    examples: tuple[SeedExample, ...]


def _final(query: str, answer: str, topic: str) -> SeedExample:
    return SeedExample({"query": query}, {"expected_response": answer}, {"topic": topic})


def _trajectory(query: str, tools: list[str], topic: str) -> SeedExample:
    return SeedExample({"query": query}, {"expected_trajectory": tools}, {"topic": topic})


def _user_state(text: str, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **extra}


def _step(node: str, expected: dict[str, Any], *, state: dict | None = None, input: Any = None) -> SeedExample:
    inputs: dict[str, Any] = {"node_name": node}
    if state is not None:
        inputs["state"] = state
    if input is not None:
        inputs["input"] = input
    return SeedExample(inputs, {"expected_output": expected}, {"node": node})


FINAL_RESPONSE_EXAMPLES: tuple[SeedExample, ...] = (
    _final("How many carry-on bags can I bring on a basic economy fare?",
           "Basic economy includes one personal item and one carry-on bag.", "baggage"),
    _final("How much does the first checked bag cost?",
           "The first checked bag costs $35 when added online and $40 at the airport.", "baggage"),
    _final("What is the weight limit for a checked bag?",
           "Checked bags may weigh up to 23 kg (50 lb).", "baggage"),
    _final("Can I cancel my booking within 24 hours for a full refund?",
           "Yes, any booking cancelled within 24 hours of purchase is fully refunded.", "refunds"),
    _final("How long does a refund take to reach my card?",
           "Refunds reach your card within 7 to 10 business days.", "refunds"),
    _final("Are non-refundable fares eligible for travel credit?",
           "Yes, non-refundable fares can be converted to travel credit valid for 12 months.", "refunds"),
    _final("When does online check-in open?",
           "Online check-in opens 24 hours before departure.", "check-in"),
    _final("How early should I arrive at the airport for an international flight?",
           "Arrive at least 3 hours before an international departure.", "check-in"),
    _final("Do I need a visa to visit Japan with a US passport for two weeks?",
           "No, US passport holders can visit Japan visa-free for up to 90 days.", "visas"),
    _final("Do I need a visa to visit India as a UK citizen?",
           "Yes, UK citizens need an e-Visa to visit India.", "visas"),
    _final("Can I bring my cat in the cabin?",
           "Yes, small cats and dogs in an approved carrier may travel in the cabin for $125 each way.", "pets"),
    _final("What is the change fee for a main cabin ticket?",
           "There is no change fee for main cabin tickets; you pay only the fare difference.", "changes"),
    _final("How many loyalty points do I earn per dollar spent?",
           "Skyway Rewards members earn 5 points per dollar on flights.", "loyalty"),
    _final("Do my loyalty points expire?",
           "Points never expire as long as your account has activity every 24 months.", "loyalty"),
    _final("What time is hotel check-in at Skyway partner hotels?",
           "Standard hotel check-in is at 3 PM.", "hotels"),
    _final("Is breakfast included in the Skyway hotel bundle?",
           "Breakfast is included only in the Plus and Premium hotel bundles.", "hotels"),
    _final("Can I get a refund if my flight is delayed by more than 3 hours?",
           "Yes, delays over 3 hours qualify for a full refund if you choose not to travel.", "disruptions"),
    _final("What happens if I miss my connecting flight because of a delay?",
           "We rebook you on the next available flight at no extra cost.", "disruptions"),
    _final("Is Wi-Fi free on board?",
           "Messaging is free on board; full Wi-Fi costs $8 per flight.", "onboard"),
    _final("Can I choose my seat on a basic economy ticket?",
           "Seats on basic economy are assigned at check-in; choosing one costs from $15.", "seats"),
    _final("What is the maximum number of passengers on one booking?",
           "A single booking can include up to 9 passengers.", "bookings"),
    _final("Can children under 2 fly on my lap?",
           "Yes, infants under 2 may fly on an adult's lap for free on domestic flights.", "bookings"),
    _final("How do I add travel insurance after booking?",
           "Open Manage Booking and choose Add Insurance up to 48 hours before departure.", "insurance"),
    _final("Which currencies can I pay in?",
           "You can pay in USD, EUR, GBP, JPY and CAD.", "payments"),
)

TRAJECTORY_EXAMPLES: tuple[SeedExample, ...] = (
    _trajectory("Find me a flight from Boston to Lisbon on May 3",
                ["search_flights"], "flights"),
    _trajectory("Book the cheapest flight from Chicago to Denver next Friday",
                ["search_flights", "book_flight", "send_confirmation_email"], "flights"),
    _trajectory("Cancel booking ABC123 and tell me how much I get back",
                ["get_booking", "check_refund_policy", "cancel_booking"], "cancellations"),
    _trajectory("What is the weather in Rome during my trip next week?",
                ["get_booking", "lookup_weather"], "weather"),
    _trajectory("Find a hotel near the Louvre for three nights from June 10",
                ["search_hotels"], "hotels"),
    _trajectory("Book a hotel in Kyoto for my existing flight reservation XYZ789",
                ["get_booking", "search_hotels", "book_hotel", "send_confirmation_email"], "hotels"),
    _trajectory("How much is 500 euros in US dollars?",
                ["convert_currency"], "payments"),
    _trajectory("Do I need a visa for my trip to Brazil in booking QWE456?",
                ["get_booking", "get_visa_requirements"], "visas"),
    _trajectory("Move my flight LMN321 to the day after",
                ["get_booking", "search_flights", "change_flight", "send_confirmation_email"], "changes"),
    _trajectory("How many loyalty points do I have?",
                ["get_loyalty_balance"], "loyalty"),
    _trajectory("Use my points to upgrade booking RTY654 to business class",
                ["get_booking", "get_loyalty_balance", "upgrade_seat"], "loyalty"),
    _trajectory("My bag did not arrive in Madrid, please open a claim",
                ["get_booking", "create_baggage_claim", "send_confirmation_email"], "baggage"),
    _trajectory("What is your policy on travelling with a service dog?",
                ["search_knowledge_base"], "policy"),
    _trajectory("I was charged twice for booking HJK852, I want to speak to a person",
                ["get_booking", "check_payment_history", "escalate_to_human"], "billing"),
    _trajectory("Plan a weekend in Barcelona: flights from London and a hotel near the beach",
                ["search_flights", "search_hotels"], "packages"),
    _trajectory("Add a checked bag to booking PLM147",
                ["get_booking", "add_baggage", "send_confirmation_email"], "baggage"),
    _trajectory("Is my flight SK204 on time today?",
                ["get_flight_status"], "status"),
    _trajectory("My flight SK881 was cancelled, get me on the next one",
                ["get_flight_status", "search_flights", "change_flight", "send_confirmation_email"], "disruptions"),
    _trajectory("Email me the receipt for booking ZXC963",
                ["get_booking", "send_receipt_email"], "billing"),
    _trajectory("Compare hotel prices in Berlin and Prague for the first week of August",
                ["search_hotels", "search_hotels", "convert_currency"], "hotels"),
    _trajectory("Request a wheelchair at the airport for booking VBN258",
                ["get_booking", "request_special_assistance"], "accessibility"),
    _trajectory("What are the COVID entry rules for Australia and do I meet them for booking TGB741?",
                ["get_booking", "get_visa_requirements", "search_knowledge_base"], "visas"),
    _trajectory("Update the passport number on booking EDC369",
                ["get_booking", "update_passenger_details"], "bookings"),
    _trajectory("Find a rental car in Reykjavik for my trip",
                ["get_booking", "search_car_rentals"], "cars"),
)


def _intent(text: str, label: str) -> SeedExample:
    return _step("intent_classification", {"classification": label}, state=_user_state(text))


def _sentiment(text: str, label: str) -> SeedExample:
    return _step("sentiment_classification", {"classification": label}, state=_user_state(text))


def _urgency(text: str, label: str, departure_in_hours: int) -> SeedExample:
    return _step(
        "urgency_classification",
        {"classification": label},
        state=_user_state(text, departure_in_hours=departure_in_hours),
    )


def _booking_details(text: str, reference: str, last_name: str) -> SeedExample:
    return _step("extract_booking_details", {"booking_reference": reference, "last_name": last_name}, input=text)


def _travel_dates(text: str, check_in: str, check_out: str) -> SeedExample:
    return _step("extract_travel_dates", {"check_in": check_in, "check_out": check_out}, input=text)


def _route(state: dict[str, str], next_node: str) -> SeedExample:
    return _step("route_request", {"next_node": next_node}, state=state)


SINGLE_STEP_EXAMPLES: tuple[SeedExample, ...] = (
    _intent("I need to cancel my trip to Denver next week", "cancellation"),
    _intent("Can you book me a flight to Tokyo in October?", "booking"),
    _intent("Where is my refund? It has been three weeks", "refund"),
    _intent("My suitcase arrived with a broken handle", "baggage"),
    _intent("The gate agent was extremely rude to my mother", "complaint"),
    _intent("Do you have vegetarian meals on transatlantic flights?", "general_question"),
    _intent("Please change my return flight to Sunday", "change"),
    _intent("I want to add my husband to my booking", "change"),
    _sentiment("Thank you so much, the crew was wonderful!", "positive"),
    _sentiment("I have been on hold for two hours and nobody helps me", "negative"),
    _sentiment("What time does boarding start for SK110?", "neutral"),
    _sentiment("The upgrade was nice but the food was cold", "mixed"),
    _urgency("My flight leaves in 90 minutes and my booking disappeared", "high", 2),
    _urgency("I'd like to change my seat for my trip in March", "low", 2000),
    _urgency("Passport expired, flying tomorrow morning, what can I do?", "high", 18),
    _booking_details("Hi, my booking reference is ABC123 under the name Claire Moreau.", "ABC123", "Moreau"),
    _booking_details("Reservation XYZ789, passenger Kenji Tanaka, need help with seats", "XYZ789", "Tanaka"),
    _booking_details("Booking code qwe456 for Ana Silva", "QWE456", "Silva"),
    _travel_dates("Hotel in Paris from June 10 to June 13, 2025", "2025-06-10", "2025-06-13"),
    _travel_dates("We arrive on 22 December 2025 and leave a week later", "2025-12-22", "2025-12-29"),
    _route({"intent": "refund", "sentiment": "negative", "urgency": "low"}, "refund_agent"),
    _route({"intent": "booking", "sentiment": "neutral", "urgency": "low"}, "booking_agent"),
    _route({"intent": "complaint", "sentiment": "negative", "urgency": "high"}, "human_agent"),
    _route({"intent": "general_question", "sentiment": "neutral", "urgency": "low"}, "faq_agent"),
)

DATASETS: tuple[SeedDataset, ...] = (
    SeedDataset(
        FINAL_RESPONSE,
        "Customer questions and the assistant's expected final answer (exact match / LLM judge).",
        FINAL_RESPONSE_EXAMPLES,
    ),
    SeedDataset(
        TRAJECTORY,
        "Requests and the exact sequence of tools the assistant should call.",
        TRAJECTORY_EXAMPLES,
    ),
    SeedDataset(
        SINGLE_STEP,
        "Inputs to single graph nodes (classifiers, extractors, router) and their expected output.",
        SINGLE_STEP_EXAMPLES,
    ),
)


def demo_datasets() -> tuple[SeedDataset, ...]:
    """The three demo datasets, in the order they are seeded."""
    return DATASETS


# Workspace evaluators of the demo workspace, in LangSmith's OnlineEvaluator shape (one of each type).
DEMO_WORKSPACE_EVALUATORS: tuple[dict, ...] = (
    {
        "name": "Exact match (workspace)",
        "type": "code",
        "feedback_keys": ["exact_match"],
        "code_evaluator": {
            "language": "python",
            "code": (
                "def perform_eval(run, example):\n"
                "    actual = (run.get('outputs') or {}).get('response', '')\n"
                "    expected = (example.get('outputs') or {}).get('expected_response', '')\n"
                "    return {'exact_match': int(actual.strip().lower() == expected.strip().lower())}\n"
            ),
            "dependencies": None,
            "evaluator_build_status": "READY",
            "evaluator_build_error": None,
        },
    },
    {
        "name": "Accuracy judge (workspace)",
        "type": "llm",
        "feedback_keys": ["accuracy"],
        "llm_evaluator": {
            "prompt_repo_handle": "evaltui-demo/accuracy-judge",
            "commit_hash_or_tag": "latest",
            "variable_mapping": {"response": "outputs.response", "expected": "reference.expected_response"},
        },
    },
)


# The prompt-hub prompts the demo workspace evaluators point at (see prompt_manifest).
_ACCURACY_PROMPT = (
    ("system", "You grade an AI agent's answer for factual accuracy against the expected answer. "
               "Judge the facts, not the wording.", ()),
    ("human", "<expected>\n{expected}\n</expected>\n\n<agent_output>\n{response}\n</agent_output>",
     ("expected", "response")),
)
_ACCURACY_SCHEMA = {
    "title": "accuracy", "description": "Whether the answer is accurate", "type": "object",
    "properties": {
        "reasoning": {"type": "string", "description": "Explain your reasoning"},
        "accuracy": {"type": "boolean", "description": "True if the answer is accurate"},
    },
    "required": ["reasoning", "accuracy"], "additionalProperties": False,
}


def _demo_prompts() -> dict[str, dict]:
    from tui.backend.workspace.prompt_manifest import judge_prompt_manifest

    return {"evaltui-demo/accuracy-judge": judge_prompt_manifest(_ACCURACY_PROMPT, _ACCURACY_SCHEMA, "gpt-4o-mini")}


DEMO_PROMPTS: dict[str, dict] = _demo_prompts()

