"""The page's poll schedule and estimator (JavaScript, in Chromium) and their Python copies agree.

`vwr load` visitors and the cost model use the Python copies (lambdas.catalog.PollSchedule,
benchmarks.page_model); the page uses waiting_room_site/js/schedule.js and estimate.js. Both sides
get the same grid of inputs and must give the same answers.
"""

from __future__ import annotations

import itertools
import random

from benchmarks.page_model import ServerClock, ServingRate, estimate_wait
from lambdas.catalog import ENTRY_NUMBERED_WITHIN_MS, POLL_SCHEDULE

PLACES = [-3, 0, 1, 5, 10, 11, 40, 99, 100, 101, 300, 1000, 5000, 100_000]
RATES = [None, 0.0, 1e-6, 1e-5, 1e-4, 5e-4, 1e-3, 1e-2, 1.0]
STEPS = [0, 1, 10, 50, 200, 2000]
WATCHED = [0, 3000, 45_000, 200_000]
NEAR = [2000, 200, 350]


def test_poll_delays_agree(module_page) -> None:
    grid = [list(case) for case in itertools.product(NEAR, PLACES, RATES, STEPS, WATCHED)]
    got = module_page.evaluate(
        """async (grid) => {
            const m = await import('/waiting_room_site/js/schedule.js');
            return grid.map(([near, places, rate, step, watched]) => m.pollDelayMs(
                places, rate, step, watched, near === 2000 ? m.SCHEDULE : m.scheduleWithNear(near)));
        }""",
        grid,
    )
    expected = [
        (POLL_SCHEDULE if near == 2000 else POLL_SCHEDULE.with_near(near)).delay_ms(
            places, rate, step, watched
        )
        for near, places, rate, step, watched in grid
    ]
    assert got == expected
    # The grid reaches every branch: near, far, the unknown rate and the measured one in between.
    assert {2000, 30000} <= set(expected) and len(set(expected)) > 20


# Last moves of the counter (page clock, oldest first): regular once a minute, regular but too
# often, irregular, too few; and now before, at and well after the next step is due.
MOVES = [[], [0, 60_000], [0, 60_000, 120_000], [1000, 61_500, 120_400], [0, 3000, 6000],
         [0, 10_000, 60_000], [0, 20_000, 40_000]]  # fmt: skip
NOW = [120_000, 125_000, 150_000, 179_000, 182_600, 185_000, 200_000, 400_000]
DELAYS = [2000, 15_000, 30_000]


def test_step_aligned_polls_agree(module_page) -> None:
    grid = [list(case) for case in itertools.product(NEAR, [0, 5, 40, 300], DELAYS, [0, 100], MOVES, NOW)]
    got = module_page.evaluate(
        """async (grid) => {
            const m = await import('/waiting_room_site/js/schedule.js');
            return grid.map(([near, places, delay, step, moves, now]) => m.stepAlignedMs(
                places, delay, step, moves, now, near === 2000 ? m.SCHEDULE : m.scheduleWithNear(near)));
        }""",
        grid,
    )
    expected = [
        (POLL_SCHEDULE if near == 2000 else POLL_SCHEDULE.with_near(near)).step_aligned_ms(
            places, delay, step, moves, now
        )
        for near, places, delay, step, moves, now in grid
    ]
    assert got == expected
    # Both kinds of line and every branch: not aligned, just after the next step, late (near),
    # the capped far poll.
    assert None in expected and POLL_SCHEDULE.near_ms in expected and 62_500 in expected
    assert len({e for e in expected if e is not None}) > 20


def test_the_page_copy_has_the_same_constants(module_page) -> None:
    got = module_page.evaluate(
        "async () => ({ ...(await import('/waiting_room_site/js/schedule.js')).SCHEDULE })"
    )
    assert got == {
        "nearMs": POLL_SCHEDULE.near_ms,
        "farMs": POLL_SCHEDULE.far_ms,
        "fraction": POLL_SCHEDULE.fraction,
        "nearPlaces": POLL_SCHEDULE.near_places,
        "afterStepMs": POLL_SCHEDULE.after_step_ms,
        "regularity": POLL_SCHEDULE.regularity,
        "firstAskMs": POLL_SCHEDULE.first_ask_ms,
    }


def test_assign_retries_agree_and_stay_bounded(module_page) -> None:
    got = module_page.evaluate(
        """async () => {
            const m = await import('/waiting_room_site/js/schedule.js');
            const attempts = [0, 1, 2, 3, 4, 10, 50];
            const fast = m.scheduleWithNear(200);
            return [attempts.map((n) => m.assignRetryMs(n)), attempts.map((n) => m.assignRetryMs(n, fast))];
        }"""
    )
    attempts = (0, 1, 2, 3, 4, 10, 50)
    assert got == [
        [POLL_SCHEDULE.assign_retry_ms(n) for n in attempts],
        [POLL_SCHEDULE.with_near(200).assign_retry_ms(n) for n in attempts],
    ]
    # The first ask waits until the entry queue has surely numbered the entry; retries stay within
    # 1.5 near intervals.
    assert got[0][0] > ENTRY_NUMBERED_WITHIN_MS and got[0][1] == 1500 and max(got[0][1:]) == 3000


def test_serving_rate_and_estimate_agree(module_page) -> None:
    rng = random.Random(13)
    runs = []
    for _ in range(30):
        t, value, samples = 0, rng.randint(0, 50), []
        for _ in range(rng.randint(1, 40)):
            t += rng.choice([500, 2000, 7000, 30000, 90000])
            value += rng.choice([0, 0, 1, 5, 30, -40]) if value > 40 else rng.choice([0, 1, 5])
            samples.append([value, t])
        runs.append({"samples": samples, "position": value + rng.randint(-5, 400), "now": t + 1000})
    got = module_page.evaluate(
        """async (runs) => {
            const m = await import('/waiting_room_site/js/estimate.js');
            return runs.map((run) => {
                const rate = new m.ServingRate({ minSpanMs: 10000 });
                for (const [value, time] of run.samples) rate.add(value, time);
                const last = run.samples[run.samples.length - 1][0];
                const estimate = m.estimateWait(run.position - last, rate, run.now);
                return {
                    rate: rate.rate(run.now), steps: rate.steps(), largest: rate.largestStep(),
                    watched: rate.watchedMs(run.now),
                    range: estimate.kind === "range" ? [estimate.lowMs, estimate.highMs] : null,
                };
            });
        }""",
        runs,
    )
    expected = []
    for run in runs:
        rate = ServingRate(min_span_ms=10_000)
        for value, time in run["samples"]:
            rate.add(value, time)
        estimate = estimate_wait(run["position"] - run["samples"][-1][0], rate, run["now"])
        expected.append(
            {
                "rate": rate.rate(run["now"]),
                "steps": rate.steps(),
                "largest": rate.largest_step(),
                "watched": rate.watched_ms(run["now"]),
                "range": [estimate.low_ms, estimate.high_ms] if estimate else None,
            }
        )
    assert got == expected
    assert sum(e["range"] is not None for e in expected) > 5


def test_the_server_clock_agrees(module_page) -> None:
    """Both copies put the counter's moves on the page's clock by the least delayed answer seen."""
    rng = random.Random(7)
    answers = []
    for n in range(40):
        now = 1_700_000_000_000 + 5_000 * n
        answered = (
            None
            if n in (0, 17)
            else now - rng.choice([40, 300, 2_000, 1_900, 90]) + rng.choice([-5_000, 0, 0, 800])
        )
        answers.append([[now - 120_000, now - 60_000, now - 1_000], answered, now])
    got = module_page.evaluate(
        """async (answers) => {
            const { ServerClock } = await import('/waiting_room_site/js/schedule.js');
            const clock = new ServerClock();
            return answers.map(([moves, answered, now]) => clock.pageTimes(moves, answered, now));
        }""",
        answers,
    )
    clock = ServerClock()
    expected = [clock.page_times(moves, answered, now) for moves, answered, now in answers]
    assert got == expected
    assert expected[0] == [] and expected[17] == [] and clock.offset_ms is not None
    # The offset never grows: a later, slower answer does not move the moves later.
    shifts = [times[0] - moves[0] for times, (moves, _, _) in zip(expected, answers, strict=True) if times]
    assert shifts == sorted(shifts, reverse=True)


def test_the_line_poll_is_jittered_within_its_bounds(module_page) -> None:
    """`linePollMs`, which the waiting room page and the OpenID page both use: a step-aligned poll
    only later (by up to JITTER near intervals), any other poll within JITTER of the delay."""
    got = module_page.evaluate(
        """async () => {
            const m = await import('/waiting_room_site/js/schedule.js');
            const rate = { rate: () => null, largestStep: () => 0, watchedMs: () => 20000 };
            const now = 1_000_000;
            const steps = [now - 150_000, now - 90_000, now - 30_000];
            return [0, 1].map((r) => [
                m.linePollMs(500, rate, steps, now, m.SCHEDULE, () => r),
                m.linePollMs(500, rate, [], now, m.SCHEDULE, () => r),
                m.stepAlignedMs(500, m.pollDelayMs(500, null, 0, 20000), 0, steps, now),
                m.pollDelayMs(500, null, 0, 20000),
                m.JITTER,
            ]);
        }"""
    )
    (low_aligned, low_plain, aligned, delay, jitter), (high_aligned, high_plain, *_) = got
    assert low_aligned == aligned and high_aligned == round(aligned + jitter * POLL_SCHEDULE.near_ms)
    assert low_plain == round(delay * (1 - jitter)) and high_plain == round(delay * (1 + jitter))
