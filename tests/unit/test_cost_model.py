"""The cost model counts the page's polls with the page's schedule, not an assumed interval."""

from __future__ import annotations

from lambdas import catalog
from lambdas.catalog import POLL_SCHEDULE
from stacks import cost


def test_polls_follow_the_schedule_and_grow_slower_than_the_wait() -> None:
    short, ten, hour = (cost.visitor(minutes) for minutes in (1, 10, 60))
    assert short.serving_polls < ten.serving_polls < hour.serving_polls
    # The model's line steps once a minute: the page asks just after each step, once, and again
    # at the step that serves the visitor; never once per far interval or per near interval.
    minutes = 60
    assert minutes <= hour.serving_polls <= minutes + 2
    assert 10 <= ten.serving_polls <= 12 and short.serving_polls <= 3
    assert ten.cdn_requests <= 22
    # A line that moved irregularly before (no period to align to) is polled as before, and
    # `make cost` prices that too.
    assert cost.serving_polls(600_000, POLL_SCHEDULE, regular=False) > 40
    continuous = cost.per_million_visitors(10, regular=False)
    assert sum(line.monthly for line in continuous) > sum(
        line.monthly for line in cost.per_million_visitors(10)
    )


def test_the_polls_of_a_stepping_line_come_just_after_each_step() -> None:
    times = cost.serving_poll_times(600_000)
    step_ms = 60_000
    late = [t % step_ms for t in times[1:]]
    assert all(POLL_SCHEDULE.after_step_ms <= ms <= POLL_SCHEDULE.after_step_ms + 1 for ms in late), times


def test_the_position_is_asked_for_once_the_entry_queue_has_numbered_it() -> None:
    assert catalog.ENTRY_QUEUE_TRIGGER in catalog.by_name("QueueWorker").triggers
    polls = cost.assign_polls()
    retries = [POLL_SCHEDULE.assign_retry_ms(n) for n in range(polls)]
    assert sum(retries[:-1]) < catalog.ENTRY_NUMBERED_WITHIN_MS <= sum(retries)
    # The first ask comes after it: no 202 is asked for.
    assert polls == 1


def test_every_wait_is_priced() -> None:
    totals = [sum(line.monthly for line in cost.per_million_visitors(m)) for m in cost.WAITS_MINUTES]
    assert totals == sorted(totals) and totals[0] > 0


def test_an_idle_event_costs_well_under_a_cent_a_month() -> None:
    """The registry's aim: one more event, registered and idle, costs next to nothing."""
    lines = cost.idle_event_lines()
    assert {line.resource for line in lines} == {"Lambda compute", "DynamoDB reads", "ElastiCache ECPU"}
    assert 0 < sum(line.monthly for line in lines) < 0.01
    # A Periodic inlet in its window asks for the event's counters each minute: that is priced too.
    periodic = cost.idle_event_lines(periodic=True)
    assert sum(line.monthly for line in periodic) > sum(line.monthly for line in lines)


def test_the_waf_is_priced_only_for_the_requests_it_inspects() -> None:
    ten = cost.visitor(10)
    waf = {line.resource: line.monthly for line in cost.per_million_visitors(10)}["AWS WAF requests"]
    assert round(waf, 2) == round(ten.cdn_requests * cost.WAF_PER_MILLION_REQUESTS, 2)
    split = cost.per_million_visitors(10, waf_free=frozenset({"/serving_num"}))
    split_waf = {line.resource: line.monthly for line in split}["AWS WAF requests"]
    assert round(split_waf, 2) == round((ten.cdn_requests - ten.serving_polls) * 0.60, 2)
    assert "AWS WAF requests" not in {line.resource for line in cost.per_million_visitors(10, waf=False)}


def test_waf_free_paths_are_the_cached_routes_of_a_distribution_without_a_web_acl() -> None:
    def distribution(paths: list[str], acl: bool) -> dict[str, object]:
        config: dict[str, object] = {"CacheBehaviors": [{"PathPattern": p} for p in paths]}
        if acl:
            config["WebACLId"] = {"Fn::If": ["WafEnabled", "arn", {"Ref": "AWS::NoValue"}]}
        return {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": config}}

    template = {
        "Resources": {
            "Api": distribution(["/serving_num", "/queue_num"], acl=True),
            "Reads": distribution(["/serving_num", "/waiting_num"], acl=False),
        }
    }
    assert cost.waf_free_paths(template) == {"/serving_num", "/waiting_num"}


def test_flat_rate_plans_say_for_which_traffic_they_beat_pay_as_you_go() -> None:
    lines = cost.flat_rate_lines(10, 8.0, frozenset())
    assert [line.split()[0] for line in lines] == ["Free", "Pro", "Business", "Premium"]
    # Free costs nothing, so it beats $8 of web ACL from the first visitor.
    assert "cheaper from 0 visitors" in lines[0]
    per_visitor_requests = cost.visitor(10).cdn_requests
    assert f"holds {10_000_000 / per_visitor_requests:,.0f} visitors" in lines[1]


def test_assumed_rates_are_labelled_and_stream_mappings_cost_nothing_idle() -> None:
    template = {
        "Resources": {
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"StartingPosition": "TRIM_HORIZON"},
            },
            "Schedule": {
                "Type": "AWS::Events::Rule",
                "Properties": {"ScheduleExpression": "rate(1 minute)", "Targets": []},
            },
            "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        }
    }
    lines = {line.resource: line for line in cost.idle_lines(template)}
    assert lines["Schedule"].assumed and not lines["Secret"].assumed
    # Lambda's reads of a DynamoDB stream are free (the page is cited in stacks/cost.py).
    assert (lines["Mapping"].monthly, lines["Mapping"].assumed) == (0.0, False)
